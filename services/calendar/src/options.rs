//! Settings of a `CalendarStore`: pool size and PostgreSQL schema.

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
}

impl Default for CalendarOptions {
    fn default() -> Self {
        CalendarOptions {
            max_connections: 8,
            postgres_schema: None,
        }
    }
}
