//! The calendar service's test suite; every test runs against SQLite and against PostgreSQL.

mod harness;

mod attachments;
mod conformance;
mod dates;
mod events;
mod folders;
mod free_busy;
mod grpc;
mod ical;
mod items;
mod shares;
