//! Typed errors across the gRPC boundary: a data service names what went wrong with a
//! [`ServiceErrorCode`], which travels as the `tonic::Status` code plus an `eas-error-bin`
//! metadata entry, and the caller decodes it once with [`ServiceError::from_status`].
//!
//! The gRPC code alone cannot tell a folder that would move under itself from a move to the
//! folder the item is already in (both `FAILED_PRECONDITION`), and a caller that treated every
//! failure as "unavailable" would have phones retry a server bug for ever. The code set is the
//! one every data service shares; a command maps it to its own EAS status next to its handler.

use std::fmt;

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

/// The metadata key of the code (binary metadata: one byte, [`ServiceErrorCode::as_byte`]).
pub const ERROR_METADATA_KEY: &str = "eas-error-bin";

/// What went wrong in a data service, as the edge needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceErrorCode {
    /// The mailbox, folder, item or attachment does not exist (any more).
    NotFound,
    /// A folder of that name already exists under the same parent.
    AlreadyExists,
    /// A standard folder cannot be renamed, moved or deleted.
    SpecialFolder,
    /// A folder cannot move under itself or one of its descendants.
    FolderCycle,
    /// The destination is the folder the item is already in.
    SameFolder,
    /// The user may read the folder (a calendar shared with read access) but not write it.
    ReadOnly,
    /// A conditional write found the item changed since the version the caller named (an
    /// update with a stale `if_modseq`): the same request fails again until the caller rereads.
    Conflict,
    /// The request names something malformed (an id, a name, an address, unreadable MIME).
    InvalidArgument,
    /// The service does not offer this call (for example submission without a relay set up).
    Unimplemented,
    /// A transient conflict (a lock, a busy database): the same request may succeed at once.
    Busy,
    /// The service or what it depends on cannot be reached: retry later (HTTP 503).
    Unavailable,
    /// A bug or corrupt data: retrying the same request will fail the same way (HTTP 500).
    Internal,
}

impl ServiceErrorCode {
    const ALL: [ServiceErrorCode; 12] = [
        Self::NotFound,
        Self::AlreadyExists,
        Self::SpecialFolder,
        Self::FolderCycle,
        Self::SameFolder,
        Self::InvalidArgument,
        Self::Unimplemented,
        Self::Busy,
        Self::Unavailable,
        Self::Internal,
        Self::Conflict,
        Self::ReadOnly,
    ];

    /// The byte carried in [`ERROR_METADATA_KEY`].
    pub fn as_byte(self) -> u8 {
        match self {
            Self::NotFound => 1,
            Self::AlreadyExists => 2,
            Self::SpecialFolder => 3,
            Self::FolderCycle => 4,
            Self::SameFolder => 5,
            Self::InvalidArgument => 6,
            Self::Unimplemented => 7,
            Self::Busy => 8,
            Self::Unavailable => 9,
            Self::Internal => 10,
            Self::Conflict => 11,
            Self::ReadOnly => 12,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_byte() == b)
    }

    /// The gRPC code this travels under (what a peer that does not read the metadata sees).
    pub fn grpc_code(self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::AlreadyExists => Code::AlreadyExists,
            Self::SpecialFolder | Self::FolderCycle | Self::SameFolder => Code::FailedPrecondition,
            Self::InvalidArgument => Code::InvalidArgument,
            Self::Unimplemented => Code::Unimplemented,
            // gRPC's ABORTED is the code of a failed test-and-set; without the metadata a peer
            // reads it as Busy.
            Self::Busy | Self::Conflict => Code::Aborted,
            Self::Unavailable => Code::Unavailable,
            Self::Internal => Code::Internal,
            Self::ReadOnly => Code::PermissionDenied,
        }
    }

    /// The code of a status that carries no metadata: one tonic made itself (a transport
    /// failure, a deadline) or one a service built by hand.
    fn from_grpc_code(code: Code) -> Self {
        match code {
            Code::NotFound => Self::NotFound,
            Code::AlreadyExists => Self::AlreadyExists,
            // Without the metadata the kind of precondition is unknown; the commonest is a
            // standard folder the request may not touch.
            Code::FailedPrecondition => Self::SpecialFolder,
            Code::InvalidArgument | Code::OutOfRange => Self::InvalidArgument,
            Code::Unimplemented => Self::Unimplemented,
            Code::Aborted | Code::ResourceExhausted => Self::Busy,
            // A broken connection surfaces as Unknown or Cancelled from the transport; a
            // deadline as DeadlineExceeded: the peer may well answer the next call.
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
                Self::Unavailable
            }
            Code::PermissionDenied => Self::ReadOnly,
            Code::Ok | Code::Internal | Code::DataLoss | Code::Unauthenticated => Self::Internal,
        }
    }

    /// Whether the condition passes by itself, so the phone should retry later (HTTP 503).
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Busy | Self::Unavailable)
    }
}

