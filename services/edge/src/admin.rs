//! The admin HTTP API (JSON, bearer token): domains, users with their GAL fields and photo,
//! aliases and devices.
//!
//! It listens on its own address, apart from the phone-facing port, so that an ingress can keep it
//! private. `/healthz` (liveness) and `/metrics` (Prometheus) answer there without the token. Every change to an account forgets cached logins so that a new password or a disabled
//! account takes effect at once on this replica.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use eas_device_state::{ApprovalState, DeviceRecord, WipeState};
use eas_directory::{
    ApprovalPolicy, DirectoryError, GalFields, GalFieldsUpdate, NewUser, UserUpdate,
    MAX_PHOTO_BYTES,
};
use eas_protocol::version::ProtocolVersion;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::edge::Edge;
use crate::pipeline::context::now;

/// An admin API error: HTTP status and a lowercase message.
pub struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        let status = match &e {
            DirectoryError::NotFound { .. } => StatusCode::NOT_FOUND,
            DirectoryError::Duplicate { .. } | DirectoryError::DomainHasUsers(_) => {
                StatusCode::CONFLICT
            }
            DirectoryError::InvalidAddress(_)
            | DirectoryError::InvalidDomain(_)
            | DirectoryError::InvalidPassword(_)
            | DirectoryError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            DirectoryError::PhotoTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            DirectoryError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => {
                tracing::error!(error = %e, "admin api directory failure");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        ApiError(status, e.to_string())
    }
}

impl From<eas_device_state::StoreError> for ApiError {
    fn from(e: eas_device_state::StoreError) -> Self {
        tracing::error!(error = %e, "admin api device store failure");
        ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The admin router. Without a configured token every request is refused.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/admin/domains", get(list_domains).post(create_domain))
        .route(
            "/admin/domains/{name}",
            get(get_domain).patch(update_domain).delete(delete_domain),
        )
        .route("/admin/users", get(list_users).post(create_user))
        .route(
            "/admin/users/{address}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route(
            "/admin/users/{address}/directory",
            get(get_gal_fields)
                .put(put_gal_fields)
                .patch(patch_gal_fields),
        )
        .route(
            "/admin/users/{address}/photo",
            get(get_photo).put(put_photo).delete(delete_photo),
        )
        .route(
            "/admin/users/{address}/shared-calendars",
            post(set_user_shared_calendars),
        )
        .route(
            "/admin/users/{address}/calendar-settings",
            put(set_calendar_settings),
        )
        .route("/admin/users/{address}/aliases", post(add_alias))
        .route("/admin/aliases/{alias}", delete(remove_alias))
        .route("/admin/devices", get(list_devices))
        .route(
            "/admin/devices/{user}/{device_id}",
            get(get_device).delete(delete_device),
        )
        .route("/admin/devices/{user}/{device_id}/approve", post(approve))
        .route("/admin/devices/{user}/{device_id}/block", post(block))
        .route("/admin/devices/{user}/{device_id}/wipe", post(wipe))
        .route(
            "/admin/devices/{user}/{device_id}/shared-calendars",
            post(set_shared_calendars),
        )
        .merge(crate::admin_contacts::routes())
        .merge(crate::admin_calendar::routes())
        .route_layer(middleware::from_fn_with_state(edge.clone(), require_token))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(eas_service_kit::metrics::handler))
        .with_state(edge)
}

