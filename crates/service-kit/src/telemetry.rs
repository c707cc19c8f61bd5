//! OpenTelemetry traces: the OTLP exporter, set up from the standard `OTEL_*` variables, and the
//! W3C trace context (`traceparent`) that the services pass to each other.
//!
//! Tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is
//! set, and off otherwise: then no tracer exists, [`tracer`] answers `None` and every span the
//! services would start is skipped before anything is allocated (docs/observability.md).
//!
//! The variables read (OpenTelemetry specification, "Environment Variable Specification" and
//! "OTLP Exporter Configuration"): `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_PROTOCOL` / `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (`grpc`, the default
//! here, or `http/protobuf`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG`; the exporter and the SDK read most of them themselves.
//!
//! Context travels as the W3C Trace Context `traceparent` header (W3C Trace Context, section 3.2)
//! with its `tracestate`: in gRPC metadata, in Kafka record headers, and in the wake messages
//! the push service sends to the edges.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll};

pub use opentelemetry;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

/// The tracer of the process, once tracing is on.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// The name of the instrumentation scope of every span the services start.
const SCOPE: &str = "eas";

/// The W3C trace-context header that carries the span to continue.
pub const TRACEPARENT: &str = "traceparent";

/// The tracer provider of the process; flush it with [`Telemetry::shutdown`] before exiting.
#[must_use = "dropping it without shutdown may lose the last spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn is_on(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans still queued and stops the exporter. Call it while the Tokio runtime
    /// the exporter was set up on still runs (the export is a gRPC or HTTP call on it).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                tracing::warn!(error = %e, "spans not all exported at shutdown");
            }
        }
    }
}

/// Sets up OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set. `service` is the `service.name` unless
/// `OTEL_SERVICE_NAME` or `service.name` in `OTEL_RESOURCE_ATTRIBUTES` names another.
///
/// Call it inside the Tokio runtime the service runs on: the exporter's connections live on it.
/// A configuration the exporter refuses (an endpoint that is not a URL, an `https` endpoint: this
/// build has no TLS for the exporter) is logged and leaves tracing off; it never stops a service.
pub fn init(service: &str) -> Telemetry {
    if !configured(|k| std::env::var(k).ok()) {
        return Telemetry { provider: None };
    }
    let exporter = match build_exporter() {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "OpenTelemetry export not set up; tracing is off");
            return Telemetry { provider: None };
        }
    };
    let runtime = match tokio::runtime::Handle::try_current() {
        Ok(h) => h,
        Err(_) => {
            tracing::error!("OpenTelemetry export needs a Tokio runtime; tracing is off");
            return Telemetry { provider: None };
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(OnRuntime {
            inner: exporter,
            runtime,
        })
        .with_resource(resource(service, |k| std::env::var(k).ok()))
        .build();
    install(provider.clone());
    tracing::info!("OpenTelemetry traces exported over OTLP");
    Telemetry {
        provider: Some(provider),
    }
}

/// Uses `provider` for the spans of this process (the first call wins). [`init`] calls it;
/// tests call it with an in-memory exporter.
pub fn install(provider: SdkTracerProvider) {
    let _ = TRACER.set(provider.tracer(SCOPE));
}

/// The tracer, when tracing is on.
pub fn tracer() -> Option<&'static SdkTracer> {
    TRACER.get()
}

/// Whether tracing is on (spans are recorded and exported).
pub fn enabled() -> bool {
    TRACER.get().is_some()
}

/// Whether the variables ask for export.
fn configured(var: impl Fn(&str) -> Option<String>) -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| var(k).is_some_and(|v| !v.trim().is_empty()))
}

/// The transport named by `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`:
/// `true` for gRPC (also when neither is set, as the Helm chart's examples on port 4317 expect),
/// `false` for `http/protobuf`.
fn wants_grpc(var: impl Fn(&str) -> Option<String>) -> Result<bool, String> {
    let protocol = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL").filter(|v| !v.trim().is_empty()));
    match protocol.as_deref().map(str::trim) {
        None | Some("grpc") => Ok(true),
        Some("http/protobuf") => Ok(false),
        Some(other) => Err(format!(
            "OTEL_EXPORTER_OTLP_PROTOCOL {other:?} is not supported (grpc or http/protobuf)"
        )),
    }
}

fn build_exporter() -> Result<opentelemetry_otlp::SpanExporter, String> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let builder = opentelemetry_otlp::SpanExporter::builder();
    let built = if wants_grpc(|k| std::env::var(k).ok())? {
        builder.with_tonic().with_protocol(Protocol::Grpc).build()
    } else {
        builder
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
    };
    built.map_err(|e| e.to_string())
}

/// The resource of the spans: the SDK's (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`, the
/// SDK's own attributes), with `service` as `service.name` when neither variable names one.
fn resource(service: &str, var: impl Fn(&str) -> Option<String>) -> Resource {
    let named = var("OTEL_SERVICE_NAME").is_some_and(|v| !v.trim().is_empty())
        || var("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|v| {
            v.split(',').any(|kv| {
                kv.split_once('=')
                    .is_some_and(|(k, _)| k.trim() == "service.name")
            })
        });
    let builder = Resource::builder();
    if named {
        builder.build()
    } else {
        builder.with_service_name(service.to_owned()).build()
    }
}

