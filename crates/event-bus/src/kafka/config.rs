//! Settings of the Kafka bus, read from a service's config file, and the librdkafka client
//! configurations derived from them.

use std::time::Duration;

use rdkafka::ClientConfig;
use serde::Deserialize;

/// Where the bus finds Kafka and how it uses it. Every field has a default, so a config file
/// names only what differs (usually `brokers` and `group_id`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port` separated by commas.
    pub brokers: String,
    /// The topic that carries every change event.
    pub topic: String,
    /// Consumer group of the subscribers: the replicas of one service share one group and so
    /// split the partitions between them; a service that needs every event uses its own group.
    pub group_id: String,
    /// Partitions of the topic when the bus creates it (an existing topic is left as it is).
    /// More partitions let more replicas of a subscribing service share the load.
    pub partitions: i32,
    /// Replication factor of the topic when the bus creates it: 1 for a one-broker test
    /// broker, 3 in production.
    pub replication_factor: i32,
    /// How long a fetch may wait at the broker for new events (`fetch.wait.max.ms`). It bounds
    /// the delivery latency when the topic is quiet: librdkafka's 500 ms default shows up as
    /// roughly that much p99 latency; 10 ms costs an idle fetch request every 10 ms per broker.
    pub fetch_wait_max_ms: u32,
    /// How long the producer waits to batch events (`linger.ms`); adds that much latency.
    pub linger_ms: u32,
    /// Where a group starts on a partition it has never committed an offset for: at the end
    /// (true: only events published from now on) or at the oldest retained event (false).
    pub start_from_latest: bool,
    /// Upper bound in milliseconds of every wait on the broker: connecting, creating the topic,
    /// the acknowledgement of a publish, joining the group on subscribe.
    pub timeout_ms: u64,
    /// Events buffered per subscription; a subscriber that falls further behind loses the
    /// newest events and is told how many through `BusError::Lagged`.
    pub buffer: usize,
    /// How long the group waits for a member that stopped sending heartbeats (a crashed
    /// replica) before its partitions go to the others (`session.timeout.ms`); events of
    /// those partitions wait that long. A member that shuts down cleanly leaves at once. The
    /// broker bounds it (Apache Kafka: 6 s to 30 min by default).
    pub session_timeout_ms: u32,
    /// How often a consumer refreshes its consumer lag metrics from librdkafka's statistics
    /// (`statistics.interval.ms`); 0 turns them off.
    pub statistics_interval_ms: u32,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            topic: "eas.changes".into(),
            group_id: "eas-push".into(),
            partitions: 12,
            replication_factor: 1,
            fetch_wait_max_ms: 10,
            linger_ms: 1,
            start_from_latest: true,
            timeout_ms: 10_000,
            buffer: 4096,
            session_timeout_ms: 10_000,
            statistics_interval_ms: 10_000,
        }
    }
}

impl KafkaConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Settings every client (producer, consumer, admin) shares.
    fn common(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", "eas-event-bus")
            // Bound the first connection too: without it a silent address waits for the OS.
            .set(
                "socket.connection.setup.timeout.ms",
                self.timeout_ms.max(1000).to_string(),
            )
            .set("socket.timeout.ms", self.timeout_ms.max(10).to_string());
        c
    }

    /// The producer: acknowledged by all in-sync replicas, idempotent so that retries keep the
    /// order of one user's events, and a message that is not acknowledged within the timeout
    /// fails instead of waiting.
    pub(crate) fn producer(&self) -> ClientConfig {
        let mut c = self.common();
        c.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", self.linger_ms.to_string())
            .set("message.timeout.ms", self.timeout_ms.to_string())
            // Java clients hash keys with murmur2; the same hash keeps a user on the same
            // partition whichever client published.
            .set("partitioner", "murmur2_random");
        c
    }

    /// A member of the consumer group. Offsets are committed automatically for the events
    /// the bus has handed on, and synchronously when partitions are revoked (see `consumer`).
    pub(crate) fn consumer(&self) -> ClientConfig {
        let mut c = self.common();
        c.set("group.id", &self.group_id)
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "true")
            .set(
                "auto.offset.reset",
                if self.start_from_latest {
                    "latest"
                } else {
                    "earliest"
                },
            )
            .set("fetch.wait.max.ms", self.fetch_wait_max_ms.to_string())
            .set("session.timeout.ms", self.session_timeout_ms.to_string())
            .set("enable.partition.eof", "false")
            .set(
                "statistics.interval.ms",
                self.statistics_interval_ms.to_string(),
            );
        c
    }

    /// The admin client that creates the topic.
    pub(crate) fn admin(&self) -> ClientConfig {
        self.common()
    }
}
