//! Calls that finish even when their caller goes away.
//!
//! tonic drops a handler's future when the client cancels the call or its connection breaks
//! (a phone hangs up during a Ping, an edge replica is killed). A handler dropped in the middle
//! of a database transaction can leave its connection inside that transaction: with SQLite it
//! keeps the write lock, and every later write fails with "database is locked". [`Detached`]
//! runs each call's handler in a task of its own, so the handler always completes (or fails) and
//! its transaction commits or rolls back; only the answer is thrown away.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;
use tower::Service;

/// Wraps a generated tonic server; see the module documentation.
#[derive(Debug, Clone)]
pub struct Detached<S>(pub S);

impl<S: NamedService> NamedService for Detached<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for Detached<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let call = self.0.call(request);
        // The handler's task continues the call's trace (`crate::trace`), when there is one.
        let task = if eas_service_kit::telemetry::enabled() {
            use eas_service_kit::telemetry::opentelemetry::trace::FutureExt as _;
            tokio::spawn(call.with_current_context())
        } else {
            tokio::spawn(call)
        };
        Box::pin(async move {
            match task.await {
                Ok(answer) => answer,
                // The handler panicked: the client gets INTERNAL instead of a broken stream.
                Err(e) => Ok(tonic::Status::internal(format!("handler failed: {e}")).into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn a_call_dropped_by_its_caller_still_runs_to_its_end() {
        let (tx, rx) = oneshot::channel::<()>();
        let tx = Arc::new(Mutex::new(Some(tx)));
        let inner = tower::service_fn(move |_req: Request<Body>| {
            let tx = tx.lock().ok().and_then(|mut t| t.take());
            async move {
                // Stands for a transaction that needs a few round trips to finish.
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                if let Some(tx) = tx {
                    let _ = tx.send(());
                }
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        });
        let mut service = Detached(inner);
        let call = service.call(Request::new(Body::empty()));
        drop(call);
        // Had the handler been cancelled with the call, the sender would be gone.
        assert!(rx.await.is_ok());
    }
}
