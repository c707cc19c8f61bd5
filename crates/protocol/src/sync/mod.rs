//! The Sync command (MS-ASCMD 2.2.1.21): items of one or more folders and their changes since a
//! sync key, in both directions. Written for protocol 12.0 and later: the 2.5 `Truncation` option
//! is ignored.

mod options;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub(crate) use options::mime_support;
pub use options::{ConflictPolicy, FilterType, MimeSupport, SyncOptions};
pub use request::{ClientCommand, SyncCollection, SyncRequest};
pub use response::{ItemResponse, ServerCommand, SyncCollectionResponse, SyncResponse};
