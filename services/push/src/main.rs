//! `eas-push`: the push service. Reads change events from Kafka as one member of a consumer
//! group and wakes the edge replicas that hold a Ping of each event's user (docs/push.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::EventBus;
use eas_push::router::{self, RouterStats};
use eas_push::RedisPingRegistry;
use eas_service_kit::health::{spawn_health, ReadyCheck};
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};

/// Everything `eas-push` reads at start-up (TOML file, then `EAS_PUSH_*` variables).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
struct Settings {
    /// Ping registry and wake channels (the same Redis and prefix as the edges).
    redis_url: String,
    redis_prefix: String,
    redis_timeout_ms: u64,
    /// Change events; every push replica uses the same `kafka.group_id`.
    #[serde(skip_serializing)]
    kafka: KafkaConfig,
    /// Seconds between two log lines with the counters.
    stats_interval_seconds: u64,
    /// Where `/healthz` and `/readyz` are served for Kubernetes probes (readiness: Redis answers
    /// and the topic has a leader for every partition); none when unset.
    health_listen: Option<SocketAddr>,
    /// `tracing` filter.
    log: String,
    /// `text` or `json` (one object per line, for a log collector).
    log_format: LogFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_prefix: "eas:".into(),
            redis_timeout_ms: 2000,
            kafka: KafkaConfig {
                group_id: "eas-push".into(),
                ..KafkaConfig::default()
            },
            stats_interval_seconds: 60,
            health_listen: None,
            log: "info".into(),
            log_format: LogFormat::Text,
        }
    }
}

#[derive(Parser)]
#[command(
    name = "eas-push",
    version,
    about = "EAS push service (Kafka → edge replicas)"
)]
struct Cli {
    /// Configuration file (TOML); `EAS_PUSH_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_PUSH_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    eas_service_kit::run_service(
        cli.config.as_deref(),
        "EAS_PUSH_",
        |s: &Settings| (&s.log, s.log_format),
        run,
    )
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let registry = RedisPingRegistry::connect(
        &settings.redis_url,
        &settings.redis_prefix,
        "",
        Duration::from_millis(settings.redis_timeout_ms),
    )
    .await
    .context("connecting to redis")?;
    let kafka = Arc::new(
        KafkaBus::connect(settings.kafka.clone())
            .await
            .context("connecting to kafka")?,
    );
    let stats = Arc::new(RouterStats::default());
    stats.register_metrics();
    spawn_health(
        settings.health_listen,
        ready_check(registry.clone(), kafka.clone(), stats.clone()),
        eas_service_kit::shutdown_signal(),
    )
    .await?;
    let bus: Arc<dyn EventBus> = kafka.clone();
    let reporter = {
        let stats = stats.clone();
        let every = Duration::from_secs(settings.stats_interval_seconds.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                log_stats(&stats);
            }
        })
    };
    eas_service_kit::announce(format_args!("push: consuming {}", settings.kafka.topic));
    let result = router::run(
        bus,
        registry,
        stats.clone(),
        eas_service_kit::shutdown_signal(),
    )
    .await;
    reporter.abort();
    log_stats(&stats);
    // Leave the group before exiting: the partitions move to the other replicas at once,
    // instead of after the session timeout, and a replacement joins without waiting for it.
    if !kafka.close(settings.kafka.timeout()).await {
        tracing::warn!(
            "did not leave the consumer group cleanly; its partitions wait for the session timeout"
        );
    }
    result.context("change event stream")
}

/// How long readiness waits for Kafka's metadata (inside the probe's own bound).
const KAFKA_READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready when this replica is a member of the consumer group, Redis answers (within
/// `redis_timeout_ms`) and Kafka has a leader for every partition of the topic.
fn ready_check(
    registry: RedisPingRegistry,
    kafka: Arc<KafkaBus>,
    stats: Arc<RouterStats>,
) -> ReadyCheck {
    Arc::new(move || {
        let registry = registry.clone();
        let kafka = kafka.clone();
        let joined = stats.joined.load(Ordering::Acquire);
        Box::pin(async move {
            if !joined {
                return Err("kafka: not yet a member of the consumer group".to_owned());
            }
            registry.ping().await.map_err(|e| e.to_string())?;
            match tokio::time::timeout(KAFKA_READY_TIMEOUT, kafka.health()).await {
                Ok(result) => result.map_err(|e| format!("kafka: {e}")),
                Err(_) => Err(format!(
                    "kafka: no metadata within {} s",
                    KAFKA_READY_TIMEOUT.as_secs()
                )),
            }
        })
    })
}

fn log_stats(stats: &RouterStats) {
    tracing::info!(
        events = stats.events.load(Ordering::Relaxed),
        wakes = stats.wakes.load(Ordering::Relaxed),
        idle = stats.idle.load(Ordering::Relaxed),
        failed = stats.failed.load(Ordering::Relaxed),
        rechecks = stats.rechecks.load(Ordering::Relaxed),
        "push counters"
    );
}
