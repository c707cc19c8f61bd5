//! `eas-mail`: the mail service of the cluster. gRPC for the edge replicas, LMTP for the MTA,
//! PostgreSQL for storage, Kafka for change events, the directory database for recipients.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use eas_directory::{Directory, DirectoryOptions};
use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::{DetachedBus, EventBus, InProcessBus};
use eas_mail::runtime::MailRuntime;
use eas_mail::submit::collect::ContactsCollector;
use eas_mail::submit::relay::RelayConfig;
use eas_mail::{MailOptions, MailStore};
use eas_service_kit::health::{spawn_health, ReadyCheck};
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// Change events waiting for Kafka; beyond this they are dropped (phones still see the change
/// through folder counters).
const PUBLISH_QUEUE: usize = 65_536;
/// Events awaiting Kafka's acknowledgement at the same time.
const PUBLISH_CONCURRENCY: usize = 256;

/// Everything `eas-mail` reads at start-up (TOML file, then `EAS_MAIL_*` variables).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
struct Settings {
    /// gRPC address the edge replicas call.
    grpc_listen: SocketAddr,
    /// LMTP address the MTA delivers to (RFC 2033); keep it private.
    lmtp_listen: SocketAddr,
    /// Mail database (PostgreSQL in the cluster; SQLite works for a single replica).
    database_url: String,
    /// PostgreSQL schema of the mail tables.
    database_schema: Option<String>,
    /// Directory database, read for LMTP and submission recipients.
    directory_url: String,
    /// PostgreSQL schema of the directory tables.
    directory_schema: Option<String>,
    /// Largest message LMTP accepts, in bytes.
    max_message_bytes: usize,
    /// Pool size of the mail database.
    max_connections: u32,
    /// SMTP relay for external recipients; without one they are refused (status 120).
    smtp_relay: Option<RelayConfig>,
    /// The contacts service's gRPC address (`http://host:port`): the recipients of every
    /// submitted message are sent to its collected contacts. None: not collected.
    contacts_url: Option<String>,
    /// Where change events go.
    #[serde(skip_serializing)]
    kafka: KafkaConfig,
    /// Where `/healthz` and `/readyz` are served for Kubernetes probes (readiness: the mail and
    /// directory databases answer; Kafka is not required, mail works without it); none when unset.
    health_listen: Option<SocketAddr>,
    /// `tracing` filter.
    log: String,
    /// `text` or `json` (one object per line, for a log collector).
    log_format: LogFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            lmtp_listen: SocketAddr::from(([127, 0, 0, 1], 2424)),
            database_url: "postgres://postgres@127.0.0.1:5432/eas".into(),
            database_schema: Some("mail".into()),
            directory_url: "postgres://postgres@127.0.0.1:5432/eas".into(),
            directory_schema: Some("directory".into()),
            max_message_bytes: 50 * 1024 * 1024,
            max_connections: 16,
            smtp_relay: None,
            contacts_url: None,
            kafka: KafkaConfig::default(),
            health_listen: None,
            log: "info".into(),
            log_format: LogFormat::Text,
        }
    }
}

#[derive(Parser)]
#[command(name = "eas-mail", version, about = "EAS mail service (gRPC + LMTP)")]
struct Cli {
    /// Configuration file (TOML); `EAS_MAIL_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_MAIL_CONFIG")]
    config: Option<PathBuf>,
    /// Apply the migrations of the mail and the directory databases, then exit (a deployment's
    /// migration step, such as the Helm chart's hook Job). The service applies them at start
    /// too; this only makes a failing migration stop a rollout before any replica is replaced.
    #[arg(long)]
    migrate_only: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let migrate_only = cli.migrate_only;
    eas_service_kit::run_service(
        cli.config.as_deref(),
        "EAS_MAIL_",
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

/// Opens both databases, which applies their pending migrations (embedded in the binary at
/// compile time), and closes them. Needs neither Kafka nor any listener.
async fn migrate(settings: Settings) -> anyhow::Result<()> {
    Directory::connect(
        &settings.directory_url,
        DirectoryOptions {
            postgres_schema: settings.directory_schema.clone(),
            max_connections: 1,
            ..DirectoryOptions::default()
        },
    )
    .await
    .context("migrating the directory database")?;
    MailStore::connect(
        &settings.database_url,
        MailOptions {
            postgres_schema: settings.database_schema.clone(),
            max_connections: 1,
            ..MailOptions::default()
        },
        Arc::new(InProcessBus::new()),
    )
    .await
    .context("migrating the mail database")?;
    eas_service_kit::announce(format_args!("migrated: mail and directory databases"));
    Ok(())
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    // Kafka being down must not stop mail: the service starts anyway (the topic is created by
    // whichever service connects first), and writes never wait for Kafka (DetachedBus).
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
    let directory = Directory::connect(
        &settings.directory_url,
        DirectoryOptions {
            postgres_schema: settings.directory_schema.clone(),
            max_connections: 4,
            ..DirectoryOptions::default()
        },
    )
    .await
    .context("opening the directory database")?;
    let store = MailStore::connect(
        &settings.database_url,
        MailOptions {
            postgres_schema: settings.database_schema.clone(),
            max_connections: settings.max_connections,
            ..MailOptions::default()
        },
        bus,
    )
    .await
    .context("opening the mail database")?;
    let ready = ready_check(store.clone(), directory.clone());
    let runtime = MailRuntime::build(
        store,
        directory,
        settings.lmtp_listen,
        settings.max_message_bytes,
        settings.smtp_relay.clone(),
    )
    .await
    .with_context(|| format!("binding lmtp on {}", settings.lmtp_listen))?;
    let runtime = match &settings.contacts_url {
        Some(url) => {
            // Lazy: the contacts service may start after this one; each collection retries
            // the connection.
            let channel = eas_rpc::Channel::new(
                tonic::transport::Endpoint::from_shared(url.clone())
                    .with_context(|| format!("contacts_url {url:?}"))?
                    .connect_lazy(),
            );
            runtime.with_collector(Arc::new(ContactsCollector::new(eas_rpc::contacts_client(
                channel,
            ))))
        }
        None => runtime,
    };
    let grpc = tokio::net::TcpListener::bind(settings.grpc_listen)
        .await
        .with_context(|| format!("binding grpc on {}", settings.grpc_listen))?;
    // The machine-readable announcement scripts wait for.
    eas_service_kit::announce(format_args!("grpc: {}", grpc.local_addr()?));
    eas_service_kit::announce(format_args!("lmtp: {}", runtime.lmtp_addr()?));
    let service = runtime.service.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut health_stop = stop_rx.clone();
    spawn_health(settings.health_listen, ready, async move {
        let _ = health_stop.wait_for(|s| *s).await;
    })
    .await?;
    let lmtp = runtime.spawn(stop_rx.clone());
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
    let _ = lmtp.await;
    let served = server.await;
    // Deliveries accepted before the signal still wake their phones: their change events
    // leave before the process does (bounded by the Kafka timeout).
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

/// Ready when the mail and the directory databases answer. Kafka is left out on purpose: the
/// service keeps accepting mail while Kafka is down (events wait in the publish queue).
fn ready_check(store: MailStore, directory: Directory) -> ReadyCheck {
    Arc::new(move || {
        let store = store.clone();
        let directory = directory.clone();
        Box::pin(async move {
            store
                .ping()
                .await
                .map_err(|e| format!("mail database: {e}"))?;
            directory
                .ping()
                .await
                .map_err(|e| format!("directory database: {e}"))
        })
    })
}
