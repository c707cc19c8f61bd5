//! HTTP routing and the pipeline every EAS request goes through before its command handler.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use eas_device_state::DeviceStore;
use eas_directory::Directory;
use eas_protocol::command::Command;
use eas_protocol::compose_mail::ComposeKind;
use eas_protocol::query::parse_request_line;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::Channel;
use eas_wbxml::Element;
use http_body::Body as _;
use http_body_util::BodyExt;

use crate::auth::{parse_basic, AuthCache};
use crate::config::EdgeConfig;
use crate::context::{self, RequestCtx};
use crate::error::{response_root, EdgeError, ErrorContext};
use crate::folders::FolderSource;
use crate::metrics;
use crate::throttle::LoginThrottle;
use crate::{
    autodiscover, folder_create, folder_delete, folder_sync, folder_update, get_item_estimate,
    item_operations, move_items, options, ping, provision, resolve_recipients, search, settings,
    sync,
};
use eas_http1::{ResponseFuture, Service};

/// Content type of WBXML bodies (MS-ASHTTP 2.2.1.1.2.3).
pub const WBXML_CONTENT_TYPE: &str = "application/vnd.ms-sync.wbxml";

/// The edge's shared state: configuration and the stores it talks to.
pub struct Edge {
    pub config: EdgeConfig,
    pub directory: Directory,
    pub devices: Arc<dyn DeviceStore>,
    pub folders: Arc<dyn FolderSource>,
    /// The mail service's own API (SendMail, Search, attachments, folder commands); without
    /// it mail commands are not served.
    pub mail: Option<MailClient<Channel>>,
    /// The contacts service's own API (folder commands, MoveItems, search, vCard import and
    /// export); present exactly when the Contacts class is served.
    pub contacts: Option<ContactsClient<Channel>>,
    /// The data classes served, each over its service: every command that works on
    /// collections routes through them.
    pub classes: crate::classes::Classes,
    /// Held Pings of this edge; without it Ping is not served.
    pub(crate) push_hub: std::sync::OnceLock<Arc<crate::push::PushHub>>,
    pub(crate) auth: AuthCache,
    pub(crate) throttle: LoginThrottle,
}

