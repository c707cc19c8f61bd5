//! The mail service: mailboxes, folders, messages stored once as chunked blobs, per-folder
//! change counters with tombstones, change events, and an LMTP listener for mail in.
//!
//! [`MailStore`] is the API (domain types, no WBXML); it runs over SQLite (embedded) or
//! PostgreSQL (cluster) and publishes an [`eas_event_bus::ChangeEvent`] after every committed
//! write. [`lmtp`] accepts mail from an MTA; [`submit`] sends the phones' mail out. docs/mail-service.md describes the schema, the
//! counter and tombstone model, blob chunking and the LMTP behaviour.

mod blob;
mod error;
mod mail_store;
mod messages;
mod model;
mod options;
mod outbound;
mod parse;
mod store;

pub mod grpc;
pub mod lmtp;
pub mod metrics;
pub mod runtime;
pub mod submit;

pub use blob::BlobReader;
pub use error::MailError;
pub use mail_store::MailStore;
pub use messages::MAX_PAGE;
pub use model::{
    AttachmentMeta, EmailAddress, Flag, FlagStatus, Folder, FolderId, FolderState, FolderType,
    Hierarchy, Importance, ItemChange, ItemVersion, MessageId, MessageMeta, Moved, SearchResult,
};
pub use options::{MailOptions, DEFAULT_CHUNK_SIZE};
pub use outbound::Outbound;
