//! Errors of the calendar service, and the code each one travels under to the edge.

/// Failure of a calendar operation. Messages name ids and addresses, never event content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// No such calendar among those the user sees (their own and those shared with them).
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such live event in the calendar.
    #[error("event not found: {0}")]
    EventNotFound(String),
    /// A calendar of that name already exists under the same parent (FolderCreate status 2).
    #[error("folder already exists: {0}")]
    FolderExists(String),
    /// The default Calendar, and a calendar shared with the user, cannot be renamed, moved or
    /// deleted by them (MS-ASCMD 2.2.3.177.2 status 2, 2.2.3.177.3 status 3).
    #[error("special folder cannot be changed: {0}")]
    SpecialFolder(String),
    /// A calendar cannot move into itself or one of its descendants.
    #[error("folder cannot move under itself: {0}")]
    FolderCycle(String),
    /// A move whose destination is the calendar the event is already in.
    #[error("source and destination folder are the same: {0}")]
    SameFolder(String),
    /// The calendar is shared with the user for reading only.
    #[error("folder is read-only for this user: {0}")]
    ReadOnly(String),
    /// A conditional update found the event changed since the version named.
    #[error("event {id} changed: at modseq {current}, expected {expected}")]
    Conflict {
        id: String,
        expected: u64,
        current: u64,
    },
    /// No grant of that calendar to that user.
    #[error("share not found: folder {folder} to {grantee:?}")]
    ShareNotFound { folder: String, grantee: String },
    /// A share that cannot be: with oneself, or without an access.
    #[error("invalid share: {0}")]
    InvalidShare(String),
    /// The JSON is not crates/calendar's stored form.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// An attachment larger than the service takes (`CalendarOptions::max_attachment_bytes`).
    #[error("attachment of {size} bytes is larger than the {max} bytes accepted")]
    AttachmentTooLarge { size: u64, max: u64 },
    /// No live event of a calendar the user sees has an attachment of that FileReference.
    #[error("attachment not found: {0:?}")]
    AttachmentNotFound(String),
    /// The data is not an iCalendar file.
    #[error("invalid icalendar file: {0}")]
    InvalidIcal(String),
    #[error("invalid folder name")]
    InvalidFolderName,
    #[error("invalid id {0:?}")]
    InvalidId(String),
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    /// A free/busy window that ends before it starts or is too long.
    #[error("invalid time range: {0}")]
    InvalidRange(String),
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// A stored row breaks an invariant of the schema (an unknown role, unreadable JSON).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<CalendarError> for eas_rpc::ServiceError {
    fn from(e: CalendarError) -> Self {
        use eas_rpc::ServiceErrorCode as C;
        use CalendarError::*;
        let code = match &e {
            FolderNotFound(_) | EventNotFound(_) | ShareNotFound { .. } | AttachmentNotFound(_) => {
                C::NotFound
            }
            FolderExists(_) => C::AlreadyExists,
            SpecialFolder(_) => C::SpecialFolder,
            FolderCycle(_) => C::FolderCycle,
            SameFolder(_) => C::SameFolder,
            ReadOnly(_) => C::ReadOnly,
            Conflict { .. } => C::Conflict,
            InvalidShare(_)
            | InvalidEvent(_)
            | AttachmentTooLarge { .. }
            | InvalidIcal(_)
            | InvalidFolderName
            | InvalidId(_)
            | InvalidAddress(_)
            | InvalidRange(_) => C::InvalidArgument,
            Database(db) => eas_data_service::database_code(db),
            InvalidSchema(_) | UnsupportedUrl | Corrupt(_) | Migration(_) => C::Internal,
        };
        eas_rpc::ServiceError::new(code, e.to_string())
    }
}

impl From<eas_store_kit::OpenError> for CalendarError {
    fn from(e: eas_store_kit::OpenError) -> Self {
        use eas_store_kit::OpenError;
        match e {
            OpenError::UnsupportedUrl => CalendarError::UnsupportedUrl,
            OpenError::InvalidSchema(name) => CalendarError::InvalidSchema(name),
            OpenError::Database(e) => CalendarError::Database(e),
            OpenError::Migration(e) => CalendarError::Migration(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_rpc::ServiceErrorCode as C;

    #[test]
    fn caller_errors_keep_their_kind() {
        let cases = [
            (CalendarError::FolderNotFound("7".into()), C::NotFound),
            (CalendarError::EventNotFound("8".into()), C::NotFound),
            (
                CalendarError::ShareNotFound {
                    folder: "7".into(),
                    grantee: "b@x".into(),
                },
                C::NotFound,
            ),
            (CalendarError::FolderExists("x".into()), C::AlreadyExists),
            (CalendarError::SpecialFolder("1".into()), C::SpecialFolder),
            (CalendarError::FolderCycle("2".into()), C::FolderCycle),
            (CalendarError::SameFolder("3".into()), C::SameFolder),
            (CalendarError::ReadOnly("3".into()), C::ReadOnly),
            (
                CalendarError::Conflict {
                    id: "4".into(),
                    expected: 1,
                    current: 2,
                },
                C::Conflict,
            ),
            (CalendarError::InvalidEvent("x".into()), C::InvalidArgument),
            (CalendarError::InvalidIcal("x".into()), C::InvalidArgument),
            (CalendarError::InvalidShare("x".into()), C::InvalidArgument),
            (CalendarError::InvalidId("z".into()), C::InvalidArgument),
            (CalendarError::InvalidRange("x".into()), C::InvalidArgument),
        ];
        for (e, want) in cases {
            assert_eq!(eas_rpc::ServiceError::from(e).code, want);
        }
    }

    #[test]
    fn an_outage_is_unavailable_and_a_bug_internal() {
        let pool = CalendarError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(eas_rpc::ServiceError::from(pool).code, C::Unavailable);
        let corrupt = CalendarError::Corrupt("role".into());
        assert_eq!(eas_rpc::ServiceError::from(corrupt).code, C::Internal);
    }
}
