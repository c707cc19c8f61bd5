//! The edge's integration tests: real HTTP against an edge with the mail service in process.
//!
//! One test binary for the crate: each file below was its own binary before, and each is a
//! module here (linking one binary instead of 13 keeps builds and CI fast).

mod admin;
mod autodiscover;
mod common;
mod contacts;
mod folders;
mod get_item_estimate;
mod hierarchy;
mod http;
mod http1;
mod item_operations;
mod move_items;
mod provisioning;
mod resolve_recipients;
mod search;
mod sync_wait;
mod tls;
