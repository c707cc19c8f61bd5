//! Test harness: the real edge on port 0 with a fresh SQLite directory, and a small EAS client.

#![allow(dead_code)]

pub mod mail;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::Arc;

use base64::Engine;
use eas_device_state::MemoryStore;
use eas_directory::{Argon2Cost, Directory, DirectoryOptions, NewUser};
use eas_edge::folders::{FolderSource, StandardFolders};
use eas_edge::{admin_router, eas_service, server, Edge, EdgeConfig};
use eas_wbxml::{tags, Element};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const DOMAIN: &str = "example.loc";
pub const USER: &str = "jdoe@example.loc";
pub const PASSWORD: &str = "correct horse";
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A running edge with its admin API.
pub struct TestServer {
    pub base: String,
    pub admin: String,
    pub edge: Arc<Edge>,
    pub http: reqwest::Client,
    /// The in-process mail service's store, for tests that deliver mail.
    pub mail: Option<eas_mail::MailStore>,
    /// The in-process contacts service, for tests that write contacts as another device or an
    /// administrator would.
    pub contacts: Option<eas_contacts::ContactsService>,
    /// The in-process calendar service, for tests that write events as another user or an
    /// administrator would.
    pub calendar: Option<eas_calendar::CalendarService>,
    _stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

/// Which personal-information services run beside mail.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pim {
    None,
    Contacts,
    ContactsAndCalendar,
}

