//! Errors of the engine and the one place where they map to Sync status codes (MS-ASCMD 2.2.3.177.17).

use crate::item::SourceError;

/// A stored state that cannot be read back; the caller answers status 3 and the device starts again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The bytes end in the middle of a field.
    #[error("sync state is truncated")]
    Truncated,
    /// The bytes are not a sync state.
    #[error("sync state has an unknown format")]
    BadMagic,
    /// A format this build does not read.
    #[error("sync state format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// A field holds an impossible value.
    #[error("sync state is malformed: {0}")]
    Malformed(&'static str),
}

/// Why a Sync (or GetItemEstimate) for one collection cannot be answered normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The key is neither "0", nor the current key, nor the previous one; or there is no state for it.
    #[error("invalid sync key")]
    InvalidSyncKey,
    /// The stored state could not be decoded.
    #[error("corrupt sync state: {0}")]
    CorruptState(#[from] StateError),
    /// The data service failed.
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl SyncError {
    /// The collection Status of a Sync response for this error (MS-ASCMD 2.2.3.177.17): 3 for a key or state
    /// the server does not know (the client goes back to key "0"), 8 for a folder that is gone, 5 for a
    /// transient server error.
    pub fn sync_status(&self) -> u8 {
        match self {
            Self::InvalidSyncKey | Self::CorruptState(_) => 3,
            Self::Source(SourceError::FolderNotFound) => 8,
            Self::Source(SourceError::Unavailable(_)) => 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_state_errors_become_status_three_and_an_outage_status_five() {
        assert_eq!(SyncError::InvalidSyncKey.sync_status(), 3);
        assert_eq!(SyncError::from(StateError::Truncated).sync_status(), 3);
        let outage = SourceError::Unavailable("down".into());
        assert_eq!(SyncError::from(outage).sync_status(), 5);
        assert_eq!(
            SyncError::from(SourceError::FolderNotFound).sync_status(),
            8
        );
    }

    #[test]
    fn error_messages_are_lowercase() {
        let messages = [
            SyncError::InvalidSyncKey.to_string(),
            SyncError::from(StateError::Malformed("x")).to_string(),
            StateError::UnsupportedVersion(9).to_string(),
        ];
        for m in messages {
            assert!(m.starts_with(|c: char| c.is_ascii_lowercase()), "{m}");
        }
    }
}
