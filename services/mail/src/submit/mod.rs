//! Mail out: SendMail, SmartReply and SmartForward (MS-ASCMD 2.2.1.17, 2.2.1.19, 2.2.1.20)
//! as one operation. The final message goes to local recipients' Inboxes directly, to the
//! outbound queue for everyone else (sent by [`relay`]), and to the sender's Sent Items.

mod bounce;
pub mod collect;
mod compose;
pub mod relay;

use std::sync::Arc;

use mail_parser::HeaderName;
use tokio::sync::Notify;

use crate::error::MailError;
use crate::lmtp::RecipientResolver;
use crate::mail_store::{canonical, MailStore};
use crate::model::{FolderType, MessageId};

pub use compose::SmartKind;

/// What the phone sent.
#[derive(Clone)]
pub struct Submission {
    pub user: String,
    /// The RFC 5322 message as the phone built it.
    pub mime: Vec<u8>,
    pub save_in_sent: bool,
    /// For SmartReply and SmartForward: the original, and what to do with it.
    pub smart: Option<Smart>,
}

/// The original message of a smart command.
#[derive(Clone, Copy, Debug)]
pub struct Smart {
    pub original: MessageId,
    pub kind: SmartKind,
    /// MS-ASCMD 2.2.3.148: the phone's MIME is already complete; nothing is appended.
    pub replace_mime: bool,
}

/// Why a submission was refused. Nothing was delivered or queued, except for `Delivery`.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The MIME cannot be read, or repeats an originator field (MS-ASCMD 2.2.4 status 107).
    #[error("invalid mime")]
    InvalidMime,
    /// No To, Cc or Bcc address (status 119).
    #[error("no recipients")]
    NoRecipients,
    /// The original of a smart command is gone (status 150).
    #[error("original message not found: {0}")]
    OriginalNotFound(String),
    /// External recipients and no relay configured (status 120).
    #[error("no smtp relay configured for {0} external recipient(s)")]
    NoRelay(usize),
    /// The directory could not be asked; the phone should retry (status 111).
    #[error("recipient lookup failed: {0}")]
    Resolve(String),
    /// Storage failed (status 110).
    #[error(transparent)]
    Store(#[from] MailError),
}

/// RFC 5322 section 3.6: From, Sender and Reply-To occur at most once. A message repeating
/// one is refused as invalid MIME (MS-ASCMD 2.2.4 status 107) before anything is written.
fn refuse_repeated_originator(
    user: &str,
    message: &mail_parser::Message<'_>,
) -> Result<(), SubmitError> {
    match compose::repeated_originator(message) {
        Some(field) => {
            tracing::info!(user = %user, field, "submission refused: originator field repeated");
            Err(SubmitError::InvalidMime)
        }
        None => Ok(()),
    }
}

/// Submits messages on behalf of users. Cheap to clone.
#[derive(Clone)]
pub struct Submitter {
    store: MailStore,
    resolver: Arc<dyn RecipientResolver>,
    /// Wakes the relay worker; `None` when no relay is configured.
    relay: Option<Arc<Notify>>,
    /// Told the recipients of each accepted message (the contacts service); none: nobody.
    collector: Option<Arc<dyn collect::RecipientCollector>>,
}

impl Submitter {
    /// `relay` is the handle of a running [`relay::RelayWorker`]; without one, messages for
    /// external recipients are refused with [`SubmitError::NoRelay`] instead of being queued
    /// for nobody.
    pub fn new(
        store: MailStore,
        resolver: Arc<dyn RecipientResolver>,
        relay: Option<relay::RelayHandle>,
    ) -> Self {
        Submitter {
            store,
            resolver,
            relay: relay.map(|r| r.wake),
            collector: None,
        }
    }

    /// Tells `collector` the recipients of every accepted message, after the submission has
    /// answered (docs/contacts-service.md, collected contacts).
    pub fn with_collector(mut self, collector: Arc<dyn collect::RecipientCollector>) -> Self {
        self.collector = Some(collector);
        self
    }

    pub fn store(&self) -> &MailStore {
        &self.store
    }

