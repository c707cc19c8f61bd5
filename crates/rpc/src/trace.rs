//! Trace context across the gRPC links: the client channel writes the caller's span into each
//! call's metadata as `traceparent` (W3C Trace Context, section 3.2) and the server continues it
//! in a span of its own.
//!
//! Spans follow the OpenTelemetry semantic conventions for RPC ("Semantic conventions for RPC
//! spans", gRPC): named `package.Service/Method`, kind client or server, with `rpc.system`
//! `grpc`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code`. With tracing off (see
//! `eas_service_kit::telemetry`) a call goes straight to tonic's channel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use eas_service_kit::telemetry::{self, opentelemetry};
use futures::future::Either;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};
use tonic::codegen::http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};

/// A channel to a data service whose calls carry the caller's trace context. Build it over a
/// tonic channel with [`TracedChannel::new`]; `crate::Channel` names it.
#[derive(Debug, Clone)]
pub struct TracedChannel {
    inner: tonic::transport::Channel,
}

impl TracedChannel {
    pub fn new(inner: tonic::transport::Channel) -> Self {
        TracedChannel { inner }
    }
}

impl From<tonic::transport::Channel> for TracedChannel {
    fn from(inner: tonic::transport::Channel) -> Self {
        TracedChannel::new(inner)
    }
}

type Boxed<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl Service<Request<tonic::body::Body>> for TracedChannel {
    type Response = Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = Either<
        <tonic::transport::Channel as Service<Request<tonic::body::Body>>>::Future,
        Boxed<Self::Response, Self::Error>,
    >;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request<tonic::body::Body>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: Request<tonic::body::Body>) -> Self::Future {
        if !telemetry::enabled() {
            return Either::Left(self.inner.call(request));
        }
        let Some(cx) = start(&request, SpanKind::Client, &Context::current()) else {
            return Either::Left(self.inner.call(request));
        };
        telemetry::inject(&cx, &mut HeaderInjector(request.headers_mut()));
        let call = self.inner.call(request);
        Either::Right(Box::pin(async move {
            let result = call.await;
            match &result {
                Ok(response) => record_status(&cx, response.headers(), SpanKind::Client),
                Err(e) => cx.span().set_status(Status::error(e.to_string())),
            }
            telemetry::end(&cx);
            result
        }))
    }
}

/// The layer [`crate::server_builder`] puts in front of a data service's routes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerTraceLayer;

impl<S> Layer<S> for ServerTraceLayer {
    type Service = ServerTrace<S>;

    fn layer(&self, inner: S) -> ServerTrace<S> {
        ServerTrace { inner }
    }
}

/// A server continuing each call's trace in a server span.
#[derive(Debug, Clone)]
pub struct ServerTrace<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for ServerTrace<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    RB: 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Either<S::Future, Boxed<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !telemetry::enabled() {
            return Either::Left(self.inner.call(request));
        }
        let parent = telemetry::extract(&HeaderExtractor(request.headers()));
        let Some(cx) = start(&request, SpanKind::Server, &parent) else {
            return Either::Left(self.inner.call(request));
        };
        // Current while the handler's future is made, so that a handler that starts a task of
        // its own (`crate::detached::Detached`) hands the span on to it.
        let call = {
            let _current = cx.clone().attach();
            self.inner.call(request)
        };
        Either::Right(Box::pin(async move {
            let result = call.with_context(cx.clone()).await;
            if let Ok(response) = &result {
                record_status(&cx, response.headers(), SpanKind::Server);
            }
            telemetry::end(&cx);
            result
        }))
    }
}

/// Starts the span of a call to `request`'s path (`/package.Service/Method`).
fn start<B>(request: &Request<B>, kind: SpanKind, parent: &Context) -> Option<Context> {
    telemetry::tracer()?;
    let path = request.uri().path();
    let name = path.strip_prefix('/').unwrap_or(path).to_owned();
    let (service, method) = name
        .split_once('/')
        .map_or((name.clone(), String::new()), |(s, m)| {
            (s.to_owned(), m.to_owned())
        });
    telemetry::start(name, kind, parent, || {
        vec![
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service),
            KeyValue::new("rpc.method", method),
        ]
    })
}

/// Records the call's gRPC status when the response headers carry it (a call that failed
/// before any message: tonic answers those with headers only). A status in the trailers of a
/// streamed answer is not seen here.
fn record_status(cx: &Context, headers: &HeaderMap, kind: SpanKind) {
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
    else {
        return;
    };
    let span = cx.span();
    span.set_attribute(KeyValue::new("rpc.grpc.status_code", code));
    if is_error(code, kind) {
        let message = headers
            .get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        span.set_status(Status::error(message));
    }
}

