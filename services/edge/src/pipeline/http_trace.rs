//! One OpenTelemetry server span per phone-facing HTTP request, when tracing is on
//! (`eas_service_kit::telemetry`).
//!
//! The span follows the semantic conventions for HTTP server spans ("Semantic conventions for
//! HTTP spans"): named `{method} {http.route}` (`POST /Microsoft-Server-ActiveSync`), kind
//! server, with `http.request.method`, `url.path`, `http.route`, `http.response.status_code`,
//! `user_agent.original` and `client.address`, plus the EAS command (`eas.command`, from the
//! request line, MS-ASHTTP 2.2.1.1.1.1) and the response's top-level EAS status (`eas.status`).
//! A `traceparent` header from a proxy in front of the edge is continued. Everything the
//! request does (its gRPC calls to the data services) runs under the span.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use eas_http1::ResponseFuture;
use eas_rpc::trace::HeaderExtractor;
use eas_service_kit::telemetry::{self, opentelemetry};
use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt as _};
use opentelemetry::KeyValue;

use crate::metrics::EasStatus;

/// The routes of the phone-facing endpoint, as `http.route` names them.
const ROUTES: [&str; 2] = [
    "/Microsoft-Server-ActiveSync",
    "/autodiscover/autodiscover.xml",
];

/// Answers `request` with `next`, inside a server span when tracing is on. Health probes
/// (`/healthz`) get no span: a probe every few seconds would bury the phones' traces.
pub(crate) fn traced(
    request: Request,
    next: impl FnOnce(Request) -> ResponseFuture,
) -> ResponseFuture {
    if !telemetry::enabled() || request.uri().path() == "/healthz" {
        return next(request);
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path();
    let route = ROUTES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(path))
        .copied();
    let name = match route {
        Some(r) => format!("{method} {r}"),
        None => method.clone(),
    };
    let parent = telemetry::extract(&HeaderExtractor(request.headers()));
    let Some(cx) = telemetry::start(name, SpanKind::Server, &parent, || {
        attributes(&request, method, route)
    }) else {
        return next(request);
    };
    let response = {
        let _current = cx.clone().attach();
        next(request)
    };
    Box::pin(async move {
        let response = response.with_context(cx.clone()).await;
        let span = cx.span();
        let status = response.status().as_u16();
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status),
        ));
        if let Some(EasStatus(s)) = response.extensions().get::<EasStatus>() {
            span.set_attribute(KeyValue::new("eas.status", i64::from(*s)));
        }
        // HTTP server spans: only 5xx answers are the server's errors.
        if status >= 500 {
            span.set_attribute(KeyValue::new("error.type", status.to_string()));
            span.set_status(Status::error(""));
        }
        telemetry::end(&cx);
        response
    })
}

/// The attributes known when the request arrives.
fn attributes(request: &Request, method: String, route: Option<&'static str>) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new("http.request.method", method),
        KeyValue::new("url.path", request.uri().path().to_owned()),
    ];
    if let Some(r) = route {
        attributes.push(KeyValue::new("http.route", r));
    }
    if let Some(agent) = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        attributes.push(KeyValue::new("client.address", peer.ip().to_string()));
    }
    if route == Some(ROUTES[0]) {
        if let Some(line) = request
            .uri()
            .query()
            .and_then(|q| eas_protocol::query::parse_request_line(q).ok())
        {
            attributes.push(KeyValue::new("eas.command", line.command.name().to_owned()));
        }
    }
    attributes
}
