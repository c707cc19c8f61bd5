//! The protocol crate's integration tests: every command's parsing and rendering, checked against the XSDs.
//!
//! One test binary for the crate: each file below was its own binary before, and each is a
//! module here (linking one binary instead of 5 keeps builds and CI fast).

mod item_commands_never_panic;
mod regressions;
mod xsd;
mod xsd_items;
mod xsd_sync;
mod xsd_validation;
