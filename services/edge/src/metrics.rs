//! The edge's Prometheus metrics (docs/observability.md): requests by command and status and
//! their durations, held Pings and Syncs, how long a change took to reach a held request,
//! items sent by Sync, failed and throttled logins. They live in the process's registry
//! (`eas_service_kit::metrics`), served at `GET /metrics` on the admin listener.
//!
//! Every label takes its values from a fixed set (command names, status numbers, reasons), so
//! nothing a client sends can grow the number of series.

use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::response::Response;
use eas_directory::AuthError;
use eas_protocol::sync::ServerCommand;
use eas_service_kit::metrics::{register, DURATION_BUCKETS, LATENCY_BUCKETS};
use eas_wbxml::Element;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    command: &'static str,
    http_status: u16,
    /// The response's top-level `Status` (MS-ASCMD 2.2.3.177), when it has one.
    eas_status: Option<u16>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    class: &'static str,
    change: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

type Histograms = Family<CommandLabels, Histogram, fn() -> Histogram>;

struct EdgeMetrics {
    requests: Family<RequestLabels, Counter>,
    durations: Histograms,
    held_pings: Gauge,
    held_syncs: Gauge,
    wakeup_delays: Histograms,
    sync_items: Family<ItemLabels, Counter>,
    login_failures: Family<ReasonLabels, Counter>,
    logins_throttled: Counter,
}

static METRICS: LazyLock<EdgeMetrics> = LazyLock::new(|| {
    let m = EdgeMetrics {
        requests: Family::default(),
        durations: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
        held_pings: Gauge::default(),
        held_syncs: Gauge::default(),
        wakeup_delays: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
        sync_items: Family::default(),
        login_failures: Family::default(),
        logins_throttled: Counter::default(),
    };
    register(
        "eas_requests",
        "EAS requests answered, by command, HTTP status and the response's top-level EAS status",
        m.requests.clone(),
    );
    register(
        "eas_request_duration_seconds",
        "Time from a request's start to its response head, by command (a held Ping or Sync included)",
        m.durations.clone(),
    );
    register(
        "eas_held_pings",
        "Ping requests waiting for a change",
        m.held_pings.clone(),
    );
    register(
        "eas_held_syncs",
        "Sync requests with Wait or HeartbeatInterval waiting for a change",
        m.held_syncs.clone(),
    );
    register(
        "eas_push_wakeup_delay_seconds",
        "Time from a change event's production by the data service to the answer of the held request it woke, by command",
        m.wakeup_delays.clone(),
    );
    register(
        "eas_sync_items_sent",
        "Items sent to devices in Sync responses, by class and kind of change",
        m.sync_items.clone(),
    );
    register(
        "eas_login_failures",
        "Logins refused for their credentials, by reason",
        m.login_failures.clone(),
    );
    register(
        "eas_logins_throttled",
        "Logins refused by the login throttle (HTTP 503 with Retry-After)",
        m.logins_throttled.clone(),
    );
    m
});

/// Registers the edge's metrics, so that they are exposed (at zero) before their first use.
pub fn register_all() {
    LazyLock::force(&METRICS);
}

/// The top-level `Status` of a WBXML response, carried to the request's count in the
/// response's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EasStatus(pub u16);

/// The `Status` child of a response's root element, when it has one.
pub(crate) fn top_status(root: &Element) -> Option<EasStatus> {
    root.elements()
        .find(|e| e.tag.name() == Some("Status"))
        .and_then(|e| e.text_content())
        .and_then(|t| t.trim().parse().ok())
        .map(EasStatus)
}

/// Counts one answered request and its duration. `command` is a fixed label
/// ([`eas_protocol::command::Command::label`], `Options`, `Autodiscover`).
pub(crate) fn request(command: &'static str, started: Instant, response: &Response) {
    let m = &*METRICS;
    m.requests
        .get_or_create(&RequestLabels {
            command,
            http_status: response.status().as_u16(),
            eas_status: response.extensions().get::<EasStatus>().map(|s| s.0),
        })
        .inc();
    m.durations
        .get_or_create(&CommandLabels { command })
        .observe(started.elapsed().as_secs_f64());
}

