//! A lean HTTP/1.1 server (RFC 9112) for the edge's routers: while a response is pending, such
//! as a held Ping or Sync, a connection keeps only its socket and the handler's own state, with
//! no read or write buffer (hyper keeps 8 KiB of each per connection; docs/benchmarks.md,
//! "memory per held Ping"; docs/architecture.md says why this is not hyper).
//!
//! What it does: request heads parsed by `httparse` and checked strictly (CRLF line ends, one
//! `Host`; [`head`]); `Content-Length` and chunked request bodies (RFC 9112 §6, §7.1), streamed
//! to the handler only when it reads them, so `Expect: 100-continue` is answered then and an
//! unauthenticated request's body is never read ([`body`]); persistent connections with
//! pipelined requests answered in order (§9.3); responses framed by `Content-Length`, chunked,
//! or the end of the connection for HTTP/1.0 ([`response`]); a client that hangs up while its
//! response is pending cancels the handler; time limits on every wait on the client (idle, head,
//! body, write, TLS handshake); a cap on each listener's connections that sheds the longest-idle
//! ones first ([`gate`]); graceful shutdown (idle connections close, pending responses finish
//! first).

mod body;
mod conn;
pub mod gate;
mod head;
mod response;
mod server;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::Request;
use tower::ServiceExt;

pub use conn::{serve_admitted, serve_connection};
pub use gate::{ConnectionGate, IdleGuard, Permit};
pub use server::{serve, serve_with, tls_acceptor, TlsError};

/// Bounds of the connections of one listener.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers), in bytes; larger gets 431.
    pub max_head_bytes: usize,
    /// Time a started request head may take to arrive; slower gets 408.
    pub header_timeout: Duration,
    /// Time an idle persistent connection is kept open between requests.
    pub idle_timeout: Duration,
    /// Time one read of a request body may wait for bytes once the handler reads the body;
    /// longer gets 408 and the connection closes.
    pub body_read_timeout: Duration,
    /// Time one write of a response may wait for the client to take bytes; longer closes the
    /// connection (a client that stops reading).
    pub write_timeout: Duration,
    /// Time a TLS handshake may take; longer closes the connection.
    pub tls_handshake_timeout: Duration,
    /// Most connections the listener keeps open at once ([`ConnectionGate`]).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            body_read_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            tls_handshake_timeout: Duration::from_secs(10),
            max_connections: 10_000,
        }
    }
}

/// The pending response of a request.
pub type ResponseFuture = Pin<Box<dyn Future<Output = http::Response<Body>> + Send>>;

/// What answers the requests of a connection: a function from a request to its boxed response
/// future. The edge's EAS endpoint is one directly (no per-request router state is kept while
/// a Ping is held); any axum [`Router`] converts into one.
#[derive(Clone)]
pub struct Service(Arc<dyn Fn(Request<Body>) -> ResponseFuture + Send + Sync>);

impl Service {
    pub fn new(f: impl Fn(Request<Body>) -> ResponseFuture + Send + Sync + 'static) -> Service {
        Service(Arc::new(f))
    }

    fn call(&self, request: Request<Body>) -> ResponseFuture {
        (self.0)(request)
    }
}

impl From<Router> for Service {
    fn from(router: Router) -> Service {
        Service::new(move |req| {
            let call = router.clone().oneshot(req);
            Box::pin(async move {
                match call.await {
                    Ok(r) => r,
                    Err(never) => match never {},
                }
            })
        })
    }
}

/// The soft limit on open files of this process (`RLIMIT_NOFILE`), when it can be read
/// (Linux: `/proc/self/limits`); connection caps are set below it so that a flood on one
/// listener cannot take the descriptors every other listener needs to accept.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()
        .and_then(|soft| soft.parse().ok())
}
