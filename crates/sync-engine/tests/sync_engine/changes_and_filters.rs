//! Rules 2, 4, 6 and 7: Add, Change, Delete and SoftDelete, FilterType windows, GetChanges, estimates.

use crate::common;

use common::*;
use eas_sync::{estimate, FilterType, MemoryFolder, SyncOptions};

fn filtered(filter: FilterType) -> SyncOptions {
    SyncOptions {
        filter: Some(filter),
        ..opts()
    }
}

#[tokio::test]
async fn updates_become_changes_and_deletes_and_moves_become_deletes() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let b = folder.create(Some(NOW)).id;
    let c = folder.create(Some(NOW)).id;
    let k1 = start(&folder, &opts()).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    folder.update(&a, Some(NOW));
    folder.delete(&b);
    folder.move_out(&c);
    let d = folder.create(Some(NOW)).id;
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    let expected = vec![("change", a), ("delete", b), ("delete", c), ("add", d)];
    let expected: Vec<_> = expected.into_iter().collect();
    assert_eq!(kinds(&k3.commands), expected);
    let k4 = sync(&folder, Some(&k3.state), &k3.key.to_string(), &opts())
        .await
        .unwrap();
    assert!(k4.commands.is_empty());
}

#[tokio::test]
async fn items_never_held_produce_nothing_when_deleted_or_outside_the_window() {
    let folder = MemoryFolder::new();
    let k1 = start(&folder, &filtered(FilterType::OneWeek)).await;
    let gone = folder.create(Some(NOW)).id;
    folder.delete(&gone);
    folder.create(Some(NOW - 30 * DAY));
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    assert!(k2.commands.is_empty());
    assert_eq!(k2.state.held_len(), 0);
}

#[tokio::test]
async fn a_narrower_filter_soft_deletes_held_items_that_fall_outside() {
    let folder = MemoryFolder::new();
    let old = folder.create(Some(NOW - 10 * DAY)).id;
    let new = folder.create(Some(NOW - DAY)).id;
    let k1 = start(&folder, &filtered(FilterType::OneMonth)).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(ids(&k2.commands), vec![old.clone(), new.clone()]);
    let k3 = sync(
        &folder,
        Some(&k2.state),
        &k2.key.to_string(),
        &filtered(FilterType::ThreeDays),
    )
    .await
    .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("softdelete", old.clone())]);
    assert_eq!(k3.state.held(&new).map(|s| s.modseq), Some(2));
    assert_eq!(k3.state.filter(), FilterType::ThreeDays);
}

#[tokio::test]
async fn a_wider_filter_rescans_and_adds_only_what_the_device_lacks() {
    let folder = MemoryFolder::new();
    let old = folder.create(Some(NOW - 10 * DAY)).id;
    folder.create(Some(NOW - DAY));
    let k1 = start(&folder, &filtered(FilterType::ThreeDays)).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(k2.commands.len(), 1);
    let k3 = sync(
        &folder,
        Some(&k2.state),
        &k2.key.to_string(),
        &filtered(FilterType::All),
    )
    .await
    .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("add", old)]);
    assert_eq!(k3.state.held_len(), 2);
}

#[tokio::test]
async fn items_that_age_out_of_the_window_are_soft_deleted() {
    let folder = MemoryFolder::new();
    let aging = folder.create(Some(NOW - 6 * DAY)).id;
    folder.create(Some(NOW));
    let k1 = start(&folder, &filtered(FilterType::OneWeek)).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(k2.commands.len(), 2);
    let later = SyncOptions {
        now: NOW + 2 * DAY,
        ..opts()
    };
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &later)
        .await
        .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("softdelete", aging)]);
}

#[tokio::test]
async fn an_item_whose_date_moves_out_of_the_window_is_soft_deleted() {
    let folder = MemoryFolder::new();
    let moved = folder.create(Some(NOW)).id;
    let k1 = start(&folder, &filtered(FilterType::OneDay)).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    folder.update(&moved, Some(NOW - 5 * DAY));
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("softdelete", moved)]);
}

#[tokio::test]
async fn completing_a_task_under_the_incomplete_filter_soft_deletes_it() {
    let folder = MemoryFolder::new();
    let task = folder.create(None).id;
    let k1 = start(&folder, &filtered(FilterType::IncompleteTasks)).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(k2.commands.len(), 1);
    folder.set_complete(&task, true);
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("softdelete", task)]);
}

#[tokio::test]
async fn get_changes_zero_sends_nothing_but_still_issues_a_new_key() {
    let folder = MemoryFolder::new();
    folder.create(None);
    let k1 = start(&folder, &opts()).await;
    let quiet = SyncOptions {
        get_changes: Some(false),
        ..opts()
    };
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &quiet)
        .await
        .unwrap();
    assert!(k2.commands.is_empty());
    assert_eq!(k2.key, k1.key.next());
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(k3.commands.len(), 1);
}

#[tokio::test]
async fn purged_tombstones_of_held_items_are_still_sent_as_deletes() {
    let folder = MemoryFolder::new();
    let a = folder.create(None).id;
    folder.create(None);
    let k1 = start(&folder, &opts()).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    folder.delete(&a);
    folder.purge_tombstones(folder.counter());
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(kinds(&k3.commands), vec![("delete", a)]);
    assert_eq!(k3.state.held_len(), 1);
}

#[tokio::test]
async fn the_estimate_counts_what_a_sync_would_send_and_changes_nothing() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    folder.create(Some(NOW - 30 * DAY));
    assert_eq!(estimate(None, &folder, None, NOW).await.unwrap(), 2);
    let week = Some(FilterType::OneWeek);
    assert_eq!(estimate(None, &folder, week, NOW).await.unwrap(), 1);
    let k1 = start(&folder, &opts()).await;
    assert_eq!(
        estimate(Some(&k1.state), &folder, None, NOW).await.unwrap(),
        2
    );
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    folder.update(&a, Some(NOW));
    folder.create(None);
    let before = k2.state.clone();
    assert_eq!(
        estimate(Some(&k2.state), &folder, None, NOW).await.unwrap(),
        2
    );
    // Narrowing to a week would also soft-delete the old item.
    assert_eq!(
        estimate(Some(&k2.state), &folder, week, NOW).await.unwrap(),
        3
    );
    assert_eq!(k2.state, before);
}

#[tokio::test]
async fn a_source_outage_is_status_five_and_leaves_the_state_alone() {
    let folder = MemoryFolder::new();
    let k1 = start(&folder, &opts()).await;
    folder.set_unavailable(true);
    let err = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.sync_status(), 5);
}
