//! The EAS edge: HTTP in, WBXML decoding, authentication, provisioning and command dispatch.
//!
//! The edge owns everything about HTTP (MS-ASHTTP): OPTIONS, both query forms, Basic
//! authentication, protocol version negotiation, policy-key checks, and the WBXML body. It keeps
//! no state of its own that another replica would need: devices and sync state live in a
//! [`eas_device_state::DeviceStore`], accounts in the [`eas_directory::Directory`].
//!
//! Its layers, each importing only those below it:
//!
//! - `pipeline`: routing by path, the request line, version, authentication, throttling, the
//!   body, the device record and policy checks, then the command table's handler;
//! - `commands`: one module per EAS command, and the one table (handler, response root, what
//!   the command needs) that dispatch, OPTIONS and error bodies read;
//! - [`folders`]: the folder hierarchy a phone sees, and the hierarchy state commands share;
//! - [`classes`]: the data classes (Email, Contacts), each over its data service: which
//!   collections it owns, how its items render and how a phone's changes apply;
//! - [`push`]: held Pings and Syncs woken by change events;
//! - `edge`: the shared state ([`Edge`]) and `respond`'s WBXML response, which every layer
//!   reads.

mod address_books;
pub mod admin;
mod admin_calendar;
mod admin_contacts;
mod admin_pim;
mod attachment_stream;
pub mod classes;
mod commands;
pub mod config;
mod drafts;
mod edge;
mod email;
mod error;
pub mod folders;
mod hierarchy;
pub mod metrics;
mod pictures;
mod pipeline;
pub mod push;
mod respond;
pub mod server;

pub use admin::router as admin_router;
pub use config::EdgeConfig;
pub use edge::{DataServices, Edge};
pub use error::EdgeError;
pub use pipeline::eas_service;
pub use pipeline::throttle::SharedLimits;
