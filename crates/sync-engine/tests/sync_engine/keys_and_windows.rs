//! Rules 1 to 3: key "0", the current key with WindowSize and MoreAvailable, resends and unknown keys.

use crate::common;

use common::*;
use eas_sync::{MemoryFolder, RequestKey, Session, SessionKind, SyncError, SyncKey};

#[tokio::test]
async fn key_zero_is_answered_with_a_new_key_and_no_items_even_when_the_folder_is_full() {
    let folder = MemoryFolder::new();
    for _ in 0..5 {
        folder.create(Some(NOW));
    }
    let done = start(&folder, &opts()).await;
    assert!(done.commands.is_empty());
    assert!(!done.more_available);
    assert_eq!(done.key.counter(), 1);
    assert_eq!(done.state.previous_key(), None);
}

#[tokio::test]
async fn the_sync_after_key_zero_adds_every_item_and_the_key_grows_by_one() {
    let folder = MemoryFolder::new();
    let made: Vec<_> = (0..3).map(|_| folder.create(Some(NOW)).id).collect();
    let first = start(&folder, &opts()).await;
    let second = sync(&folder, Some(&first.state), &first.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(ids(&second.commands), made);
    assert!(kinds(&second.commands).iter().all(|(k, _)| *k == "add"));
    assert_eq!(second.key, first.key.next());
    assert_eq!(second.state.held_len(), 3);
}

#[tokio::test]
async fn window_size_caps_the_answer_and_more_available_drains_every_item_exactly_once() {
    let folder = MemoryFolder::new();
    for _ in 0..25 {
        folder.create(Some(NOW));
    }
    let mut done = start(&folder, &window(10)).await;
    let mut seen = Vec::new();
    let mut rounds = 0;
    loop {
        done = sync(
            &folder,
            Some(&done.state),
            &done.key.to_string(),
            &window(10),
        )
        .await
        .unwrap();
        assert!(done.commands.len() <= 10);
        seen.extend(ids(&done.commands));
        rounds += 1;
        if !done.more_available {
            break;
        }
    }
    assert_eq!(rounds, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 25);
    assert_eq!(seen.len(), 25);
}

#[tokio::test]
async fn a_full_window_with_nothing_left_does_not_claim_more_available() {
    let folder = MemoryFolder::new();
    for _ in 0..10 {
        folder.create(None);
    }
    let first = start(&folder, &window(10)).await;
    let done = sync(
        &folder,
        Some(&first.state),
        &first.key.to_string(),
        &window(10),
    )
    .await
    .unwrap();
    assert_eq!(done.commands.len(), 10);
    assert!(!done.more_available);
}

#[tokio::test]
async fn an_absent_window_size_means_100_and_zero_or_too_large_means_512() {
    assert_eq!(opts().effective_window(), 100);
    assert_eq!(window(0).effective_window(), 512);
    assert_eq!(window(10_000).effective_window(), 512);
    assert_eq!(window(7).effective_window(), 7);
    let folder = MemoryFolder::new();
    for _ in 0..101 {
        folder.create(None);
    }
    let first = start(&folder, &opts()).await;
    let done = sync(&folder, Some(&first.state), &first.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!((done.commands.len(), done.more_available), (100, true));
}

#[tokio::test]
async fn a_resent_previous_key_gets_the_same_items_and_the_same_new_key() {
    let folder = MemoryFolder::new();
    for _ in 0..4 {
        folder.create(Some(NOW));
    }
    let first = start(&folder, &window(3)).await;
    let key = first.key.to_string();
    let lost = sync(&folder, Some(&first.state), &key, &window(3))
        .await
        .unwrap();
    let again = sync(&folder, Some(&lost.state), &key, &window(3))
        .await
        .unwrap();
    assert_eq!(again.key, lost.key);
    assert_eq!(again.commands, lost.commands);
    assert_eq!(again.more_available, lost.more_available);
    assert_eq!(again.state, lost.state);
    let next = sync(
        &folder,
        Some(&again.state),
        &again.key.to_string(),
        &window(3),
    )
    .await
    .unwrap();
    assert_eq!(ids(&next.commands), vec!["4".to_owned()]);
}

#[tokio::test]
async fn a_resend_is_answered_from_the_previous_state_even_after_the_server_moved_on() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let first = start(&folder, &opts()).await;
    let key = first.key.to_string();
    let lost = sync(&folder, Some(&first.state), &key, &opts())
        .await
        .unwrap();
    folder.delete(&a);
    let again = sync(&folder, Some(&lost.state), &key, &opts())
        .await
        .unwrap();
    // The device never got the Add, so it is not told about a delete either.
    assert!(again.commands.is_empty());
    assert_eq!(again.key, lost.key);
    assert_eq!(again.state.held_len(), 0);
}

#[tokio::test]
async fn a_key_the_server_never_issued_or_no_state_is_an_invalid_sync_key() {
    let folder = MemoryFolder::new();
    let first = start(&folder, &opts()).await;
    let foreign = SyncKey::new(first.key.generation().wrapping_add(1), 1).to_string();
    for key in ["garbage", "5", foreign.as_str()] {
        let err = Session::open(Some(first.state.clone()), key, &opts()).unwrap_err();
        assert_eq!(err, SyncError::InvalidSyncKey);
        assert_eq!(err.sync_status(), 3);
    }
    let err = Session::open(None, &first.key.to_string(), &opts()).unwrap_err();
    assert_eq!(err.sync_status(), 3);
}

#[tokio::test]
async fn a_key_two_answers_old_is_invalid_and_never_duplicates_items() {
    let folder = MemoryFolder::new();
    folder.create(None);
    let k1 = start(&folder, &opts()).await;
    let k2 = sync(&folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap();
    let k3 = sync(&folder, Some(&k2.state), &k2.key.to_string(), &opts())
        .await
        .unwrap();
    let err = Session::open(Some(k3.state), &k1.key.to_string(), &opts()).unwrap_err();
    assert_eq!(err, SyncError::InvalidSyncKey);
}

#[tokio::test]
async fn key_zero_over_an_existing_state_starts_again_with_nothing_held() {
    let folder = MemoryFolder::new();
    folder.create(None);
    let first = start(&folder, &opts()).await;
    let full = sync(&folder, Some(&first.state), &first.key.to_string(), &opts())
        .await
        .unwrap();
    let session = Session::open(Some(full.state), "0", &opts()).unwrap();
    assert_eq!(session.kind(), SessionKind::Initial);
    assert_eq!(session.state().held_len(), 0);
    assert_eq!(RequestKey::parse("0"), RequestKey::Initial);
}

/// One Sync whose answer is cut before the command naming `cut` (an edge over its byte budget).
async fn sync_cut(
    folder: &MemoryFolder,
    stored: &eas_sync::CollectionState,
    key: &str,
    options: &eas_sync::SyncOptions,
    cut: &str,
) -> eas_sync::Committed {
    let session = Session::open(Some(stored.clone()), key, options).unwrap();
    let mut plan = session.plan(folder).await.unwrap();
    plan.cut_at(cut);
    session.commit(plan)
}

#[tokio::test]
async fn an_answer_cut_short_says_more_available_and_the_next_answer_sends_what_was_left_out() {
    let folder = MemoryFolder::new();
    let made: Vec<String> = (0..6).map(|_| folder.create(Some(NOW)).id).collect();
    let first = start(&folder, &window(25)).await;
    // The edge's budget is reached at the third item: two go out, with MoreAvailable.
    let cut = sync_cut(
        &folder,
        &first.state,
        &first.key.to_string(),
        &window(25),
        &made[2],
    )
    .await;
    assert_eq!(ids(&cut.commands), made[..2].to_vec());
    assert!(cut.more_available);
    assert_eq!(cut.state.held_len(), 2);
    // A later change to an item already sent must still come after the ones left out.
    folder.update(&made[0], Some(NOW));
    let next = sync(&folder, Some(&cut.state), &cut.key.to_string(), &window(25))
        .await
        .unwrap();
    let mut expected: Vec<(&str, String)> = made[2..].iter().map(|i| ("add", i.clone())).collect();
    expected.push(("change", made[0].clone()));
    assert_eq!(kinds(&next.commands), expected);
    assert!(!next.more_available);
    assert_eq!(next.state.held_len(), 6);
}

#[tokio::test]
async fn a_resend_of_a_key_whose_answer_was_cut_gets_the_same_cut_answer() {
    let folder = MemoryFolder::new();
    let made: Vec<String> = (0..4).map(|_| folder.create(Some(NOW)).id).collect();
    let first = start(&folder, &window(25)).await;
    let key = first.key.to_string();
    let lost = sync_cut(&folder, &first.state, &key, &window(25), &made[1]).await;
    let again = sync_cut(&folder, &lost.state, &key, &window(25), &made[1]).await;
    assert_eq!(again.key, lost.key);
    assert_eq!(again.commands, lost.commands);
    assert!(again.more_available);
    assert_eq!(again.state, lost.state);
}

#[tokio::test]
async fn cutting_at_the_first_command_sends_nothing_and_loses_nothing() {
    let folder = MemoryFolder::new();
    let made: Vec<String> = (0..3).map(|_| folder.create(Some(NOW)).id).collect();
    let first = start(&folder, &window(25)).await;
    let cut = sync_cut(
        &folder,
        &first.state,
        &first.key.to_string(),
        &window(25),
        &made[0],
    )
    .await;
    assert!(cut.commands.is_empty());
    assert!(cut.more_available);
    let next = sync(&folder, Some(&cut.state), &cut.key.to_string(), &window(25))
        .await
        .unwrap();
    assert_eq!(ids(&next.commands), made);
}
