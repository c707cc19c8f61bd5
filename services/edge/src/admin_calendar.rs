//! The admin API's calendar endpoints, through the calendar service: a user's calendar imported
//! from and exported to iCalendar (RFC 5545), and calendars shared between users. Phones syncing
//! the calendar get imported events on their next Sync, and a held Ping or Sync on it wakes.
//!
//! - `POST /admin/users/{address}/calendar/import[?folder=ID]`: the body is an iCalendar file;
//!   the answer counts the events added or replaced, lists those that could not be read
//!   (`errors`) and those imported with something phones will not see (`warnings`).
//! - `GET /admin/users/{address}/calendar/export[?folder=ID]`: one iCalendar file.
//! - `GET /admin/users/{address}/calendar/shares`: the grants of the user's calendars and those
//!   made to the user.
//! - `PUT /admin/users/{owner}/calendar/shares` with `{"grantee", "access": "read" |
//!   "read-write", "folder"?}`: grants (or changes) access to one of the owner's calendars.
//! - `DELETE /admin/users/{owner}/calendar/shares?grantee=...[&folder=ID]`: withdraws it.
//!
//! `folder` is the calendar's id as phones see it (`cal:7`); without it, the default Calendar.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eas_event_bus::DataClass;
use eas_rpc::calendar::calendar_client::CalendarClient;
use eas_rpc::calendar::{
    Access, ExportRequest, GrantShareRequest, ImportRequest, ListSharesRequest, RevokeShareRequest,
    Share,
};
use eas_rpc::{Channel, ServiceError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::ApiError;
use crate::admin_pim::{by_position, exported_file, CALENDARS};
use crate::edge::Edge;

/// The largest iCalendar file an import takes.
pub const MAX_IMPORT_BYTES: usize = 32 << 20;

/// The routes, behind the admin router's token check.
pub(crate) fn routes() -> Router<Arc<Edge>> {
    Router::new()
        .route(
            "/admin/users/{address}/calendar/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/admin/users/{address}/calendar/export", get(export))
        .route(
            "/admin/users/{address}/calendar/shares",
            get(list_shares).put(grant).delete(revoke),
        )
}

#[derive(Deserialize)]
struct FolderQuery {
    folder: Option<String>,
}

#[derive(Deserialize)]
struct RevokeQuery {
    folder: Option<String>,
    grantee: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    grantee: String,
    access: String,
    folder: Option<String>,
}

/// The calendar client and the user's canonical address; 404 for an unknown user, 501 when
/// this edge does not serve calendars.
async fn target(edge: &Edge, address: &str) -> Result<(CalendarClient<Channel>, String), ApiError> {
    let (client, user) = target_user(edge, address).await?;
    Ok((client, user.address))
}

/// [`target`] with the whole account.
async fn target_user(
    edge: &Edge,
    address: &str,
) -> Result<(CalendarClient<Channel>, eas_directory::User), ApiError> {
    let client = edge.calendar.clone().ok_or_else(|| CALENDARS.unserved())?;
    Ok((client, edge.directory.get_user(address).await?))
}

fn service_error(s: tonic::Status) -> ApiError {
    CALENDARS.service_error(ServiceError::from_status(&s))
}

async fn import(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Query(q): Query<FolderQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut client, account) = target_user(&edge, &address).await?;
    let folder_id = CALENDARS.folder_arg(q.folder.as_deref())?;
    // Floating times (no TZID) are the user's local times.
    let zone = edge.user_zone(&account);
    let user = account.address;
    let reply = client
        .import_ical(ImportRequest {
            user: user.clone(),
            folder_id,
            data: body.to_vec(),
            time_zone: zone.name().to_owned(),
        })
        .await
        .map_err(service_error)?
        .into_inner();
    tracing::info!(user = %user, imported = reply.imported, skipped = reply.errors.len(), "calendar imported");
    let listed = |list: &[eas_rpc::calendar::ImportError]| {
        by_position(list.iter().map(|e| (e.index, e.reason.as_str())))
    };
    Ok(Json(json!({
        "imported": reply.imported,
        "ids": reply.ids,
        "errors": listed(&reply.errors),
        "warnings": listed(&reply.warnings),
    }))
    .into_response())
}

async fn export(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Query(q): Query<FolderQuery>,
) -> Result<Response, ApiError> {
    let (mut client, user) = target(&edge, &address).await?;
    let folder_id = CALENDARS
        .folder_or_default(&edge, &user, q.folder.as_deref())
        .await?;
    let reply = client.export_ical(ExportRequest { user, folder_id }).await;
    exported_file(&CALENDARS, reply, "text/calendar; charset=utf-8").await
}

fn access_name(a: i32) -> &'static str {
    match Access::try_from(a) {
        Ok(Access::Read) => "read",
        Ok(Access::ReadWrite) => "read-write",
        _ => "unknown",
    }
}

fn share_json(s: &Share) -> Value {
    json!({
        "owner": s.owner,
        "folder": crate::classes::phone_id(DataClass::Calendar, &s.folder_id),
        "grantee": s.grantee,
        "access": access_name(s.access),
        "display_name": s.display_name,
    })
}

async fn list_shares(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
) -> Result<Response, ApiError> {
    let (mut client, user) = target(&edge, &address).await?;
    let reply = client
        .list_shares(ListSharesRequest { user })
        .await
        .map_err(service_error)?
        .into_inner();
    Ok(Json(json!({
        "granted": reply.granted.iter().map(share_json).collect::<Vec<_>>(),
        "received": reply.received.iter().map(share_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn grant(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Json(body): Json<GrantBody>,
) -> Result<Response, ApiError> {
    let (mut client, owner) = target(&edge, &address).await?;
    let access = match body.access.as_str() {
        "read" => Access::Read,
        "read-write" => Access::ReadWrite,
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("access {other:?}: \"read\" or \"read-write\""),
            ))
        }
    };
    let grantee = edge.directory.get_user(&body.grantee).await?.address;
    let folder_id = CALENDARS
        .folder_or_default(&edge, &owner, body.folder.as_deref())
        .await?;
    let share = client
        .grant_share(GrantShareRequest {
            owner: owner.clone(),
            folder_id,
            grantee: grantee.clone(),
            access: access.into(),
        })
        .await
        .map_err(service_error)?
        .into_inner();
    tracing::info!(owner = %owner, grantee = %grantee, access = access_name(share.access), "calendar shared");
    Ok(Json(share_json(&share)).into_response())
}

async fn revoke(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Query(q): Query<RevokeQuery>,
) -> Result<Response, ApiError> {
    let (mut client, owner) = target(&edge, &address).await?;
    let grantee = edge.directory.get_user(&q.grantee).await?.address;
    let folder_id = CALENDARS
        .folder_or_default(&edge, &owner, q.folder.as_deref())
        .await?;
    client
        .revoke_share(RevokeShareRequest {
            owner: owner.clone(),
            folder_id,
            grantee: grantee.clone(),
        })
        .await
        .map_err(service_error)?;
    tracing::info!(owner = %owner, grantee = %grantee, "calendar share withdrawn");
    Ok(StatusCode::NO_CONTENT.into_response())
}
