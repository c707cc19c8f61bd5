//! The contacts service's test suite; every test runs against SQLite and against PostgreSQL.

mod harness;

mod collected;
mod conformance;
mod events;
mod folders;
mod grpc;
mod items;
mod search;
mod vcards;
