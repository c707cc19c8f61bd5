//! The device's cached Sync request: an empty request repeats it (MS-ASCMD 2.2.1.21.1) and a
//! Partial one completes it (2.2.3.125). Kept in the device store as the request's WBXML, with
//! the client's commands left out and each collection's key advanced to the last one issued.

use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{SyncCollection, SyncCollectionResponse, SyncRequest};

use crate::edge::Edge;
use crate::error::EdgeError;

/// The device store's name for the cached request.
const CACHE_NAME: &str = "sync-request";

/// The request a Sync stands for: `sent` itself when it is a full request; the cached request
/// for an empty body; the cached request completed by `sent` when it is Partial or names no
/// collection. `None` when the cache is needed and there is none (status 13).
pub(crate) async fn resolve(
    edge: &Edge,
    user: &str,
    device: &str,
    sent: Option<SyncRequest>,
) -> Result<Option<SyncRequest>, EdgeError> {
    match sent {
        Some(req) if !req.partial && !req.collections.is_empty() => Ok(Some(req)),
        sent => {
            let Some(cached) = load(edge, user, device).await? else {
                return Ok(None);
            };
            Ok(Some(match sent {
                None => cached,
                Some(partial) => merge(cached, partial),
            }))
        }
    }
}

/// Keeps `req` as the device's cached request, without its client commands (MS-ASCMD
/// 2.2.1.21.1: the cached request is replaced by every request with a body).
pub(crate) async fn store(
    edge: &Edge,
    user: &str,
    device: &str,
    req: &SyncRequest,
) -> Result<(), EdgeError> {
    let mut cached = req.clone();
    cached.partial = false;
    for c in &mut cached.collections {
        c.commands.clear();
    }
    let bytes = eas_wbxml::encode(&cached.to_element());
    edge.devices
        .put_state(user, device, CACHE_NAME, bytes)
        .await?;
    Ok(())
}

/// After an answer, moves each answered collection of the cached request to the key the answer
/// issued, so that a later Partial request that leaves it out continues from there. A collection
/// whose cached key is no longer the one `req` used was taken over by a newer request and is
/// left alone.
pub(crate) async fn advance(
    edge: &Edge,
    user: &str,
    device: &str,
    req: &SyncRequest,
    answered: &[SyncCollectionResponse],
) -> Result<(), EdgeError> {
    let Some(mut cached) = load(edge, user, device).await? else {
        return Ok(());
    };
    let mut changed = false;
    for r in answered.iter().filter(|r| r.status == SyncStatus::Success) {
        let (Some(new_key), Some(sent)) = (
            r.sync_key.as_ref(),
            find(&req.collections, &r.collection_id),
        ) else {
            continue;
        };
        let held = cached
            .collections
            .iter_mut()
            .find(|c| c.collection_id == r.collection_id && c.sync_key == sent.sync_key);
        if let Some(c) = held.filter(|c| &c.sync_key != new_key) {
            c.sync_key = new_key.clone();
            changed = true;
        }
    }
    if changed {
        store(edge, user, device, &cached).await?;
    }
    Ok(())
}

async fn load(edge: &Edge, user: &str, device: &str) -> Result<Option<SyncRequest>, EdgeError> {
    let Some(bytes) = edge.devices.get_state(user, device, CACHE_NAME).await? else {
        return Ok(None);
    };
    let parsed = eas_wbxml::decode(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|el| SyncRequest::from_element(&el).map_err(|e| e.to_string()));
    match parsed {
        Ok(req) => Ok(Some(req)),
        Err(error) => {
            // Read as "nothing cached": the device is told to send a full request (status 13).
            tracing::warn!(user, device_id = device, %error, "corrupt cached sync request");
            Ok(None)
        }
    }
}

fn find<'a>(list: &'a [SyncCollection], id: &str) -> Option<&'a SyncCollection> {
    list.iter().find(|c| c.collection_id == id)
}