/// The exporter's calls run with the service's Tokio runtime as their context: the SDK's batch
/// processor calls the exporter on a thread of its own, and the gRPC and HTTP clients need the
/// runtime's I/O and timer drivers (which the runtime's own threads drive).
#[derive(Debug)]
struct OnRuntime<E> {
    inner: E,
    runtime: tokio::runtime::Handle,
}

impl<E: SpanExporter> SpanExporter for OnRuntime<E> {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send {
        InRuntime {
            runtime: self.runtime.clone(),
            inner: Box::pin(self.inner.export(batch)),
        }
    }

    fn shutdown_with_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        let _entered = self.runtime.enter();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        let _entered = self.runtime.enter();
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A future polled inside a runtime's context.
struct InRuntime<F> {
    runtime: tokio::runtime::Handle,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for InRuntime<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let _entered = self.runtime.enter();
        self.inner.as_mut().poll(cx)
    }
}

/// Writes the span of `cx` into `carrier` as `traceparent` (and `tracestate`); nothing when
/// tracing is off or `cx` has no span.
pub fn inject(cx: &Context, carrier: &mut dyn Injector) {
    if enabled() && cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(cx, carrier);
    }
}

/// The remote span that `carrier` names, as a parent context; the empty context when tracing
/// is off or the carrier has none (a span started under it then starts a new trace).
pub fn extract(carrier: &dyn Extractor) -> Context {
    if !enabled() {
        return Context::new();
    }
    TraceContextPropagator::new().extract(carrier)
}

/// The `traceparent` value of the span of `cx`, for a carrier that is a single string.
pub fn traceparent(cx: &Context) -> Option<String> {
    let mut one = One(None);
    inject(cx, &mut one);
    one.0
}

/// The `traceparent` of the current span (see [`traceparent`]).
pub fn current_traceparent() -> Option<String> {
    if !enabled() {
        return None;
    }
    traceparent(&Context::current())
}

/// The parent context a `traceparent` value names (see [`extract`]).
pub fn context_from_traceparent(value: Option<&str>) -> Context {
    match value {
        Some(v) if enabled() => extract(&One(Some(v.to_owned()))),
        _ => Context::new(),
    }
}

/// A carrier holding only `traceparent`.
struct One(Option<String>);

impl Injector for One {
    fn set(&mut self, key: &str, value: String) {
        if key == TRACEPARENT {
            self.0 = Some(value);
        }
    }
}

impl Extractor for One {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then_some(self.0.as_deref()).flatten()
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}

/// Starts a span named `name` under `parent` and returns the context holding it (end it with
/// [`end`]); `None` when tracing is off, and then `attributes` is never called.
pub fn start(
    name: impl Into<std::borrow::Cow<'static, str>>,
    kind: SpanKind,
    parent: &Context,
    attributes: impl FnOnce() -> Vec<KeyValue>,
) -> Option<Context> {
    let tracer = tracer()?;
    let span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_attributes(attributes())
        .start_with_context(tracer, parent);
    Some(parent.with_span(span))
}

/// Ends the span of `cx` (a context from [`start`]).
pub fn end(cx: &Context) {
    cx.span().end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn export_is_on_only_with_an_endpoint() {
        assert!(!configured(vars(&[])));
        assert!(!configured(vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])));
        assert!(!configured(vars(&[("OTEL_SERVICE_NAME", "x")])));
        assert!(configured(vars(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4317"
        )])));
        assert!(configured(vars(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://127.0.0.1:4318/v1/traces"
        )])));
    }

    #[test]
    fn the_protocol_defaults_to_grpc_and_the_traces_variable_wins() {
        assert_eq!(wants_grpc(vars(&[])), Ok(true));
        assert_eq!(
            wants_grpc(vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")])),
            Ok(false)
        );
        assert_eq!(
            wants_grpc(vars(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ])),
            Ok(true)
        );
        assert!(wants_grpc(vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")])).is_err());
    }

    fn service_name(r: &Resource) -> Option<String> {
        r.get(&opentelemetry::Key::from_static_str("service.name"))
            .map(|v| v.to_string())
    }

    #[test]
    fn the_binary_names_the_service_unless_a_variable_does() {
        assert_eq!(
            service_name(&resource("eas-edge", vars(&[]))).as_deref(),
            Some("eas-edge")
        );
        // The SDK reads the variable itself; here only the choice not to override it is tested.
        let named = resource(
            "eas-edge",
            vars(&[(
                "OTEL_RESOURCE_ATTRIBUTES",
                "k8s.pod.name=p,service.name=edge-a",
            )]),
        );
        assert_ne!(service_name(&named).as_deref(), Some("eas-edge"));
    }
}