    /// Builds the final message, checks the sender, then delivers locally, queues for the
    /// relay and saves the Sent Items copy. All checks happen before the first write, so a
    /// refused submission left nothing behind and the phone may resend it.
    pub async fn submit(&self, s: Submission, now_ms: i64) -> Result<(), SubmitError> {
        let user = canonical(&s.user)?;
        let raw = match s.smart {
            Some(smart) if !smart.replace_mime => {
                let original = self.original(&user, smart.original).await?;
                let new = compose::parse(&s.mime).ok_or(SubmitError::InvalidMime)?;
                // The rebuilt message keeps one From; the phone's must not have had two.
                refuse_repeated_originator(&user, &new)?;
                compose::smart(smart.kind, &new, &original).map_err(|_| SubmitError::InvalidMime)?
            }
            Some(smart) => {
                // Still an error when the original is gone, as Exchange answers (150).
                self.original(&user, smart.original).await?;
                s.mime
            }
            None => s.mime,
        };
        let message = compose::parse(&raw).ok_or(SubmitError::InvalidMime)?;
        refuse_repeated_originator(&user, &message)?;
        let recipients = compose::envelope(&message);
        if recipients.is_empty() {
            return Err(SubmitError::NoRecipients);
        }
        let used = self
            .collector
            .as_ref()
            .map(|_| collect::used_recipients(&message));
        // Exactly one From mailbox leaves, and it is one of the user's addresses: anything
        // else (another user, several mailboxes, a group, no address) is replaced by the
        // user's own, so that a phone cannot send as someone else. A Sender that is not the
        // user's is removed (RFC 5322 section 3.6.2: Sender is one mailbox, the agent that
        // sent it). Reply-To may name anyone: it claims no authorship.
        let from_ok = self.is_users_single(&user, message.from()).await?;
        let drop_sender = compose::has_header(&message, HeaderName::Sender)
            && !self.is_users_single(&user, message.sender()).await?;
        let originator = compose::Originator {
            new_from: (!from_ok).then_some(user.as_str()),
            drop_sender,
        };
        let outgoing = compose::outgoing(&raw, &message, originator);
        let mut local = Vec::new();
        let mut external = Vec::new();
        for rcpt in recipients {
            match self.resolve(&rcpt).await? {
                Some(mailbox) => local.push(mailbox),
                None => external.push(rcpt),
            }
        }
        if !external.is_empty() && self.relay.is_none() {
            return Err(SubmitError::NoRelay(external.len()));
        }
        // Queue first: once the relay has it, a local failure below only risks a duplicate
        // on resend, never a loss.
        if !external.is_empty() {
            self.store
                .enqueue_outbound(&user, &external, &outgoing, now_ms)
                .await?;
            if let Some(wake) = &self.relay {
                wake.notify_one();
            }
        }
        local.sort();
        local.dedup();
        let seconds = now_ms / 1000;
        for mailbox in &local {
            self.store
                .deliver(mailbox, None, &outgoing, seconds)
                .await?;
        }
        if s.save_in_sent {
            self.save_sent(&user, &outgoing, seconds).await?;
        }
        tracing::info!(
            user = %user,
            local = local.len(),
            external = external.len(),
            sent_copy = s.save_in_sent,
            from_replaced = !from_ok,
            sender_removed = drop_sender,
            size = outgoing.len(),
            "message submitted"
        );
        if let (Some(collector), Some(used)) = (self.collector.clone(), used) {
            // Not awaited: the phone's answer does not wait for the contacts service.
            tokio::spawn(async move {
                let count = used.len();
                if let Err(error) = collector.collect(&user, used).await {
                    tracing::warn!(user = %user, recipients = count, %error, "recipients not collected");
                }
            });
        }
        Ok(())
    }

    async fn original(&self, user: &str, id: MessageId) -> Result<Vec<u8>, SubmitError> {
        match self.store.raw(user, id).await {
            Ok(reader) => Ok(reader.read_to_end().await?),
            Err(MailError::MessageNotFound(id) | MailError::MailboxNotFound(id)) => {
                Err(SubmitError::OriginalNotFound(id))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// True when `field` holds exactly one mailbox and it is `user`'s address or alias.
    async fn is_users_single(
        &self,
        user: &str,
        field: Option<&mail_parser::Address<'_>>,
    ) -> Result<bool, SubmitError> {
        match compose::mailboxes(field).as_slice() {
            [only] if !only.is_empty() => Ok(self.resolve(only).await?.as_deref() == Some(user)),
            _ => Ok(false),
        }
    }

    async fn resolve(&self, address: &str) -> Result<Option<String>, SubmitError> {
        self.resolver
            .resolve(address)
            .await
            .map_err(|e| SubmitError::Resolve(e.0))
    }

    /// The copy in Sent Items, marked read.
    async fn save_sent(&self, user: &str, raw: &[u8], seconds: i64) -> Result<(), MailError> {
        self.store.ensure_mailbox(user).await?;
        let sent = self
            .store
            .hierarchy(user)
            .await?
            .folders
            .into_iter()
            .find(|f| f.folder_type == FolderType::SentItems)
            .ok_or_else(|| MailError::FolderNotFound("sent items".to_owned()))?;
        let change = self
            .store
            .deliver(user, Some(sent.id), raw, seconds)
            .await?;
        self.store.set_read(user, change.id, true).await?;
        Ok(())
    }
}
