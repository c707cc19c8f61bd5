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
    pub drain: DrainConfig,
    /// The bearer token of the admin API; without one the admin API refuses every request.
    pub admin_token: Option<String>,
    /// The Calendar class's assumptions about users (their time zone, first day of the week).
    pub calendar: crate::classes::CalendarSettings,
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
            drain: DrainConfig::default(),
            admin_token: None,
            calendar: crate::classes::CalendarSettings::default(),
        }
    }
}

impl EdgeConfig {
    /// Refuses a policy that contradicts itself; warns about settings Android's built-in client
    /// reports as unsupported. Every service that runs an edge calls it at start-up.
    pub fn check(&self) -> Result<(), String> {
        self.auth.check()?;
        self.calendar.check()?;
        // A phone's request body travels to the mail service in one gRPC request (SendMail's
        // MIME, a draft's MIME body); that link accepts at most this much of it.
        if self.max_request_bytes > eas_rpc::MAX_PHONE_CONTENT_BYTES {
            return Err(format!(
                "edge.max_request_bytes must be at most {} (the largest message the mail service accepts from the edge)",
                eas_rpc::MAX_PHONE_CONTENT_BYTES
            ));
        }
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

/// Login caching and the throttling of password attempts (`docs/login-throttling.md`).
///
/// Every attempt that reaches a password check is counted before the check, against three
/// limits: per source address, per account and source address, and a slower one per account.
/// A source address that logged in to an account recently ("good history") is exempt from that
/// account's limit and from the per-address limit, so guesses from elsewhere cannot lock the
/// owner out. A refused attempt gets 503 with `Retry-After` and costs no hash work.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Realm in `WWW-Authenticate`.
    pub realm: String,
    /// How long a successful login is remembered, so that argon2 does not run on every request.
    pub cache_seconds: u64,
    /// Attempts without good history per account within `account_window_seconds`.
    pub max_failures_per_account: u32,
    pub account_window_seconds: u64,
    /// Attempts per source address (IPv6: per /64) within `failure_window_seconds`.
    pub max_failures_per_ip: u32,
    /// Attempts per account from one source address within `failure_window_seconds`.
    pub max_failures_per_account_and_ip: u32,
    pub failure_window_seconds: u64,
    /// How long a successful login makes its source address known to the account.
    pub good_history_days: u32,
    /// Password verifications (argon2) running at once; 0 means twice the number of cores.
    pub max_concurrent_verifications: usize,
    /// How long an attempt waits for a verification slot before it is answered 503.
    pub verification_wait_ms: u64,
    /// Proxies (addresses or CIDR blocks, e.g. `10.0.0.0/8`, `fd00::/8`) whose
    /// `X-Forwarded-For` is believed; the client is the right-most address not in this list.
    pub trusted_proxies: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            realm: "ActiveSync".into(),
            cache_seconds: 300,
            max_failures_per_account: 30,
            account_window_seconds: 3600,
            max_failures_per_ip: 50,
            max_failures_per_account_and_ip: 10,
            failure_window_seconds: 300,
            good_history_days: 30,
            max_concurrent_verifications: 0,
            verification_wait_ms: 2000,
            trusted_proxies: Vec::new(),
        }
    }
}

impl AuthConfig {
    /// Refuses limits that would switch throttling off and proxy entries that do not parse.
    pub fn check(&self) -> Result<(), String> {
        let limits = [
            ("max_failures_per_account", self.max_failures_per_account),
            ("max_failures_per_ip", self.max_failures_per_ip),
            (
                "max_failures_per_account_and_ip",
                self.max_failures_per_account_and_ip,
            ),
        ];
        for (name, value) in limits {
            if value == 0 {
                return Err(format!("edge.auth.{name} must be at least 1"));
            }
        }
        if self.failure_window_seconds == 0 || self.account_window_seconds == 0 {
            return Err("edge.auth windows must be at least 1 second".into());
        }
        crate::pipeline::throttle::TrustedProxies::parse(&self.trusted_proxies)
            .map(|_| ())
            .map_err(|e| format!("edge.auth.trusted_proxies: {e}"))
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

/// What the edge does on SIGTERM (a rolling restart, a scale-down): `/readyz` answers 503 at
/// once and everything else is served as before for `delay_seconds`, long enough for the load
/// balancer to stop sending new connections here; then the listeners close, idle keep-alive
/// connections are closed, every held Ping is answered with status 1 and every held Sync as its
/// heartbeat ending would answer it, so that the phones reconnect through the load balancer to
/// another replica. Requests still running get `timeout_seconds` more, then the process exits.
/// Kubernetes' `terminationGracePeriodSeconds` must exceed the sum of the two (plus any
/// `preStop` sleep).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DrainConfig {
    /// Seconds between SIGTERM and the answering of held requests; 0 answers them at once (the
    /// default: without a load balancer there is nothing to wait for).
    pub delay_seconds: u64,
    /// Seconds that requests still running after the held ones were answered may take.
    pub timeout_seconds: u64,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig {
            delay_seconds: 0,
            timeout_seconds: 20,
        }
    }
}

