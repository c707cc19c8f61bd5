//! Assembling a running mail service from a store: LMTP listener, relay worker, submission and
//! the gRPC service. Used by the `eas-mail` binary (cluster) and by the one-process server.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use eas_directory::{Directory, DirectoryError};
use tokio::sync::watch;

use crate::grpc::MailService;
use crate::lmtp::{LmtpConfig, LmtpServer, RecipientResolver, ResolveError};
use crate::submit::relay::{RelayConfig, RelayWorker};
use crate::submit::Submitter;
use crate::MailStore;

/// LMTP recipients are the directory's users and aliases.
pub struct DirectoryRecipients(pub Directory);

#[async_trait]
impl RecipientResolver for DirectoryRecipients {
    async fn resolve(&self, address: &str) -> Result<Option<String>, ResolveError> {
        match self.0.get_user(address).await {
            Ok(user) => Ok(Some(user.address)),
            Err(DirectoryError::NotFound { .. }) | Err(DirectoryError::InvalidAddress(_)) => {
                Ok(None)
            }
            Err(e) => Err(ResolveError(e.to_string())),
        }
    }
}

/// The parts of a mail service, bound and ready to run.
pub struct MailRuntime {
    /// The gRPC service (for a TCP server or an in-process channel).
    pub service: MailService,
    lmtp: LmtpServer,
    relay: Option<RelayWorker>,
}

impl MailRuntime {
    /// Binds LMTP on `lmtp_listen` and wires submission (with a relay worker when `relay` is
    /// set; without one, mail to external recipients is refused).
    pub async fn build(
        store: MailStore,
        directory: Directory,
        lmtp_listen: SocketAddr,
        max_message_bytes: usize,
        relay: Option<RelayConfig>,
    ) -> std::io::Result<MailRuntime> {
        let lmtp = LmtpConfig {
            max_message_size: max_message_bytes,
            ..LmtpConfig::default()
        };
        Self::build_with(store, directory, lmtp_listen, lmtp, relay).await
    }

    /// Like [`MailRuntime::build`] with every LMTP setting (spool directory, connection cap,
    /// timeouts) given.
    pub async fn build_with(
        store: MailStore,
        directory: Directory,
        lmtp_listen: SocketAddr,
        lmtp: LmtpConfig,
        relay: Option<RelayConfig>,
    ) -> std::io::Result<MailRuntime> {
        crate::metrics::register_all();
        let recipients: Arc<dyn RecipientResolver> = Arc::new(DirectoryRecipients(directory));
        let (relay, relay_handle) = match relay {
            Some(config) => {
                let (worker, handle) = RelayWorker::new(store.clone(), config);
                (Some(worker), Some(handle))
            }
            None => (None, None),
        };
        let submitter = Submitter::new(store.clone(), recipients.clone(), relay_handle);
        let service = MailService::new(store.clone()).with_submitter(submitter);
        let lmtp = LmtpServer::bind(lmtp_listen, lmtp, recipients, store).await?;
        Ok(MailRuntime {
            service,
            lmtp,
            relay,
        })
    }

    /// Tells `collector` (the contacts service) the recipients of every message submitted.
    pub fn with_collector(
        mut self,
        collector: Arc<dyn crate::submit::collect::RecipientCollector>,
    ) -> Self {
        self.service = self.service.with_collector(collector);
        self
    }

    /// The bound LMTP address.
    pub fn lmtp_addr(&self) -> std::io::Result<SocketAddr> {
        self.lmtp.local_addr()
    }

    /// Runs LMTP and the relay worker in background tasks until `stop` turns true; the handle
    /// ends when LMTP has stopped accepting.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        if let Some(relay) = self.relay {
            let mut relay_stop = stop.clone();
            tokio::spawn(relay.run_until(async move {
                let _ = relay_stop.wait_for(|s| *s).await;
            }));
        }
        let mut lmtp_stop = stop;
        tokio::spawn(self.lmtp.run_until(async move {
            let _ = lmtp_stop.wait_for(|s| *s).await;
        }))
    }
}
