//! Serving a [`Service`] on a listener, over plain HTTP/1.1 or TLS (rustls), with a connection
//! cap ([`ConnectionGate`]) and graceful shutdown.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::conn::serve_admitted;
use crate::gate::ConnectionGate;
use crate::{Limits, Service};

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

/// Serves `service` on `listener` with the default [`Limits`] until `shutdown` turns true;
/// in-flight requests then finish.
pub async fn serve(
    listener: TcpListener,
    service: impl Into<Service>,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    serve_with(listener, service.into(), tls, Limits::default(), shutdown).await
}

/// The answer to a connection over the cap when no connection can be shed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 5\r\nconnection: close\r\n\r\n";

/// Refuses a connection over the cap without spending a task or a wait on it: what the client
/// already sent is drained (so that closing does not reset the connection before the answer is
/// read), a 503 is written into the empty socket buffer (plain HTTP only: a TLS client expects a
/// handshake), and the socket is closed.
fn refuse_busy(stream: TcpStream, tls: bool) {
    let mut junk = [0u8; 1024];
    for _ in 0..8 {
        match stream.try_read(&mut junk) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
    if !tls {
        let _ = stream.try_write(BUSY);
    }
}

/// [`serve`] with limits of the caller's choosing. At most `limits.max_connections` are open at
/// once: at the cap the longest-idle connection is closed to make room, and when every
/// connection is busy a new one gets a 503 at once. The loop itself never waits on a client, so
/// the listener keeps accepting however many idle sockets a client holds open.
pub async fn serve_with(
    listener: TcpListener,
    service: Service,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let gate = ConnectionGate::new(limits.max_connections);
    let mut conns = tokio::task::JoinSet::new();
    let mut refused: u64 = 0;
    let mut last_warning: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Some(permit) = gate.admit() else {
            refuse_busy(stream, tls.is_some());
            refused += 1;
            if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                tracing::warn!(
                    max_connections = gate.max(),
                    refused,
                    "connection cap reached with every connection busy: refusing new connections"
                );
                last_warning = Some(Instant::now());
                refused = 0;
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let mut stop = shutdown.clone();
        match &tls {
            None => {
                conns.spawn(serve_admitted(stream, service, peer, limits, stop, permit));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    let mut idle = permit.idle();
                    let handshake =
                        tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(stream));
                    let accepted = tokio::select! {
                        r = handshake => r,
                        _ = idle.shed() => return,
                        _ = stop.changed() => return,
                    };
                    drop(idle);
                    match accepted {
                        Ok(Ok(s)) => serve_admitted(s, service, peer, limits, stop, permit).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "tls handshake failed"),
                        Err(_) => tracing::debug!(%peer, "tls handshake too slow"),
                    }
                });
            }
        }
        // Reap finished connections so the set does not grow without bound.
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}
