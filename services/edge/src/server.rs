//! Serving a router on a listener, over plain HTTP/1.1 or TLS (rustls), with graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::http1::{serve_connection, Limits, Service};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("no certificate in {0}")]
    NoCertificate(String),
    #[error("no private key in {0}")]
    NoKey(String),
    #[error("tls configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// TLS files of a listener; both or neither must be set.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct TlsSettings {
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
}

impl TlsSettings {
    /// The acceptor when both files are set, `None` when neither is.
    pub fn acceptor(&self) -> Result<Option<TlsAcceptor>, String> {
        match (&self.cert, &self.key) {
            (Some(c), Some(k)) => tls_acceptor(c, k).map(Some).map_err(|e| e.to_string()),
            (None, None) => Ok(None),
            _ => Err("tls needs both tls.cert and tls.key".into()),
        }
    }
}

/// A TLS acceptor from PEM certificate chain and private key files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Read {
            path: cert.display().to_string(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert.display().to_string()));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|source| TlsError::Read {
            path: key.display().to_string(),
            source,
        })?
        .ok_or_else(|| TlsError::NoKey(key.display().to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `service` on `listener` until `shutdown` turns true; in-flight requests then finish.
/// Connections are served by [`crate::http1`], which keeps no buffer while a response is pending.
pub async fn serve(
    listener: TcpListener,
    service: impl Into<Service>,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    serve_with(listener, service.into(), tls, Limits::default(), shutdown).await
}

/// [`serve`] with connection limits of the caller's choosing.
pub async fn serve_with(
    listener: TcpListener,
    service: Service,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let stop = shutdown.clone();
        match &tls {
            None => {
                conns.spawn(serve_connection(stream, service, peer, limits, stop));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(s) => serve_connection(s, service, peer, limits, stop).await,
                        Err(e) => tracing::debug!(%peer, error = %e, "tls handshake failed"),
                    }
                });
            }
        }
        // Reap finished connections so the set does not grow without bound.
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

/// The bound listeners of an edge: phone-facing (plain or TLS) and admin.
pub struct EdgeListeners {
    pub eas: TcpListener,
    pub admin: TcpListener,
    pub tls: Option<TlsAcceptor>,
}

impl EdgeListeners {
    /// Binds the phone-facing and admin addresses; TLS on the phone-facing one when set.
    pub async fn bind(
        listen: SocketAddr,
        admin_listen: SocketAddr,
        tls: &TlsSettings,
    ) -> Result<EdgeListeners, String> {
        let tls = tls.acceptor()?;
        let eas = TcpListener::bind(listen)
            .await
            .map_err(|e| format!("binding {listen}: {e}"))?;
        let admin = TcpListener::bind(admin_listen)
            .await
            .map_err(|e| format!("binding {admin_listen}: {e}"))?;
        Ok(EdgeListeners { eas, admin, tls })
    }

    /// Prints the machine-readable lines that tests and scripts wait for.
    pub fn announce(&self) -> std::io::Result<()> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        eas_service_kit::announce(format_args!(
            "eas endpoint: {scheme}://{}/Microsoft-Server-ActiveSync",
            self.eas.local_addr()?
        ));
        eas_service_kit::announce(format_args!(
            "admin api: http://{}/admin",
            self.admin.local_addr()?
        ));
        Ok(())
    }

    /// Serves the EAS and admin routers until `stop` resolves. Held Pings are answered first
    /// (status 1, so phones move to another replica during a rolling restart), then in-flight
    /// requests finish.
    pub async fn serve_until(
        self,
        edge: Arc<crate::Edge>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let limits = edge.config.http.limits();
        let eas = tokio::spawn(serve_with(
            self.eas,
            crate::eas_service(edge.clone()),
            self.tls,
            limits,
            stop_rx.clone(),
        ));
        let admin = tokio::spawn(serve_with(
            self.admin,
            crate::admin_router(edge.clone()).into(),
            None,
            limits,
            stop_rx,
        ));
        stop.await;
        tracing::info!("shutting down");
        if let Some(hub) = edge.push() {
            hub.shutdown();
        }
        let _ = stop_tx.send(true);
        let _ = tokio::join!(eas, admin);
    }
}
