//! SendMail, SmartReply and SmartForward (MS-ASCMD 2.2.1.17, 2.2.1.20, 2.2.1.19): the phone's
//! message goes to the mail service's Submit; success is an empty 200 (MS-ASCMD 2.2.3.177.14).
//!
//! From 14.0 the request is WBXML and a refusal is the command's element with a common status
//! (MS-ASCMD 2.2.2). Below 14.0 the body is the `message/rfc822` itself with SaveInSent,
//! ItemId and CollectionId in the query, and a refusal is an HTTP status: 500 for a failed
//! submission, which AOSP answers by resending a smart command as SendMail (PHONE_FLOWS.md 2).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use eas_protocol::compose_mail::{ComposeKind, ComposeMailRequest};
use eas_protocol::status::CommonStatus;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::mail::{SmartKind, SubmitOutcome, SubmitRequest};

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::{decode_body, RequestCtx};

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    kind: ComposeKind,
    body: Bytes,
) -> Result<Response, EdgeError> {
    let Some(mut mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand(
            kind.root().name().unwrap_or("SendMail").to_owned(),
        ));
    };
    let modern = ctx.version >= ProtocolVersion::V14_0;
    let req = if modern {
        let doc = decode_body(edge, ctx, &body)?;
        match doc.as_ref().map(ComposeMailRequest::from_element) {
            Some(Ok(r)) => r,
            other => {
                let error = match other {
                    Some(Err(e)) => e.to_string(),
                    _ => "empty body".to_owned(),
                };
                tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, %error, "bad compose request");
                return Err(EdgeError::Status(CommonStatus::InvalidXml));
            }
        }
    } else {
        ComposeMailRequest::from_rfc822(kind, &ctx.line.params, body.to_vec())
    };
    let (smart_kind, original_id) = match (&req.source, kind) {
        (Some(source), ComposeKind::SmartReply | ComposeKind::SmartForward) => {
            let smart = if kind == ComposeKind::SmartReply {
                SmartKind::Reply
            } else {
                SmartKind::Forward
            };
            // Server ids and Search's LongIds are both the mail service's message id.
            let id = source.item_id.clone().or_else(|| source.long_id.clone());
            (smart, id.unwrap_or_default())
        }
        // A smart command below 14.0 without ItemId: nothing to append, sent as it is.
        _ => (SmartKind::None, String::new()),
    };
    if smart_kind != SmartKind::None && !original_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refusal(modern, CommonStatus::ItemNotFound));
    }
    let reply = mail
        .submit(SubmitRequest {
            user: ctx.user.address.clone(),
            mime: req.mime,
            save_in_sent: req.save_in_sent_items,
            smart_kind: smart_kind as i32,
            original_id,
            replace_mime: req.replace_mime,
        })
        .await
        .map_err(|s| {
            let e = eas_rpc::ServiceError::from_status(&s);
            match submit_status(e.code) {
                Some(status) => refusal(modern, status),
                None => {
                    tracing::warn!(user = %ctx.user.address, error = %e, "mail submission failed");
                    refusal(
                        modern,
                        if e.code.is_transient() {
                            CommonStatus::ServerErrorRetryLater
                        } else {
                            CommonStatus::ServerError
                        },
                    )
                }
            }
        })?
        .into_inner();
    let status = match SubmitOutcome::try_from(reply.outcome) {
        Ok(SubmitOutcome::Accepted) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, cmd = kind.root().name().unwrap_or_default(), client_id = req.client_id.as_deref().unwrap_or_default(), "mail submitted");
            return Ok(StatusCode::OK.into_response());
        }
        Ok(SubmitOutcome::InvalidMime) => CommonStatus::InvalidMime,
        Ok(SubmitOutcome::NoRecipients) => CommonStatus::MessageHasNoRecipient,
        Ok(SubmitOutcome::OriginalNotFound) => CommonStatus::ItemNotFound,
        Ok(SubmitOutcome::NoRelay) => CommonStatus::MailSubmissionFailed,
        Ok(SubmitOutcome::RetryLater) => CommonStatus::ServerErrorRetryLater,
        Err(_) => CommonStatus::ServerError,
    };
    tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, status = status as u16, detail = %reply.detail, "mail submission refused");
    Err(refusal(modern, status))
}

/// The common status of a data service's refusal of a submission, where one fits.
fn submit_status(code: eas_rpc::ServiceErrorCode) -> Option<CommonStatus> {
    match code {
        eas_rpc::ServiceErrorCode::InvalidArgument => Some(CommonStatus::InvalidMime),
        eas_rpc::ServiceErrorCode::NotFound => Some(CommonStatus::ItemNotFound),
        _ => None,
    }
}

/// The error that tells the phone: a common status from 14.0, an HTTP status before.
fn refusal(modern: bool, status: CommonStatus) -> EdgeError {
    if modern {
        return EdgeError::Status(status);
    }
    match status {
        CommonStatus::InvalidMime | CommonStatus::MessageHasNoRecipient => {
            EdgeError::BadRequest(format!("compose refused with status {}", status as u16))
        }
        CommonStatus::ServerErrorRetryLater => EdgeError::Unavailable("mail submission".into()),
        // HTTP 500: AOSP resends a failed smart command as SendMail.
        _ => EdgeError::Internal(format!("compose refused with status {}", status as u16)),
    }
}
