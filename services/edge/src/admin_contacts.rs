//! The admin API's address-book endpoints: a user's contacts imported from and exported to
//! vCard (3.0 and 4.0 out; 2.1, 3.0 and 4.0 in) through the contacts service. Phones syncing
//! the folder get the imported contacts on their next Sync, and a held Ping or Sync on it wakes.
//!
//! - `POST /admin/users/{address}/contacts/import[?folder=ID]`: the body is a vCard file; the
//!   answer counts the contacts added and lists the cards that could not be read.
//! - `GET /admin/users/{address}/contacts/export[?folder=ID][&version=3|4]`: one vCard file.
//!
//! `folder` is the folder's id as phones see it (`con:7`); without it, the default Contacts folder.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::contacts::{ExportRequest, ImportRequest};
use eas_rpc::{Channel, ServiceError};
use serde::Deserialize;
use serde_json::json;

use crate::admin::ApiError;
use crate::admin_pim::{by_position, exported_file, CONTACTS};
use crate::edge::Edge;

/// The largest vCard file an import takes: thousands of contacts with photos.
pub const MAX_IMPORT_BYTES: usize = 32 << 20;

/// The routes, behind the admin router's token check.
pub(crate) fn routes() -> Router<Arc<Edge>> {
    Router::new()
        .route(
            "/admin/users/{address}/contacts/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/admin/users/{address}/contacts/export", get(export))
}

#[derive(Deserialize)]
struct FolderQuery {
    folder: Option<String>,
    version: Option<u32>,
}

/// The contacts client and the user's canonical address; 404 for an unknown user, 501 when this
/// edge does not serve contacts.
async fn target(edge: &Edge, address: &str) -> Result<(ContactsClient<Channel>, String), ApiError> {
    let client = edge.contacts.clone().ok_or_else(|| CONTACTS.unserved())?;
    let user = edge.directory.get_user(address).await?;
    Ok((client, user.address))
}

fn service_error(s: tonic::Status) -> ApiError {
    CONTACTS.service_error(ServiceError::from_status(&s))
}

async fn import(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Query(q): Query<FolderQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut client, user) = target(&edge, &address).await?;
    let folder_id = CONTACTS.folder_arg(q.folder.as_deref())?;
    let reply = client
        .import_vcards(ImportRequest {
            user: user.clone(),
            folder_id,
            data: body.to_vec(),
        })
        .await
        .map_err(service_error)?
        .into_inner();
    tracing::info!(user = %user, imported = reply.imported, skipped = reply.errors.len(), "contacts imported");
    let errors = by_position(reply.errors.iter().map(|e| (e.index, e.reason.as_str())));
    Ok(
        Json(json!({ "imported": reply.imported, "ids": reply.ids, "errors": errors }))
            .into_response(),
    )
}

async fn export(
    State(edge): State<Arc<Edge>>,
    Path(address): Path<String>,
    Query(q): Query<FolderQuery>,
) -> Result<Response, ApiError> {
    let (mut client, user) = target(&edge, &address).await?;
    let version = match q.version.unwrap_or(4) {
        v @ (3 | 4) => v,
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("version {other}: vCard 3 or 4 are exported"),
            ))
        }
    };
    let folder_id = CONTACTS
        .folder_or_default(&edge, &user, q.folder.as_deref())
        .await?;
    let reply = client
        .export_vcards(ExportRequest {
            user,
            folder_id,
            version,
        })
        .await;
    exported_file(&CONTACTS, reply, "text/vcard; charset=utf-8").await
}
