//! `eas-calendar`: the calendar service of the cluster. gRPC for the edge replicas, PostgreSQL
//! for storage, Kafka for change events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use eas_calendar::{CalendarError, CalendarOptions, CalendarService, CalendarStore};
use eas_data_service::binary::{DataService, Endpoints};
use eas_event_bus::kafka::KafkaConfig;
use eas_event_bus::EventBus;
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};

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

impl DataService for Settings {
    const NAME: &'static str = "calendar";
    type Store = CalendarStore;
    type Error = CalendarError;

    fn endpoints(&self) -> Endpoints<'_> {
        Endpoints {
            grpc_listen: self.grpc_listen,
            health_listen: self.health_listen,
            kafka: &self.kafka,
            max_connections: self.max_connections,
            log: &self.log,
            log_format: self.log_format,
        }
    }

    async fn open(&self, max_connections: u32) -> Result<CalendarStore, CalendarError> {
        let options = CalendarOptions {
            max_connections,
            postgres_schema: self.database_schema.clone(),
            max_attachment_bytes: self.max_attachment_bytes,
        };
        CalendarStore::connect(&self.database_url, &options).await
    }

    fn routes(store: CalendarStore, bus: Arc<dyn EventBus>) -> tonic::service::Routes {
        CalendarService::new(store, bus).into_routes()
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
    eas_data_service::binary::main::<Settings>(
        cli.config.as_deref(),
        "EAS_CALENDAR_",
        cli.migrate_only,
    )
}
