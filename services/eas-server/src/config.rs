//! Layered configuration: built-in defaults, then a TOML file, then `EAS_` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use eas_edge::server::TlsSettings;
use eas_edge::EdgeConfig;
use serde::{Deserialize, Serialize};

/// Everything `eas-server` reads at start-up.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Settings {
    /// Phone-facing address (Microsoft-Server-ActiveSync and Autodiscover).
    pub listen: SocketAddr,
    /// Admin API address; keep it private.
    pub admin_listen: SocketAddr,
    /// Where the embedded server keeps its SQLite database and the generated admin token.
    pub data_dir: PathBuf,
    /// Directory database; defaults to SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Mail database; defaults to SQLite in `data_dir`.
    pub mail_database_url: Option<String>,
    /// Contacts database; defaults to SQLite in `data_dir`.
    pub contacts_database_url: Option<String>,
    /// Calendar database; defaults to SQLite in `data_dir`.
    pub calendar_database_url: Option<String>,
    /// LMTP address the MTA delivers to (RFC 2033); keep it private.
    pub lmtp_listen: SocketAddr,
    /// Largest message LMTP accepts, in bytes.
    pub max_message_bytes: usize,
    /// Largest attachment a phone may add to a calendar event (16.x), in bytes; a larger one
    /// is refused with Sync status 6.
    pub max_calendar_attachment_bytes: u64,
    /// The SMTP relay for mail to external recipients (`host`, `port`, retry timings). Without
    /// one, mail between local users still works and a message with an external recipient is
    /// refused with status 120 (MailSubmissionFailed).
    pub smtp_relay: Option<eas_mail::submit::relay::RelayConfig>,
    /// `tracing` filter, e.g. `info` or `eas_edge=debug,info`.
    pub log: String,
    /// `text` or `json` (one object per line, for a log collector).
    pub log_format: eas_service_kit::LogFormat,
    /// Serve TLS directly (for use without an ingress) when both files are set.
    pub tls: TlsSettings,
    /// Create the demo domain and users when the directory is empty.
    pub demo: bool,
    /// Bare user names (`jdoe`) log in to this domain.
    pub default_domain: Option<String>,
    /// Where phones' device state lives: `sqlite` (the default, `data_dir/devices.db`, kept
    /// across restarts) or `memory` (lost on every restart: for tests only).
    pub device_store: DeviceStoreKind,
    #[serde(skip_serializing)]
    pub edge: EdgeConfig,
}

/// The device store of the one-process server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStoreKind {
    /// `data_dir/devices.db`: policy keys, sync keys, blocks and pending wipes survive a restart.
    #[default]
    Sqlite,
    /// In the process's memory: every phone provisions and downloads everything again after a
    /// restart, and blocks and pending wipes are forgotten. For tests.
    Memory,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            mail_database_url: None,
            contacts_database_url: None,
            calendar_database_url: None,
            lmtp_listen: SocketAddr::from(([127, 0, 0, 1], 2424)),
            max_message_bytes: 50 * 1024 * 1024,
            max_calendar_attachment_bytes: eas_calendar::DEFAULT_MAX_ATTACHMENT_BYTES,
            smtp_relay: None,
            log: "info".into(),
            log_format: eas_service_kit::LogFormat::Text,
            tls: TlsSettings::default(),
            demo: true,
            default_domain: None,
            device_store: DeviceStoreKind::Sqlite,
            edge: EdgeConfig::default(),
        }
    }
}

impl Settings {
    /// Defaults, then the file (if given), then `EAS_*` variables (`EAS_EDGE__PUBLIC_URL` sets
    /// `edge.public_url`).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        eas_service_kit::load_config(file, "EAS_")
    }

    /// The mail database URL.
    pub fn mail_database_url(&self) -> String {
        self.mail_database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("mail.db").display()))
    }

    /// The contacts database URL.
    pub fn contacts_database_url(&self) -> String {
        self.contacts_database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("contacts.db").display()))
    }

    /// The calendar database URL.
    pub fn calendar_database_url(&self) -> String {
        self.calendar_database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("calendar.db").display()))
    }

    /// The device-state database file (when `device_store` is `sqlite`).
    pub fn device_database_path(&self) -> PathBuf {
        self.data_dir.join("devices.db")
    }

    /// The directory database URL.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("directory.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_and_nested_edge_keys_keep_their_own_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("eas.toml");
        std::fs::write(
            &f,
            "listen = \"127.0.0.1:9999\"\n[edge]\npublic_url = \"https://m.example.org/Microsoft-Server-ActiveSync\"\n[edge.provisioning.policy]\nmin_password_length = 6\n",
        )
        .unwrap();
        let s = Settings::load(Some(&f)).unwrap();
        assert_eq!(s.listen.port(), 9999);
        assert_eq!(s.admin_listen.port(), 8081);
        assert_eq!(
            s.edge.public_url,
            "https://m.example.org/Microsoft-Server-ActiveSync"
        );
        assert_eq!(s.edge.provisioning.policy.min_password_length, Some(6));
        assert!(s.edge.provisioning.required);
    }

    #[test]
    fn an_unknown_policy_key_or_a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("eas.toml");
        std::fs::write(&f, "[edge.provisioning.policy]\nno_such_setting = true\n").unwrap();
        assert!(Settings::load(Some(&f)).is_err());
        assert!(Settings::load(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn the_default_database_lives_in_the_data_directory() {
        let s = Settings::default();
        assert_eq!(s.database_url(), "sqlite://data/directory.db");
        assert_eq!(s.device_database_path(), Path::new("data/devices.db"));
    }

    #[test]
    fn device_state_is_kept_in_sqlite_unless_memory_is_chosen() {
        assert_eq!(Settings::default().device_store, DeviceStoreKind::Sqlite);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("eas.toml");
        std::fs::write(&f, "device_store = \"memory\"\n").unwrap();
        assert_eq!(
            Settings::load(Some(&f)).unwrap().device_store,
            DeviceStoreKind::Memory
        );
        std::fs::write(&f, "device_store = \"redis\"\n").unwrap();
        assert!(Settings::load(Some(&f)).is_err());
    }
}
