//! Ping (MS-ASCMD 2.2.1.13): the phone waits until one of its folders changes or the heartbeat
//! interval ends. The last heartbeat and folder list are kept per device, so a Ping may omit them.

use std::collections::HashSet;
use std::time::Duration;

use axum::response::Response;
use eas_protocol::ping::{PingFolder, PingRequest, PingResponse};
use eas_protocol::status::PingStatus;
use eas_rpc::collections::ChangesRequest;
use eas_sync::CollectionState;
use eas_wbxml::Element;
use serde::{Deserialize, Serialize};

use crate::commands::sync::state_name;
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;
use crate::push::Wake;
use crate::respond::wbxml_response;

/// Name of the cached Ping parameters in the device store.
const STATE_NAME: &str = "ping";

/// How long a shared Ping registration outlives the heartbeat, in seconds.
const REGISTRY_MARGIN_SECONDS: u64 = 60;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cached {
    heartbeat: Option<u32>,
    folders: Option<Vec<(String, String)>>,
}

fn respond(r: PingResponse) -> Response {
    wbxml_response(&r.to_element())
}

/// Serves a Ping. It owns the request context so that a held Ping keeps only what it waits with:
/// its registration (which holds the watched folder ids) and its deadline (docs/benchmarks.md).
pub async fn handle(
    edge: &Edge,
    ctx: Box<RequestCtx>,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let hub = match edge.push() {
        Some(hub) if !edge.classes.is_empty() => hub,
        _ => return Err(EdgeError::UnsupportedCommand("Ping".into())),
    };
    let req = match doc.as_ref().map(PingRequest::from_element) {
        None => PingRequest::default(),
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad ping request");
            return Ok(respond(PingResponse::status_only(PingStatus::SyntaxError)));
        }
    };
    // Nothing of the request document is needed while the Ping is held.
    drop(doc);
    let (user, device) = (ctx.user.address.clone(), ctx.line.device_id.clone());
    drop(ctx);
    let mut cached: Cached = match edge.devices.get_state(&user, &device, STATE_NAME).await? {
        Some(b) => serde_json::from_slice(&b).unwrap_or_default(),
        None => Cached::default(),
    };
    let limits = &edge.config.ping;
    if let Some(hb) = req.heartbeat_interval {
        // MS-ASCMD 2.2.3.79.1: outside the allowed range, status 5 with the nearest bound.
        if hb < limits.min_heartbeat_seconds || hb > limits.max_heartbeat_seconds {
            let bound = hb.clamp(limits.min_heartbeat_seconds, limits.max_heartbeat_seconds);
            let mut r = PingResponse::status_only(PingStatus::InvalidHeartbeat);
            r.heartbeat_interval = Some(bound);
            return Ok(respond(r));
        }
    }
    if let Some(f) = &req.folders {
        if f.len() > limits.max_folders as usize {
            let mut r = PingResponse::status_only(PingStatus::TooManyFolders);
            r.max_folders = Some(limits.max_folders);
            return Ok(respond(r));
        }
    }
    let changed_request = req.heartbeat_interval.is_some() || req.folders.is_some();
    if let Some(hb) = req.heartbeat_interval {
        cached.heartbeat = Some(hb);
    }
    if let Some(f) = req.folders {
        cached.folders = Some(
            f.into_iter()
                .map(|PingFolder { id, class }| (id, class))
                .collect(),
        );
    }
    // MS-ASCMD 2.2.3.177.13 status 3: parameters omitted and none cached.
    let (Some(heartbeat), Some(folders)) = (cached.heartbeat, cached.folders.clone()) else {
        return Ok(respond(PingResponse::status_only(
            PingStatus::MissingParameters,
        )));
    };
    if changed_request {
        let bytes = serde_json::to_vec(&cached).map_err(|e| EdgeError::Internal(e.to_string()))?;
        edge.devices
            .put_state(&user, &device, STATE_NAME, bytes)
            .await?;
    }
    let ids: HashSet<String> = folders.into_iter().map(|(id, _)| id).collect();
    drop(cached);
    // Register before looking, so that a change between the look and the wait is not missed.
    // The shared entry (cluster) outlives the heartbeat a little, then expires by itself.
    let ttl = Duration::from_secs(u64::from(heartbeat) + REGISTRY_MARGIN_SECONDS);
    // Sub-futures are boxed in statements of their own, so the held state stays small.
    let hold = Box::pin(hub.hold(&user, &device, ids, ttl));
    let mut registration = hold.await?;
    let _held = crate::metrics::Held::ping();
    // Only the classes of the watched folders are asked: a Ping on mail folders does not depend
    // on the contacts service being up.
    let known = edge
        .classes
        .folders_for(&user, registration.folders().iter().map(String::as_str))
        .await?;
    if registration
        .folders()
        .iter()
        .any(|id| !known.contains_key(id) && !crate::folders::is_unserved(&edge.classes, id))
    {
        return Ok(respond(PingResponse::status_only(
            PingStatus::FolderSyncRequired,
        )));
    }
    // What stays alive below is all a held Ping keeps: its registration (with the folder ids)
    // and its deadline.
    drop(known);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(heartbeat));
    loop {
        let pending = Box::pin(pending_folders(
            edge,
            &user,
            &device,
            registration.folders(),
        ));
        let pending = pending.await?;
        if !pending.is_empty() {
            return Ok(respond(PingResponse::changes(pending)));
        }
        let wake = tokio::select! {
            w = registration.wake() => w,
            _ = tokio::time::sleep_until(deadline) => {
                return Ok(respond(PingResponse::status_only(PingStatus::Expired)));
            }
        };
        match wake {
            Wake::Changed(change) => {
                // The event carries the folder's counter after the change: compared with how
                // far the device synced the folder, it answers without a call to the mail
                // service (docs/push.md). MS-ASCMD 2.2.3.70.2: the response lists the changed
                // folder; another folder changing in the same instant is found by the next Ping.
                let synced = Box::pin(synced(edge, &user, &device, &change.folder));
                let behind = synced.await?.behind(change.counter);
                // Per-hop timing of a wake-up (docs/push.md, "Tracing one wake-up").
                tracing::debug!(%user, %device, counter = change.counter, behind, "woken ping checked");
                if behind {
                    crate::metrics::woken("Ping", change.produced_ms);
                    return Ok(respond(PingResponse::changes(vec![change.folder])));
                }
                registration.rearm();
            }
            Wake::Check => registration.rearm(),
            Wake::Hierarchy => {
                return Ok(respond(PingResponse::status_only(
                    PingStatus::FolderSyncRequired,
                )))
            }
            // A newer Ping of this device answers from now on; this one ends quietly.
            Wake::Superseded => return Ok(respond(PingResponse::status_only(PingStatus::Expired))),
        }
    }
}