async fn require_token(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let Some(expected) = edge.config.admin_token.as_deref().filter(|t| !t.is_empty()) else {
        return ApiError(
            StatusCode::FORBIDDEN,
            "admin api disabled: no admin token configured".into(),
        )
        .into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        tracing::warn!("admin api request with a wrong or missing token");
        return ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong admin token".into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// The token of an `Authorization: Bearer <token>` value. RFC 9110 §11.1: the scheme name is
/// case-insensitive; RFC 6750 §2.1: one or more spaces separate it from the token.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(token.trim_start_matches(' '))
}

#[derive(Deserialize)]
struct DomainBody {
    name: String,
    #[serde(default)]
    approval: Option<ApprovalPolicy>,
}

#[derive(Deserialize)]
struct DomainPatch {
    approval: Option<ApprovalPolicy>,
}

async fn list_domains(State(edge): State<Arc<Edge>>) -> ApiResult<Response> {
    Ok(Json(edge.directory.list_domains().await?).into_response())
}

async fn create_domain(
    State(edge): State<Arc<Edge>>,
    Json(body): Json<DomainBody>,
) -> ApiResult<Response> {
    let d = edge
        .directory
        .create_domain(&body.name, body.approval)
        .await?;
    tracing::info!(domain = %d.name, "domain created");
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

async fn get_domain(
    State(edge): State<Arc<Edge>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(edge.directory.get_domain(&name).await?).into_response())
}

async fn update_domain(
    State(edge): State<Arc<Edge>>,
    Path(name): Path<String>,
    Json(body): Json<DomainPatch>,
) -> ApiResult<Response> {
    edge.directory
        .set_domain_approval(&name, body.approval)
        .await?;
    Ok(Json(edge.directory.get_domain(&name).await?).into_response())
}

async fn delete_domain(
    State(edge): State<Arc<Edge>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    edge.directory.delete_domain(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct UserFilter {
    domain: Option<String>,
}

async fn list_users(
    State(edge): State<Arc<Edge>>,
    Query(f): Query<UserFilter>,
) -> ApiResult<Response> {
    Ok(Json(edge.directory.list_users(f.domain.as_deref()).await?).into_response())
}

async fn create_user(
    State(edge): State<Arc<Edge>>,
    Json(body): Json<NewUser>,
) -> ApiResult<Response> {
    let u = edge.directory.create_user(body).await?;
    tracing::info!(user = %u.address, "user created");
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

async fn get_user(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(edge.directory.get_user(&address).await?).into_response())
}

async fn update_user(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Json(body): Json<UserUpdate>,
) -> ApiResult<Response> {
    let u = edge.directory.update_user(&address, body).await?;
    edge.account_changed(&u.address).await;
    tracing::info!(user = %u.address, disabled = u.disabled, "user updated");
    Ok(Json(u).into_response())
}

async fn delete_user(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    edge.directory.delete_user(&address).await?;
    edge.account_changed(&address).await;
    tracing::info!(user = %address, "user deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A JSON body, or 400 with serde's message (an unknown field, a number for a string, bad
/// syntax) rather than axum's 422, so that every invalid input is a 400; 415 without the JSON
/// content type.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    match body {
        Ok(Json(value)) => Ok(value),
        Err(JsonRejection::MissingJsonContentType(e)) => {
            Err(ApiError(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.body_text()))
        }
        Err(e) => Err(ApiError(StatusCode::BAD_REQUEST, e.body_text())),
    }
}

async fn get_gal_fields(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(edge.directory.get_user(&address).await?.gal).into_response())
}

/// Replaces every GAL field; one left out or `null` is cleared.
async fn put_gal_fields(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    body: Result<Json<GalFields>, JsonRejection>,
) -> ApiResult<Response> {
    let fields = json_body(body)?;
    let u = edge.directory.set_gal_fields(&address, fields).await?;
    Ok(Json(u.gal).into_response())
}

/// Changes the GAL fields given; `null` or a blank string clears one.
async fn patch_gal_fields(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    body: Result<Json<GalFieldsUpdate>, JsonRejection>,
) -> ApiResult<Response> {
    let update = json_body(body)?;
    let u = edge.directory.update_gal_fields(&address, update).await?;
    Ok(Json(u.gal).into_response())
}

async fn get_photo(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    match edge.directory.photo(&address).await? {
        Some(photo) => {
            Ok(([(header::CONTENT_TYPE, photo.content_type)], photo.data).into_response())
        }
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no photo for {address}"),
        )),
    }
}

/// Sets the photo from the raw body: a JPEG or PNG image (told by its bytes) of at most
/// [`MAX_PHOTO_BYTES`]. The Content-Type, when given, must be `image/jpeg`, `image/png` or
/// `application/octet-stream`.
async fn put_photo(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    let media_type = declared
        .as_deref()
        .map(|t| t.split(';').next().unwrap_or_default().trim());
    if !matches!(
        media_type,
        None | Some("image/jpeg" | "image/png" | "application/octet-stream")
    ) {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a photo is image/jpeg or image/png".into(),
        ));
    }
    let data = match http_body_util::Limited::new(body, MAX_PHOTO_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("photo too large: at most {MAX_PHOTO_BYTES} bytes allowed"),
            ))
        }
        Err(e) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("reading the photo failed: {e}"),
            ))
        }
    };
    let info = edge.directory.set_photo(&address, data).await?;
    Ok(Json(info).into_response())
}

