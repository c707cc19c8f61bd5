//! Errors of the directory's admin operations and of authentication.

use std::fmt;

/// What kind of record an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Domain,
    User,
    Alias,
    /// A primary address or an alias: the two share one namespace.
    Address,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Domain => "domain",
            Entity::User => "user",
            Entity::Alias => "alias",
            Entity::Address => "address",
        })
    }
}

/// Failure of a directory operation. Messages never contain a password or a password hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    #[error("{entity} not found: {name}")]
    NotFound { entity: Entity, name: String },
    #[error("{entity} already exists: {name}")]
    Duplicate { entity: Entity, name: String },
    #[error("invalid address {0:?}: expected local@domain")]
    InvalidAddress(String),
    #[error("invalid domain name {0:?}")]
    InvalidDomain(String),
    #[error("invalid password: {0}")]
    InvalidPassword(&'static str),
    #[error("domain {0} still has users or aliases")]
    DomainHasUsers(String),
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// sqlx errors carry the statement and the server's message, never bound values, so no
    /// password hash reaches this text.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("invalid out-of-office settings: {0}")]
    InvalidOutOfOffice(&'static str),
    /// A GAL field (`first_name`, `title`, ...) with a value the directory does not keep.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("photo too large: {size} bytes, at most {max} allowed")]
    PhotoTooLarge { size: usize, max: usize },
    #[error("not a JPEG or PNG image")]
    NotAnImage,
}

impl DirectoryError {
    pub(crate) fn not_found(entity: Entity, name: impl Into<String>) -> Self {
        DirectoryError::NotFound {
            entity,
            name: name.into(),
        }
    }

    pub(crate) fn duplicate(entity: Entity, name: impl Into<String>) -> Self {
        DirectoryError::Duplicate {
            entity,
            name: name.into(),
        }
    }
}

/// Why a login failed. The edge answers every variant but `Directory` with the same 401; the
/// variants exist so that the log can tell them apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The login name cannot name any account (empty parts, whitespace or control characters
    /// inside, too long); refused before any hash work.
    #[error("malformed login name")]
    MalformedLogin,
    /// No user or alias matches the login name.
    #[error("unknown user")]
    UnknownUser,
    /// A bare user name or `DOMAIN\user` form matches more than one account.
    #[error("ambiguous login name")]
    Ambiguous,
    #[error("wrong password")]
    WrongPassword,
    /// The password was right but the account is disabled.
    #[error("account disabled")]
    Disabled,
    /// The directory itself failed; the edge should answer 503, not 401.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}
