//! Errors of the mail store.

/// Failure of a mail store operation. Messages name ids and addresses, never message content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    #[error("mailbox not found: {0}")]
    MailboxNotFound(String),
    /// No such folder in this user's mailbox.
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such live message in this user's mailbox.
    #[error("message not found: {0}")]
    MessageNotFound(String),
    #[error("attachment not found: message {message} index {index}")]
    AttachmentNotFound { message: String, index: u32 },
    /// A folder of that name already exists under the same parent (FolderCreate status 2).
    #[error("folder already exists: {0}")]
    FolderExists(String),
    /// The standard folders cannot be renamed, moved or deleted (MS-ASCMD 2.2.3.177.x).
    #[error("special folder cannot be changed: {0}")]
    SpecialFolder(String),
    /// A folder cannot move into itself or one of its descendants.
    #[error("folder cannot move under itself: {0}")]
    FolderCycle(String),
    /// A move whose destination is the folder the message is already in (MoveItems status 4).
    #[error("source and destination folder are the same: {0}")]
    SameFolder(String),
    #[error("invalid folder name")]
    InvalidFolderName,
    #[error("invalid id {0:?}")]
    InvalidId(String),
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    /// mail-parser found nothing it could read (an empty message).
    #[error("message cannot be parsed")]
    Unparseable,
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// A stored row breaks an invariant of the schema (for example an unknown folder type).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The spool file of a message being delivered could not be read.
    #[error("spool error: {0}")]
    Spool(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}
