//! The directory test suite; every test runs against SQLite and against PostgreSQL.

mod harness;

mod approval;
mod domains;
mod gal;
mod login;
mod oof;
mod storage;
mod users;
