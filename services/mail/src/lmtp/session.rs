//! One LMTP connection: the command loop, the transaction state and the replies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

use super::command::{self, Command, SyntaxError};
use super::reader::{self, Body, Segment};
use super::spool::Spool;
use super::walk::{self, Walked};
use super::{LmtpConfig, RecipientResolver};
use crate::error::MailError;
use crate::mail_store::MailStore;
use crate::metrics::{self, Refusal};

/// What every connection of one listener shares.
pub(super) struct Shared {
    pub config: LmtpConfig,
    pub resolver: Arc<dyn RecipientResolver>,
    pub store: MailStore,
}

/// One mail transaction: MAIL, then RCPTs, then DATA (RFC 5321 section 3.3).
#[derive(Default)]
struct Transaction {
    started: bool,
    /// Accepted recipients: as the client wrote them, and the mailbox they resolved to. A
    /// mailbox named twice (twice the same address, or an address and its alias) is listed
    /// twice but receives one copy.
    recipients: Vec<(String, String)>,
}

pub(super) async fn run<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (read, write) = tokio::io::split(stream);
    let mut input = BufReader::new(read);
    let mut output = BufWriter::new(write);
    let config = &shared.config;
    let host = config.hostname.as_str();
    output
        .write_all(format!("220 {host} LMTP ready\r\n").as_bytes())
        .await?;
    output.flush().await?;
    let mut greeted = false;
    let mut tx = Transaction::default();
    let mut line = Vec::with_capacity(256);
    loop {
        let segment = match reader::timed_segment(
            &mut input,
            config.max_line_length,
            &mut line,
            config.idle_timeout,
        )
        .await
        {
            Ok(segment) => segment,
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {
                tracing::debug!(%peer, "lmtp idle timeout");
                let reply = format!("421 4.4.2 {host} idle timeout, closing connection\r\n");
                output.write_all(reply.as_bytes()).await?;
                output.flush().await?;
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let reply: String = match segment {
            Segment::Eof => return Ok(()),
            Segment::Partial => {
                // Drop the rest of the overlong line before answering it.
                let mut rest = Vec::new();
                while reader::timed_segment(
                    &mut input,
                    config.max_line_length,
                    &mut rest,
                    config.idle_timeout,
                )
                .await?
                    == Segment::Partial
                {}
                "500 5.5.2 line too long".into()
            }
            Segment::Line => match command::parse(reader::trim_line_end(&line)) {
                Err(SyntaxError::Arguments(usage)) => format!("501 5.5.4 {usage}"),
                Err(SyntaxError::Parameter) => "555 5.5.4 unsupported parameter".into(),
                Ok(Command::Lhlo(_)) => {
                    greeted = true;
                    tx = Transaction::default();
                    // RFC 2033 section 4.1 with the extensions of RFC 2920, 2034, 6152 and 1870.
                    format!(
                        "250-{host}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n\
                         250-8BITMIME\r\n250 SIZE {}",
                        config.max_message_size
                    )
                }
                Ok(Command::Helo) => "500 5.5.1 this is an LMTP server, use LHLO".into(),
                Ok(Command::Mail { size, .. }) => {
                    if !greeted {
                        "503 5.5.1 send LHLO first".into()
                    } else if tx.started {
                        "503 5.5.1 nested MAIL command".into()
                    } else if size.is_some_and(|s| s > config.max_message_size as u64) {
                        // RFC 1870 section 6.
                        metrics::refused(Refusal::TooLarge, 1);
                        "552 5.3.4 message size exceeds fixed maximum message size".into()
                    } else {
                        tx.started = true;
                        "250 2.1.0 sender ok".into()
                    }
                }
                Ok(Command::Rcpt { to }) => rcpt(&shared, &mut tx, peer, to).await,
                Ok(Command::Data) => {
                    if !tx.started {
                        "503 5.5.1 need MAIL command".into()
                    } else if tx.recipients.is_empty() {
                        "503 5.5.1 no valid recipients".into()
                    } else {
                        match Spool::create(&config.spool_dir).await {
                            Err(error) => {
                                tracing::warn!(%peer, %error, "lmtp spool not created");
                                metrics::refused(Refusal::NotSpooled, tx.recipients.len());
                                tx = Transaction::default();
                                "451 4.3.0 cannot accept data now, try again later".into()
                            }
                            Ok(mut spool) => {
                                output
                                    .write_all(b"354 start mail input; end with <CRLF>.<CRLF>\r\n")
                                    .await?;
                                output.flush().await?;
                                let body = reader::read_body(
                                    &mut input,
                                    config.max_message_size as u64,
                                    config.idle_timeout,
                                    &mut spool,
                                )
                                .await?;
                                let recipients = std::mem::take(&mut tx).recipients;
                                if body == Body::Closed {
                                    return Ok(());
                                }
                                let replies = data_replies(
                                    &shared,
                                    peer,
                                    &recipients,
                                    body,
                                    spool,
                                    &mut output,
                                );
                                in_delivery_span(peer, recipients.len(), replies).await?;
                                continue;
                            }
                        }
                    }
                }
                Ok(Command::Rset) => {
                    tx = Transaction::default();
                    "250 2.0.0 ok".into()
                }
                Ok(Command::Noop) => "250 2.0.0 ok".into(),
                Ok(Command::Quit) => {
                    output
                        .write_all(format!("221 2.0.0 {host} closing connection\r\n").as_bytes())
                        .await?;
                    output.flush().await?;
                    return Ok(());
                }
                Ok(Command::Unknown) => "500 5.5.2 command not recognized".into(),
            },
        };
        output.write_all(reply.as_bytes()).await?;
        output.write_all(b"\r\n").await?;
        // RFC 2920 section 3.2: replies of a pipelined group may wait until the client's
        // input is used up, then go out together.
        if input.buffer().is_empty() {
            output.flush().await?;
        }
    }
}

async fn rcpt(shared: &Shared, tx: &mut Transaction, peer: SocketAddr, to: String) -> String {
    if !tx.started {
        return "503 5.5.1 need MAIL command".into();
    }
    if tx.recipients.len() >= shared.config.max_recipients {
        metrics::refused(Refusal::TooManyRecipients, 1);
        return "452 4.5.3 too many recipients".into();
    }
    match shared.resolver.resolve(&to).await {
        Ok(Some(user)) => {
            tx.recipients.push((to, user));
            "250 2.1.5 recipient ok".into()
        }
        Ok(None) => {
            tracing::info!(%peer, recipient = %to, "lmtp recipient unknown");
            metrics::refused(Refusal::UnknownRecipient, 1);
            format!("550 5.1.1 <{to}> unknown recipient")
        }
        Err(error) => {
            tracing::warn!(%peer, recipient = %to, %error, "lmtp recipient lookup failed");
            metrics::refused(Refusal::LookupFailed, 1);
            "451 4.3.0 temporary recipient lookup failure".into()
        }
    }
}

/// Runs one message's delivery (`replies`) in an OpenTelemetry server span, `LMTP DATA`, when
/// tracing is on: the change events of the delivery continue its trace to the phones' Pings
/// (docs/observability.md, "Traces"). No semantic convention covers LMTP; the span has
/// `network.protocol.name` `lmtp`, `client.address` and the number of recipients.
async fn in_delivery_span(
    peer: SocketAddr,
    recipients: usize,
    replies: impl std::future::Future<Output = std::io::Result<()>>,
) -> std::io::Result<()> {
    use eas_service_kit::telemetry::{self, opentelemetry};
    use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt as _};
    use opentelemetry::{Context, KeyValue};
    let Some(cx) = telemetry::start("LMTP DATA", SpanKind::Server, &Context::new(), || {
        vec![
            KeyValue::new("network.protocol.name", "lmtp"),
            KeyValue::new("client.address", peer.ip().to_string()),
            KeyValue::new("eas.lmtp.recipients", recipients as i64),
        ]
    }) else {
        return replies.await;
    };
    let result = replies.with_context(cx.clone()).await;
    if let Err(e) = &result {
        cx.span().set_status(Status::error(e.to_string()));
    }
    telemetry::end(&cx);
    result
}

