//! HTTP routing and the pipeline every EAS request goes through before its command handler.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use eas_device_state::DeviceStore;
use eas_directory::Directory;
use eas_protocol::command::Command;
use eas_protocol::compose_mail::ComposeKind;
use eas_protocol::query::parse_request_line;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::mail::mail_client::MailClient;
use eas_wbxml::Element;
use http_body_util::{BodyExt, Limited};
use tonic::transport::Channel;

use crate::auth::{parse_basic, AuthCache};
use crate::config::EdgeConfig;
use crate::context::{self, RequestCtx};
use crate::error::{response_root, EdgeError, ErrorContext};
use crate::folders::FolderSource;
use crate::throttle::LoginThrottle;
use crate::{
    autodiscover, folder_create, folder_delete, folder_sync, folder_update, get_item_estimate,
    item_operations, move_items, options, ping, provision, search, settings, sync,
};

/// Content type of WBXML bodies (MS-ASHTTP 2.2.1.1.2.3).
pub const WBXML_CONTENT_TYPE: &str = "application/vnd.ms-sync.wbxml";

/// The edge's shared state: configuration and the stores it talks to.
pub struct Edge {
    pub config: EdgeConfig,
    pub directory: Directory,
    pub devices: Arc<dyn DeviceStore>,
    pub folders: Arc<dyn FolderSource>,
    /// The mail service; without it mail commands are not served.
    pub mail: Option<MailClient<Channel>>,
    /// Held Pings of this edge; without it Ping is not served.
    pub(crate) push_hub: std::sync::OnceLock<Arc<crate::push::PushHub>>,
    pub(crate) auth: AuthCache,
    pub(crate) throttle: LoginThrottle,
}

impl Edge {
    pub fn new(
        config: EdgeConfig,
        directory: Directory,
        devices: Arc<dyn DeviceStore>,
        folders: Arc<dyn FolderSource>,
        mail: Option<MailClient<Channel>>,
    ) -> Arc<Edge> {
        let a = &config.auth;
        let auth = AuthCache::new(Duration::from_secs(a.cache_seconds));
        let throttle = LoginThrottle::new(
            Duration::from_secs(a.failure_window_seconds),
            a.max_failures_per_account,
            a.max_failures_per_ip,
        );
        Arc::new(Edge {
            config,
            directory,
            devices,
            folders,
            mail,
            push_hub: std::sync::OnceLock::new(),
            auth,
            throttle,
        })
    }

    /// Serves Ping with this registry of held Pings (fed by change events).
    pub fn attach_push(&self, hub: Arc<crate::push::PushHub>) {
        let _ = self.push_hub.set(hub);
    }

    /// The registry of held Pings, when push is set up.
    pub fn push(&self) -> Option<Arc<crate::push::PushHub>> {
        self.push_hub.get().cloned()
    }

    /// Forgets cached logins, after an administrator changed an account.
    pub fn forget_logins(&self) {
        self.auth.clear();
    }
}

/// The phone-facing router: `/Microsoft-Server-ActiveSync` and Autodiscover.
pub fn eas_router(edge: Arc<Edge>) -> Router {
    Router::new().fallback(route).with_state(edge)
}

pub use crate::admin::router as admin_router;

/// Paths are matched without regard to letter case: phones and proxies vary.
async fn route(State(edge): State<Arc<Edge>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let path = uri.path();
    if path.eq_ignore_ascii_case("/Microsoft-Server-ActiveSync") {
        match method {
            Method::OPTIONS => options::handle(&edge),
            Method::POST => eas_post(&edge, ip, uri.query().unwrap_or(""), &headers, body).await,
            _ => method_not_allowed("OPTIONS, POST"),
        }
    } else if path.eq_ignore_ascii_case("/autodiscover/autodiscover.xml") {
        match method {
            Method::POST => autodiscover::handle(&edge, ip, &headers, body).await,
            _ => method_not_allowed("POST"),
        }
    } else if path == "/healthz" {
        (StatusCode::OK, "ok").into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// A WBXML response body.
pub fn wbxml_response(root: &Element) -> Response {
    let mut r = (StatusCode::OK, eas_wbxml::encode(root)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(WBXML_CONTENT_TYPE),
    );
    r
}

/// Reads a body, refusing more than `limit` bytes with HTTP 413.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, EdgeError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(EdgeError::TooLarge(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(EdgeError::TooLarge(limit)),
        Err(e) => Err(EdgeError::BadRequest(format!("reading body: {e}"))),
    }
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

async fn eas_post(
    edge: &Arc<Edge>,
    ip: IpAddr,
    query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let mut ectx = ErrorContext {
        version: None,
        root: None,
    };
    let result = async {
        let line = parse_request_line(query).map_err(|e| EdgeError::BadRequest(e.to_string()))?;
        ectx.root = response_root(&line.command);
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
        let user = context::login(edge, ip, &creds).await?;
        if !options::is_served(edge, &line.command) {
            return Err(EdgeError::UnsupportedCommand(line.command.name().to_owned()));
        }
        let body = read_body(headers, body, edge.config.max_request_bytes).await?;
        let mut ctx = RequestCtx::load(edge, line, version, user, headers).await?;
        context::admit(edge, &mut ctx).await?;
        // Below 14.0 these bodies are message/rfc822, not WBXML: the handler decodes.
        if let Some(kind) = ComposeKind::from_command(&ctx.line.command) {
            return crate::compose_mail::handle(edge, &mut ctx, kind, body).await;
        }
        let doc = context::decode_body(edge, &ctx, &body)?;
        // The raw body may share hyper's read buffer; a held Ping or Sync must not keep it.
        drop(body);
        tracing::debug!(user = %ctx.user.address, device_id = %ctx.line.device_id, cmd = %ctx.line.command.name(), "request");
        // Each handler's future is boxed: this future's size is then that of a pointer, not of
        // the largest handler, so a held Ping keeps only the Ping handler's own state.
        let handler: Pin<Box<dyn Future<Output = Result<Response, EdgeError>> + Send + '_>> =
            match ctx.line.command {
                Command::Provision => Box::pin(provision::handle(edge, &mut ctx, doc)),
                Command::FolderSync => Box::pin(folder_sync::handle(edge, &mut ctx, doc)),
                Command::Settings => Box::pin(settings::handle(edge, &mut ctx, doc)),
                Command::Sync => Box::pin(sync::handle(edge, &mut ctx, doc)),
                Command::GetItemEstimate => {
                    Box::pin(get_item_estimate::handle(edge, &mut ctx, doc))
                }
                Command::Ping => Box::pin(ping::handle(edge, &mut ctx, doc)),
                Command::MoveItems => Box::pin(move_items::handle(edge, &mut ctx, doc)),
                Command::FolderCreate => Box::pin(folder_create::handle(edge, &mut ctx, doc)),
                Command::FolderUpdate => Box::pin(folder_update::handle(edge, &mut ctx, doc)),
                Command::FolderDelete => Box::pin(folder_delete::handle(edge, &mut ctx, doc)),
                Command::ItemOperations => {
                    Box::pin(item_operations::handle(edge, &mut ctx, doc))
                }
                Command::Search => Box::pin(search::handle(edge, &mut ctx, doc)),
                ref other => return Err(EdgeError::UnsupportedCommand(other.name().to_owned())),
            };
        handler.await
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => {
            log_error(&e);
            e.into_eas_response(ectx)
        }
    }
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
