//! The sync engine (work in progress).
