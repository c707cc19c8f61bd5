//! Building and running the all-in-one server: directory, device state, edge and admin API.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use eas_calendar::{CalendarOptions, CalendarService, CalendarStore};
use eas_contacts::{ContactsOptions, ContactsService, ContactsStore};
use eas_device_state::{DeviceStore, MemoryStore, SqliteStore};
use eas_directory::{Directory, DirectoryOptions, NewUser};
use eas_edge::folders::StandardFolders;
use eas_edge::push::PushHub;
use eas_edge::server::EdgeListeners;
use eas_edge::{DataServices, Edge};
use eas_event_bus::{EventBus, InProcessBus};
use eas_mail::lmtp::LmtpConfig;
use eas_mail::runtime::MailRuntime;
use eas_mail::submit::collect::ContactsCollector;
use eas_mail::{MailOptions, MailStore};
use tokio::sync::watch;

use crate::config::{DeviceStoreKind, Settings};
use crate::data_dir;

/// Demo accounts created on first start: address, display name, password. Listed in the README.
pub const DEMO_DOMAIN: &str = "example.loc";
pub const DEMO_USERS: [(&str, &str, &str); 2] = [
    ("jdoe@example.loc", "John Doe", "demo-jdoe-1"),
    ("asmith@example.loc", "Anna Smith", "demo-asmith-2"),
];

/// A built server with bound listeners, ready to run.
pub struct Application {
    listeners: EdgeListeners,
    /// LMTP in and the relay worker out.
    mail: MailRuntime,
    edge: Arc<Edge>,
    /// Closed after the last request, which checkpoints its write-ahead log.
    device_db: Option<SqliteStore>,
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        settings.edge.check().map_err(anyhow::Error::msg)?;
        data_dir::prepare(&settings.data_dir)?;
        if settings.database_url.is_none() {
            data_dir::create_private_file(&settings.data_dir.join("directory.db"))?;
        }
        if settings.mail_database_url.is_none() {
            data_dir::create_private_file(&settings.data_dir.join("mail.db"))?;
        }
        if settings.contacts_database_url.is_none() {
            data_dir::create_private_file(&settings.data_dir.join("contacts.db"))?;
        }
        if settings.calendar_database_url.is_none() {
            data_dir::create_private_file(&settings.data_dir.join("calendar.db"))?;
        }
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
        let listeners = EdgeListeners::bind(settings.listen, settings.admin_listen, &settings.tls)
            .await
            .map_err(anyhow::Error::msg)?;
        // The mail service runs in this process behind the same gRPC contract as in the cluster.
        let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new());
        let mail_store = MailStore::connect(
            &settings.mail_database_url(),
            MailOptions::default(),
            bus.clone(),
        )
        .await
        .context("opening the mail database")?;
        // So does the contacts service, on the same event bus; the mail service tells it the
        // recipients of each message a user sends (its collected contacts).
        let contacts_store = ContactsStore::connect(
            &settings.contacts_database_url(),
            &ContactsOptions::default(),
        )
        .await
        .context("opening the contacts database")?;
        let contacts = ContactsService::new(contacts_store, bus.clone());
        let contacts_channel = eas_rpc::in_process::routes_channel(contacts.into_routes())
            .await
            .context("starting the in-process contacts service")?;
        // And the calendar service: its events wake held Pings through the same bus.
        let calendar_store = CalendarStore::connect(
            &settings.calendar_database_url(),
            &CalendarOptions {
                max_attachment_bytes: settings.max_calendar_attachment_bytes,
                ..CalendarOptions::default()
            },
        )
        .await
        .context("opening the calendar database")?;
        let calendar = CalendarService::new(calendar_store, bus.clone());
        let calendar_channel = eas_rpc::in_process::routes_channel(calendar.into_routes())
            .await
            .context("starting the in-process calendar service")?;
        // DATA is spooled in the private data directory: on disk, not in a tmpfs /tmp, and
        // readable by nobody else while a message is received.
        let lmtp = LmtpConfig {
            max_message_size: settings.max_message_bytes,
            spool_dir: settings.data_dir.clone(),
            ..LmtpConfig::default()
        };
        let runtime = MailRuntime::build_with(
            mail_store,
            directory.clone(),
            settings.lmtp_listen,
            lmtp,
            settings.smtp_relay.clone(),
        )
        .await
        .with_context(|| format!("binding lmtp on {}", settings.lmtp_listen))?
        .with_collector(Arc::new(ContactsCollector::new(eas_rpc::contacts_client(
            contacts_channel.clone(),
        ))));
        let channel = eas_rpc::in_process::routes_channel(runtime.service.clone().into_routes())
            .await
            .context("starting the in-process mail service")?;
        let (devices, device_db): (Arc<dyn DeviceStore>, _) = match settings.device_store {
            DeviceStoreKind::Sqlite => {
                let path = settings.device_database_path();
                let store = SqliteStore::open(&path, 4)
                    .await
                    .with_context(|| format!("opening the device database {}", path.display()))?;
                (Arc::new(store.clone()), Some(store))
            }
            DeviceStoreKind::Memory => {
                tracing::warn!("device state is kept in memory: every phone provisions and syncs from scratch after a restart");
                (Arc::new(MemoryStore::new()), None)
            }
        };
        let edge = Edge::new(
            settings.edge.clone(),
            directory,
            devices,
            Arc::new(StandardFolders),
            DataServices {
                mail: Some(channel),
                contacts: Some(contacts_channel),
                calendar: Some(calendar_channel),
            },
        );
        edge.attach_push(PushHub::start(bus));
        Ok(Application {
            listeners,
            mail: runtime,
            edge,
            device_db,
        })
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.listeners.announce()?;
        eas_service_kit::announce(format_args!("lmtp: {}", self.mail.lmtp_addr()?));
        let (stop_tx, stop_rx) = watch::channel(false);
        let lmtp = self.mail.spawn(stop_rx);
        self.listeners
            .serve_until(self.edge, eas_service_kit::shutdown_signal())
            .await;
        let _ = stop_tx.send(true);
        let _ = lmtp.await;
        if let Some(db) = self.device_db {
            db.close().await;
        }
        Ok(())
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
        eas_service_kit::announce(format_args!("demo account: {address} password {password}"));
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
    eas_service_kit::announce(format_args!("admin token written to {}", path.display()));
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
