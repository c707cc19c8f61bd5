//! The edge's shared state: configuration, the stores and data services it talks to, the data
//! classes it serves and its held Pings. Every layer reads it; it imports no layer above it.

use std::sync::Arc;
use std::time::Duration;

use eas_device_state::DeviceStore;
use eas_directory::Directory;
use eas_rpc::calendar::calendar_client::CalendarClient;
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::Channel;

use crate::config::EdgeConfig;
use crate::folders::FolderSource;
use crate::metrics;
use crate::pipeline::auth::AuthCache;
use crate::pipeline::throttle::LoginThrottle;

/// The edge's shared state: configuration and the stores it talks to.
pub struct Edge {
    pub config: EdgeConfig,
    pub directory: Directory,
    pub devices: Arc<dyn DeviceStore>,
    pub folders: Arc<dyn FolderSource>,
    /// The mail service's own API (SendMail, Search, attachments, folder commands); without
    /// it mail commands are not served.
    pub mail: Option<MailClient<Channel>>,
    /// The contacts service's own API (folder commands, MoveItems, search, vCard import and
    /// export); present exactly when the Contacts class is served.
    pub contacts: Option<ContactsClient<Channel>>,
    /// The calendar service's own API (folder commands, shares, iCalendar import and export);
    /// present exactly when the Calendar class is served.
    pub calendar: Option<CalendarClient<Channel>>,
    /// The data classes served, each over its service: every command that works on
    /// collections routes through them.
    pub classes: crate::classes::Classes,
    /// Held Pings of this edge; without it Ping is not served.
    pub(crate) push_hub: std::sync::OnceLock<Arc<crate::push::PushHub>>,
    pub(crate) auth: Arc<AuthCache>,
    /// Where an administrator's account change is told to the other replicas; unset in the
    /// one-process server, which is the only replica.
    accounts: std::sync::OnceLock<Arc<dyn AccountNotices>>,
    pub(crate) throttle: LoginThrottle,
}

impl Edge {
    /// `services` are the channels to the data services, each serving its own API and the
    /// collection contract; a class without one is not served. `folders` is the hierarchy of an
    /// edge that serves no class.
    pub fn new(
        config: EdgeConfig,
        directory: Directory,
        devices: Arc<dyn DeviceStore>,
        folders: Arc<dyn FolderSource>,
        services: impl Into<DataServices>,
    ) -> Arc<Edge> {
        let services = services.into();
        let mut classes = crate::classes::Classes::new();
        if let Some(c) = &services.mail {
            classes = classes.with(Arc::new(crate::classes::MailClass::new(c.clone())));
        }
        if let Some(c) = &services.contacts {
            classes = classes.with(Arc::new(crate::classes::ContactsClass::new(c.clone())));
        }
        if let Some(c) = &services.calendar {
            classes = classes.with(Arc::new(crate::classes::CalendarClass::new(
                c.clone(),
                &config.calendar,
            )));
        }
        let a = &config.auth;
        let auth = Arc::new(AuthCache::new(Duration::from_secs(a.cache_seconds)));
        let throttle = LoginThrottle::new(a);
        metrics::register_all();
        Arc::new(Edge {
            config,
            directory,
            devices,
            folders,
            mail: services.mail.map(eas_rpc::mail_client),
            contacts: services.contacts.map(eas_rpc::contacts_client),
            calendar: services.calendar.map(eas_rpc::calendar_client),
            classes,
            push_hub: std::sync::OnceLock::new(),
            auth,
            accounts: std::sync::OnceLock::new(),
            throttle,
        })
    }

    /// Serves Ping with this registry of held Pings (fed by change events). The hub's wake
    /// channel also carries the other replicas' account changes, for this edge's login cache.
    pub fn attach_push(&self, hub: Arc<crate::push::PushHub>) {
        hub.follow_logins(self.auth.clone());
        let _ = self.push_hub.set(hub);
    }

    /// The IANA zone of a user's calendar: their own, else the server's
    /// (`edge.calendar.time_zone`, checked at start-up; UTC should it not parse).
    pub fn user_zone(&self, user: &eas_directory::User) -> chrono_tz::Tz {
        let server = self.config.calendar.zone().unwrap_or(chrono_tz::Tz::UTC);
        crate::classes::calendar::user_zone(&user.calendar, server)
    }

    /// Tells the other replicas about account changes made through this one's admin API.
    pub fn share_account_changes(&self, notices: Arc<dyn AccountNotices>) {
        let _ = self.accounts.set(notices);
    }

    /// The registry of held Pings, when push is set up.
    pub fn push(&self) -> Option<Arc<crate::push::PushHub>> {
        self.push_hub.get().cloned()
    }

    /// A fingerprint of the configured policy: a device whose key was issued for another
    /// fingerprint must provision again (MS-ASCMD 2.2.2 status 143, HTTP 449 before 14.0).
    pub fn policy_hash(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(&self.config.provisioning.policy).unwrap_or_default();
        let digest = sha2::Sha256::digest(&json);
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// After an administrator changed an account (named by its address or an alias): this
    /// replica forgets the logins it remembers for it at once, and the other replicas when the
    /// notice reaches them. Should the notice fail, they forget when their cache entries expire
    /// (`edge.auth.cache_seconds`), which is logged.
    pub async fn account_changed(&self, name: &str) {
        self.auth.forget(name);
        if let Some(notices) = self.accounts.get() {
            if let Err(e) = notices.account_changed(name).await {
                tracing::warn!(account = %name, error = %e, cache_seconds = self.config.auth.cache_seconds, "other edges not told of an account change; their cached logins of it expire by themselves");
            }
        }
    }
}

/// Tells every edge replica that an administrator changed an account, so that each forgets the
/// logins it remembers for it (the cluster sends it on the wake channel of `eas_push`).
#[async_trait::async_trait]
pub trait AccountNotices: Send + Sync + 'static {
    async fn account_changed(&self, name: &str) -> Result<(), String>;
}

/// The channels to the data services an edge serves.
#[derive(Clone, Default)]
pub struct DataServices {
    /// The mail service (the Email class).
    pub mail: Option<Channel>,
    /// The contacts service (the Contacts class).
    pub contacts: Option<Channel>,
    /// The calendar service (the Calendar class).
    pub calendar: Option<Channel>,
}

/// Mail alone.
impl From<Option<Channel>> for DataServices {
    fn from(mail: Option<Channel>) -> DataServices {
        DataServices {
            mail,
            ..DataServices::default()
        }
    }
}