/// MS-ASCMD 2.2.3.125: a Partial request's collections replace or join the cached ones; the
/// collections it leaves out keep their key and settings. A sent collection keeps the cached
/// settings it does not repeat (its key, GetChanges and commands are always its own). Wait or
/// HeartbeatInterval, when sent, replace both cached values; WindowSize likewise.
pub(crate) fn merge(mut cached: SyncRequest, sent: SyncRequest) -> SyncRequest {
    for coll in sent.collections {
        match cached
            .collections
            .iter_mut()
            .find(|c| c.collection_id == coll.collection_id)
        {
            Some(old) => *old = merge_collection(old, coll),
            None => cached.collections.push(coll),
        }
    }
    if sent.wait.is_some() || sent.heartbeat_interval.is_some() {
        cached.wait = sent.wait;
        cached.heartbeat_interval = sent.heartbeat_interval;
    }
    if sent.window_size.is_some() {
        cached.window_size = sent.window_size;
    }
    cached.partial = false;
    cached
}

fn merge_collection(old: &SyncCollection, sent: SyncCollection) -> SyncCollection {
    let options = if sent.options.is_empty() {
        old.options.clone()
    } else {
        sent.options
    };
    SyncCollection {
        sync_key: sent.sync_key,
        collection_id: sent.collection_id,
        class: sent.class.or_else(|| old.class.clone()),
        supported: sent.supported.or_else(|| old.supported.clone()),
        deletes_as_moves: sent.deletes_as_moves.or(old.deletes_as_moves),
        get_changes: sent.get_changes,
        window_size: sent.window_size.or(old.window_size),
        conversation_mode: sent.conversation_mode.or(old.conversation_mode),
        options,
        commands: sent.commands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_protocol::sync::{FilterType, SyncOptions};

    fn collection(id: &str, key: &str) -> SyncCollection {
        SyncCollection {
            sync_key: key.into(),
            collection_id: id.into(),
            ..SyncCollection::default()
        }
    }

    fn filtered(id: &str, key: &str, filter: FilterType) -> SyncCollection {
        SyncCollection {
            window_size: Some(10),
            options: vec![SyncOptions {
                filter_type: Some(filter),
                ..SyncOptions::default()
            }],
            ..collection(id, key)
        }
    }

    fn cached() -> SyncRequest {
        SyncRequest {
            collections: vec![
                filtered("5", "3", FilterType::OneWeek),
                collection("6", "9"),
            ],
            wait: Some(10),
            window_size: Some(50),
            ..SyncRequest::default()
        }
    }

    #[test]
    fn a_partial_request_replaces_the_keys_it_sends_and_keeps_the_rest() {
        let sent = SyncRequest {
            collections: vec![collection("5", "4")],
            partial: true,
            ..SyncRequest::default()
        };
        let merged = merge(cached(), sent);
        assert_eq!(merged.collections.len(), 2);
        let five = &merged.collections[0];
        assert_eq!(five.sync_key, "4");
        assert_eq!(five.window_size, Some(10));
        assert_eq!(five.options[0].filter_type, Some(FilterType::OneWeek));
        assert_eq!(merged.collections[1], collection("6", "9"));
        assert_eq!((merged.wait, merged.window_size), (Some(10), Some(50)));
        assert!(!merged.partial);
    }

    #[test]
    fn a_partial_request_adds_new_collections_and_sent_options_win() {
        let sent = SyncRequest {
            collections: vec![filtered("5", "3", FilterType::All), collection("7", "0")],
            heartbeat_interval: Some(300),
            partial: true,
            ..SyncRequest::default()
        };
        let merged = merge(cached(), sent);
        let ids: Vec<&str> = merged
            .collections
            .iter()
            .map(|c| c.collection_id.as_str())
            .collect();
        assert_eq!(ids, ["5", "6", "7"]);
        assert_eq!(
            merged.collections[0].options[0].filter_type,
            Some(FilterType::All)
        );
        // HeartbeatInterval replaces the cached Wait: a request never carries both.
        assert_eq!((merged.wait, merged.heartbeat_interval), (None, Some(300)));
    }

    #[test]
    fn a_partial_request_with_only_a_wait_repeats_every_collection() {
        let sent = SyncRequest {
            wait: Some(2),
            partial: true,
            ..SyncRequest::default()
        };
        let merged = merge(cached(), sent);
        assert_eq!(merged.collections, cached().collections);
        assert_eq!(merged.wait, Some(2));
    }
}
