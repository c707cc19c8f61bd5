//! Exchange ActiveSync protocol types: the request line, commands, versions, status codes, and
//! typed requests and responses built from and to the WBXML tree of `eas-wbxml`.
//!
//! - [`query`] reads the URL query in its plain and base64 forms (MS-ASHTTP 2.2.1.1.1);
//!   [`version`], [`command`] and [`status`] name what it and the responses carry.
//! - One module per command: [`provision`], [`folder_sync`], [`folder_create`],
//!   [`folder_update`], [`folder_delete`], [`settings`], [`ping`], and the plain-XML
//!   [`autodiscover`]. Requests come from an [`eas_wbxml::Element`] with `from_element`
//!   (errors are [`ParseError`]); responses go to one with `to_element`.
//! - Item commands: [`sync`], [`get_item_estimate`], [`move_items`], [`item_operations`], [`compose_mail`], [`search`], [`resolve_recipients`] (contact photos of both in [`picture`]), with the Email class in [`email`], the AirSyncBase body and
//!   attachment elements and the body choice in [`body`], and MS-ASDTYPE dates in [`datetime`].

pub mod autodiscover;
pub mod body;
pub mod command;
pub mod compose_mail;
pub mod datetime;
pub mod email;
pub mod error;
pub mod folder_create;
pub mod folder_delete;
pub mod folder_sync;
pub mod folder_type;
pub mod folder_update;
pub mod get_item_estimate;
pub mod item_operations;
pub mod move_items;
pub mod picture;
pub mod ping;
pub mod provision;
pub mod query;
pub mod resolve_recipients;
pub mod search;
pub mod settings;
pub mod status;
pub mod sync;
pub mod version;

pub use command::Command;
pub use error::ParseError;
pub use query::{parse_request_line, QueryError, RequestLine};
pub use version::ProtocolVersion;
