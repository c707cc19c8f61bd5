//! A data service's errors on the wire: the shared codes of `eas_rpc::ServiceError`, each
//! failure logged once where it becomes a gRPC status.

use eas_rpc::{ServiceError, ServiceErrorCode};
use tonic::Status;

/// A store error as the status the edge decodes (`eas_rpc::ServiceError`): what the caller did
/// wrong with its own code, an outage as `Unavailable`, anything else as `Internal`, logged here
/// once with its cause. `service` names the store in the log line (`contacts`, `calendar`).
pub fn status(service: &str, e: impl Into<ServiceError>) -> Status {
    let err: ServiceError = e.into();
    match err.code {
        ServiceErrorCode::Internal => {
            tracing::error!(error = %err.message, "{service} store failure")
        }
        ServiceErrorCode::Unavailable | ServiceErrorCode::Busy => {
            tracing::warn!(error = %err.message, "{service} store unavailable")
        }
        _ => {}
    }
    err.into_status()
}

/// The code of a database failure, read the same way in every service
/// (`eas_store_kit::failure`).
pub fn database_code(e: &sqlx::Error) -> ServiceErrorCode {
    use eas_store_kit::Failure;
    match eas_store_kit::failure(e) {
        Failure::Busy => ServiceErrorCode::Busy,
        Failure::Unavailable => ServiceErrorCode::Unavailable,
        Failure::Internal => ServiceErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_keeps_the_code_of_its_error() {
        for code in [
            ServiceErrorCode::NotFound,
            ServiceErrorCode::Unavailable,
            ServiceErrorCode::Internal,
        ] {
            let status = status("test", ServiceError::new(code, "x"));
            assert_eq!(ServiceError::from_status(&status).code, code);
        }
    }

    #[test]
    fn an_outage_is_unavailable_and_a_decoding_failure_internal() {
        assert_eq!(
            database_code(&sqlx::Error::PoolTimedOut),
            ServiceErrorCode::Unavailable
        );
        assert_eq!(
            database_code(&sqlx::Error::ColumnNotFound("x".into())),
            ServiceErrorCode::Internal
        );
    }
}
