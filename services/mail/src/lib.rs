//! The mail service (work in progress).
