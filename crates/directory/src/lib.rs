//! Accounts directory: domains, users with argon2id password hashes, aliases, GAL fields and
//! photos, Out of Office settings per user, the per-domain device-approval policy, login-name
//! resolution and GAL search, over SQLite or PostgreSQL.
//!
//! The edge authenticates every request with [`Directory::authenticate`]; the admin API and
//! CLI call the create/update/delete operations. Passwords exist in clear only inside
//! [`Password`], whose `Debug` is redacted, and are hashed on the blocking thread pool.
//!
//! The schema, the two backends and the login-name rules are described in this crate's
//! README.md.

mod auth;
mod directory;
mod error;
mod gal;
mod model;
mod names;
mod oof;
mod options;
mod password;
mod policy;
mod store;
mod users;

pub use auth::LoginTarget;
pub use directory::Directory;
pub use error::{AuthError, DirectoryError, Entity};
pub use gal::{image_type, MAX_PHOTO_BYTES, PHOTO_IDS_PER_QUERY};
pub use model::{
    display_name_or, CalendarPreferences, Domain, GalFields, GalFieldsUpdate, NewUser, OofReply,
    OutOfOffice, Password, Photo, PhotoInfo, User, UserUpdate,
};
pub use options::{Argon2Cost, DirectoryOptions};
pub use policy::{ApprovalPolicy, UnknownApprovalPolicy};
