//! What the admin API's address-book and calendar endpoints share: the data class a request is
//! about, its service's errors as HTTP statuses, the `?folder=` argument (a folder as phones see
//! it, or the default one) and the lists of an import's refused and warned items.

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use eas_event_bus::DataClass;
use eas_rpc::collections::Chunk;
use eas_rpc::{ServiceError, ServiceErrorCode};
use futures::StreamExt;
use serde_json::{json, Value};

use crate::admin::ApiError;
use crate::classes::class_of;
use crate::edge::Edge;

/// One data class the admin API imports into and exports from.
pub(crate) struct Book {
    pub class: DataClass,
    /// The folder type of the default folder (MS-ASCMD 2.2.3.186.3).
    default_type: u32,
    /// How its folder ids start, as phones see them.
    prefix: &'static str,
    /// What a folder of the class is called in messages.
    noun: &'static str,
    /// The name of the default folder.
    default_name: &'static str,
}

pub(crate) const CONTACTS: Book = Book {
    class: DataClass::Contacts,
    default_type: 9,
    prefix: "con:",
    noun: "contacts folder",
    default_name: "Contacts",
};

pub(crate) const CALENDARS: Book = Book {
    class: DataClass::Calendar,
    default_type: 8,
    prefix: "cal:",
    noun: "calendar",
    default_name: "Calendar",
};

impl Book {
    /// A service error as the API answers it; what the caller cannot fix is logged.
    pub fn service_error(&self, e: ServiceError) -> ApiError {
        let status = match e.code {
            ServiceErrorCode::NotFound => StatusCode::NOT_FOUND,
            ServiceErrorCode::InvalidArgument => StatusCode::BAD_REQUEST,
            ServiceErrorCode::SpecialFolder | ServiceErrorCode::ReadOnly => StatusCode::CONFLICT,
            ServiceErrorCode::Busy | ServiceErrorCode::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => {
                tracing::error!(class = ?self.class, error = %e, "admin api data service failure");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError(status, e.message)
    }

    /// 501: this edge does not serve the class.
    pub fn unserved(&self) -> ApiError {
        ApiError(
            StatusCode::NOT_IMPLEMENTED,
            format!("this server does not serve the {} class", self.default_name),
        )
    }

    /// The service's folder id for `?folder=`: a folder of the class as phones see it, or empty
    /// for the default folder.
    pub fn folder_arg(&self, folder: Option<&str>) -> Result<String, ApiError> {
        match folder.map(class_of) {
            None => Ok(String::new()),
            Some((class, id)) if class == self.class => Ok(id.to_owned()),
            Some(_) => Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!(
                    "folder is not a {} (its id starts with {})",
                    self.noun, self.prefix
                ),
            )),
        }
    }

    /// The service's id of the user's default folder of the class.
    pub async fn default_folder(&self, edge: &Edge, user: &str) -> Result<String, ApiError> {
        let folders = edge
            .classes
            .folders_of(self.class, user)
            .await
            .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        folders
            .values()
            .find(|f| f.folder_type == self.default_type)
            .map(|f| class_of(&f.id).1.to_owned())
            .ok_or_else(|| {
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the user has no {} folder", self.default_name),
                )
            })
    }

    /// `?folder=` or the default folder.
    pub async fn folder_or_default(
        &self,
        edge: &Edge,
        user: &str,
        folder: Option<&str>,
    ) -> Result<String, ApiError> {
        match self.folder_arg(folder)? {
            id if id.is_empty() => self.default_folder(edge, user).await,
            id => Ok(id),
        }
    }
}

/// A file a data service exports, streamed to the administrator as it arrives. A refusal comes
/// before the first chunk and is answered with its status; a failure after it ends the body.
pub(crate) async fn exported_file(
    book: &Book,
    reply: Result<tonic::Response<tonic::Streaming<Chunk>>, tonic::Status>,
    content_type: &'static str,
) -> Result<Response, ApiError> {
    let mut stream = reply
        .map_err(|s| book.service_error(ServiceError::from_status(&s)))?
        .into_inner();
    let first = stream
        .message()
        .await
        .map_err(|s| book.service_error(ServiceError::from_status(&s)))?
        .unwrap_or_default();
    let rest = futures::stream::unfold(stream, |mut s| async move {
        match s.message().await {
            Ok(Some(c)) => Some((Ok(Bytes::from(c.data)), s)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "export stream broken");
                Some((Err(std::io::Error::other(e.message().to_owned())), s))
            }
        }
    });
    let body = futures::stream::once(async move { Ok(Bytes::from(first.data)) }).chain(rest);
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(body),
    )
        .into_response())
}

/// Items of an import by their position in the file, as the answer lists them.
pub(crate) fn by_position<'a>(items: impl IntoIterator<Item = (u32, &'a str)>) -> Vec<Value> {
    items
        .into_iter()
        .map(|(index, reason)| json!({ "index": index, "reason": reason }))
        .collect()
}
