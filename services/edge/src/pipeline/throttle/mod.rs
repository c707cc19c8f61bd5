//! Login throttling: every password attempt is counted before it is verified, against limits
//! per source address, per account and source address, and (slower) per account; a bounded
//! number of password verifications run at once. The policy and its reasons are in
//! `docs/login-throttling.md`; a refused attempt is answered 503 with `Retry-After`
//! (MS-ASHTTP 3.1.5.2.3 / 3.2.5.1), never 401, so a phone does not take it for a wrong password.

mod memory;
mod proxy;
mod shared;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AuthConfig;
use memory::MemoryLimits;
pub use proxy::TrustedProxies;
pub use shared::SharedLimits;

/// One limit applied to one key.
pub(super) struct LimitKey {
    key: String,
    period_ms: u64,
    max: u32,
    /// Good history of the account at this source lifts the limit.
    exempt_when_good: bool,
}

impl LimitKey {
    /// GCRA emission interval: after a burst of `max`, one attempt per `period / max`.
    fn step_ms(&self) -> u64 {
        (self.period_ms / u64::from(self.max.max(1))).max(1)
    }
}

/// The keys one attempt touches.
pub(super) struct Keys {
    /// The account-and-source good-history key; `None` when the attempt names no account.
    history: Option<String>,
    history_ttl_ms: u64,
    limits: Vec<LimitKey>,
}

impl Keys {
    fn applying(&self, good: bool) -> Vec<&LimitKey> {
        self.limits
            .iter()
            .filter(|l| !(good && l.exempt_when_good))
            .collect()
    }
}

/// What to do with the keys of an attempt.
#[derive(Debug, Clone, Copy)]
pub(super) enum Op {
    /// Refuse when a limit is reached, else count the attempt.
    Charge,
    /// Refuse when a limit is reached; count nothing (a login already proven by the cache).
    Check,
    /// Take back a charge: the attempt was not a wrong guess.
    Refund { good: bool },
    /// Take back a charge and remember the source as good for the account.
    Success { good: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Allowed { good: bool },
    Refused { retry_ms: u64 },
}

/// An attempt refused by a limit, or left waiting too long for a verification slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds for `Retry-After`.
    pub retry_after: u64,
}

impl Refusal {
    fn from_ms(ms: u64) -> Refusal {
        Refusal {
            retry_after: ms.div_ceil(1000).max(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Memory,
    Shared,
}

/// A counted attempt, to be settled once the password was checked.
#[must_use = "settle the attempt with succeeded, refund or failed"]
pub struct Attempt {
    keys: Keys,
    good: bool,
    backend: Backend,
}

impl Attempt {
    /// Whether the source had good history for the account when the attempt was counted.
    pub fn had_good_history(&self) -> bool {
        self.good
    }
}

/// The limits of `AuthConfig` in milliseconds.
struct Policy {
    per_address: (u32, u64),
    per_account_address: (u32, u64),
    per_account: (u32, u64),
    history_ttl_ms: u64,
}

/// The source key of an address: an IPv4 address itself, an IPv6 address's /64 (one
/// subscriber's allocation; Dovecot groups IPv6 the same way, per /48).
fn source_key(ip: IpAddr) -> String {
    match proxy::canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(net))
        }
    }
}

/// Login limits, the bound on concurrent password verifications, and the trusted proxies.
pub struct LoginThrottle {
    policy: Policy,
    proxies: TrustedProxies,
    memory: MemoryLimits,
    shared: OnceLock<SharedLimits>,
    redis_down: AtomicBool,
    verifications: Arc<Semaphore>,
    verification_wait: Duration,
    verifications_started: AtomicU64,
}

impl LoginThrottle {
    /// Limits from `config` (checked by `AuthConfig::check`; a zero limit counts as 1 and an
    /// unparsable proxy list as empty here).
    pub fn new(config: &AuthConfig) -> Self {
        let ms = |s: u64| s.saturating_mul(1000).max(1);
        let slots = match config.max_concurrent_verifications {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            n => n,
        };
        let proxies = TrustedProxies::parse(&config.trusted_proxies).unwrap_or_else(|e| {
            tracing::error!(error = %e, "ignoring edge.auth.trusted_proxies");
            TrustedProxies::default()
        });
        LoginThrottle {
            policy: Policy {
                per_address: (
                    config.max_failures_per_ip.max(1),
                    ms(config.failure_window_seconds),
                ),
                per_account_address: (
                    config.max_failures_per_account_and_ip.max(1),
                    ms(config.failure_window_seconds),
                ),
                per_account: (
                    config.max_failures_per_account.max(1),
                    ms(config.account_window_seconds),
                ),
                history_ttl_ms: ms(u64::from(config.good_history_days) * 86_400),
            },
            proxies,
            memory: MemoryLimits::new(),
            shared: OnceLock::new(),
            redis_down: AtomicBool::new(false),
            verifications: Arc::new(Semaphore::new(slots.min(Semaphore::MAX_PERMITS))),
            verification_wait: Duration::from_millis(config.verification_wait_ms),
            verifications_started: AtomicU64::new(0),
        }
    }

    /// Counts in Redis from now on (shared by every replica), falling back to this process's
    /// memory whenever Redis does not answer. Only the first call has an effect.
    pub fn share(&self, limits: SharedLimits) {
        let _ = self.shared.set(limits);
    }

