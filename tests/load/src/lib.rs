//! Shared client code for the benchmarks and load generators that drive the real `eas-server`
//! binary: an HTTP/1.1 keep-alive connection, an EAS phone, an LMTP sender, the admin API, the
//! server process and its /proc counters, deterministic test mail and calendars, and summary
//! statistics.

pub mod admin;
pub mod calgen;
pub mod error;
pub mod http;
pub mod lmtp;
pub mod mailgen;
pub mod phone;
pub mod procstat;
pub mod request;
pub mod server;
pub mod stats;

pub use error::Error;
