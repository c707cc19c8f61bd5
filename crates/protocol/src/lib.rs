//! Exchange ActiveSync protocol types: the request line, commands, versions, status codes, and
//! typed requests and responses built from and to the WBXML tree of `eas-wbxml`.

pub mod autodiscover;
pub mod command;
pub mod error;
pub mod folder_create;
pub mod folder_delete;
pub mod folder_sync;
pub mod folder_type;
pub mod folder_update;
pub mod ping;
pub mod provision;
pub mod query;
pub mod settings;
pub mod status;
pub mod version;

pub use command::Command;
pub use error::ParseError;
pub use query::{parse_request_line, QueryError, RequestLine};
pub use version::ProtocolVersion;
