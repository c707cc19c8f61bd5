//! Prometheus metrics: one registry per process, which every crate adds its metrics to when it
//! first uses them, and its text exposition (format 0.0.4) that `GET /metrics` serves — on the
//! health listener of the mail and push services ([`crate::health`]) and on the edge's admin
//! listener. `docs/observability.md` lists every metric.
//!
//! Updating a metric is an atomic add or a short lock; nothing is computed until a scrape.

use std::fmt;
use std::sync::{LazyLock, Mutex, MutexGuard};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Metric, Registry};

/// The `Content-Type` of the exposition: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Buckets (seconds) for request durations: from a few milliseconds for a quick command to an
/// hour for a Ping or a Sync held to the end of its heartbeat.
pub const DURATION_BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Buckets (seconds) for push latencies: milliseconds when all is well, seconds when Kafka or
/// a consumer lags.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::default()));

/// The registry, also after a thread panicked while holding it: a metric is never worth a
/// failed request.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Adds `metric` under `name` (without the `_total` of a counter, which the exposition adds).
/// Each crate registers its metrics once, from a `LazyLock`; a name registered twice would be
/// exposed twice.
pub fn register(name: &str, help: &str, metric: impl Metric) {
    registry().register(name, help, metric);
}

/// Adds a counter whose value `read` gives at each scrape, for a count a component keeps
/// itself (an atomic it also logs).
pub fn register_counter_fn(
    name: &'static str,
    help: &'static str,
    read: impl Fn() -> u64 + Send + Sync + 'static,
) {
    register_fn(name, help, Box::new(move || Value::Counter(read())));
}

/// Adds a gauge whose value `read` gives at each scrape.
pub fn register_gauge_fn(
    name: &'static str,
    help: &'static str,
    read: impl Fn() -> i64 + Send + Sync + 'static,
) {
    register_fn(name, help, Box::new(move || Value::Gauge(read())));
}

fn register_fn(name: &'static str, help: &'static str, read: Box<dyn Fn() -> Value + Send + Sync>) {
    registry().register_collector(Box::new(FnMetric { name, help, read }));
}

enum Value {
    Counter(u64),
    Gauge(i64),
}

/// A metric read from a function at scrape time.
struct FnMetric {
    name: &'static str,
    help: &'static str,
    read: Box<dyn Fn() -> Value + Send + Sync>,
}

impl fmt::Debug for FnMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnMetric")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Collector for FnMetric {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        // `register` ends help texts with a full stop; so does this.
        let help = format!("{}.", self.help);
        match (self.read)() {
            Value::Counter(v) => {
                let m = ConstCounter::new(v);
                m.encode(encoder.encode_descriptor(self.name, &help, None, m.metric_type())?)
            }
            Value::Gauge(v) => {
                let m = ConstGauge::new(v);
                m.encode(encoder.encode_descriptor(self.name, &help, None, m.metric_type())?)
            }
        }
    }
}

/// Every registered metric in the text exposition format.
pub fn render() -> Result<String, fmt::Error> {
    let mut out = String::with_capacity(16 * 1024);
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry())?;
    Ok(out)
}

/// The `GET /metrics` handler.
pub async fn handler() -> Response {
    match render() {
        Ok(text) => {
            let mut r = text.into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            r
        }
        Err(_) => {
            tracing::error!("metrics exposition failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::EncodeLabelSet;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct Labels {
        command: &'static str,
        status: Option<u16>,
    }

    /// The lines of the exposition that start with `prefix` (the tests share one registry, so
    /// each uses names of its own).
    fn lines(prefix: &str) -> Vec<String> {
        render()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with(prefix) || l.contains(&format!(" {prefix}")))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn counters_gauges_and_labelled_families_are_exposed_in_text_format() {
        let requests = Family::<Labels, Counter>::default();
        register("kit_test_requests", "Requests by command", requests.clone());
        let held = Gauge::<i64>::default();
        register("kit_test_held", "Requests held", held.clone());
        requests
            .get_or_create(&Labels {
                command: "Sync",
                status: Some(1),
            })
            .inc_by(3);
        requests
            .get_or_create(&Labels {
                command: "Ping",
                status: None,
            })
            .inc();
        held.set(7);
        let out = lines("kit_test_");
        assert!(out.contains(&"# HELP kit_test_requests_total Requests by command.".to_owned()));
        assert!(out.contains(&"# TYPE kit_test_requests_total counter".to_owned()));
        assert!(
            out.contains(&"kit_test_requests_total{command=\"Sync\",status=\"1\"} 3".to_owned())
        );
        // No status: an empty label, which Prometheus reads as no label at all.
        assert!(out.contains(&"kit_test_requests_total{command=\"Ping\",status=\"\"} 1".to_owned()));
        assert!(out.contains(&"# TYPE kit_test_held gauge".to_owned()));
        assert!(out.contains(&"kit_test_held 7".to_owned()));
    }

    #[test]
    fn a_histogram_has_cumulative_buckets_a_sum_and_a_count() {
        let h = Histogram::new(LATENCY_BUCKETS);
        register("kit_test_delay_seconds", "A delay", h.clone());
        h.observe(0.003);
        h.observe(0.2);
        h.observe(100.0);
        let out = lines("kit_test_delay_seconds");
        let bucket = |le: &str| {
            out.iter()
                .find(|l| l.starts_with(&format!("kit_test_delay_seconds_bucket{{le=\"{le}\"}}")))
                .and_then(|l| l.rsplit(' ').next())
                .map(str::to_owned)
        };
        assert_eq!(bucket("0.001").as_deref(), Some("0"));
        assert_eq!(bucket("0.005").as_deref(), Some("1"));
        assert_eq!(bucket("0.25").as_deref(), Some("2"));
        assert_eq!(bucket("30").as_deref(), Some("2"));
        assert_eq!(bucket("+Inf").as_deref(), Some("3"));
        assert!(out.contains(&"kit_test_delay_seconds_count 3".to_owned()));
        assert!(out.contains(&"kit_test_delay_seconds_sum 100.203".to_owned()));
    }

    #[test]
    fn function_metrics_are_read_at_each_scrape() {
        let n = Arc::new(AtomicU64::new(5));
        let read = n.clone();
        register_counter_fn("kit_test_events", "Events read", move || {
            read.load(Ordering::Relaxed)
        });
        register_gauge_fn("kit_test_depth", "Queue depth", || -2);
        assert!(lines("kit_test_events").contains(&"kit_test_events_total 5".to_owned()));
        n.store(9, Ordering::Relaxed);
        let out = lines("kit_test_");
        assert!(out.contains(&"# HELP kit_test_events_total Events read.".to_owned()));
        assert!(out.contains(&"# TYPE kit_test_events_total counter".to_owned()));
        assert!(out.contains(&"kit_test_events_total 9".to_owned()));
        assert!(out.contains(&"kit_test_depth -2".to_owned()));
    }

    #[tokio::test]
    async fn the_handler_answers_with_the_text_format_content_type() {
        register(
            "kit_test_handler",
            "Handler test",
            Counter::<u64>::default(),
        );
        let r = handler().await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
    }
}
