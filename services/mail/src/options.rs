//! Settings of a `MailStore`: pool size, PostgreSQL schema, blob chunk size.

use serde::{Deserialize, Serialize};

/// Default size of one stored blob chunk: 256 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 256 * 1024;

/// How `MailStore::connect` sets the store up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailOptions {
    /// Upper bound of the connection pool. In-memory SQLite always uses one connection.
    pub max_connections: u32,
    /// PostgreSQL only: keep the mail tables (and their migration history) in this schema,
    /// created if missing. `None` uses the connection's default `search_path`.
    pub postgres_schema: Option<String>,
    /// Bytes per stored chunk of a raw message or attachment; a reader holds one chunk at a
    /// time. Changing it affects new blobs only.
    pub chunk_size: usize,
    /// At most this many bytes of body text are kept for search.
    pub max_search_text: usize,
}

impl Default for MailOptions {
    fn default() -> Self {
        MailOptions {
            max_connections: 8,
            postgres_schema: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_search_text: 256 * 1024,
        }
    }
}
