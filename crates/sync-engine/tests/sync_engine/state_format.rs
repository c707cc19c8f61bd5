//! The stored state: it round-trips, corrupt bytes are a typed error, and 10,000 held items stay small.

use crate::common;

use common::*;
use eas_sync::{CollectionState, MemoryFolder, StateError, SyncError};
use proptest::prelude::*;

/// Syncs every item of `folder` to a device in windows of 512 and returns the final state.
fn synced_state(folder: &MemoryFolder) -> CollectionState {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut done = start(folder, &window(512)).await;
        loop {
            done = sync(
                folder,
                Some(&done.state),
                &done.key.to_string(),
                &window(512),
            )
            .await
            .unwrap();
            if !done.more_available {
                return done.state;
            }
        }
    })
}

/// A folder of `n` items a minute apart, ids from `id_of`.
fn folder_of(n: u64, id_of: impl Fn(u64) -> String) -> MemoryFolder {
    let folder = MemoryFolder::new();
    for i in 0..n {
        folder.put(&id_of(i), Some(NOW - 60 * i as i64));
    }
    folder
}

fn uuid_like(i: u64) -> String {
    let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995;
    let g = h.rotate_left(17).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let hex = format!("{h:016x}{g:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The documented bound (docs/sync-engine.md): 10,000 held items with short numeric ids.
const NUMERIC_10K_BOUND: usize = 64 * 1024;
/// The documented bound for 10,000 held items with 36-character UUID ids.
const UUID_10K_BOUND: usize = 420 * 1024;

#[test]
fn ten_thousand_held_items_with_numeric_ids_stay_under_the_documented_size() {
    let state = synced_state(&folder_of(10_000, |i| (i + 1).to_string()));
    assert_eq!(state.held_len(), 10_000);
    let bytes = state.encode();
    println!(
        "10k numeric ids: {} bytes, {:.1} per item",
        bytes.len(),
        bytes.len() as f64 / 1e4
    );
    assert!(bytes.len() < NUMERIC_10K_BOUND, "{} bytes", bytes.len());
    assert_eq!(CollectionState::decode(&bytes), Ok(state));
}

#[test]
fn ten_thousand_held_items_with_uuid_ids_stay_under_the_documented_size() {
    let state = synced_state(&folder_of(10_000, uuid_like));
    let bytes = state.encode();
    println!(
        "10k uuid ids: {} bytes, {:.1} per item",
        bytes.len(),
        bytes.len() as f64 / 1e4
    );
    assert!(bytes.len() < UUID_10K_BOUND, "{} bytes", bytes.len());
    assert_eq!(CollectionState::decode(&bytes), Ok(state));
}

#[test]
fn bytes_that_are_not_a_state_are_a_typed_error_that_maps_to_status_three() {
    assert_eq!(CollectionState::decode(b""), Err(StateError::BadMagic));
    assert_eq!(
        CollectionState::decode(b"{\"json\":1}"),
        Err(StateError::BadMagic)
    );
    assert_eq!(
        CollectionState::decode(b"ESS\x09"),
        Err(StateError::UnsupportedVersion(9))
    );
    let err = SyncError::from(StateError::Truncated);
    assert_eq!(err.sync_status(), 3);
}

#[test]
fn a_state_with_undo_and_client_results_round_trips() {
    let folder = folder_of(30, |i| format!("item-{i}"));
    let state = synced_state(&folder);
    assert!(state.previous_key().is_some());
    let bytes = state.encode();
    assert_eq!(CollectionState::decode(&bytes), Ok(state));
}

fn small_state_bytes() -> Vec<u8> {
    synced_state(&folder_of(20, |i| format!("m{i}"))).encode()
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut with_magic = b"ESS\x01".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = CollectionState::decode(&bytes);
        let _ = CollectionState::decode(&with_magic);
    }

    #[test]
    fn a_truncated_or_bit_flipped_state_never_panics(cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
        let bytes = small_state_bytes();
        let _ = CollectionState::decode(&bytes[..cut.index(bytes.len())]);
        let mut flipped = bytes.clone();
        let at = flip.0.index(flipped.len());
        flipped[at] ^= flip.1 | 1;
        if let Ok(state) = CollectionState::decode(&flipped) {
            // Whatever decodes must encode again without panicking.
            let _ = state.encode();
        }
    }
}
