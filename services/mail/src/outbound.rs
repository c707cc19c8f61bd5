//! The outbound queue as `MailStore` exposes it: messages for external recipients that wait
//! until the SMTP relay accepts them or refuses them for good.

use crate::error::MailError;
use crate::mail_store::MailStore;

/// One queued message: the envelope (RFC 5321 MAIL FROM and RCPT TO) and the bytes to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Outbound {
    pub id: i64,
    pub sender: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    /// Unix milliseconds.
    pub queued_at: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The relay's last answer or the connection error, without message content.
    pub last_error: Option<String>,
}

impl std::fmt::Debug for Outbound {
    // The bytes are a message body: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("id", &self.id)
            .field("recipients", &self.recipients.len())
            .field("size", &self.raw.len())
            .field("attempts", &self.attempts)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

type Row = (i64, String, String, Vec<u8>, i64, i32, Option<String>);

impl Outbound {
    pub(crate) fn from_row(row: Row) -> Result<Outbound, MailError> {
        let (id, sender, recipients, raw, queued_at, attempts, last_error) = row;
        let recipients = serde_json::from_str(&recipients)
            .map_err(|_| MailError::Corrupt(format!("recipients of outbound {id}")))?;
        Ok(Outbound {
            id,
            sender,
            recipients,
            raw,
            queued_at,
            attempts: u32::try_from(attempts).unwrap_or(0),
            last_error,
        })
    }
}

impl MailStore {
    /// Queues `raw` for the relay; the relay worker picks it up at once.
    pub async fn enqueue_outbound(
        &self,
        sender: &str,
        recipients: &[String],
        raw: &[u8],
        now_ms: i64,
    ) -> Result<i64, MailError> {
        let id = self.store.enqueue(sender, recipients, raw, now_ms).await?;
        tracing::info!(
            outbound = id,
            recipients = recipients.len(),
            size = raw.len(),
            "message queued for the relay"
        );
        Ok(id)
    }

    /// Every message still waiting for the relay, oldest first.
    pub async fn outbound_queue(&self) -> Result<Vec<Outbound>, MailError> {
        self.store.queued().await
    }

    pub(crate) async fn claim_outbound(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Outbound>, MailError> {
        self.store.claim_due(now_ms, lease_until_ms, limit).await
    }

    pub(crate) async fn retry_outbound(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
    ) -> Result<(), MailError> {
        self.store.retry_later(id, next_attempt_ms, error).await
    }

    pub(crate) async fn remove_outbound(&self, id: i64) -> Result<(), MailError> {
        self.store.remove(id).await
    }

    /// How many messages wait, and when the earliest is due.
    pub(crate) async fn next_outbound_due(&self) -> Result<(u64, Option<i64>), MailError> {
        self.store.next_due().await
    }
}
