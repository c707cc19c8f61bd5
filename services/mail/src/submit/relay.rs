//! The relay worker: sends queued messages through an SMTP relay (RFC 5321) with lettre,
//! retrying with exponential backoff until the relay accepts a message or refuses it for
//! good (a 5xx reply, RFC 5321 section 4.2.1), when the sender gets a bounce note instead.

use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::mail_store::MailStore;
use crate::outbound::Outbound;

/// Rows one round of the worker takes.
const BATCH: u32 = 16;

/// Where and how to relay. Plain SMTP, meant for a relay on the loopback or a trusted
/// network; STARTTLS and authentication are not supported yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelayConfig {
    pub host: String,
    pub port: u16,
    /// The name given in EHLO.
    pub hello_name: String,
    /// Wait after the first failed attempt; doubles after each one.
    pub retry_initial_ms: u64,
    /// Longest wait between two attempts.
    pub retry_max_ms: u64,
    /// A message the relay has not accepted after this long is bounced to its sender.
    pub give_up_after_ms: u64,
    /// Connection and per-command timeout.
    pub timeout_ms: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            host: "127.0.0.1".to_owned(),
            port: 25,
            hello_name: "localhost".to_owned(),
            retry_initial_ms: 30_000,
            retry_max_ms: 30 * 60_000,
            give_up_after_ms: 5 * 24 * 3_600_000,
            timeout_ms: 60_000,
        }
    }
}

impl RelayConfig {
    /// The wait before attempt `attempts + 1`, `attempts` having failed.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u64 << attempts.min(20);
        Duration::from_millis(
            self.retry_initial_ms
                .saturating_mul(factor)
                .min(self.retry_max_ms),
        )
    }
}

/// Wakes the worker when a message is queued.
#[derive(Clone)]
pub struct RelayHandle {
    pub(crate) wake: Arc<Notify>,
}

/// The background task that empties the outbound queue.
pub struct RelayWorker {
    store: MailStore,
    config: RelayConfig,
    wake: Arc<Notify>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

enum Outcome {
    Sent,
    Retry(String),
    Refused(String),
}

impl RelayWorker {
    pub fn new(store: MailStore, config: RelayConfig) -> (RelayWorker, RelayHandle) {
        // builder_dangerous: plain SMTP without TLS, see `RelayConfig`.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .hello_name(ClientId::Domain(config.hello_name.clone()))
            .timeout(Some(Duration::from_millis(config.timeout_ms)))
            .build();
        let wake = Arc::new(Notify::new());
        let handle = RelayHandle { wake: wake.clone() };
        let worker = RelayWorker {
            store,
            config,
            wake,
            transport,
        };
        (worker, handle)
    }

    /// Sends what is due, then sleeps until the next row is due or a message is queued.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let idle = Duration::from_millis(self.config.retry_max_ms.max(1000));
        loop {
            let now = now_ms();
            if let Err(error) = self.run_due(now).await {
                tracing::warn!(%error, "outbound queue round failed");
            }
            let next = self.store.next_outbound_due().await;
            if let Ok((depth, _)) = next {
                crate::metrics::queue_depth(depth);
            }
            let wait = match next {
                Ok((_, Some(due))) => {
                    Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0))
                }
                Ok((_, None)) => idle,
                Err(_) => Duration::from_millis(self.config.retry_initial_ms),
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait.min(idle)) => {}
            }
        }
    }

    /// One round: claims the due rows and tries each once. Returns how many were sent.
    pub async fn run_due(&self, now: i64) -> Result<usize, crate::MailError> {
        let lease = i64::try_from(self.config.timeout_ms.saturating_mul(5)).unwrap_or(i64::MAX);
        let rows = self
            .store
            .claim_outbound(now, now.saturating_add(lease), BATCH)
            .await?;
        let mut sent = 0;
        for row in rows {
            match self.send(&row).await {
                Outcome::Sent => {
                    crate::metrics::relay_attempt("sent");
                    tracing::info!(
                        outbound = row.id,
                        attempts = row.attempts + 1,
                        "relay accepted message"
                    );
                    self.store.remove_outbound(row.id).await?;
                    sent += 1;
                }
                Outcome::Retry(error) => {
                    let age = now.saturating_sub(row.queued_at);
                    if age > i64::try_from(self.config.give_up_after_ms).unwrap_or(i64::MAX) {
                        self.give_up(&row, &format!("gave up after retrying: {error}"))
                            .await?;
                        continue;
                    }
                    crate::metrics::relay_attempt("retry");
                    let wait = self.config.backoff(row.attempts);
                    let next =
                        now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                    tracing::warn!(outbound = row.id, attempts = row.attempts + 1, retry_in_ms = wait.as_millis() as u64, %error, "relay attempt failed");
                    self.store.retry_outbound(row.id, next, &error).await?;
                }
                Outcome::Refused(error) => self.give_up(&row, &error).await?,
            }
        }
        Ok(sent)
    }

    async fn send(&self, row: &Outbound) -> Outcome {
        let from = row.sender.parse().ok();
        let to: Result<Vec<lettre::Address>, _> =
            row.recipients.iter().map(|r| r.parse()).collect();
        let envelope = match to.map(|to| Envelope::new(from, to)) {
            Ok(Ok(envelope)) => envelope,
            _ => return Outcome::Refused("invalid envelope address".to_owned()),
        };
        match self.transport.send_raw(&envelope, &row.raw).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::Refused(e.to_string()),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    /// The relay will never take it: the sender finds a note in the Inbox and the row goes.
    async fn give_up(&self, row: &Outbound, error: &str) -> Result<(), crate::MailError> {
        crate::metrics::relay_attempt("bounced");
        tracing::warn!(outbound = row.id, user = %row.sender, %error, "message refused by the relay, bouncing");
        match super::bounce::note(row, error) {
            Ok(note) => {
                self.store
                    .deliver(&row.sender, None, &note, now_ms() / 1000)
                    .await?;
            }
            Err(e) => tracing::error!(outbound = row.id, error = %e, "bounce note not built"),
        }
        self.store.remove_outbound(row.id).await
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
