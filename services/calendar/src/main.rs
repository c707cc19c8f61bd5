//! `eas-calendar`: the calendar service of the cluster. gRPC for the edge replicas, PostgreSQL
//! for storage, Kafka for change events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use eas_calendar::{CalendarOptions, CalendarService, CalendarStore};
use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::{DetachedBus, EventBus};
use eas_service_kit::health::{spawn_health, ReadyCheck};
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// Change events waiting for Kafka; beyond this they are dropped (phones still see the change
/// through folder counters).
const PUBLISH_QUEUE: usize = 65_536;
/// Events awaiting Kafka's acknowledgement at the same time.
const PUBLISH_CONCURRENCY: usize = 256;

/// Everything `eas-calendar` reads at start-up (TOML file, then `EAS_CALENDAR_*` variables).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
struct Settings {
    /// gRPC address the edge replicas call.
    grpc_listen: SocketAddr,
    /// Calendar database (PostgreSQL in the cluster; SQLite works for a single replica).
    database_url: String,
    /// PostgreSQL schema of the calendar tables.
    database_schema: Option<String>,
    /// Pool size of the calendar database.
    max_connections: u32,
    /// The largest event attachment accepted, in bytes (10 MiB).
    max_attachment_bytes: u64,
    /// Where change events go.
    #[serde(skip_serializing)]
    kafka: KafkaConfig,
    /// Where `/healthz`, `/readyz` (the database answers; Kafka is not required) and
    /// `/metrics` are served; none when unset.
    health_listen: Option<SocketAddr>,
    /// `tracing` filter.
    log: String,
    /// `text` or `json` (one object per line, for a log collector).
    log_format: LogFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50054)),
            database_url: "postgres://postgres@127.0.0.1:5432/eas".into(),
            database_schema: Some("calendar".into()),
            max_connections: 16,
            max_attachment_bytes: eas_calendar::DEFAULT_MAX_ATTACHMENT_BYTES,
            kafka: KafkaConfig::default(),
            health_listen: None,
            log: "info".into(),
            log_format: LogFormat::Text,
        }
    }
}

impl Settings {
    fn options(&self, max_connections: u32) -> CalendarOptions {
        CalendarOptions {
            max_connections,
            postgres_schema: self.database_schema.clone(),
            max_attachment_bytes: self.max_attachment_bytes,
        }
    }
}

#[derive(Parser)]
#[command(name = "eas-calendar", version, about = "EAS calendar service (gRPC)")]
struct Cli {
    /// Configuration file (TOML); `EAS_CALENDAR_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_CALENDAR_CONFIG")]
    config: Option<PathBuf>,
    /// Apply the migrations of the calendar database, then exit (a deployment's migration
    /// step). The service applies them at start too; this only makes a failing migration stop
    /// a rollout before any replica is replaced.
    #[arg(long)]
    migrate_only: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let migrate_only = cli.migrate_only;
    eas_service_kit::run_service(
        cli.config.as_deref(),
        "EAS_CALENDAR_",
        |s: &Settings| (&s.log, s.log_format),
        move |settings| async move {
            if migrate_only {
                migrate(settings).await
            } else {
                run(settings).await
            }
        },
    )
}

/// Opens the database, which applies its pending migrations (embedded in the binary at
/// compile time), and closes it. Needs neither Kafka nor any listener.
async fn migrate(settings: Settings) -> anyhow::Result<()> {
    CalendarStore::connect(&settings.database_url, &settings.options(1))
        .await
        .context("migrating the calendar database")?;
    eas_service_kit::announce(format_args!("migrated: calendar database"));
    Ok(())
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    // Kafka being down must not stop the service: writes never wait for Kafka (DetachedBus).
    let kafka = match KafkaBus::connect(settings.kafka.clone()).await {
        Ok(bus) => bus,
        Err(e) => {
            tracing::warn!(error = %e, "kafka unreachable at start; change events are queued and retried per event");
            KafkaBus::new(settings.kafka.clone()).context("configuring the kafka client")?
        }
    };
    let publisher = Arc::new(DetachedBus::new(
        Arc::new(kafka),
        PUBLISH_QUEUE,
        PUBLISH_CONCURRENCY,
    ));
    let bus: Arc<dyn EventBus> = publisher.clone();
    let store = CalendarStore::connect(
        &settings.database_url,
        &settings.options(settings.max_connections),
    )
    .await
    .context("opening the calendar database")?;
    let service = CalendarService::new(store.clone(), bus);
    let grpc = tokio::net::TcpListener::bind(settings.grpc_listen)
        .await
        .with_context(|| format!("binding grpc on {}", settings.grpc_listen))?;
    // The machine-readable announcement scripts wait for.
    eas_service_kit::announce(format_args!("grpc: {}", grpc.local_addr()?));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut health_stop = stop_rx.clone();
    spawn_health(settings.health_listen, ready_check(store), async move {
        let _ = health_stop.wait_for(|s| *s).await;
    })
    .await?;
    let mut grpc_stop = stop_rx;
    let server = tokio::spawn(
        eas_rpc::server_builder()
            .add_routes(service.into_routes())
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(grpc),
                async move {
                    let _ = grpc_stop.wait_for(|s| *s).await;
                },
            ),
    );
    eas_service_kit::shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let served = server.await;
    // Writes committed before the signal still wake their phones: their change events leave
    // before the process does (bounded by the Kafka timeout).
    let left = publisher
        .drain(settings.kafka.timeout() + Duration::from_secs(1))
        .await;
    if left > 0 {
        tracing::warn!(
            events = left,
            "change events not published at shutdown; their phones see the changes at their next Sync or Ping"
        );
    }
    match served {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(e.into()),
    }
}

/// Ready when the calendar database answers. Kafka is left out on purpose: writes go on while
/// Kafka is down (events wait in the publish queue).
fn ready_check(store: CalendarStore) -> ReadyCheck {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move {
            store
                .ping()
                .await
                .map_err(|e| format!("calendar database: {e}"))
        })
    })
}