/// A request held until a change: counted in its gauge while this lives.
pub(crate) struct Held(&'static Gauge);

impl Held {
    pub(crate) fn ping() -> Held {
        Held::on(&METRICS.held_pings)
    }

    pub(crate) fn sync() -> Held {
        Held::on(&METRICS.held_syncs)
    }

    fn on(gauge: &'static Gauge) -> Held {
        gauge.inc();
        Held(gauge)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A held request answers because of a change event produced at `produced_ms` (unix
/// milliseconds, the data service's clock); events without the time are not counted. A clock
/// behind the producer's counts as no delay.
pub(crate) fn woken(command: &'static str, produced_ms: Option<u64>) {
    let Some(produced) = produced_ms else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    METRICS
        .wakeup_delays
        .get_or_create(&CommandLabels { command })
        .observe(now.saturating_sub(produced) as f64 / 1000.0);
}

/// Counts the items of one collection's Sync response.
pub(crate) fn sync_items_sent(class: &'static str, commands: &[ServerCommand]) {
    let m = &*METRICS;
    for c in commands {
        let change = match c {
            ServerCommand::Add { .. } => "add",
            ServerCommand::Change { .. } => "change",
            ServerCommand::Delete { .. } => "delete",
            ServerCommand::SoftDelete { .. } => "soft_delete",
        };
        m.sync_items
            .get_or_create(&ItemLabels { class, change })
            .inc();
    }
}

/// Counts a login refused for its credentials.
pub(crate) fn login_failed(e: &AuthError) {
    let reason = match e {
        AuthError::MalformedLogin => "malformed_login",
        AuthError::UnknownUser => "unknown_user",
        AuthError::Ambiguous => "ambiguous_login",
        AuthError::WrongPassword => "wrong_password",
        AuthError::Disabled => "disabled",
        // Not the client's failure: the directory did not answer (503).
        AuthError::Directory(_) => return,
        // A kind added to the directory later.
        _ => "other",
    };
    METRICS
        .login_failures
        .get_or_create(&ReasonLabels { reason })
        .inc();
}

/// Counts a login refused by the throttle.
pub(crate) fn login_throttled() {
    METRICS.logins_throttled.inc();
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use eas_wbxml::Tag;

    fn exposition() -> String {
        eas_service_kit::metrics::render().unwrap()
    }

    /// The value of the exposition line that starts with `series` (`name{labels}`), 0 if absent.
    fn value(series: &str) -> f64 {
        exposition()
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    fn tag(ns: &str, name: &str) -> Tag {
        Tag::lookup(ns, name).unwrap()
    }

    #[test]
    fn the_top_level_status_is_read_from_the_root_only() {
        let ping = Element::new(tag("Ping", "Ping")).with_text(tag("Ping", "Status"), "2");
        assert_eq!(top_status(&ping), Some(EasStatus(2)));
        let sync = Element::new(tag("AirSync", "Sync")).with(
            Element::new(tag("AirSync", "Collections")).with(
                Element::new(tag("AirSync", "Collection")).with_text(tag("AirSync", "Status"), "1"),
            ),
        );
        assert_eq!(top_status(&sync), None);
    }

    #[test]
    fn requests_are_counted_by_command_and_both_statuses() {
        let series =
            "eas_requests_total{command=\"MoveItems\",http_status=\"200\",eas_status=\"3\"}";
        let before = value(series);
        let mut r = StatusCode::OK.into_response();
        r.extensions_mut().insert(EasStatus(3));
        request("MoveItems", Instant::now(), &r);
        request("MoveItems", Instant::now(), &r);
        request(
            "MoveItems",
            Instant::now(),
            &StatusCode::FORBIDDEN.into_response(),
        );
        assert_eq!(value(series), before + 2.0);
        assert!(
            value("eas_requests_total{command=\"MoveItems\",http_status=\"403\",eas_status=\"\"}")
                >= 1.0
        );
        assert!(value("eas_request_duration_seconds_count{command=\"MoveItems\"}") >= 3.0);
    }

    #[test]
    fn a_held_request_is_counted_while_its_guard_lives() {
        // Other tests of this binary hold Pings at the same time: compare with a bound.
        let held = || value("eas_held_syncs");
        let guards: Vec<Held> = (0..50).map(|_| Held::sync()).collect();
        assert!(held() >= 50.0);
        drop(guards);
        assert!(held() < 50.0);
    }

    #[test]
    fn a_wake_up_is_timed_from_the_events_production() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let count = "eas_push_wakeup_delay_seconds_count{command=\"Search\"}";
        let fast = "eas_push_wakeup_delay_seconds_bucket{command=\"Search\",le=\"1\"}";
        let (n, within_1s) = (value(count), value(fast));
        woken("Search", Some(now - 2500));
        woken("Search", Some(now + 60_000)); // a producer clock ahead: no delay
        woken("Search", None);
        assert_eq!(value(count), n + 2.0);
        assert_eq!(value(fast), within_1s + 1.0);
    }

    #[test]
    fn sync_items_and_logins_are_counted_by_their_labels() {
        let add = "eas_sync_items_sent_total{class=\"Notes\",change=\"add\"}";
        let soft = "eas_sync_items_sent_total{class=\"Notes\",change=\"soft_delete\"}";
        let (a, s) = (value(add), value(soft));
        let item = |id: &str| ServerCommand::Add {
            server_id: id.into(),
            application_data: Vec::new(),
        };
        sync_items_sent(
            "Notes",
            &[
                item("1"),
                item("2"),
                ServerCommand::SoftDelete {
                    server_id: "3".into(),
                },
            ],
        );
        assert_eq!(value(add), a + 2.0);
        assert_eq!(value(soft), s + 1.0);

        let wrong = "eas_login_failures_total{reason=\"wrong_password\"}";
        let (w, t) = (value(wrong), value("eas_logins_throttled_total"));
        login_failed(&AuthError::WrongPassword);
        login_failed(&AuthError::Directory(
            eas_directory::DirectoryError::NotFound {
                entity: eas_directory::Entity::User,
                name: "x".into(),
            },
        ));
        login_throttled();
        assert_eq!(value(wrong), w + 1.0);
        assert!(value("eas_logins_throttled_total") >= t + 1.0);
    }
}
