//! `eas-contacts`: the contacts service of the cluster. gRPC for the edge replicas, PostgreSQL
//! for storage, Kafka for change events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use eas_contacts::{ContactsError, ContactsOptions, ContactsService, ContactsStore};
use eas_data_service::binary::{DataService, Endpoints};
use eas_event_bus::kafka::KafkaConfig;
use eas_event_bus::EventBus;
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};

/// Everything `eas-contacts` reads at start-up (TOML file, then `EAS_CONTACTS_*` variables).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
struct Settings {
    /// gRPC address the edge replicas call.
    grpc_listen: SocketAddr,
    /// Contacts database (PostgreSQL in the cluster; SQLite works for a single replica).
    database_url: String,
    /// PostgreSQL schema of the contacts tables.
    database_schema: Option<String>,
    /// Pool size of the contacts database.
    max_connections: u32,
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
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50053)),
            database_url: "postgres://postgres@127.0.0.1:5432/eas".into(),
            database_schema: Some("contacts".into()),
            max_connections: 16,
            kafka: KafkaConfig::default(),
            health_listen: None,
            log: "info".into(),
            log_format: LogFormat::Text,
        }
    }
}

impl DataService for Settings {
    const NAME: &'static str = "contacts";
    type Store = ContactsStore;
    type Error = ContactsError;

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

    async fn open(&self, max_connections: u32) -> Result<ContactsStore, ContactsError> {
        let options = ContactsOptions {
            max_connections,
            postgres_schema: self.database_schema.clone(),
        };
        ContactsStore::connect(&self.database_url, &options).await
    }

    fn routes(store: ContactsStore, bus: Arc<dyn EventBus>) -> tonic::service::Routes {
        ContactsService::new(store, bus).into_routes()
    }
}

#[derive(Parser)]
#[command(name = "eas-contacts", version, about = "EAS contacts service (gRPC)")]
struct Cli {
    /// Configuration file (TOML); `EAS_CONTACTS_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_CONTACTS_CONFIG")]
    config: Option<PathBuf>,
    /// Apply the migrations of the contacts database, then exit (a deployment's migration
    /// step). The service applies them at start too; this only makes a failing migration stop
    /// a rollout before any replica is replaced.
    #[arg(long)]
    migrate_only: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    eas_data_service::binary::main::<Settings>(
        cli.config.as_deref(),
        "EAS_CONTACTS_",
        cli.migrate_only,
    )
}
