//! `eas-edge`: one edge replica of the cluster. Phones' HTTP in; accounts from the directory
//! database; device and sync state in Redis; mail over gRPC; held Pings registered in Redis and
//! woken through this replica's Redis channel by the push service (docs/push.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use eas_device_state::RedisStore;
use eas_directory::{Directory, DirectoryOptions};
use eas_edge::folders::StandardFolders;
use eas_edge::push::PushHub;
use eas_edge::server::{EdgeListeners, TlsSettings};
use eas_edge::DataServices;
use eas_edge::{Edge, EdgeConfig, SharedLimits};
use eas_push::feed::{self, FeedConfig};
use eas_push::RedisPingRegistry;
use eas_service_kit::LogFormat;
use serde::{Deserialize, Serialize};

/// jemalloc: held Pings are many small, long-lived allocations; it keeps them compact. Its
/// background thread (the `background_threads` feature) returns freed pages to the kernel while
/// the process is idle: a held Ping allocates nothing, so without it an edge would keep the
/// memory of its last burst for as long as its Pings are held.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Everything `eas-edge` reads at start-up (TOML file, then `EAS_EDGE_*` variables).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
struct Settings {
    /// Phone-facing address.
    listen: SocketAddr,
    /// Admin API address; keep it private.
    admin_listen: SocketAddr,
    /// This replica's name, unique in the cluster (the pod name); defaults to host name + port.
    edge_id: Option<String>,
    /// Directory database (PostgreSQL).
    directory_url: String,
    /// PostgreSQL schema of the directory tables.
    directory_schema: Option<String>,
    /// Bare user names (`jdoe`) log in to this domain.
    default_domain: Option<String>,
    /// Device state, Ping registry and wake channels.
    redis_url: String,
    /// Prefix of every Redis key and channel.
    redis_prefix: String,
    /// Bound on each Redis call; past it the phone gets 503 with Retry-After.
    redis_timeout_ms: u64,
    /// The mail service's gRPC address.
    mail_url: String,
    /// The contacts service's gRPC address; empty: contacts are not served (the hierarchy keeps
    /// an empty Contacts placeholder).
    contacts_url: String,
    /// The calendar service's gRPC address; empty: calendars are not served (the hierarchy
    /// keeps its Calendar placeholder).
    calendar_url: String,
    /// `tracing` filter.
    log: String,
    /// `text` or `json` (one object per line, for a log collector).
    log_format: LogFormat,
    /// Serve TLS directly (without an ingress) when both files are set.
    tls: TlsSettings,
    #[serde(skip_serializing)]
    edge: EdgeConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            edge_id: None,
            directory_url: "postgres://postgres@127.0.0.1:5432/eas".into(),
            directory_schema: Some("directory".into()),
            default_domain: None,
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_prefix: "eas:".into(),
            redis_timeout_ms: 2000,
            mail_url: "http://127.0.0.1:50051".into(),
            contacts_url: String::new(),
            calendar_url: String::new(),
            log: "info".into(),
            log_format: LogFormat::Text,
            tls: TlsSettings::default(),
            edge: EdgeConfig::default(),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "eas-edge",
    version,
    about = "EAS edge replica (HTTP, WBXML, Ping)"
)]
struct Cli {
    /// Configuration file (TOML); `EAS_EDGE_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_EDGE_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    eas_service_kit::run_service(
        cli.config.as_deref(),
        "EAS_EDGE_",
        |s: &Settings| (&s.log, s.log_format),
        run,
    )
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    settings.edge.check().map_err(anyhow::Error::msg)?;
    if settings.edge.admin_token.is_none() {
        tracing::warn!("no edge.admin_token: the admin API refuses every request");
    }
    let listeners = EdgeListeners::bind(settings.listen, settings.admin_listen, &settings.tls)
        .await
        .map_err(anyhow::Error::msg)?;
    let edge_id = match &settings.edge_id {
        Some(id) => id.clone(),
        None => format!("{}-{}", host_name(), listeners.eas.local_addr()?.port()),
    };
    let timeout = Duration::from_millis(settings.redis_timeout_ms);
    let directory = Directory::connect(
        &settings.directory_url,
        DirectoryOptions {
            postgres_schema: settings.directory_schema.clone(),
            default_domain: settings.default_domain.clone(),
            ..DirectoryOptions::default()
        },
    )
    .await
    .context("opening the directory database")?;
    let devices = RedisStore::connect(&settings.redis_url, &settings.redis_prefix, timeout)
        .await
        .context("connecting to redis (device state)")?;
    let registry = RedisPingRegistry::connect(
        &settings.redis_url,
        &settings.redis_prefix,
        &edge_id,
        timeout,
    )
    .await
    .context("connecting to redis (ping registry)")?;
    let channel = lazy_channel(&settings.mail_url).context("mail_url")?;
    let contacts = match settings.contacts_url.trim() {
        "" => None,
        url => Some(lazy_channel(url).context("contacts_url")?),
    };
    let calendar = match settings.calendar_url.trim() {
        "" => None,
        url => Some(lazy_channel(url).context("calendar_url")?),
    };
    let edge = Edge::new(
        settings.edge.clone(),
        directory,
        Arc::new(devices),
        Arc::new(StandardFolders),
        DataServices {
            mail: Some(channel),
            contacts,
            calendar,
        },
    );
    // Login limits shared by every replica (docs/login-throttling.md).
    let limits = eas_device_state::connect_redis(&settings.redis_url, timeout)
        .await
        .map_err(anyhow::Error::msg)
        .context("connecting to redis (login limits)")?;
    edge.share_login_limits(SharedLimits::new(
        limits,
        &format!("{}login:", settings.redis_prefix),
        timeout,
    ));
    let wake = feed::start(FeedConfig {
        redis_url: settings.redis_url.clone(),
        prefix: settings.redis_prefix.clone(),
        edge_id: edge_id.clone(),
        timeout,
        retry: Duration::from_secs(1),
    });
    // Account changes made through any replica's admin API reach every replica's login cache.
    edge.share_account_changes(Arc::new(registry.clone()));
    edge.attach_push(PushHub::start_cluster(Arc::new(registry), wake));
    listeners.announce()?;
    eas_service_kit::announce(format_args!("edge id: {edge_id}"));
    listeners
        .serve_until(edge, eas_service_kit::shutdown_signal())
        .await;
    Ok(())
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
        .unwrap_or_else(|| "edge".into())
}

/// A channel to a data service that connects on first use: the service may start after this
/// replica, and a call while it is down answers 503 with Retry-After.
fn lazy_channel(url: &str) -> anyhow::Result<eas_rpc::Channel> {
    Ok(eas_rpc::Channel::new(
        tonic::transport::Endpoint::from_shared(url.to_owned())?
            .connect_timeout(Duration::from_secs(3))
            .concurrency_limit(eas_rpc::MAX_CALLS_IN_FLIGHT)
            .tcp_nodelay(true)
            .connect_lazy(),
    ))
}
