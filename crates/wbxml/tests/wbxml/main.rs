//! The WBXML codec's integration tests: round trips, errors, the corpus, and libwbxml as the reference.
//!
//! One test binary for the crate: each file below was its own binary before, and each is a
//! module here (linking one binary instead of 6 keeps builds and CI fast).

mod common;
mod corpus;
mod errors;
mod libwbxml;
mod regressions;
mod roundtrip;
mod xml_form;