async fn delete_photo(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    edge.directory.delete_photo(&address).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct AliasBody {
    alias: String,
}

async fn add_alias(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Json(body): Json<AliasBody>,
) -> ApiResult<Response> {
    edge.directory.add_alias(&address, &body.alias).await?;
    Ok((
        StatusCode::CREATED,
        Json(edge.directory.get_user(&address).await?),
    )
        .into_response())
}

async fn remove_alias(
    State(edge): State<Arc<Edge>>,
    Path(alias): Path<String>,
) -> ApiResult<Response> {
    edge.directory.remove_alias(&alias).await?;
    edge.account_changed(&alias).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct DeviceFilter {
    user: Option<String>,
    /// `pending`, `allowed` or `blocked`.
    approval: Option<ApprovalState>,
}

async fn list_devices(
    State(edge): State<Arc<Edge>>,
    Query(f): Query<DeviceFilter>,
) -> ApiResult<Response> {
    let user = f.user.map(|u| u.to_lowercase());
    let mut list = edge.devices.list_devices(user.as_deref()).await?;
    if let Some(a) = f.approval {
        list.retain(|d| d.approval == a);
    }
    Ok(Json(list).into_response())
}

async fn find_device(edge: &Edge, user: &str, device_id: &str) -> ApiResult<DeviceRecord> {
    edge.devices
        .get_device(&user.to_lowercase(), device_id)
        .await?
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("device not found: {user}/{device_id}"),
            )
        })
}

async fn get_device(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(Json(find_device(&edge, &user, &device_id).await?).into_response())
}

async fn delete_device(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !edge
        .devices
        .delete_device(&user.to_lowercase(), &device_id)
        .await?
    {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("device not found: {user}/{device_id}"),
        ));
    }
    tracing::info!(user = %user, device_id = %device_id, "device partnership removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_approval(
    edge: &Edge,
    user: &str,
    device_id: &str,
    a: ApprovalState,
) -> ApiResult<Response> {
    let mut d = find_device(edge, user, device_id).await?;
    d.approval = a;
    edge.devices.put_device(&d).await?;
    tracing::info!(user = %d.user, device_id = %d.device_id, approval = ?a, "device approval changed");
    Ok(Json(d).into_response())
}

async fn approve(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    set_approval(&edge, &user, &device_id, ApprovalState::Allowed).await
}

async fn block(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    set_approval(&edge, &user, &device_id, ApprovalState::Blocked).await
}

#[derive(Deserialize, Default)]
struct WipeBody {
    #[serde(default)]
    account_only: bool,
}

async fn wipe(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
    body: Option<Json<WipeBody>>,
) -> ApiResult<Response> {
    let account_only = body.map(|b| b.0.account_only).unwrap_or_default();
    let mut d = find_device(&edge, &user, &device_id).await?;
    // MS-ASPROV 2.2.2.1: AccountOnlyRemoteWipe exists only in protocol 16.1; an older phone would
    // not understand it, and a full wipe is not what was asked for.
    let v16_1 = d
        .protocol_version
        .as_deref()
        .and_then(|v| v.parse::<ProtocolVersion>().ok())
        .is_some_and(|v| v >= ProtocolVersion::V16_1);
    if account_only && !v16_1 {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "account-only wipe needs a device on protocol 16.1; block the device or use a full wipe".into(),
        ));
    }
    d.wipe = WipeState::Requested {
        account_only,
        requested_at: now(),
    };
    edge.devices.put_device(&d).await?;
    tracing::warn!(user = %d.user, device_id = %d.device_id, account_only, "remote wipe requested");
    Ok(Json(d).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SharedCalendarsBody {
    /// `true` or `false` for this device; `null` to follow its device type's default.
    enabled: Option<bool>,
}

/// Whether FolderSync offers this device the calendars other users shared with its user. The
/// device sees the change at its next FolderSync.
async fn set_shared_calendars(
    State(edge): State<Arc<Edge>>,
    Path((user, device_id)): Path<(String, String)>,
    Json(body): Json<SharedCalendarsBody>,
) -> ApiResult<Response> {
    let mut d = find_device(&edge, &user, &device_id).await?;
    d.shared_calendars = body.enabled;
    edge.devices.put_device(&d).await?;
    tracing::info!(user = %d.user, device_id = %d.device_id, shared_calendars = ?d.shared_calendars, "shared calendars setting changed");
    Ok(Json(d).into_response())
}

/// The user's own time zone and first day of the week (`null`: the server's); a zone that is
/// not an IANA name or a day past 6 is 400. Phones see it at their next Sync (on this edge at
/// once; on others when their login cache expires).
async fn set_calendar_settings(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Json(body): Json<eas_directory::CalendarPreferences>,
) -> ApiResult<Response> {
    let user = edge
        .directory
        .set_calendar_preferences(&address, body)
        .await?;
    edge.account_changed(&user.address).await;
    Ok(Json(user).into_response())
}

/// Whether the user's devices are offered calendars other users shared with them (a device's
/// own setting wins); they see the change at their next FolderSync.
async fn set_user_shared_calendars(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Json(body): Json<SharedCalendarsBody>,
) -> ApiResult<Response> {
    let user = edge
        .directory
        .set_shared_calendars(&address, body.enabled)
        .await?;
    edge.account_changed(&user.address).await;
    Ok(Json(user).into_response())
}