    /// The client's address: `peer`, or what trusted proxies say in `X-Forwarded-For`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        self.proxies.client_address(peer, headers)
    }

    fn keys(&self, account: Option<&str>, client: IpAddr) -> Keys {
        let source = source_key(client);
        let p = &self.policy;
        let limit = |key: String, (max, period_ms): (u32, u64), exempt_when_good| LimitKey {
            key,
            period_ms,
            max,
            exempt_when_good,
        };
        let mut limits = vec![limit(format!("ip:{source}"), p.per_address, true)];
        let history = account.map(|account| {
            // An address never contains '|', so `account|source` cannot collide.
            limits.push(limit(
                format!("acct+ip:{account}|{source}"),
                p.per_account_address,
                false,
            ));
            limits.push(limit(format!("acct:{account}"), p.per_account, true));
            format!("good:{account}|{source}")
        });
        Keys {
            history,
            history_ttl_ms: p.history_ttl_ms,
            limits,
        }
    }

    async fn apply(&self, keys: &Keys, op: Op, backend: Backend) -> (Decision, Backend) {
        if backend == Backend::Shared {
            if let Some(shared) = self.shared.get() {
                match shared.apply(keys, op).await {
                    Ok(d) => {
                        if self.redis_down.swap(false, Ordering::Relaxed) {
                            tracing::info!("redis answers again: login limits shared again");
                        }
                        return (d, Backend::Shared);
                    }
                    Err(error) => {
                        if !self.redis_down.swap(true, Ordering::Relaxed) {
                            tracing::warn!(
                                %error,
                                "redis unreachable: login limits counted per process"
                            );
                        }
                        if matches!(op, Op::Refund { .. } | Op::Success { .. }) {
                            // The charge is in Redis; this process has nothing to take back.
                            return (Decision::Allowed { good: false }, Backend::Shared);
                        }
                    }
                }
            }
        }
        (self.memory.apply(keys, op), Backend::Memory)
    }

    /// Counts an attempt on `account` (the canonical account key) from `client` before its
    /// password is verified; refused when a limit is reached.
    pub async fn begin(&self, account: &str, client: IpAddr) -> Result<Attempt, Refusal> {
        self.charge(Some(account), client).await
    }

    /// Counts a login that names nobody (a malformed name) against the source address alone.
    pub async fn count_malformed(&self, client: IpAddr) -> Result<(), Refusal> {
        self.charge(None, client).await.map(|_| ())
    }

    async fn charge(&self, account: Option<&str>, client: IpAddr) -> Result<Attempt, Refusal> {
        let keys = self.keys(account, client);
        match self.apply(&keys, Op::Charge, Backend::Shared).await {
            (Decision::Allowed { good }, backend) => Ok(Attempt {
                keys,
                good,
                backend,
            }),
            (Decision::Refused { retry_ms }, _) => Err(Refusal::from_ms(retry_ms)),
        }
    }

    /// Whether a login already proven by the cache may proceed: refused exactly when a fresh
    /// attempt would be, so the cache never answers a guess that the limits would refuse.
    pub async fn admit_known(&self, account: &str, client: IpAddr) -> Result<(), Refusal> {
        let keys = self.keys(Some(account), client);
        match self.apply(&keys, Op::Check, Backend::Shared).await.0 {
            Decision::Allowed { .. } => Ok(()),
            Decision::Refused { retry_ms } => Err(Refusal::from_ms(retry_ms)),
        }
    }

    /// The password was right: takes the charge back and remembers the source as good.
    pub async fn succeeded(&self, attempt: Attempt) {
        let op = Op::Success { good: attempt.good };
        self.apply(&attempt.keys, op, attempt.backend).await;
    }

    /// The attempt was not a guess (the directory failed, or the account is disabled but the
    /// password matched): takes the charge back.
    pub async fn refund(&self, attempt: Attempt) {
        let op = Op::Refund { good: attempt.good };
        self.apply(&attempt.keys, op, attempt.backend).await;
    }

    /// A wrong password: the charge stays.
    pub fn failed(&self, attempt: Attempt) {
        drop(attempt);
    }

    /// A slot for one password verification; waits up to `verification_wait_ms` for one, so
    /// that memory and CPU under a login flood stay bounded (each argon2 run holds its memory,
    /// 19 MiB with the default cost, until it ends).
    pub async fn verification_slot(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        let acquire = self.verifications.clone().acquire_owned();
        match tokio::time::timeout(self.verification_wait, acquire).await {
            Ok(Ok(permit)) => {
                self.verifications_started.fetch_add(1, Ordering::Relaxed);
                Ok(permit)
            }
            _ => {
                tracing::warn!("password verifications saturated: login answered 503");
                let ms = u64::try_from(self.verification_wait.as_millis()).unwrap_or(1000);
                Err(Refusal::from_ms(ms))
            }
        }
    }

    /// Password verifications started since this process began.
    pub fn verifications_started(&self) -> u64 {
        self.verifications_started.load(Ordering::Relaxed)
    }
}

impl crate::edge::Edge {
    /// Shares the login limits with the other edge replicas through Redis.
    pub fn share_login_limits(&self, limits: SharedLimits) {
        self.throttle.share(limits);
    }

    /// Password verifications (argon2 runs) this edge has started.
    pub fn password_verifications(&self) -> u64 {
        self.throttle.verifications_started()
    }
}

#[cfg(test)]
mod tests;
