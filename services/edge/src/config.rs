//! Edge configuration: public URL, limits, provisioning policy, device approval, login throttling.

use eas_directory::ApprovalPolicy;
use eas_protocol::provision::PolicySettings;
use serde::Deserialize;

/// Everything the edge needs to know that is not per request.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct EdgeConfig {
    /// The URL phones reach the server at, as Autodiscover hands it out
    /// (e.g. `https://mail.example.org/Microsoft-Server-ActiveSync`).
    pub public_url: String,
    /// Requests with a larger body are answered with HTTP 413.
    pub max_request_bytes: usize,
    pub provisioning: ProvisioningConfig,
    /// What happens to a device that has not been seen before, unless its domain says otherwise.
    pub device_approval: ApprovalPolicy,
    /// How many devices one user may have; a further device is refused at its first request
    /// (MS-ASCMD 2.2.2 status 177, HTTP 403 below 14.0) until an administrator removes one.
    /// 0: no limit.
    pub max_devices_per_user: usize,
    pub auth: AuthConfig,
    pub ping: PingConfig,
    pub http: HttpConfig,
    /// The bearer token of the admin API; without one the admin API refuses every request.
    pub admin_token: Option<String>,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        EdgeConfig {
            public_url: "http://127.0.0.1:8080/Microsoft-Server-ActiveSync".into(),
            max_request_bytes: 50 * 1024 * 1024,
            provisioning: ProvisioningConfig::default(),
            device_approval: ApprovalPolicy::AllowAll,
            max_devices_per_user: 100,
            auth: AuthConfig::default(),
            ping: PingConfig::default(),
            http: HttpConfig::default(),
            admin_token: None,
        }
    }
}

impl EdgeConfig {
    /// Refuses a policy that contradicts itself; warns about settings Android's built-in client
    /// reports as unsupported. Every service that runs an edge calls it at start-up.
    pub fn check(&self) -> Result<(), String> {
        let policy = &self.provisioning.policy;
        let problems = policy.problems();
        if !problems.is_empty() {
            return Err(format!(
                "invalid provisioning policy: {}",
                problems.join("; ")
            ));
        }
        for setting in policy.aosp_unsupported() {
            tracing::warn!(
                setting,
                "android's built-in client reports this policy setting as unsupported"
            );
        }
        Ok(())
    }
}

/// The device policy (MS-ASPROV) and whether phones must accept it.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ProvisioningConfig {
    /// When false, commands are served without a policy key (no Provision needed).
    pub required: bool,
    /// Accept phones that acknowledge with Status 2 (some policies not applied), as Exchange's
    /// `AllowNonProvisionableDevices` does; when false they get no final key.
    pub allow_partial_compliance: bool,
    pub policy: PolicySettings,
}

impl Default for ProvisioningConfig {
    fn default() -> Self {
        ProvisioningConfig {
            required: true,
            allow_partial_compliance: true,
            policy: PolicySettings::default(),
        }
    }
}

/// Login caching and the throttling of failed logins.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Realm in `WWW-Authenticate`.
    pub realm: String,
    /// How long a successful login is remembered, so that argon2 does not run on every request.
    pub cache_seconds: u64,
    /// Failed logins per account within the window before further attempts are refused.
    pub max_failures_per_account: u32,
    /// Failed logins per client address within the window before further attempts are refused.
    pub max_failures_per_ip: u32,
    pub failure_window_seconds: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            realm: "ActiveSync".into(),
            cache_seconds: 300,
            max_failures_per_account: 10,
            max_failures_per_ip: 50,
            failure_window_seconds: 300,
        }
    }
}

/// Bounds of Ping (MS-ASCMD 2.2.1.13). PHONE_FLOWS.md: Outlook uses 180 s, AOSP 480 to 1680 s;
/// up to 3540 s is safe behind common proxies.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct PingConfig {
    pub min_heartbeat_seconds: u32,
    pub max_heartbeat_seconds: u32,
    /// More folders in one Ping get status 6 with this number.
    pub max_folders: u32,
}

impl Default for PingConfig {
    fn default() -> Self {
        PingConfig {
            min_heartbeat_seconds: 60,
            max_heartbeat_seconds: 3540,
            max_folders: 300,
        }
    }
}

/// Connection limits of the HTTP/1.1 layer (`crate::http1`). Behind a load balancer the idle time
/// should exceed the balancer's own, so that the balancer, not the edge, closes idle connections.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// An idle keep-alive connection is closed after this many seconds.
    pub idle_timeout_seconds: u64,
    /// A started request head must arrive within this many seconds (else 408).
    pub header_timeout_seconds: u64,
    /// Largest request head, in bytes (else 431).
    pub max_head_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let l = crate::http1::Limits::default();
        HttpConfig {
            idle_timeout_seconds: l.idle_timeout.as_secs(),
            header_timeout_seconds: l.header_timeout.as_secs(),
            max_head_bytes: l.max_head_bytes,
        }
    }
}

impl HttpConfig {
    /// The limits the HTTP layer applies.
    pub fn limits(&self) -> crate::http1::Limits {
        crate::http1::Limits {
            max_head_bytes: self.max_head_bytes,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_seconds),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_seconds),
        }
    }
}
