//! The `main` of a data service's binary: settings loaded (TOML file, then the service's
//! prefixed environment variables), the migrate-only mode of a deployment's migration step, and
//! the service itself: its store opened, gRPC served, `/healthz`, `/readyz` and `/metrics` when
//! asked for, change events published to Kafka, and a clean shutdown on a signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::{DetachedBus, EventBus};
use eas_service_kit::health::{spawn_health, ReadyCheck};
use eas_service_kit::LogFormat;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

use crate::Database;

/// Change events waiting for Kafka; beyond this they are dropped (phones still see the change
/// through folder counters).
const PUBLISH_QUEUE: usize = 65_536;
/// Events awaiting Kafka's acknowledgement at the same time.
const PUBLISH_CONCURRENCY: usize = 256;

/// Where a data service listens, publishes and logs, read from its settings.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    /// gRPC address the edge replicas call.
    pub grpc_listen: SocketAddr,
    /// Where `/healthz`, `/readyz` and `/metrics` are served; none when unset.
    pub health_listen: Option<SocketAddr>,
    /// Where change events go.
    pub kafka: &'a KafkaConfig,
    /// Pool size of the service's database.
    pub max_connections: u32,
    /// `tracing` filter.
    pub log: &'a str,
    /// `text` or `json` lines.
    pub log_format: LogFormat,
}

/// The settings of a data service's binary, and what it serves.
pub trait DataService: Default + Serialize + DeserializeOwned + Send + 'static {
    /// The data class in messages: `contacts` names the `contacts database`.
    const NAME: &'static str;
    /// The service's database handle.
    type Store: Database;
    type Error: std::error::Error + Send + Sync + 'static;

    fn endpoints(&self) -> Endpoints<'_>;

    /// Opens the database with a pool of `max_connections`, applying its pending migrations
    /// (embedded in the binary at compile time).
    fn open(
        &self,
        max_connections: u32,
    ) -> impl Future<Output = Result<Self::Store, Self::Error>> + Send;

    /// The service's gRPC routes over `store`, publishing change events to `bus`.
    fn routes(store: Self::Store, bus: Arc<dyn EventBus>) -> tonic::service::Routes;
}

/// Runs the binary: loads `S` from `config` and the variables starting with `env_prefix`, then
/// migrates and exits (`migrate_only`) or serves until a shutdown signal.
pub fn main<S: DataService>(
    config: Option<&Path>,
    env_prefix: &str,
    migrate_only: bool,
) -> anyhow::Result<()> {
    eas_service_kit::run_service(
        config,
        env_prefix,
        log_of::<S>,
        move |settings: S| async move {
            if migrate_only {
                migrate(settings).await
            } else {
                run(settings).await
            }
        },
    )
}

/// The `tracing` filter and log format of `settings`.
fn log_of<S: DataService>(settings: &S) -> (&str, LogFormat) {
    let endpoints = settings.endpoints();
    (endpoints.log, endpoints.log_format)
}

/// Opens the database, which applies its pending migrations, and closes it. Needs neither
/// Kafka nor any listener.
async fn migrate<S: DataService>(settings: S) -> anyhow::Result<()> {
    settings
        .open(1)
        .await
        .with_context(|| format!("migrating the {} database", S::NAME))?;
    eas_service_kit::announce(format_args!("migrated: {} database", S::NAME));
    Ok(())
}