/// A data service's error: its code and a message that names ids, never content or secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub code: ServiceErrorCode,
    pub message: String,
}

impl ServiceError {
    pub fn new(code: ServiceErrorCode, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
        }
    }

    /// Decodes a status: the metadata's code when present and known, else one derived from
    /// the gRPC code.
    pub fn from_status(s: &Status) -> Self {
        let code = s
            .metadata()
            .get_bin(ERROR_METADATA_KEY)
            .and_then(|v| v.to_bytes().ok())
            .and_then(|b| match b.as_ref() {
                [one] => ServiceErrorCode::from_byte(*one),
                _ => None,
            })
            .unwrap_or_else(|| ServiceErrorCode::from_grpc_code(s.code()));
        ServiceError::new(code, s.message())
    }

    /// The status a service returns for this error.
    pub fn into_status(self) -> Status {
        let mut s = Status::new(self.code.grpc_code(), self.message);
        s.metadata_mut().insert_bin(
            ERROR_METADATA_KEY,
            MetadataValue::from_bytes(&[self.code.as_byte()]),
        );
        s
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        e.into_status()
    }
}

impl From<Status> for ServiceError {
    fn from(s: Status) -> ServiceError {
        ServiceError::from_status(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_the_wire() {
        for code in ServiceErrorCode::ALL {
            let s = ServiceError::new(code, "folder 7").into_status();
            assert_eq!(s.code(), code.grpc_code());
            let back = ServiceError::from_status(&s);
            assert_eq!(back, ServiceError::new(code, "folder 7"));
        }
    }

    #[test]
    fn a_conflict_survives_the_wire_and_is_not_transient() {
        let s = ServiceError::new(ServiceErrorCode::Conflict, "contact 9 changed").into_status();
        assert_eq!(s.code(), Code::Aborted);
        let bytes = s
            .metadata()
            .get_bin(ERROR_METADATA_KEY)
            .map(|v| v.to_bytes());
        assert_eq!(bytes.and_then(Result::ok).as_deref(), Some(&[11u8][..]));
        let back = ServiceError::from_status(&s);
        assert_eq!(back.code, ServiceErrorCode::Conflict);
        assert_eq!(back.message, "contact 9 changed");
        assert!(!back.code.is_transient());
    }

    #[test]
    fn the_three_preconditions_stay_apart() {
        let codes = [
            ServiceErrorCode::SpecialFolder,
            ServiceErrorCode::FolderCycle,
            ServiceErrorCode::SameFolder,
        ];
        for c in codes {
            let back = ServiceError::from_status(&ServiceError::new(c, "").into_status());
            assert_eq!(back.code, c);
        }
    }

    #[test]
    fn a_status_without_metadata_is_decoded_from_its_code() {
        let cases = [
            (
                Status::unavailable("connection refused"),
                ServiceErrorCode::Unavailable,
            ),
            (Status::unknown("h2 error"), ServiceErrorCode::Unavailable),
            (
                Status::deadline_exceeded("slow"),
                ServiceErrorCode::Unavailable,
            ),
            (Status::internal("bug"), ServiceErrorCode::Internal),
            (Status::not_found("gone"), ServiceErrorCode::NotFound),
            (
                Status::invalid_argument("id"),
                ServiceErrorCode::InvalidArgument,
            ),
            (Status::aborted("lock"), ServiceErrorCode::Busy),
            (Status::unimplemented("no"), ServiceErrorCode::Unimplemented),
        ];
        for (s, want) in cases {
            assert_eq!(ServiceError::from_status(&s).code, want, "{s:?}");
        }
    }

    #[test]
    fn unknown_or_malformed_metadata_falls_back_to_the_code() {
        for bytes in [&[0u8][..], &[200], &[1, 2], &[]] {
            let mut s = Status::internal("x");
            s.metadata_mut()
                .insert_bin(ERROR_METADATA_KEY, MetadataValue::from_bytes(bytes));
            assert_eq!(
                ServiceError::from_status(&s).code,
                ServiceErrorCode::Internal
            );
        }
    }

    #[test]
    fn only_busy_and_unavailable_are_transient() {
        let transient: Vec<_> = ServiceErrorCode::ALL
            .into_iter()
            .filter(|c| c.is_transient())
            .collect();
        assert_eq!(
            transient,
            [ServiceErrorCode::Busy, ServiceErrorCode::Unavailable]
        );
    }
}