/// RFC 2033 section 4.2: one reply per accepted recipient, in RCPT order, each sent as soon
/// as that recipient's copy is committed. The message is parsed once for all of them, and a
/// mailbox named twice gets one copy and the same reply twice.
async fn data_replies<W: AsyncWrite + Unpin>(
    shared: &Shared,
    peer: SocketAddr,
    recipients: &[(String, String)],
    body: Body,
    spool: Spool,
    output: &mut W,
) -> std::io::Result<()> {
    let failure: Option<(&str, Refusal)> = match body {
        Body::Complete => None,
        Body::TooLarge => {
            tracing::info!(%peer, recipients = recipients.len(), "lmtp message too large");
            // RFC 5321 section 4.5.3.1.10 and RFC 1870 section 6.
            Some(("552 5.3.4 message too big for system", Refusal::TooLarge))
        }
        Body::SpoolFailed | Body::Closed => Some((
            "451 4.3.0 message not spooled, try again later",
            Refusal::NotSpooled,
        )),
    };
    if let Some((reply, why)) = failure {
        metrics::refused(why, recipients.len());
        for _ in recipients {
            output.write_all(reply.as_bytes()).await?;
            output.write_all(b"\r\n").await?;
        }
        return output.flush().await;
    }
    let file = match spool.into_file().await {
        Ok(file) => file,
        Err(error) => {
            tracing::warn!(%peer, %error, "lmtp spool not flushed");
            metrics::refused(Refusal::NotSpooled, recipients.len());
            for _ in recipients {
                output
                    .write_all(b"451 4.3.0 message not spooled, try again later\r\n")
                    .await?;
            }
            return output.flush().await;
        }
    };
    let received_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    let prepared = Prepared::read(file).await;
    let parsed = match &prepared {
        Ok(prepared) => crate::parse::parse(prepared.bytes()).map_err(|_| Outcome::Unparseable),
        Err(error) => {
            tracing::warn!(%peer, %error, "lmtp spool not read back");
            Err(Outcome::Failed)
        }
    };
    let max_search_text = shared.store.options().max_search_text;
    let new = match (&prepared, &parsed) {
        (Ok(prepared), Ok(message)) => prepared.index(message, received_at, max_search_text),
        (_, Err(outcome)) => Err(*outcome),
        (Err(_), _) => Err(Outcome::Failed),
    };
    // The outcome of each mailbox already delivered in this transaction.
    let mut done: Vec<(&str, Outcome)> = Vec::with_capacity(recipients.len());
    for (to, user) in recipients {
        let outcome = match done.iter().find(|(mailbox, _)| mailbox == user) {
            Some((_, outcome)) => *outcome,
            None => {
                let outcome = match &new {
                    Err(outcome) => *outcome,
                    Ok(new) => match shared.store.deliver_indexed(user, None, new).await {
                        Ok(_) => Outcome::Delivered,
                        Err(MailError::Unparseable) => Outcome::Unparseable,
                        Err(error) => {
                            tracing::warn!(%peer, user = %user, %error, "lmtp delivery failed");
                            Outcome::Failed
                        }
                    },
                };
                done.push((user, outcome));
                outcome
            }
        };
        match outcome {
            Outcome::Delivered => metrics::delivered(),
            Outcome::Unparseable => metrics::refused(Refusal::Unparseable, 1),
            Outcome::Failed => metrics::refused(Refusal::DeliveryFailed, 1),
        }
        let reply = match outcome {
            Outcome::Delivered => format!("250 2.1.5 <{to}> delivered\r\n"),
            Outcome::Unparseable => format!("554 5.6.0 <{to}> message cannot be parsed\r\n"),
            // A full disk or a database that is down: the MTA keeps the message and retries.
            Outcome::Failed => format!("451 4.3.0 <{to}> temporary delivery failure\r\n"),
        };
        output.write_all(reply.as_bytes()).await?;
        output.flush().await?;
    }
    Ok(())
}