async fn run<S: DataService>(settings: S) -> anyhow::Result<()> {
    let endpoints = settings.endpoints();
    let kafka_config = endpoints.kafka.clone();
    // Kafka being down must not stop the service: writes never wait for Kafka (DetachedBus).
    let kafka = match KafkaBus::connect(kafka_config.clone()).await {
        Ok(bus) => bus,
        Err(e) => {
            tracing::warn!(error = %e, "kafka unreachable at start; change events are queued and retried per event");
            KafkaBus::new(kafka_config.clone()).context("configuring the kafka client")?
        }
    };
    let publisher = Arc::new(DetachedBus::new(
        Arc::new(kafka),
        PUBLISH_QUEUE,
        PUBLISH_CONCURRENCY,
    ));
    let bus: Arc<dyn EventBus> = publisher.clone();
    let store = settings
        .open(endpoints.max_connections)
        .await
        .with_context(|| format!("opening the {} database", S::NAME))?;
    let routes = S::routes(store.clone(), bus);
    let grpc = tokio::net::TcpListener::bind(endpoints.grpc_listen)
        .await
        .with_context(|| format!("binding grpc on {}", endpoints.grpc_listen))?;
    // The machine-readable announcement scripts wait for.
    eas_service_kit::announce(format_args!("grpc: {}", grpc.local_addr()?));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut health_stop = stop_rx.clone();
    spawn_health(
        endpoints.health_listen,
        ready_check(S::NAME, store),
        async move {
            let _ = health_stop.wait_for(|s| *s).await;
        },
    )
    .await?;
    let mut grpc_stop = stop_rx;
    let server = tokio::spawn(
        eas_rpc::server_builder()
            .add_routes(routes)
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
        .drain(kafka_config.timeout() + Duration::from_secs(1))
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

/// Ready when the service's database answers. Kafka is left out on purpose: writes go on while
/// Kafka is down (events wait in the publish queue).
fn ready_check<D: Database>(name: &'static str, store: D) -> ReadyCheck {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move {
            store
                .ping()
                .await
                .map_err(|e| format!("{name} database: {e}"))
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use serde::Deserialize;

    use super::*;

    /// Pool sizes asked of `open`, across the tests of this module.
    static OPENED_WITH: AtomicU32 = AtomicU32::new(0);

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Refused(String);

    /// A database that answers or refuses, by what it was opened with.
    #[derive(Clone)]
    struct Db(Option<String>);

    impl Database for Db {
        type Error = Refused;

        async fn ping(&self) -> Result<(), Refused> {
            match &self.0 {
                None => Ok(()),
                Some(why) => Err(Refused(why.clone())),
            }
        }
    }

    #[derive(Default, Serialize, Deserialize)]
    struct Settings {
        refuse: Option<String>,
        #[serde(skip)]
        kafka: KafkaConfig,
    }

    impl DataService for Settings {
        const NAME: &'static str = "test";
        type Store = Db;
        type Error = Refused;

        fn endpoints(&self) -> Endpoints<'_> {
            Endpoints {
                grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                health_listen: None,
                kafka: &self.kafka,
                max_connections: 9,
                log: "info",
                log_format: LogFormat::Text,
            }
        }

        async fn open(&self, max_connections: u32) -> Result<Db, Refused> {
            OPENED_WITH.store(max_connections, Ordering::SeqCst);
            match &self.refuse {
                Some(why) if why == "open" => Err(Refused("no such database".into())),
                _ => Ok(Db(self.refuse.clone())),
            }
        }

        fn routes(_: Db, _: Arc<dyn EventBus>) -> tonic::service::Routes {
            tonic::service::Routes::default()
        }
    }

    #[tokio::test]
    async fn migrating_opens_one_connection_and_says_which_database_failed() {
        migrate(Settings::default()).await.unwrap();
        assert_eq!(OPENED_WITH.load(Ordering::SeqCst), 1);
        let refused = Settings {
            refuse: Some("open".into()),
            ..Settings::default()
        };
        let error = migrate(refused).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "migrating the test database: no such database"
        );
    }

    #[tokio::test]
    async fn ready_is_the_database_answering_and_names_it_when_not() {
        assert_eq!(ready_check("test", Db(None))().await, Ok(()));
        let down = ready_check("test", Db(Some("connection refused".into())));
        assert_eq!(
            down().await,
            Err("test database: connection refused".to_owned())
        );
    }

    #[test]
    fn the_log_settings_come_from_the_endpoints() {
        assert_eq!(log_of(&Settings::default()), ("info", LogFormat::Text));
    }
}
