//! Building and running the all-in-one server: directory, device state, edge and admin API.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use eas_device_state::MemoryStore;
use eas_directory::{Directory, DirectoryError, DirectoryOptions, NewUser};
use eas_edge::folders::ServiceFolders;
use eas_edge::push::PushHub;
use eas_edge::{admin_router, eas_router, server, Edge};
use eas_event_bus::{EventBus, InProcessBus};
use eas_mail::grpc::MailService;
use eas_mail::lmtp::{LmtpConfig, LmtpServer, RecipientResolver, ResolveError};
use eas_mail::submit::relay::RelayWorker;
use eas_mail::submit::Submitter;
use eas_mail::{MailOptions, MailStore};
use eas_rpc::mail::mail_client::MailClient;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;

/// Demo accounts created on first start: address, display name, password. Listed in the README.
pub const DEMO_DOMAIN: &str = "example.loc";
pub const DEMO_USERS: [(&str, &str, &str); 2] = [
    ("jdoe@example.loc", "John Doe", "demo-jdoe-1"),
    ("asmith@example.loc", "Anna Smith", "demo-asmith-2"),
];

/// Sets up logging to stderr with the configured filter (`RUST_LOG` wins when set).
pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A built server with bound listeners, ready to run.
pub struct Application {
    eas: TcpListener,
    admin: TcpListener,
    lmtp: LmtpServer,
    /// Sends queued mail to the SMTP relay, when one is configured.
    relay: Option<RelayWorker>,
    edge: Arc<Edge>,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        let policy = &settings.edge.provisioning.policy;
        let problems = policy.problems();
        if !problems.is_empty() {
            anyhow::bail!("invalid provisioning policy: {}", problems.join("; "));
        }
        for setting in policy.aosp_unsupported() {
            tracing::warn!(
                setting,
                "android's built-in client reports this policy setting as unsupported"
            );
        }
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
        let options = DirectoryOptions {
            default_domain: settings.default_domain.clone(),
            ..DirectoryOptions::default()
        };
        let directory = Directory::connect(&settings.database_url(), options)
            .await
            .context("opening the directory database")?;
        if settings.demo && directory.list_domains().await?.is_empty() {
            seed_demo(&directory).await?;
        }
        if settings.edge.admin_token.is_none() {
            settings.edge.admin_token = Some(admin_token(&settings.data_dir)?);
        }
        let tls = match (&settings.tls.cert, &settings.tls.key) {
            (Some(c), Some(k)) => Some(server::tls_acceptor(c, k)?),
            (None, None) => None,
            _ => anyhow::bail!("tls needs both tls.cert and tls.key"),
        };
        let eas = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let admin = TcpListener::bind(settings.admin_listen)
            .await
            .with_context(|| format!("binding {}", settings.admin_listen))?;
        // The mail service runs in this process behind the same gRPC contract as in the cluster.
        let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new());
        let mail_store = MailStore::connect(
            &settings.mail_database_url(),
            MailOptions::default(),
            bus.clone(),
        )
        .await
        .context("opening the mail database")?;
        let recipients: Arc<dyn RecipientResolver> =
            Arc::new(DirectoryRecipients(directory.clone()));
        let (relay, relay_handle) = match settings.smtp_relay.clone() {
            Some(config) => {
                let (worker, handle) = RelayWorker::new(mail_store.clone(), config);
                (Some(worker), Some(handle))
            }
            None => (None, None),
        };
        let submitter = Submitter::new(mail_store.clone(), recipients.clone(), relay_handle);
        let service = MailService::new(mail_store.clone()).with_submitter(submitter);
        let channel = eas_rpc::in_process::channel(service.into_server())
            .await
            .context("starting the in-process mail service")?;
        let mail = MailClient::new(channel);
        let lmtp = LmtpServer::bind(
            settings.lmtp_listen,
            LmtpConfig {
                max_message_size: settings.max_message_bytes,
                ..LmtpConfig::default()
            },
            recipients,
            mail_store,
        )
        .await
        .with_context(|| format!("binding lmtp on {}", settings.lmtp_listen))?;
        let edge = Edge::new(
            settings.edge.clone(),
            directory,
            Arc::new(MemoryStore::new()),
            Arc::new(ServiceFolders { mail: mail.clone() }),
            Some(mail),
        );
        edge.attach_push(PushHub::start(bus));
        Ok(Application {
            eas,
            admin,
            lmtp,
            relay,
            edge,
            tls,
        })
    }

    pub fn eas_addr(&self) -> std::io::Result<SocketAddr> {
        self.eas.local_addr()
    }

    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin.local_addr()
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        // These two lines are the machine-readable announcement tests and scripts wait for.
        println!(
            "eas endpoint: {scheme}://{}/Microsoft-Server-ActiveSync",
            self.eas_addr()?
        );
        println!("admin api: http://{}/admin", self.admin_addr()?);
        println!("lmtp: {}", self.lmtp.local_addr()?);
        let (stop_tx, stop_rx) = watch::channel(false);
        let eas = tokio::spawn(server::serve(
            self.eas,
            eas_router(self.edge.clone()),
            self.tls,
            stop_rx.clone(),
        ));
        let admin = tokio::spawn(server::serve(
            self.admin,
            admin_router(self.edge.clone()),
            None,
            stop_rx,
        ));
        let mut lmtp_stop = stop_tx.subscribe();
        let lmtp = tokio::spawn(self.lmtp.run_until(async move {
            let _ = lmtp_stop.changed().await;
        }));
        if let Some(relay) = self.relay {
            let mut relay_stop = stop_tx.subscribe();
            tokio::spawn(relay.run_until(async move {
                let _ = relay_stop.changed().await;
            }));
        }
        shutdown_signal().await;
        tracing::info!("shutting down");
        // Held Pings answer status 1 at once; phones reconnect elsewhere or after the restart.
        if let Some(hub) = self.edge.push() {
            hub.shutdown();
        }
        let _ = stop_tx.send(true);
        let _ = lmtp.await;
        let _ = tokio::join!(eas, admin);
        Ok(())
    }
}

/// LMTP recipients are the directory's users and aliases.
struct DirectoryRecipients(Directory);

#[async_trait]
impl RecipientResolver for DirectoryRecipients {
    async fn resolve(&self, address: &str) -> Result<Option<String>, ResolveError> {
        match self.0.get_user(address).await {
            Ok(user) => Ok(Some(user.address)),
            Err(DirectoryError::NotFound { .. }) | Err(DirectoryError::InvalidAddress(_)) => {
                Ok(None)
            }
            Err(e) => Err(ResolveError(e.to_string())),
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn seed_demo(directory: &Directory) -> anyhow::Result<()> {
    directory.create_domain(DEMO_DOMAIN, None).await?;
    for (address, name, password) in DEMO_USERS {
        directory
            .create_user(NewUser {
                address: address.into(),
                display_name: name.into(),
                password: password.into(),
            })
            .await?;
        println!("demo account: {address} password {password}");
    }
    Ok(())
}

/// The admin token from `data_dir/admin-token`, generated on first start.
fn admin_token(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("admin-token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        let t = t.trim().to_owned();
        if !t.is_empty() {
            return Ok(t);
        }
    }
    let bytes: [u8; 24] = rand::random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &token)?;
    println!("admin token written to {}", path.display());
    Ok(token)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
