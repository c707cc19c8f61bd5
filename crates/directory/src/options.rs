//! Settings of a `Directory`: argon2 cost, default domain for bare user names, pool size.

use serde::{Deserialize, Serialize};

/// Argon2id cost parameters for new hashes. Verification always uses the parameters recorded in
/// the stored hash, so raising these later leaves existing passwords working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Argon2Cost {
    /// OWASP Password Storage Cheat Sheet, first argon2id option: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: Argon2Cost = Argon2Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The smallest cost argon2 accepts. For tests only: it protects nothing.
    pub const INSECURE_FOR_TESTS: Argon2Cost = Argon2Cost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for Argon2Cost {
    fn default() -> Self {
        Argon2Cost::OWASP
    }
}

/// How `Directory::connect` sets the directory up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectoryOptions {
    pub argon2: Argon2Cost,
    /// Domain tried first for a bare user name (`jdoe`). Without it, or when the user is not
    /// there, a bare name logs in only if exactly one account in any domain has that local part.
    pub default_domain: Option<String>,
    /// Upper bound of the connection pool. In-memory SQLite always uses one connection, since
    /// each connection would see its own empty database.
    pub max_connections: u32,
    /// PostgreSQL only: keep the directory's tables (and its migration history) in this schema,
    /// created if missing, so that it can share a database with other services. `None` uses
    /// the connection's default `search_path`.
    pub postgres_schema: Option<String>,
}

impl Default for DirectoryOptions {
    fn default() -> Self {
        DirectoryOptions {
            argon2: Argon2Cost::default(),
            default_domain: None,
            max_connections: 8,
            postgres_schema: None,
        }
    }
}
