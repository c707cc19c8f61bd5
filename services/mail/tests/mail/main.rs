//! The mail store test suite; every test runs against SQLite and against PostgreSQL.

mod harness;

mod blobs;
mod changes;
mod conformance;
mod delivery;
mod folders;
mod grpc;
mod search;
mod smtp_sink;
mod submit;