/// How far a device synced a folder, from its stored sync state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synced {
    /// The device never synced the folder.
    Never,
    /// The stored state cannot be read.
    Unreadable,
    /// The device's last Sync considered the folder's change log up to this counter.
    Through(u64),
}

impl Synced {
    /// Whether the folder, its counter at `counter`, has something for the device. A folder the
    /// device never synced (or whose state is gone) is reported at once: the server reports
    /// against the last SyncKey it gave (MS-ASCMD 3.1.5.8, "Monitoring Folders for New Items") and there is none, so the
    /// device is told to Sync it (Ping status 2) rather than left waiting for a change that
    /// would never be measured against anything. An unreadable state is reported too, so that
    /// the Sync that follows resets it (status 3).
    fn behind(self, counter: u64) -> bool {
        match self {
            Synced::Never => true,
            Synced::Unreadable => true,
            Synced::Through(modseq) => counter > modseq,
        }
    }
}

async fn synced(edge: &Edge, user: &str, device: &str, folder: &str) -> Result<Synced, EdgeError> {
    let bytes = edge
        .devices
        .get_state(user, device, &state_name(folder))
        .await?;
    Ok(match bytes {
        None => Synced::Never,
        Some(bytes) => match CollectionState::decode(&bytes) {
            Ok(state) => Synced::Through(state.cursor().modseq),
            Err(_) => Synced::Unreadable,
        },
    })
}

/// The watched folders whose counter moved past what the device's last Sync considered.
async fn pending_folders(
    edge: &Edge,
    user: &str,
    device: &str,
    ids: &HashSet<String>,
) -> Result<Vec<String>, EdgeError> {
    let served_folders = edge
        .classes
        .folders_for(user, ids.iter().map(String::as_str))
        .await?;
    let mut out = Vec::new();
    for id in ids {
        // A listed folder no service serves (Calendar, Contacts) is empty: its counter stays 0.
        let served = served_folders
            .contains_key(id)
            .then(|| edge.classes.route(id))
            .flatten();
        if served.is_none() && !crate::folders::is_unserved(&edge.classes, id) {
            continue;
        }
        let synced = synced(edge, user, device, id).await?;
        // Only a folder the device synced needs its counter; `behind` decides the others alone.
        let counter = match (&synced, served) {
            (Synced::Through(_), Some((class, service_id))) => {
                let mut c = class.collections().clone();
                c.changes_since(ChangesRequest {
                    user: user.to_owned(),
                    folder_id: service_id.to_owned(),
                    after: None,
                    limit: 0,
                })
                .await
                .map_err(EdgeError::from)?
                .into_inner()
                .counter
            }
            _ => 0,
        };
        if synced.behind(counter) {
            out.push(id.clone());
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::Synced;

    #[test]
    fn a_folder_is_reported_when_its_counter_passed_what_the_device_synced_or_it_was_never_synced()
    {
        assert!(Synced::Through(41).behind(42));
        assert!(!Synced::Through(42).behind(42));
        assert!(!Synced::Through(43).behind(42));
        // Never synced: reported whatever the counter, so that the device syncs it.
        assert!(Synced::Never.behind(0));
        assert!(Synced::Never.behind(u64::MAX));
        // Unreadable: reported, so that the next Sync resets it.
        assert!(Synced::Unreadable.behind(0));
    }
}