/// What became of one mailbox's copy.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Delivered,
    Unparseable,
    Failed,
}

/// Bodies longer than this are left out of the in-memory parse when they are attachments.
const ELIDE_AT: u64 = 256 * 1024;

/// A spooled message made ready for indexing, once for all its recipients: the skeleton that
/// mail-parser reads (large attachment bodies left out), or the whole message when leaving
/// them out did not work.
struct Prepared {
    file: Arc<std::fs::File>,
    walked: Walked,
    /// The whole message, read only when the skeleton could not be used.
    whole: Option<Vec<u8>>,
}

impl Prepared {
    async fn read(file: Arc<std::fs::File>) -> Result<Prepared, MailError> {
        let walk_file = file.clone();
        let walked = tokio::task::spawn_blocking(move || walk::walk(walk_file, ELIDE_AT))
            .await
            .map_err(|e| MailError::Spool(e.to_string()))?
            .map_err(|e| MailError::Spool(e.to_string()))?;
        let mut prepared = Prepared {
            file,
            walked,
            whole: None,
        };
        if !prepared.walked.elided.is_empty() && !prepared.skeleton_fits() {
            // The structure was not what the walk expected: parse the whole message.
            tracing::debug!(size = prepared.walked.size, "lmtp message parsed whole");
            let (file, size) = (prepared.file.clone(), prepared.walked.size);
            let len = usize::try_from(size).map_err(|e| MailError::Spool(e.to_string()))?;
            let whole = tokio::task::spawn_blocking(move || crate::blob::read_at(&file, 0, len))
                .await
                .map_err(|e| MailError::Spool(e.to_string()))?
                .map_err(|e| MailError::Spool(e.to_string()))?;
            prepared.walked.skeleton = Vec::new();
            prepared.whole = Some(whole);
        }
        Ok(prepared)
    }

    /// What mail-parser reads.
    fn bytes(&self) -> &[u8] {
        self.whole.as_deref().unwrap_or(&self.walked.skeleton)
    }

    /// True when every left-out body is one attachment of the skeleton's parse.
    fn skeleton_fits(&self) -> bool {
        crate::parse::parse(&self.walked.skeleton).is_ok_and(|message| {
            crate::parse::index_walked(&self.walked, &self.file, &message, 0, 0).is_some()
        })
    }

    /// The indexed fields of `message`, the parse of [`Prepared::bytes`].
    fn index<'m>(
        &'m self,
        message: &'m mail_parser::Message<'m>,
        received_at: i64,
        max_search_text: usize,
    ) -> Result<crate::parse::NewMessage<'m>, Outcome> {
        match &self.whole {
            Some(whole) => Ok(crate::parse::index(
                whole,
                message,
                received_at,
                max_search_text,
            )),
            // Always fits: checked in `read` when something was left out, and trivially
            // true when nothing was.
            None => crate::parse::index_walked(
                &self.walked,
                &self.file,
                message,
                received_at,
                max_search_text,
            )
            .ok_or(Outcome::Failed),
        }
    }
}
