//! The sync engine shared by every data class: it decides what a device must be told for one collection
//! and keeps the per-device, per-collection state that makes that correct. No I/O, no WBXML, no storage.
//!
//! # The model
//!
//! - Every folder has a change counter that only grows. Every item carries the counter value of its last
//!   change (`modseq`); a deletion, or a move to another folder, leaves a tombstone `(id, modseq,
//!   deleted)` until the data service purges it. The data service exposes this as an [`ItemSource`]:
//!   "the versions strictly after `(modseq, id)`, ordered by `(modseq, id)`, at most N".
//! - The state of one device and one collection ([`CollectionState`]) holds the current sync key, a
//!   cursor into the change order (everything up to it has been considered), what the device holds
//!   (`id -> modseq, date`), the FilterType in effect, an undo log back to the state before the last
//!   answer, and the ClientId -> ServerId results of the last request's client Adds.
//! - Key "0" starts a fresh state and is answered with a key and no items (MS-ASCMD 2.2.3.181.4, 2.2.3.84).
//!   The current key continues. The previous key (the device lost our answer) rolls back and answers
//!   again, giving the same new key and mapping resent client Adds to the ServerIds they got the first
//!   time. Any other key is [`SyncError::InvalidSyncKey`], status 3 (2.2.3.177.17).
//! - Server changes come from the change log after the cursor: Add (not held, within the window),
//!   Change (held at an older modseq), Delete (held, now a tombstone), SoftDelete (held, now outside
//!   the window), at most WindowSize of them with MoreAvailable (2.2.3.199, 2.2.3.116). Held items that
//!   aged out of the window are soft-deleted from their held dates; a wider FilterType rescans the log
//!   from the start (2.2.3.68.2). The cursor moves only over what was considered.
//! - Client changes are applied by the caller and recorded here, so they are not echoed back; a client
//!   Change to an item whose server version moved is a conflict settled by the Conflict option (2.2.3.34).
//!
//! # Use in a Sync handler
//!
//! ```
//! # use eas_sync::*;
//! # async fn handle(stored: Option<Vec<u8>>, source: &MemoryFolder) -> Result<(), SyncError> {
//! let options = SyncOptions { window_size: Some(10), now: 1_700_000_000, ..Default::default() };
//! let stored = stored.map(|b| CollectionState::decode(&b)).transpose()?;
//! let mut session = Session::open(stored, "0", &options)?;
//! // client Adds: session.client_add(..), create, session.record_client_add(..); Changes and Deletes alike
//! let plan = session.plan(source).await?;
//! // fetch the data of every ServerCommand::Add / ::Change in plan.commands
//! let done = session.commit(plan);
//! let _bytes = done.state.encode(); // store, then send done.key, done.commands, done.more_available
//! # Ok(()) }
//! ```

mod codec;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod filter;
mod item;
mod key;
pub mod memory;
mod plan;
mod session;
mod state;

pub use error::{StateError, SyncError};
pub use filter::{FilterType, Window};
pub use item::{Cursor, ItemSource, ItemVersion, SourceError};
pub use key::{RequestKey, SyncKey};
pub use memory::MemoryFolder;
pub use plan::{estimate, Committed, Plan, ServerCommand, SCAN_BUDGET};
pub use session::{
    AddDecision, ChangeDecision, ConflictPolicy, DeleteDecision, Session, SessionKind, SyncOptions,
    DEFAULT_WINDOW_SIZE, MAX_WINDOW_SIZE,
};
pub use state::{CollectionState, Stamp};
