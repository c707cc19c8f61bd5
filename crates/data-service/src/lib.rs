//! What the per-class data services (`eas-contacts`, `eas-calendar`) share, so that each keeps
//! only its own data: the binary's start, serve and shutdown ([`binary`], with the `kafka`
//! feature), the codes a store error travels under to the edge ([`status`],
//! [`database_code`]), the collection contract over a service's change log ([`collections`]),
//! the change events published after a commit ([`Publisher`]), and the plain rules on user
//! addresses, folder names and ids.
//!
//! docs/adding-a-data-class.md shows how a new data service uses it.

#[cfg(feature = "kafka")]
pub mod binary;
pub mod collections;
mod errors;
mod names;
mod publish;

pub use errors::{database_code, status};
pub use names::{canonical_address, decimal_id, folder_name, is_address, MAX_FOLDER_NAME};
pub use publish::Publisher;

use std::future::Future;

/// A service's database handle as the readiness probe sees it.
pub trait Database: Clone + Send + Sync + 'static {
    type Error: std::fmt::Display + Send;

    /// Answers when the database does (one round trip).
    fn ping(&self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
