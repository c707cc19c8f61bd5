//! The device's folder hierarchy state (MS-ASCMD 2.2.1.5, 2.2.3.177.5): the folders it holds at
//! its current FolderSync key and those it held at the key before, so that a request resent
//! after a lost response is answered the same way again; the difference between what it holds
//! and what the services report; and the record of a folder change the device made itself.

use std::collections::HashMap;

use eas_protocol::folder_sync::FolderChange;
use serde::{Deserialize, Serialize};

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::folders::Folder;

/// Name of the hierarchy state in the device store.
pub const STATE_NAME: &str = "foldersync";

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct HierarchyState {
    pub key: u32,
    pub folders: Vec<Folder>,
    pub previous: Option<(u32, Vec<Folder>)>,
}

/// What changed from `held` to `now`: adds (in source order, so parents come first), updates,
/// then deletes.
pub(crate) fn diff(held: &[Folder], now: &[Folder]) -> Vec<FolderChange> {
    let old: HashMap<&str, &Folder> = held.iter().map(|f| (f.server_id.as_str(), f)).collect();
    let new: HashMap<&str, &Folder> = now.iter().map(|f| (f.server_id.as_str(), f)).collect();
    let mut out = Vec::new();
    for f in now {
        match old.get(f.server_id.as_str()) {
            None => out.push(FolderChange::Add(f.to_entry())),
            Some(o) if *o != f => out.push(FolderChange::Update(f.to_entry())),
            Some(_) => {}
        }
    }
    for f in held {
        if !new.contains_key(f.server_id.as_str()) {
            out.push(FolderChange::Delete {
                server_id: f.server_id.clone(),
            });
        }
    }
    out
}

pub(crate) async fn load(
    edge: &Edge,
    user: &str,
    device: &str,
) -> Result<Option<HierarchyState>, EdgeError> {
    match edge.devices.get_state(user, device, STATE_NAME).await? {
        None => Ok(None),
        Some(bytes) => match serde_json::from_slice(&bytes) {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                tracing::warn!(user, device_id = device, error = %e, "corrupt hierarchy state");
                Ok(None)
            }
        },
    }
}

pub(crate) async fn save(
    edge: &Edge,
    user: &str,
    device: &str,
    s: &HierarchyState,
) -> Result<(), EdgeError> {
    let bytes = serde_json::to_vec(s).map_err(|e| EdgeError::Internal(e.to_string()))?;
    edge.devices
        .put_state(user, device, STATE_NAME, bytes)
        .await?;
    Ok(())
}

/// A device's hierarchy state at the key a folder command (FolderCreate, FolderUpdate,
/// FolderDelete) carries, ready to record the device's own change.
pub(crate) struct HeldHierarchy {
    state: HierarchyState,
}

impl HeldHierarchy {
    /// The folders the device holds at this key.
    pub(crate) fn folders(&self) -> &[Folder] {
        &self.state.folders
    }
}

/// The device's hierarchy when `sync_key` is its current FolderSync key; `None` for any other key
/// or no state, which the folder commands answer with status 9 (MS-ASCMD 2.2.3.177.2).
pub(crate) async fn held_at(
    edge: &Edge,
    user: &str,
    device: &str,
    sync_key: &str,
) -> Result<Option<HeldHierarchy>, EdgeError> {
    let Some(state) = load(edge, user, device).await? else {
        return Ok(None);
    };
    let current = sync_key.parse::<u32>().ok() == Some(state.key) && state.key != 0;
    Ok(current.then_some(HeldHierarchy { state }))
}

/// Records a change the device made itself: applies it to the folders the device holds and moves
/// to a new key, which the command's response carries, so the next FolderSync does not report the
/// change back (MS-ASCMD 2.2.3.181.1). The old key stays answerable as the previous one.
pub(crate) async fn record_own_change(
    edge: &Edge,
    user: &str,
    device: &str,
    held: HeldHierarchy,
    change: impl FnOnce(&mut Vec<Folder>),
) -> Result<String, EdgeError> {
    let mut state = held.state;
    let mut folders = state.folders.clone();
    change(&mut folders);
    state.previous = Some((state.key, std::mem::replace(&mut state.folders, folders)));
    state.key = state.key.saturating_add(1);
    save(edge, user, device, &state).await?;
    Ok(state.key.to_string())
}

/// Every folder below `id` in `folders`, `id` included.
pub(crate) fn subtree(folders: &[Folder], id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    let mut i = 0;
    while let Some(parent) = out.get(i).cloned() {
        for f in folders.iter().filter(|f| f.parent_id == parent) {
            if !out.contains(&f.server_id) {
                out.push(f.server_id.clone());
            }
        }
        i += 1;
    }
    out
}
