//! The sync engine's integration tests.
//!
//! One test binary for the crate: each file below was its own binary before, and each is a
//! module here (linking one binary instead of 5 keeps builds and CI fast).

mod changes_and_filters;
mod client_commands;
mod common;
mod keys_and_windows;
mod model;
mod state_format;
