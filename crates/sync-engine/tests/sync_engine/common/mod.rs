//! Helpers shared by the integration tests: one call per Sync round trip against a memory folder.

#![allow(dead_code)]

use eas_sync::{
    CollectionState, Committed, MemoryFolder, ServerCommand, Session, SyncError, SyncOptions,
};

pub const NOW: i64 = 1_700_000_000;
pub const DAY: i64 = 86_400;

pub fn opts() -> SyncOptions {
    SyncOptions {
        now: NOW,
        ..Default::default()
    }
}

pub fn window(n: u32) -> SyncOptions {
    SyncOptions {
        window_size: Some(n),
        ..opts()
    }
}

/// One Sync with no client commands.
pub async fn sync(
    folder: &MemoryFolder,
    stored: Option<&CollectionState>,
    key: &str,
    options: &SyncOptions,
) -> Result<Committed, SyncError> {
    let session = Session::open(stored.cloned(), key, options)?;
    let plan = session.plan(folder).await?;
    Ok(session.commit(plan))
}

/// Key "0" then the first real key: the state a device has right after setup.
pub async fn start(folder: &MemoryFolder, options: &SyncOptions) -> Committed {
    sync(folder, None, "0", options).await.expect("key 0")
}

pub fn ids(commands: &[ServerCommand]) -> Vec<String> {
    commands.iter().map(|c| c.id().to_owned()).collect()
}

pub fn kinds(commands: &[ServerCommand]) -> Vec<(&'static str, String)> {
    commands
        .iter()
        .map(|c| {
            let kind = match c {
                ServerCommand::Add(_) => "add",
                ServerCommand::Change(_) => "change",
                ServerCommand::Delete(_) => "delete",
                ServerCommand::SoftDelete(_) => "softdelete",
            };
            (kind, c.id().to_owned())
        })
        .collect()
}