/// The default test configuration: cheap enough, with an admin token and a default domain.
pub fn test_config() -> EdgeConfig {
    EdgeConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        ..EdgeConfig::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(test_config()).await
    }

    pub async fn start_with(config: EdgeConfig) -> TestServer {
        Self::start_inner(config, false).await
    }

    /// The edge with an in-process mail service over a SQLite store in the temp directory.
    pub async fn start_with_mail() -> TestServer {
        Self::start_inner(test_config(), true).await
    }

    /// The edge with an in-process mail service and a configuration of the test's own.
    pub async fn start_with_mail_config(config: EdgeConfig) -> TestServer {
        Self::start_inner(config, true).await
    }

    /// The edge with an in-process mail service, served as the binaries serve it
    /// (`EdgeListeners::serve_until`, with its drain): sending on the returned channel plays
    /// SIGTERM; the handle ends when the edge has drained.
    pub async fn start_served(
        config: EdgeConfig,
    ) -> (
        TestServer,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let (sigterm, signal) = tokio::sync::oneshot::channel();
        let (server, served) = Self::start_serving(config, true, Some(signal)).await;
        (server, sigterm, served.expect("served until the signal"))
    }

    /// The edge with in-process mail and contacts services on one event bus, as the
    /// one-process server runs them.
    pub async fn start_with_contacts() -> TestServer {
        Self::start_serving_classes(test_config(), true, Pim::Contacts, None)
            .await
            .0
    }

    /// The edge with in-process mail, contacts and calendar services on one event bus, as the
    /// one-process server runs them.
    pub async fn start_with_calendar() -> TestServer {
        Self::start_with_calendar_config(test_config()).await
    }

    pub async fn start_with_calendar_config(config: EdgeConfig) -> TestServer {
        Self::start_serving_classes(config, true, Pim::ContactsAndCalendar, None)
            .await
            .0
    }

    async fn start_inner(config: EdgeConfig, with_mail: bool) -> TestServer {
        Self::start_serving(config, with_mail, None).await.0
    }

    async fn start_serving(
        config: EdgeConfig,
        with_mail: bool,
        sigterm: Option<tokio::sync::oneshot::Receiver<()>>,
    ) -> (TestServer, Option<tokio::task::JoinHandle<()>>) {
        Self::start_serving_classes(config, with_mail, Pim::None, sigterm).await
    }

    async fn start_serving_classes(
        mut config: EdgeConfig,
        with_mail: bool,
        pim: Pim,
        sigterm: Option<tokio::sync::oneshot::Receiver<()>>,
    ) -> (TestServer, Option<tokio::task::JoinHandle<()>>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("dir.db").display());
        let options = DirectoryOptions {
            argon2: Argon2Cost::INSECURE_FOR_TESTS,
            default_domain: Some(DOMAIN.into()),
            ..DirectoryOptions::default()
        };
        let directory = Directory::connect(&url, options).await.unwrap();
        directory.create_domain(DOMAIN, None).await.unwrap();
        directory
            .create_user(NewUser {
                address: USER.into(),
                display_name: "John Doe".into(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
        let eas = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", eas.local_addr().unwrap());
        config.public_url = format!("{base}/Microsoft-Server-ActiveSync");
        let (store, client, bus) = if with_mail {
            let url = format!("sqlite://{}", dir.path().join("mail.db").display());
            let bus = Arc::new(eas_event_bus::InProcessBus::new());
            let store =
                eas_mail::MailStore::connect(&url, eas_mail::MailOptions::default(), bus.clone())
                    .await
                    .unwrap();
            let service = eas_mail::grpc::MailService::new(store.clone()).into_routes();
            let channel = eas_rpc::in_process::routes_channel(service).await.unwrap();
            (Some(store), Some(channel), Some(bus))
        } else {
            (None, None, None)
        };
        let (contacts, contacts_channel) = match (&bus, pim != Pim::None) {
            (Some(bus), true) => {
                let url = format!("sqlite://{}", dir.path().join("contacts.db").display());
                let store = eas_contacts::ContactsStore::connect(
                    &url,
                    &eas_contacts::ContactsOptions::default(),
                )
                .await
                .unwrap();
                let service = eas_contacts::ContactsService::new(store, bus.clone());
                let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
                    .await
                    .unwrap();
                (Some(service), Some(channel))
            }
            _ => (None, None),
        };
        let (calendar, calendar_channel) = match (&bus, pim) {
            (Some(bus), Pim::ContactsAndCalendar) => {
                let url = format!("sqlite://{}", dir.path().join("calendar.db").display());
                let store = eas_calendar::CalendarStore::connect(
                    &url,
                    &eas_calendar::CalendarOptions::default(),
                )
                .await
                .unwrap();
                let service = eas_calendar::CalendarService::new(store, bus.clone());
                let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
                    .await
                    .unwrap();
                (Some(service), Some(channel))
            }
            _ => (None, None),
        };
        let folders: Arc<dyn FolderSource> = Arc::new(StandardFolders);
        let edge = Edge::new(
            config,
            directory,
            Arc::new(MemoryStore::new()),
            folders,
            eas_edge::DataServices {
                mail: client,
                contacts: contacts_channel,
                calendar: calendar_channel,
            },
        );
        // Held Pings and Syncs are woken by the mail service's change events, as in the server.
        if let Some(bus) = bus {
            edge.attach_push(eas_edge::push::PushHub::start(bus));
        }
        let (stop, rx) = watch::channel(false);
        let admin_base = format!("http://{}", admin.local_addr().unwrap());
        let served = match sigterm {
            Some(signal) => {
                let listeners = server::EdgeListeners {
                    eas,
                    admin,
                    tls: None,
                };
                Some(tokio::spawn(listeners.serve_until(
                    edge.clone(),
                    async move {
                        let _ = signal.await;
                    },
                )))
            }
            None => {
                // Served with the configuration's limits, as `EdgeListeners::serve_until` does.
                tokio::spawn(server::serve_with(
                    eas,
                    eas_service(edge.clone()),
                    None,
                    edge.config.http.limits(),
                    rx.clone(),
                ));
                tokio::spawn(server::serve_with(
                    admin,
                    admin_router(edge.clone()).into(),
                    None,
                    edge.config.http.admin_limits(),
                    rx,
                ));
                None
            }
        };
        let server = TestServer {
            base,
            admin: admin_base,
            edge,
            http: reqwest::Client::new(),
            mail: store,
            contacts,
            calendar,
            _stop: stop,
            _dir: dir,
        };
        (server, served)
    }

    /// Delivers a raw RFC 5322 message into the default user's Inbox; returns the message id.
    pub async fn deliver(&self, raw: &str) -> String {
        let store = self.mail.as_ref().expect("started with mail");
        store.ensure_mailbox(USER).await.unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let change = store
            .deliver(USER, None, raw.as_bytes(), now)
            .await
            .unwrap();
        change.id.to_string()
    }

    /// An OPTIONS request to the EAS endpoint, without query or credentials.
    pub async fn options(&self) -> reqwest::Response {
        self.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/Microsoft-Server-ActiveSync", self.base),
            )
            .send()
            .await
            .unwrap()
    }

    /// A client for one device of the default user at a protocol version.
    pub fn device(&self, device_id: &str, version: &str) -> Device<'_> {
        Device {
            server: self,
            device_id: device_id.into(),
            device_type: "Android".into(),
            version: version.into(),
            login: USER.into(),
            password: PASSWORD.into(),
            policy_key: None,
        }
    }

    /// An admin API request.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.admin, path))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// One phone talking to the server.
pub struct Device<'a> {
    pub server: &'a TestServer,
    pub device_id: String,
    pub device_type: String,
    pub version: String,
    pub login: String,
    pub password: String,
    pub policy_key: Option<String>,
}

/// A response: HTTP status, headers and the decoded WBXML body, if any.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub raw: Vec<u8>,
    pub body: Option<Element>,
}