impl Edge {
    /// `services` are the channels to the data services, each serving its own API and the
    /// collection contract; a class without one is not served. `folders` is the hierarchy of an
    /// edge that serves no class.
    pub fn new(
        config: EdgeConfig,
        directory: Directory,
        devices: Arc<dyn DeviceStore>,
        folders: Arc<dyn FolderSource>,
        services: impl Into<DataServices>,
    ) -> Arc<Edge> {
        let services = services.into();
        let mut classes = crate::classes::Classes::new();
        if let Some(c) = &services.mail {
            classes = classes.with(Arc::new(crate::classes::MailClass::new(c.clone())));
        }
        if let Some(c) = &services.contacts {
            classes = classes.with(Arc::new(crate::classes::ContactsClass::new(c.clone())));
        }
        let a = &config.auth;
        let auth = AuthCache::new(Duration::from_secs(a.cache_seconds));
        let throttle = LoginThrottle::new(a);
        metrics::register_all();
        Arc::new(Edge {
            config,
            directory,
            devices,
            folders,
            mail: services.mail.map(eas_rpc::mail_client),
            contacts: services.contacts.map(eas_rpc::contacts_client),
            classes,
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

/// The channels to the data services an edge serves.
#[derive(Clone, Default)]
pub struct DataServices {
    /// The mail service (the Email class).
    pub mail: Option<Channel>,
    /// The contacts service (the Contacts class).
    pub contacts: Option<Channel>,
}

/// Mail alone.
impl From<Option<Channel>> for DataServices {
    fn from(mail: Option<Channel>) -> DataServices {
        DataServices {
            mail,
            contacts: None,
        }
    }
}

/// The phone-facing endpoints, `/Microsoft-Server-ActiveSync` and Autodiscover, as the HTTP
/// layer's service. Not an axum router: a held Ping then keeps no per-request routing state.
pub fn eas_service(edge: Arc<Edge>) -> Service {
    Service::new(move |req| crate::http_trace::traced(req, |req| route(edge.clone(), req)))
}

pub use crate::admin::router as admin_router;

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

/// A WBXML response body. Its top-level status, if any, goes to the request's count.
pub fn wbxml_response(root: &Element) -> Response {
    let mut r = (StatusCode::OK, eas_wbxml::encode(root)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(WBXML_CONTENT_TYPE),
    );
    if let Some(status) = metrics::top_status(root) {
        r.extensions_mut().insert(status);
    }
    r
}

/// Reads a body, refusing more than `limit` bytes with HTTP 413.
///
/// The body arrives in pieces; they are copied into one buffer as they come and then freed, so
/// a body costs itself plus one piece. The buffer is sized from `Content-Length` when there is
/// one; a chunked body's buffer grows by doubling. (Collecting the pieces first and joining them
/// afterwards held every piece and the joined copy at once: twice the body.)
pub(crate) async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Bytes, EdgeError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(EdgeError::TooLarge(limit));
    }
    let mut whole: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| EdgeError::BadRequest(format!("reading body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let so_far = whole.as_ref().map_or(0, |w| w.len());
        if so_far + data.len() > limit {
            return Err(EdgeError::TooLarge(limit));
        }
        match whole.as_mut() {
            // A body in one piece (one that arrived with its head) is taken as it is.
            None if body.is_end_stream() => return Ok(data),
            None => {
                let size = declared.map_or(data.len(), |n| n as usize).max(data.len());
                let mut w = BytesMut::with_capacity(size);
                w.extend_from_slice(&data);
                whole = Some(w);
            }
            Some(w) => w.extend_from_slice(&data),
        }
    }
    Ok(whole.map(BytesMut::freeze).unwrap_or_default())
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

/// What a command handler is given besides its context.
enum Input {
    /// The decoded WBXML document, if the request had a body.
    Document(Option<Element>),
    /// A MIME message (SendMail, SmartReply, SmartForward; WBXML-wrapped from 14.0).
    Compose(ComposeKind, Bytes),
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
        ectx.root = response_root(&line.command);
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
        if !options::is_served(&edge, &line.command) {
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
                let handler = handler(&edge, ctx, input);
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

/// The future of a command handler.
type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Response, EdgeError>> + Send + 'a>>;

/// The command's handler, boxed: the request's future then holds a pointer, not the largest
/// handler, so a held Ping keeps only the Ping handler's own state.
fn handler(edge: &Arc<Edge>, mut ctx: Box<RequestCtx>, input: Input) -> HandlerFuture<'_> {
    tracing::debug!(user = %ctx.user.address, device_id = %ctx.line.device_id, cmd = %ctx.line.command.name(), "request");
    let doc = match input {
        Input::Compose(kind, body) => {
            return Box::pin(async move {
                crate::compose_mail::handle(edge, &mut ctx, kind, body).await
            })
        }
        Input::Document(doc) => doc,
    };
    // Handlers that borrow the context own it in their future.
    macro_rules! with_ctx {
        ($handle:path) => {
            Box::pin(async move { $handle(edge, &mut ctx, doc).await })
        };
    }
    match ctx.line.command {
        // A Ping owns its context: it frees it before it waits.
        Command::Ping => Box::pin(ping::handle(edge, ctx, doc)),
        Command::Provision => with_ctx!(provision::handle),
        Command::FolderSync => with_ctx!(folder_sync::handle),
        Command::Settings => with_ctx!(settings::handle),
        Command::Sync => with_ctx!(sync::handle),
        Command::GetItemEstimate => with_ctx!(get_item_estimate::handle),
        Command::MoveItems => with_ctx!(move_items::handle),
        Command::FolderCreate => with_ctx!(folder_create::handle),
        Command::FolderUpdate => with_ctx!(folder_update::handle),
        Command::FolderDelete => with_ctx!(folder_delete::handle),
        Command::ItemOperations => with_ctx!(item_operations::handle),
        Command::Search => with_ctx!(search::handle),
        Command::ResolveRecipients => with_ctx!(resolve_recipients::handle),
        ref other => {
            let e = EdgeError::UnsupportedCommand(other.name().to_owned());
            Box::pin(std::future::ready(Err(e)))
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
