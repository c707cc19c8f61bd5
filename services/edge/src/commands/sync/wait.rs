//! Held Sync requests (MS-ASCMD 2.2.3.198 Wait, 2.2.3.88.2 HeartbeatInterval): the interval's
//! bounds, and the wait for a change in the requested collections through the push hub.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{SyncCollectionResponse, SyncRequest, SyncResponse};
use eas_protocol::version::ProtocolVersion;

use crate::classes::FolderMap;
use crate::commands::sync::{sync_pass, Mode, Outcome};
use crate::config::PingConfig;
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;
use crate::push::{PushHub, Wake};

/// MS-ASCMD 2.2.3.198: Wait is 1 to 59 minutes.
const WAIT_MINUTES: (u32, u32) = (1, 59);

/// How a held request ends.
#[derive(Debug)]
pub(crate) enum Held {
    /// These collections have something to say; the others keep their keys.
    Answer(Vec<SyncCollectionResponse>),
    /// The interval ended, or a newer request of the device took over: the empty response.
    NoChanges,
    /// The folder hierarchy changed: status 12.
    Hierarchy,
}

/// How long the request may be held, `None` when it asks for no wait; the refusal to send when
/// the interval is not acceptable.
pub(crate) fn interval(
    req: &SyncRequest,
    version: ProtocolVersion,
    limits: &PingConfig,
) -> Result<Option<Duration>, SyncResponse> {
    match (req.wait, req.heartbeat_interval) {
        // MS-ASCMD 2.2.3.198 (R4748): Wait and HeartbeatInterval together are status 4.
        (Some(_), Some(_)) => Err(SyncResponse::status_only(SyncStatus::ProtocolError)),
        (Some(minutes), None) => {
            let (min, max) = WAIT_MINUTES;
            within(minutes, min, max).map(|m| Some(Duration::from_secs(u64::from(m) * 60)))
        }
        // MS-ASCMD 2.2.3.88.2: HeartbeatInterval exists from 14.0 on.
        (None, Some(_)) if version < ProtocolVersion::V14_0 => {
            Err(SyncResponse::status_only(SyncStatus::ProtocolError))
        }
        // The bounds are implementation-specific (MS-ASCMD 2.2.3.88.2); Ping's are used.
        (None, Some(seconds)) => within(
            seconds,
            limits.min_heartbeat_seconds,
            limits.max_heartbeat_seconds,
        )
        .map(|s| Some(Duration::from_secs(u64::from(s)))),
        (None, None) => Ok(None),
    }
}

/// MS-ASCMD 2.2.3.97 (Limit): outside the range, status 14 with the nearest accepted value.
fn within(value: u32, min: u32, max: u32) -> Result<u32, SyncResponse> {
    if value < min || value > max {
        return Err(SyncResponse::with_limit(
            SyncStatus::InvalidWaitOrHeartbeat,
            value.clamp(min, max),
        ));
    }
    Ok(value)
}

