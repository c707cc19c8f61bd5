//! The edge's listeners: the phone-facing one (plain or TLS) and the admin API, each served by
//! [`eas_http1`] with a connection cap of its own, so that a flood on one cannot starve the
//! other.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

pub use eas_http1::{serve, serve_with, tls_acceptor, TlsError};

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

    /// Serves the EAS and admin routers until `stop` resolves, then drains
    /// ([`crate::config::DrainConfig`]): `/readyz` on the admin listener answers 503 at once,
    /// everything else is served as before for `edge.drain.delay_seconds`; then the listeners
    /// close, idle connections close, held Pings are answered (status 1) and held Syncs as their
    /// heartbeat ending would, every response carrying `Connection: close`, so that phones move
    /// to another replica during a rolling restart; requests still running get
    /// `edge.drain.timeout_seconds` more before this returns.
    pub async fn serve_until(
        self,
        edge: Arc<crate::Edge>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let draining = Arc::new(AtomicBool::new(false));
        let limits = edge.config.http.limits();
        let admin_limits = edge.config.http.admin_limits();
        tracing::info!(
            max_connections = limits.max_connections,
            admin_max_connections = admin_limits.max_connections,
            open_file_limit = eas_http1::open_file_limit(),
            "connection caps"
        );
        let mut eas = tokio::spawn(serve_with(
            self.eas,
            crate::eas_service(edge.clone()),
            self.tls,
            limits,
            stop_rx.clone(),
        ));
        let admin_app = crate::admin_router(edge.clone()).merge(readiness(draining.clone()));
        let mut admin = tokio::spawn(serve_with(
            self.admin,
            admin_app.into(),
            None,
            admin_limits,
            stop_rx,
        ));
        stop.await;
        let drain = &edge.config.drain;
        draining.store(true, Ordering::SeqCst);
        tracing::info!(
            delay_seconds = drain.delay_seconds,
            held = edge.push().map_or(0, |hub| hub.held()),
            "shutting down: not ready; held requests are answered after the delay"
        );
        tokio::time::sleep(Duration::from_secs(drain.delay_seconds)).await;
        // Stop first, so that the answers below close their connections.
        let _ = stop_tx.send(true);
        if let Some(hub) = edge.push() {
            tracing::info!(held = hub.held(), "answering held requests");
            hub.shutdown();
        }
        let finished = tokio::time::timeout(Duration::from_secs(drain.timeout_seconds), async {
            let _ = tokio::join!(&mut eas, &mut admin);
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                timeout_seconds = drain.timeout_seconds,
                "requests still running at the end of the drain; they are cut off"
            );
            eas.abort();
            admin.abort();
        }
    }
}

/// `GET /readyz` for the admin listener: 200 `ready` until shutdown starts, then 503, so that
/// Kubernetes takes the replica out of its Service while it drains.
fn readiness(draining: Arc<AtomicBool>) -> axum::Router {
    axum::Router::new().route(
        "/readyz",
        axum::routing::get(move || {
            let draining = draining.load(Ordering::SeqCst);
            async move {
                if draining {
                    (StatusCode::SERVICE_UNAVAILABLE, "not ready: shutting down")
                } else {
                    (StatusCode::OK, "ready")
                }
            }
        }),
    )
}
