//! The pipeline every request goes through before its command handler: routing by path, the
//! request line and version, authentication and throttling, the body, the device record and
//! policy checks (MS-ASHTTP 2.2.1, 3.2.5), then the command table's handler.

pub(crate) mod auth;
pub(crate) mod autodiscover;
pub(crate) mod context;
pub(crate) mod http_trace;
pub(crate) mod options;
pub(crate) mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use eas_http1::{ResponseFuture, Service};
use eas_protocol::compose_mail::ComposeKind;
use eas_protocol::query::parse_request_line;
use eas_protocol::version::ProtocolVersion;

use crate::commands::{self, Input};
use crate::edge::Edge;
use crate::error::{EdgeError, ErrorContext};
use crate::metrics;
use crate::respond::read_body;
use auth::parse_basic;
use context::RequestCtx;

/// The phone-facing endpoints, `/Microsoft-Server-ActiveSync` and Autodiscover, as the HTTP
/// layer's service. Not an axum router: a held Ping then keeps no per-request routing state.
pub fn eas_service(edge: Arc<Edge>) -> Service {
    Service::new(move |req| http_trace::traced(req, |req| route(edge.clone(), req)))
}

/// The endpoints of the phone-facing router.
enum Endpoint {
    Eas,
    Autodiscover,
    Health,
    Unknown,
}

/// Paths are matched without regard to letter case: phones and proxies vary.
fn endpoint(path: &str) -> Endpoint {
    if path.eq_ignore_ascii_case("/Microsoft-Server-ActiveSync") {
        Endpoint::Eas
    } else if path.eq_ignore_ascii_case("/autodiscover/autodiscover.xml") {
        Endpoint::Autodiscover
    } else if path == "/healthz" {
        Endpoint::Health
    } else {
        Endpoint::Unknown
    }
}

/// Routes a request to the future that answers it.
fn route(edge: Arc<Edge>, req: Request) -> ResponseFuture {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let post = req.method() == Method::POST;
    let started = Instant::now();
    match endpoint(req.uri().path()) {
        Endpoint::Eas if req.method() == Method::OPTIONS => {
            let r = options::handle(&edge);
            metrics::request("Options", started, &r);
            ready(r)
        }
        Endpoint::Eas if post => eas_post(edge, ip, req),
        Endpoint::Eas => ready(method_not_allowed("OPTIONS, POST")),
        Endpoint::Autodiscover if post => Box::pin(async move {
            let (parts, body) = req.into_parts();
            let r = autodiscover::handle(&edge, ip, &parts.headers, body).await;
            metrics::request("Autodiscover", started, &r);
            r
        }),
        Endpoint::Autodiscover => ready(method_not_allowed("POST")),
        Endpoint::Health => ready((StatusCode::OK, "ok").into_response()),
        Endpoint::Unknown => ready(StatusCode::NOT_FOUND.into_response()),
    }
}

/// A response that is already known.
fn ready(r: Response) -> ResponseFuture {
    Box::pin(std::future::ready(r))
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// The version the client formats its request in: the base64 form's field or the header.
fn request_version(
    headers: &HeaderMap,
    from_query: Option<ProtocolVersion>,
) -> Result<ProtocolVersion, EdgeError> {
    if let Some(v) = from_query {
        return Ok(v);
    }
    let raw = headers
        .get("ms-asprotocolversion")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| EdgeError::BadRequest("missing ms-asprotocolversion header".into()))?;
    raw.trim()
        .parse::<ProtocolVersion>()
        .map_err(|_| EdgeError::UnsupportedVersion(raw.to_owned()))
}

/// Everything before the command handler: request line, version, authentication, body, device
/// record and policy checks. It runs in a future of its own, freed before the handler runs, and
/// the request's headers and raw body end with it. The error context says how to answer an
/// error (the version and command are known only part of the way through).
async fn prepare(
    edge: Arc<Edge>,
    ip: IpAddr,
    req: Request,
) -> (ErrorContext, Result<(Box<RequestCtx>, Input), EdgeError>) {
    let mut ectx = ErrorContext {
        version: None,
        root: None,
        command: "Unknown",
    };
    let result = async {
        let (parts, body) = req.into_parts();
        let headers = &parts.headers;
        let mut line = parse_request_line(parts.uri.query().unwrap_or(""))
            .map_err(|e| EdgeError::BadRequest(e.to_string()))?;
        // MS-ASHTTP 2.2.1.1.2.5: the header asks for multipart as the base64 form's flag does.
        line.params.accept_multipart |= headers
            .get("ms-asacceptmultipart")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("t"));
        ectx.root = commands::response_root(&line.command);
        ectx.command = line.command.label();
        let version = request_version(headers, line.protocol_version)?;
        if !options::SUPPORTED_VERSIONS.contains(&version) {
            return Err(EdgeError::UnsupportedVersion(version.as_str().to_owned()));
        }
        ectx.version = Some(version);
        let creds = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_basic)
            .ok_or_else(|| EdgeError::Unauthorized {
                realm: edge.config.auth.realm.clone(),
            })?;
        let user = context::login(&edge, ip, headers, &creds).await?;
        if !commands::is_served(&edge, &line.command) {
            return Err(EdgeError::UnsupportedCommand(
                line.command.name().to_owned(),
            ));
        }
        let body = read_body(headers, body, edge.config.max_request_bytes).await?;
        // Boxed: a held Ping takes it over and frees it (see `ping::handle`).
        let mut ctx = Box::new(RequestCtx::load(&edge, line, version, user, headers).await?);
        context::admit(&edge, &mut ctx).await?;
        // Below 14.0 these bodies are message/rfc822, not WBXML: the handler decodes.
        if let Some(kind) = ComposeKind::from_command(&ctx.line.command) {
            return Ok((ctx, Input::Compose(kind, body)));
        }
        let doc = context::decode_body(&edge, &ctx, &body)?;
        Ok((ctx, Input::Document(doc)))
    }
    .await;
    (ectx, result)
}

/// A POST to the EAS endpoint: [`prepare`], then the command's handler.
fn eas_post(edge: Arc<Edge>, ip: IpAddr, req: Request) -> ResponseFuture {
    let prepared = Box::pin(prepare(edge.clone(), ip, req));
    Box::pin(async move {
        let started = Instant::now();
        let (ectx, prepared) = prepared.await;
        let result = match prepared {
            Ok((ctx, input)) => {
                let handler = commands::handler(&edge, ctx, input);
                handler.await
            }
            Err(e) => Err(e),
        };
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                log_error(&e);
                e.into_eas_response(ectx)
            }
        };
        metrics::request(ectx.command, started, &response);
        response
    })
}

fn log_error(e: &EdgeError) {
    match e {
        EdgeError::Internal(_) | EdgeError::Unavailable(_) => {
            tracing::error!(error = %e, "request failed")
        }
        EdgeError::Unauthorized { .. } => tracing::debug!(error = %e, "request refused"),
        _ => tracing::info!(error = %e, "request refused"),
    }
}