/// Answers at once when a collection has something to say; otherwise waits until a change in
/// one of the collections gives it something (MS-ASCMD 3.1.5.4) or the interval ends.
pub(crate) async fn hold(
    edge: &Edge,
    ctx: &RequestCtx,
    folders: &FolderMap,
    req: &SyncRequest,
    hub: &Arc<PushHub>,
    interval: Duration,
) -> Result<Held, EdgeError> {
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    let ids: HashSet<String> = req
        .collections
        .iter()
        .map(|c| c.collection_id.clone())
        .collect();
    // Register before looking, so that a change between the look and the wait is not missed.
    // In the cluster the shared registry routes the user's events here (docs/push.md).
    let ttl = interval + Duration::from_secs(60);
    let mut registration = hub.hold(user, device, ids, ttl).await?;
    let _held = crate::metrics::Held::sync();
    let deadline = tokio::time::Instant::now() + interval;
    let mut mode = Mode::Hold { recheck: false };
    // When the last wake-up's event was produced, for the wake-up delay.
    let mut woken_by: Option<u64> = None;
    loop {
        let outcomes = sync_pass(edge, ctx, folders, req, mode).await?;
        let moved = outcomes.iter().any(|o| matches!(o, Outcome::Moved));
        let answers: Vec<SyncCollectionResponse> = outcomes
            .into_iter()
            .filter_map(Outcome::into_answer)
            .collect();
        if !answers.is_empty() {
            crate::metrics::woken("Sync", woken_by);
            return Ok(Held::Answer(answers));
        }
        if moved {
            // Another request of this device synced a collection since: its answer counts.
            return Ok(Held::NoChanges);
        }
        let wake = tokio::select! {
            w = registration.wake() => w,
            _ = tokio::time::sleep_until(deadline) => return Ok(Held::NoChanges),
        };
        match wake {
            // The next pass looks at every collection; a counter alone cannot say which of
            // them has something within the device's filter.
            Wake::Changed(change) => {
                woken_by = change.produced_ms;
                registration.rearm();
            }
            Wake::Check => {
                woken_by = None;
                registration.rearm();
            }
            Wake::Hierarchy => return Ok(Held::Hierarchy),
            // A newer Sync or Ping of this device answers from now on; this one ends empty,
            // which leaves every key as the device holds it.
            Wake::Superseded => return Ok(Held::NoChanges),
        }
        mode = Mode::Hold { recheck: true };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(wait: Option<u32>, heartbeat: Option<u32>) -> SyncRequest {
        SyncRequest {
            wait,
            heartbeat_interval: heartbeat,
            ..SyncRequest::default()
        }
    }

    fn limits() -> PingConfig {
        PingConfig {
            min_heartbeat_seconds: 60,
            max_heartbeat_seconds: 3540,
            max_folders: 300,
        }
    }

    fn refusal(r: Result<Option<Duration>, SyncResponse>) -> (Option<SyncStatus>, Option<u32>) {
        let r = r.expect_err("refused");
        (r.status, r.limit)
    }

    #[test]
    fn wait_in_minutes_and_heartbeat_in_seconds_become_durations() {
        let v = ProtocolVersion::V14_1;
        assert_eq!(
            interval(&request(Some(5), None), v, &limits()),
            Ok(Some(Duration::from_secs(300)))
        );
        assert_eq!(
            interval(&request(None, Some(480)), v, &limits()),
            Ok(Some(Duration::from_secs(480)))
        );
        assert_eq!(interval(&request(None, None), v, &limits()), Ok(None));
    }

    #[test]
    fn out_of_range_values_get_status_14_with_the_nearest_bound() {
        let v = ProtocolVersion::V16_1;
        let invalid = Some(SyncStatus::InvalidWaitOrHeartbeat);
        for (wait, limit) in [(0, 1), (60, 59), (1000, 59)] {
            assert_eq!(
                refusal(interval(&request(Some(wait), None), v, &limits())),
                (invalid, Some(limit))
            );
        }
        for (hb, limit) in [(59, 60), (3541, 3540)] {
            assert_eq!(
                refusal(interval(&request(None, Some(hb)), v, &limits())),
                (invalid, Some(limit))
            );
        }
    }

    #[test]
    fn wait_with_heartbeat_or_heartbeat_before_14_0_is_a_protocol_error() {
        let both = interval(
            &request(Some(5), Some(300)),
            ProtocolVersion::V14_1,
            &limits(),
        );
        assert_eq!(refusal(both), (Some(SyncStatus::ProtocolError), None));
        let old = interval(&request(None, Some(300)), ProtocolVersion::V12_1, &limits());
        assert_eq!(refusal(old), (Some(SyncStatus::ProtocolError), None));
        assert_eq!(
            interval(&request(Some(5), None), ProtocolVersion::V12_1, &limits()),
            Ok(Some(Duration::from_secs(300)))
        );
    }
}
