//! One LMTP connection: the command loop, the transaction state and the replies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

use super::command::{self, Command, SyntaxError};
use super::reader::{self, Body, Segment};
use super::{LmtpConfig, RecipientResolver};
use crate::error::MailError;
use crate::mail_store::MailStore;

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
    /// Accepted recipients: as the client wrote them, and the mailbox they resolved to.
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
                        output
                            .write_all(b"354 start mail input; end with <CRLF>.<CRLF>\r\n")
                            .await?;
                        output.flush().await?;
                        let body = reader::read_body(
                            &mut input,
                            config.max_message_size,
                            config.idle_timeout,
                        )
                        .await?;
                        let recipients = std::mem::take(&mut tx).recipients;
                        if matches!(body, Body::Closed) {
                            return Ok(());
                        }
                        data_replies(&shared, peer, &recipients, body, &mut output).await?;
                        continue;
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
        return "452 4.5.3 too many recipients".into();
    }
    match shared.resolver.resolve(&to).await {
        Ok(Some(user)) => {
            tx.recipients.push((to, user));
            "250 2.1.5 recipient ok".into()
        }
        Ok(None) => {
            tracing::info!(%peer, recipient = %to, "lmtp recipient unknown");
            format!("550 5.1.1 <{to}> unknown recipient")
        }
        Err(error) => {
            tracing::warn!(%peer, recipient = %to, %error, "lmtp recipient lookup failed");
            "451 4.3.0 temporary recipient lookup failure".into()
        }
    }
}

/// RFC 2033 section 4.2: one reply per accepted recipient, in RCPT order, each sent as soon
/// as that recipient's copy is committed.
async fn data_replies<W: AsyncWrite + Unpin>(
    shared: &Shared,
    peer: SocketAddr,
    recipients: &[(String, String)],
    body: Body,
    output: &mut W,
) -> std::io::Result<()> {
    let Body::Complete(message) = body else {
        tracing::info!(%peer, recipients = recipients.len(), "lmtp message too large");
        for _ in recipients {
            output
                .write_all(b"552 5.3.4 message too big for system\r\n")
                .await?;
        }
        return output.flush().await;
    };
    let received_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    for (to, user) in recipients {
        let reply = match shared
            .store
            .deliver(user, None, &message, received_at)
            .await
        {
            Ok(_) => format!("250 2.1.5 <{to}> delivered\r\n"),
            Err(MailError::Unparseable) => format!("554 5.6.0 <{to}> message cannot be parsed\r\n"),
            Err(error) => {
                tracing::warn!(%peer, user = %user, %error, "lmtp delivery failed");
                format!("451 4.3.0 <{to}> temporary delivery failure\r\n")
            }
        };
        output.write_all(reply.as_bytes()).await?;
        output.flush().await?;
    }
    Ok(())
}
