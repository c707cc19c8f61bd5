//! Prometheus metrics of the Kafka bus (docs/observability.md): events published and publishes
//! that failed (the producing service, `eas-mail`), and the consumer lag of each partition this
//! process's group members own (the consuming service, `eas-push`), read from librdkafka's
//! statistics every `kafka.statistics_interval_ms`.

use std::sync::{LazyLock, Mutex};

use eas_service_kit::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use rdkafka::statistics::Statistics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PartitionLabels {
    topic: String,
    partition: i32,
}

struct KafkaMetrics {
    published: Counter,
    publish_failures: Counter,
    lag: Family<PartitionLabels, Gauge>,
}

static METRICS: LazyLock<KafkaMetrics> = LazyLock::new(|| {
    let m = KafkaMetrics {
        published: Counter::default(),
        publish_failures: Counter::default(),
        lag: Family::default(),
    };
    register(
        "eas_kafka_events_published",
        "Change events the Kafka broker acknowledged",
        m.published.clone(),
    );
    register(
        "eas_kafka_publish_failures",
        "Change events that could not be published to Kafka (not queued, refused, or not acknowledged in time)",
        m.publish_failures.clone(),
    );
    register(
        "eas_kafka_consumer_lag",
        "Events of a partition this process consumes not yet committed by its group: the partition's high watermark less the group's committed offset",
        m.lag.clone(),
    );
    m
});

/// Registers the bus's metrics, so that they are exposed (at zero) before their first use.
pub(crate) fn register_all() {
    LazyLock::force(&METRICS);
}

pub(crate) fn published() {
    METRICS.published.inc();
}

pub(crate) fn publish_failed() {
    METRICS.publish_failures.inc();
}

/// The lag series one group member reports; kept by the member so that a partition it no
/// longer owns loses its series, and all of them go when the member leaves.
#[derive(Debug, Default)]
pub(crate) struct LagReport {
    reported: Mutex<Vec<PartitionLabels>>,
}

impl LagReport {
    /// Sets the lag of every partition the statistics show with a known lag (librdkafka gives
    /// -1 for a partition this member does not fetch, and lists the internal partition -1).
    pub(crate) fn update(&self, stats: &Statistics) {
        let mut now = Vec::new();
        for (name, topic) in &stats.topics {
            for p in topic.partitions.values() {
                if p.partition < 0 || p.consumer_lag < 0 {
                    continue;
                }
                let labels = PartitionLabels {
                    topic: name.clone(),
                    partition: p.partition,
                };
                METRICS.lag.get_or_create(&labels).set(p.consumer_lag);
                now.push(labels);
            }
        }
        let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
        for gone in reported.iter().filter(|l| !now.contains(l)) {
            METRICS.lag.remove(gone);
        }
        *reported = now;
    }
}

impl Drop for LagReport {
    fn drop(&mut self) {
        let reported = self.reported.get_mut().unwrap_or_else(|e| e.into_inner());
        for labels in reported.drain(..) {
            METRICS.lag.remove(&labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::statistics::{Partition, Topic};

    fn stats(topic: &str, lags: &[(i32, i64)]) -> Statistics {
        let mut t = Topic {
            topic: topic.into(),
            ..Topic::default()
        };
        for &(partition, consumer_lag) in lags {
            t.partitions.insert(
                partition,
                Partition {
                    partition,
                    consumer_lag,
                    ..Partition::default()
                },
            );
        }
        let mut s = Statistics::default();
        s.topics.insert(topic.into(), t);
        s
    }

    fn lag(topic: &str, partition: i32) -> Option<i64> {
        let series =
            format!("eas_kafka_consumer_lag{{topic=\"{topic}\",partition=\"{partition}\"}} ");
        eas_service_kit::metrics::render()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix(&series)?.parse().ok())
    }

    #[test]
    fn the_lag_follows_the_statistics_and_leaves_with_the_member() {
        register_all();
        let report = LagReport::default();
        report.update(&stats("lag-test", &[(0, 4), (1, 0), (2, -1), (-1, 9)]));
        assert_eq!(lag("lag-test", 0), Some(4));
        assert_eq!(lag("lag-test", 1), Some(0));
        assert_eq!(lag("lag-test", 2), None, "unknown lag");
        assert_eq!(lag("lag-test", -1), None, "librdkafka's internal partition");
        // Partition 0 moved to another member.
        report.update(&stats("lag-test", &[(0, -1), (1, 2)]));
        assert_eq!(lag("lag-test", 0), None);
        assert_eq!(lag("lag-test", 1), Some(2));
        drop(report);
        assert_eq!(lag("lag-test", 1), None);
    }
}