impl Reply {
    /// The text of the element at a path of tags below the root.
    pub fn text(&self, path: &[eas_wbxml::Tag]) -> Option<String> {
        let mut el = self.body.as_ref()?;
        for t in path {
            el = el.child(*t)?;
        }
        el.text_content()
    }
}

impl Device<'_> {
    pub fn basic(&self) -> String {
        let raw = format!("{}:{}", self.login, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// POSTs a command in the plain query form.
    pub async fn post(&self, cmd: &str, body: Option<&Element>) -> Reply {
        let url = format!(
            "{}/Microsoft-Server-ActiveSync?Cmd={cmd}&User={}&DeviceId={}&DeviceType={}",
            self.server.base, self.login, self.device_id, self.device_type
        );
        let mut req = self
            .server
            .http
            .post(url)
            .header("Authorization", self.basic())
            .header("MS-ASProtocolVersion", &self.version)
            .header("User-Agent", "eas-test/1.0")
            .header("Content-Type", "application/vnd.ms-sync.wbxml");
        if let Some(k) = &self.policy_key {
            req = req.header("X-MS-PolicyKey", k);
        }
        if let Some(b) = body {
            req = req.body(eas_wbxml::encode(b));
        }
        let resp = req.send().await.unwrap();
        let reply = read_reply(resp).await;
        // Every WBXML answer the edge gives in these tests is checked against Microsoft's XSDs,
        // except the 16.1 account-only wipe, whose tag libwbxml cannot decode.
        let account_only_wipe = reply
            .body
            .as_ref()
            .is_some_and(|b| b.child(tags::provision::ACCOUNT_ONLY_REMOTE_WIPE).is_some());
        if reply.status == 200 && reply.body.is_some() && !account_only_wipe {
            assert_xsd_valid(cmd, &reply);
        }
        reply
    }

    /// Runs both phases of Provision and keeps the final policy key.
    pub async fn provision(&mut self) -> String {
        let first = self
            .post("Provision", Some(&provision_request(None, None)))
            .await;
        assert_eq!(first.status, 200);
        let temp = policy_key(&first).expect("temporary policy key");
        let second = self
            .post(
                "Provision",
                Some(&provision_request(Some(&temp), Some("1"))),
            )
            .await;
        assert_eq!(second.status, 200);
        let key = policy_key(&second).expect("final policy key");
        assert_ne!(key, temp);
        self.policy_key = Some(key.clone());
        key
    }

    pub async fn folder_sync(&self, key: &str) -> Reply {
        let body = Element::new(tags::folder_hierarchy::FOLDER_SYNC)
            .with_text(tags::folder_hierarchy::SYNC_KEY, key);
        self.post("FolderSync", Some(&body)).await
    }
}

pub async fn read_reply(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.bytes().await.unwrap().to_vec();
    let body = if raw.is_empty() || raw[0] > 3 {
        None
    } else {
        Some(eas_wbxml::decode(&raw).expect("response is valid wbxml"))
    };
    Reply {
        status,
        headers,
        raw,
        body,
    }
}

/// A Provision request: initial (no key) or acknowledgement (key and status).
pub fn provision_request(key: Option<&str>, status: Option<&str>) -> Element {
    use tags::provision as p;
    let mut policy = Element::new(p::POLICY).with_text(p::POLICY_TYPE, "MS-EAS-Provisioning-WBXML");
    if let Some(k) = key {
        policy.push_text(p::POLICY_KEY, k);
    }
    if let Some(s) = status {
        policy.push_text(p::STATUS, s);
    }
    Element::new(p::PROVISION).with(Element::new(p::POLICIES).with(policy))
}

/// The PolicyKey of a Provision response.
pub fn policy_key(r: &Reply) -> Option<String> {
    use tags::provision as p;
    r.text(&[p::POLICIES, p::POLICY, p::POLICY_KEY])
}

/// The repository's XSD check of EAS responses, beside Microsoft's schemas in `tests/xsd/`.
fn validator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/xsd/validate.py")
}

/// The python interpreter that has lxml: `EAS_PYTHON` (scripts/test.sh sets it), else the
/// workspace virtualenv if there is one, else `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("EAS_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Asserts that a WBXML response body is valid against Microsoft's XSD for the command.
pub fn assert_xsd_valid(command: &str, reply: &Reply) {
    let tool = validator();
    assert!(
        tool.exists(),
        "the xsd validator is missing at {}",
        tool.display()
    );
    let file = tempfile::Builder::new()
        .suffix(".wbxml")
        .tempfile()
        .unwrap();
    std::fs::write(file.path(), &reply.raw).unwrap();
    let out = Process::new(python())
        .arg(&tool)
        .args(["--kind", "response", "--command", command])
        .arg(file.path())
        .output()
        .expect("run the xsd validator (run scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "{command} response is not valid against the xsd:\n{}\n{}\n{:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        reply.body
    );
}
