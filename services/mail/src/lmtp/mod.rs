//! LMTP (RFC 2033) listener: accepts mail from the MTA and delivers it into mailboxes, with one
//! reply per recipient after DATA, each sent only once that recipient's copy is committed.

mod command;
mod reader;
mod session;
mod spool;
pub(crate) mod walk;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::Semaphore;

use crate::mail_store::MailStore;

/// The recipient lookup failed for a reason other than "no such user"; the client is told to
/// retry later (451).
#[derive(Debug, thiserror::Error)]
#[error("recipient lookup failed: {0}")]
pub struct ResolveError(pub String);

/// Maps an envelope recipient to the canonical address of a mailbox, or `None` when no user
/// has that address (answered 550 5.1.1). The server plugs the directory in here.
#[async_trait]
pub trait RecipientResolver: Send + Sync + 'static {
    async fn resolve(&self, address: &str) -> Result<Option<String>, ResolveError>;
}

/// Limits and names of an LMTP listener.
#[derive(Debug, Clone)]
pub struct LmtpConfig {
    /// Announced in the greeting and in the LHLO reply.
    pub hostname: String,
    /// Largest message accepted, in bytes (RFC 1870 SIZE).
    pub max_message_size: usize,
    /// Most recipients of one transaction; more are answered 452 4.5.3.
    pub max_recipients: usize,
    /// Longest command line, CRLF included. RFC 5321 section 4.5.3.1.4 asks for at least 512.
    pub max_line_length: usize,
    /// The connection closes (421) when the client sends nothing for this long.
    pub idle_timeout: Duration,
    /// Sessions served at once; a connection beyond them is answered `421 4.3.2` and closed
    /// at once, so that idle or slow clients cannot stop the listener from accepting.
    pub max_connections: usize,
    /// Where DATA is spooled while it is received (unnamed temporary files, gone when the
    /// transaction ends).
    pub spool_dir: PathBuf,
}

impl Default for LmtpConfig {
    fn default() -> Self {
        LmtpConfig {
            hostname: "localhost".to_owned(),
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            max_line_length: 2048,
            idle_timeout: Duration::from_secs(300),
            max_connections: 200,
            spool_dir: std::env::temp_dir(),
        }
    }
}

/// A bound LMTP listener.
pub struct LmtpServer {
    listener: TcpListener,
    shared: Arc<session::Shared>,
    slots: Arc<Semaphore>,
}

/// How long a connection over the limit may take to read its 421 before it is dropped.
const SHED_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

impl LmtpServer {
    pub async fn bind(
        addr: impl ToSocketAddrs,
        config: LmtpConfig,
        resolver: Arc<dyn RecipientResolver>,
        store: MailStore,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(LmtpServer {
            listener,
            slots: Arc::new(Semaphore::new(config.max_connections.max(1))),
            shared: Arc::new(session::Shared {
                config,
                resolver,
                store,
            }),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until `shutdown` completes; each connection runs in its own task.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                            tokio::spawn(shed(stream, peer, self.shared.config.hostname.clone()));
                            continue;
                        };
                        let shared = self.shared.clone();
                        tokio::spawn(async move {
                            if let Err(error) = session::run(stream, peer, shared).await {
                                tracing::debug!(%peer, %error, "lmtp connection ended with an error");
                            }
                            drop(slot);
                        });
                    }
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "lmtp accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    }

    /// Accepts connections forever.
    pub async fn run(self) {
        self.run_until(std::future::pending()).await;
    }
}

/// Turns away a connection over `max_connections`: RFC 5321 section 3.8 lets a server answer
/// the connection with 421 and close it; the MTA retries later.
async fn shed(mut stream: TcpStream, peer: SocketAddr, host: String) {
    tracing::info!(%peer, "lmtp connection refused: too many connections");
    crate::metrics::refused(crate::metrics::Refusal::TooManySessions, 1);
    let reply = format!("421 4.3.2 {host} too many connections, try again later\r\n");
    let _ = tokio::time::timeout(SHED_WRITE_TIMEOUT, async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}
