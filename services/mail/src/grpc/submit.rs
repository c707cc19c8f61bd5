//! The Submit RPC: mail out over [`Submitter`], with refusals as outcomes the edge maps to
//! MS-ASCMD statuses.

use eas_rpc::mail::{self as wire, SmartKind as WireKind, SubmitOutcome};
use tonic::Status;

use crate::submit::{Smart, SmartKind, Submission, SubmitError, Submitter};

/// Runs one submission; storage failures are `UNAVAILABLE`, everything else an outcome.
pub(super) async fn submit(
    submitter: Option<&Submitter>,
    r: wire::SubmitRequest,
) -> Result<wire::SubmitReply, Status> {
    let submitter =
        submitter.ok_or_else(|| Status::unimplemented("mail submission is not set up"))?;
    let kind = match WireKind::try_from(r.smart_kind) {
        Ok(WireKind::None) => None,
        Ok(WireKind::Reply) => Some(SmartKind::Reply),
        Ok(WireKind::Forward) => Some(SmartKind::Forward),
        Err(_) => return Err(Status::invalid_argument("unknown smart kind")),
    };
    let smart = match kind {
        Some(kind) => Some(Smart {
            original: super::message_id(&r.original_id)?,
            kind,
            replace_mime: r.replace_mime,
        }),
        None => None,
    };
    let submission = Submission {
        user: r.user,
        mime: r.mime,
        save_in_sent: r.save_in_sent,
        smart,
    };
    let outcome = match submitter
        .submit(submission, crate::submit::relay::now_ms())
        .await
    {
        Ok(()) => SubmitOutcome::Accepted,
        Err(SubmitError::Store(e)) => return Err(super::status(e)),
        Err(e) => {
            let outcome = match &e {
                SubmitError::InvalidMime => SubmitOutcome::InvalidMime,
                SubmitError::NoRecipients => SubmitOutcome::NoRecipients,
                SubmitError::OriginalNotFound(_) => SubmitOutcome::OriginalNotFound,
                SubmitError::NoRelay(_) => SubmitOutcome::NoRelay,
                SubmitError::Resolve(_) | SubmitError::Store(_) => SubmitOutcome::RetryLater,
            };
            tracing::info!(error = %e, "submission refused");
            return Ok(wire::SubmitReply {
                outcome: outcome as i32,
                detail: e.to_string(),
            });
        }
    };
    Ok(wire::SubmitReply {
        outcome: outcome as i32,
        detail: String::new(),
    })
}
