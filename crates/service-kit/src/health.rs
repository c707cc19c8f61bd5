//! Liveness and readiness over HTTP for the cluster services that speak no HTTP of their own
//! (`eas-mail`, `eas-push`), for Kubernetes `httpGet` probes: `GET /healthz` answers 200 while
//! the process serves at all; `GET /readyz` runs the service's own check (its database, Redis,
//! Kafka) and answers 200, or 503 with the reason so that an operator sees what is missing.
//! `GET /metrics` serves the process's Prometheus metrics ([`crate::metrics`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

/// A readiness check: `Ok` when the service can do its work, otherwise what it cannot reach.
pub type ReadyCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// How long `/readyz` waits for the whole check before it answers 503. Checks bound their own
/// parts more tightly so that the answer names what did not respond; a probe's
/// `timeoutSeconds` should be above this.
pub const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// When `addr` is set: binds it, prints `health: <address>` (the line scripts wait for) and
/// serves the probes in a background task until `shutdown` resolves.
pub async fn spawn_health(
    addr: Option<SocketAddr>,
    ready: ReadyCheck,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Some(addr) = addr else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the health listener on {addr}"))?;
    crate::announce(format_args!("health: {}", listener.local_addr()?));
    tokio::spawn(async move {
        if let Err(e) = serve_health(listener, ready, shutdown).await {
            tracing::error!(error = %e, "health listener failed");
        }
    });
    Ok(())
}

/// Serves `/healthz`, `/readyz` and `/metrics` on `listener` until `shutdown` resolves.
pub async fn serve_health(
    listener: tokio::net::TcpListener,
    ready: ReadyCheck,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::handler))
        .with_state(ready);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn readyz(State(ready): State<ReadyCheck>) -> (StatusCode, String) {
    match tokio::time::timeout(READY_TIMEOUT, ready()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready".into()),
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}"),
            )
        }
        Err(_) => {
            tracing::warn!(
                seconds = READY_TIMEOUT.as_secs(),
                "readiness check timed out"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "not ready: the check took longer than {} s",
                    READY_TIMEOUT.as_secs()
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU8, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out[9..12].parse().unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
        (status, body)
    }

    #[tokio::test]
    async fn readyz_follows_the_check_and_healthz_does_not() {
        // 0: ready, 1: failing, 2: hanging past the timeout.
        let mode = Arc::new(AtomicU8::new(0));
        let check: ReadyCheck = {
            let mode = mode.clone();
            Arc::new(move || {
                let m = mode.load(Ordering::SeqCst);
                Box::pin(async move {
                    match m {
                        0 => Ok(()),
                        1 => Err("redis: connection refused".to_string()),
                        _ => {
                            tokio::time::sleep(READY_TIMEOUT * 2).await;
                            Ok(())
                        }
                    }
                })
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_health(listener, check, async move {
            let _ = stopped.await;
        }));

        assert_eq!(get(addr, "/healthz").await, (200, "ok".into()));
        assert_eq!(get(addr, "/readyz").await, (200, "ready".into()));
        mode.store(1, Ordering::SeqCst);
        assert_eq!(
            get(addr, "/readyz").await,
            (503, "not ready: redis: connection refused".into())
        );
        assert_eq!(get(addr, "/healthz").await.0, 200);
        assert_eq!(get(addr, "/nothing").await.0, 404);
        crate::metrics::register_gauge_fn("kit_test_health_probe", "Probe test", || 4);
        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("\nkit_test_health_probe 4\n"), "{body}");

        mode.store(2, Ordering::SeqCst);
        let (status, body) = get(addr, "/readyz").await;
        assert_eq!(status, 503);
        assert!(body.contains("longer than"), "{body}");

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
