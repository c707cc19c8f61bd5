//! Rules 1 to 3: key "0", the current key with WindowSize and MoreAvailable, resends and unknown keys.

mod common;

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
