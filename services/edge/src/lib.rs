//! The EAS edge: HTTP in, WBXML decoding, authentication, provisioning and command dispatch.
//!
//! The edge owns everything about HTTP (MS-ASHTTP): OPTIONS, both query forms, Basic
//! authentication, protocol version negotiation, policy-key checks, and the WBXML body. It keeps
//! no state of its own that another replica would need: devices and sync state live in a
//! [`eas_device_state::DeviceStore`], accounts in the [`eas_directory::Directory`].

mod address_books;
pub mod admin;
mod admin_contacts;
mod attachment_stream;
mod auth;
mod autodiscover;
pub mod classes;
mod compose_mail;
pub mod config;
mod context;
mod drafts;
mod email;
mod error;
mod folder_create;
mod folder_delete;
mod folder_sync;
mod folder_update;
pub mod folders;
mod get_item_estimate;
mod http_trace;
mod item_operations;
pub mod metrics;
mod move_items;
mod options;
mod pictures;
mod ping;
mod provision;
pub mod push;
mod resolve_recipients;
mod router;
mod search;
pub mod server;
mod settings;
mod sync;
mod sync_cache;
mod sync_wait;
mod throttle;

pub use config::EdgeConfig;
pub use error::EdgeError;
pub use router::{admin_router, eas_service, DataServices, Edge};
pub use throttle::SharedLimits;