/// Semantic conventions for gRPC: every status but OK is an error on the client; on the server
/// only UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS are.
fn is_error(code: i64, kind: SpanKind) -> bool {
    match kind {
        SpanKind::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
        _ => code != 0,
    }
}

/// gRPC metadata (HTTP/2 headers) as a carrier to write into.
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// gRPC metadata (HTTP/2 headers) as a carrier to read from.
pub struct HeaderExtractor<'a>(pub &'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn server_spans_count_only_server_faults_as_errors() {
        assert!(!is_error(0, SpanKind::Server));
        assert!(!is_error(5, SpanKind::Server)); // NOT_FOUND: the caller's mistake
        assert!(is_error(13, SpanKind::Server));
        assert!(is_error(5, SpanKind::Client));
        assert!(!is_error(0, SpanKind::Client));
    }

    /// A gRPC service answering every call with status OK, which notes the trace context it
    /// ran under.
    #[derive(Clone, Default)]
    struct Echo {
        seen: std::sync::Arc<std::sync::Mutex<Vec<opentelemetry::trace::SpanContext>>>,
    }

    impl tonic::server::NamedService for Echo {
        const NAME: &'static str = "eas.test.v1.Echo";
    }

    impl Service<Request<tonic::body::Body>> for Echo {
        type Response = Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<tonic::body::Body>) -> Self::Future {
            let current = Context::current().span().span_context().clone();
            self.seen.lock().unwrap().push(current);
            std::future::ready(Ok(tonic::Status::not_found("nothing here").into_http()))
        }
    }

    #[tokio::test]
    async fn a_call_continues_the_callers_trace_on_the_server() {
        let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        telemetry::install(
            opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .build(),
        );
        let echo = Echo::default();
        let mut channel =
            crate::in_process::routes_channel(tonic::service::Routes::new(echo.clone()))
                .await
                .unwrap();
        let root = telemetry::start("root", SpanKind::Server, &Context::new(), Vec::new).unwrap();
        let request = Request::builder()
            .uri("http://in-process.invalid/eas.test.v1.Echo/Ping")
            .header("content-type", "application/grpc")
            .body(tonic::body::Body::empty())
            .unwrap();
        std::future::poll_fn(|cx| {
            Service::<Request<tonic::body::Body>>::poll_ready(&mut channel, cx)
        })
        .await
        .unwrap();
        let response = {
            let _current = root.clone().attach();
            channel.call(request)
        }
        .await
        .unwrap();
        assert_eq!(response.headers()["grpc-status"], "5");
        telemetry::end(&root);
        let trace_id = root.span().span_context().trace_id();

        let spans = exporter.get_finished_spans().unwrap();
        let ours: Vec<_> = spans
            .iter()
            .filter(|s| s.span_context.trace_id() == trace_id)
            .collect();
        let client = ours
            .iter()
            .find(|s| s.span_kind == SpanKind::Client)
            .expect("a client span");
        let server = ours
            .iter()
            .find(|s| s.span_kind == SpanKind::Server && s.name != "root")
            .expect("a server span in the caller's trace");
        assert_eq!(client.name, "eas.test.v1.Echo/Ping");
        assert_eq!(server.name, "eas.test.v1.Echo/Ping");
        assert_eq!(client.parent_span_id, root.span().span_context().span_id());
        assert_eq!(server.parent_span_id, client.span_context.span_id());
        let attr = |s: &opentelemetry_sdk::trace::SpanData, k: &str| {
            s.attributes
                .iter()
                .find(|kv| kv.key.as_str() == k)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(attr(server, "rpc.system").as_deref(), Some("grpc"));
        assert_eq!(
            attr(server, "rpc.service").as_deref(),
            Some("eas.test.v1.Echo")
        );
        assert_eq!(attr(server, "rpc.method").as_deref(), Some("Ping"));
        assert_eq!(attr(client, "rpc.grpc.status_code").as_deref(), Some("5"));
        // NOT_FOUND is the caller's error, not the server's.
        assert_eq!(server.status, Status::Unset);
        assert!(matches!(client.status, Status::Error { .. }));
        // The handler ran under the server span.
        let seen = echo.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].span_id(), server.span_context.span_id());
    }
}