/// Connection limits of the HTTP/1.1 layer ([`eas_http1::Limits`]). Behind a load balancer the
/// idle time should exceed the balancer's own, so that the balancer, not the edge, closes idle
/// connections.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// An idle keep-alive connection is closed after this many seconds.
    pub idle_timeout_seconds: u64,
    /// A started request head must arrive within this many seconds (else 408).
    pub header_timeout_seconds: u64,
    /// Largest request head, in bytes (else 431).
    pub max_head_bytes: usize,
    /// Once a handler reads a request body, each read may wait this many seconds for the client
    /// (else 408 and the connection closes).
    pub body_read_timeout_seconds: u64,
    /// Each write of a response may wait this many seconds for the client to take bytes (else
    /// the connection closes).
    pub write_timeout_seconds: u64,
    /// A TLS handshake must end within this many seconds (else the connection closes).
    pub tls_handshake_timeout_seconds: u64,
    /// Most open connections on the phone-facing port; 0 picks the process's open-file limit
    /// minus [`FILE_RESERVE`] and `admin_max_connections`. At the cap the longest-idle
    /// connection is closed to make room; when none is idle a new one gets 503.
    pub max_connections: usize,
    /// Most open connections on the admin API port, apart from the phone-facing cap.
    pub admin_max_connections: usize,
}

/// Open files kept for everything but the phone-facing port when its cap is picked from the
/// file limit: database, Redis and gRPC connections, LMTP, files, and connections being refused.
pub const FILE_RESERVE: u64 = 512;

impl Default for HttpConfig {
    fn default() -> Self {
        let l = eas_http1::Limits::default();
        HttpConfig {
            idle_timeout_seconds: l.idle_timeout.as_secs(),
            header_timeout_seconds: l.header_timeout.as_secs(),
            max_head_bytes: l.max_head_bytes,
            body_read_timeout_seconds: l.body_read_timeout.as_secs(),
            write_timeout_seconds: l.write_timeout.as_secs(),
            tls_handshake_timeout_seconds: l.tls_handshake_timeout.as_secs(),
            max_connections: 0,
            admin_max_connections: 64,
        }
    }
}

impl HttpConfig {
    /// The limits of the phone-facing port.
    pub fn limits(&self) -> eas_http1::Limits {
        let secs = std::time::Duration::from_secs;
        let max_connections = match self.max_connections {
            0 => automatic_cap(eas_http1::open_file_limit(), self.admin_max_connections),
            n => n,
        };
        eas_http1::Limits {
            max_head_bytes: self.max_head_bytes,
            header_timeout: secs(self.header_timeout_seconds),
            idle_timeout: secs(self.idle_timeout_seconds),
            body_read_timeout: secs(self.body_read_timeout_seconds),
            write_timeout: secs(self.write_timeout_seconds),
            tls_handshake_timeout: secs(self.tls_handshake_timeout_seconds),
            max_connections,
        }
    }

    /// The limits of the admin API port: the same times, its own cap.
    pub fn admin_limits(&self) -> eas_http1::Limits {
        eas_http1::Limits {
            max_connections: self.admin_max_connections.max(1),
            ..self.limits()
        }
    }
}

/// The phone-facing cap picked from the open-file limit: what is left after [`FILE_RESERVE`]
/// and the admin cap, at least 64; the crate's default when the limit cannot be read.
fn automatic_cap(file_limit: Option<u64>, admin: usize) -> usize {
    match file_limit {
        Some(limit) => {
            let left = limit.saturating_sub(FILE_RESERVE + admin as u64);
            usize::try_from(left).unwrap_or(usize::MAX).max(64)
        }
        None => eas_http1::Limits::default().max_connections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automatic_phone_cap_leaves_room_for_the_admin_port_and_the_rest() {
        assert_eq!(automatic_cap(Some(20_000), 64), 20_000 - 512 - 64);
        assert_eq!(automatic_cap(Some(1024), 64), 448);
        assert_eq!(automatic_cap(Some(100), 64), 64);
        assert_eq!(
            automatic_cap(None, 64),
            eas_http1::Limits::default().max_connections
        );
        let c = HttpConfig {
            max_connections: 7,
            admin_max_connections: 3,
            ..HttpConfig::default()
        };
        assert_eq!(c.limits().max_connections, 7);
        assert_eq!(c.admin_limits().max_connections, 3);
    }

    #[test]
    fn a_request_limit_above_what_the_mail_service_accepts_is_refused() {
        let mut c = EdgeConfig::default();
        assert!(c.check().is_ok(), "the default fits");
        c.max_request_bytes = eas_rpc::MAX_PHONE_CONTENT_BYTES;
        assert!(c.check().is_ok());
        c.max_request_bytes = eas_rpc::MAX_PHONE_CONTENT_BYTES + 1;
        assert!(c.check().unwrap_err().contains("max_request_bytes"));
    }
}
