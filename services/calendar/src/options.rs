//! Settings of a `CalendarStore`: pool size, PostgreSQL schema, and the largest attachment.

use serde::{Deserialize, Serialize};

/// How `CalendarStore::connect` sets the store up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarOptions {
    /// Upper bound of the connection pool. In-memory SQLite always uses one connection.
    pub max_connections: u32,
    /// PostgreSQL only: keep the calendar tables (and their migration history) in this schema,
    /// created if missing. `None` uses the connection's default `search_path`.
    pub postgres_schema: Option<String>,
    /// The largest attachment (16.x, MS-ASAIRS 2.2.2.7) an event may get, in bytes; larger
    /// ones are refused with `INVALID_ARGUMENT`. Default
    /// [`crate::attachments::DEFAULT_MAX_ATTACHMENT_BYTES`] (10 MiB).
    pub max_attachment_bytes: u64,
}

impl Default for CalendarOptions {
    fn default() -> Self {
        CalendarOptions {
            max_connections: 8,
            postgres_schema: None,
            max_attachment_bytes: crate::attachments::DEFAULT_MAX_ATTACHMENT_BYTES,
        }
    }
}
