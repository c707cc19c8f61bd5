//! The contacts service: each user's address books (the default Contacts folder, user-created
//! contacts folders, and the collected recipients of sent mail), contacts stored in the JSON
//! form of `eas-contacts-model`, per-folder change counters with tombstones, search, vCard
//! import and export, and a change event after every committed write.
//!
//! [`ContactsStore`] opens the database (SQLite embedded, PostgreSQL in the cluster);
//! [`ContactsService`] is the API, and [`ContactsService::into_routes`] serves it over gRPC
//! (`proto/eas/contacts/v1`) with the collection contract (`proto/eas/collections/v1`).
//! docs/contacts-service.md describes the API, the tables and the events.

mod error;
mod index;
mod model;
mod options;
mod service;
mod store;

pub mod grpc;

pub use error::ContactsError;
pub use model::{
    ContactId, Folder, FolderId, FolderRole, FolderState, Hierarchy, ImportError, Imported,
    ItemVersion, Moved, Recipient, SearchHit, SearchResult, StoredContact, Written,
    COLLECTED_FOLDER_NAME, CONTACTS_FOLDER_NAME,
};
pub use options::ContactsOptions;
pub use service::{
    vcard_version, ContactsService, ContactsStore, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT,
};
