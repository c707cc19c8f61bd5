//! What a failed database call means for the caller: a passing condition (a lock or a
//! serialization conflict, so retry soon), an outage (the server unreachable or out of
//! resources, the disk full), or a bug to report. Every store reads `sqlx` errors this one way;
//! the services turn the answer into their typed gRPC errors (`eas_rpc::ServiceErrorCode`).

/// How a database failure passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A lock or a serialization conflict: the same call soon will likely succeed.
    Busy,
    /// The database is unreachable, shutting down or out of resources (disk, memory).
    Unavailable,
    /// Anything else: a bug, a corrupt row, a constraint the code should have checked.
    Internal,
}

/// The kind of a failed `sqlx` call, on PostgreSQL (SQLSTATE) and SQLite (result code).
pub fn failure(e: &sqlx::Error) -> Failure {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some(code) => database_code(code),
            None => Failure::Internal,
        },
        _ => Failure::Internal,
    }
}

/// A database's own error code: PostgreSQL's five-character SQLSTATE or SQLite's numeric code.
fn database_code(code: &str) -> Failure {
    if code.len() == 5 {
        // PostgreSQL: 40001 serialization failure, 40P01 deadlock, 55P03 lock not available;
        // class 08 connection, 53 insufficient resources (53100 disk full), 57P0x shutting down.
        return match code {
            "40001" | "40P01" | "55P03" => Failure::Busy,
            _ if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0") => {
                Failure::Unavailable
            }
            _ => Failure::Internal,
        };
    }
    // SQLite result codes (at most four digits; an extended one carries the primary code in its
    // low byte): SQLITE_BUSY 5, SQLITE_LOCKED 6; SQLITE_NOMEM 7, SQLITE_IOERR 10, SQLITE_FULL 13,
    // SQLITE_CANTOPEN 14.
    match sqlite_primary(code) {
        Some(5 | 6) => Failure::Busy,
        Some(7 | 10 | 13 | 14) => Failure::Unavailable,
        _ => Failure::Internal,
    }
}

/// The primary SQLite result code of an extended one (the low byte), when `code` is numeric.
fn sqlite_primary(code: &str) -> Option<u32> {
    code.parse::<u32>().ok().map(|c| c & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_extended_codes_reduce_to_their_primary_code() {
        // SQLITE_BUSY_SNAPSHOT (517) is SQLITE_BUSY; SQLITE_IOERR_WRITE (778) is SQLITE_IOERR.
        assert_eq!(sqlite_primary("517"), Some(5));
        assert_eq!(sqlite_primary("778"), Some(10));
        assert_eq!(database_code("517"), Failure::Busy);
        assert_eq!(database_code("778"), Failure::Unavailable);
        assert_eq!(database_code("13"), Failure::Unavailable);
        assert_eq!(database_code("19"), Failure::Internal);
    }

    #[test]
    fn postgres_sqlstates_by_class() {
        assert_eq!(database_code("40001"), Failure::Busy);
        assert_eq!(database_code("40P01"), Failure::Busy);
        assert_eq!(database_code("08006"), Failure::Unavailable);
        assert_eq!(database_code("53100"), Failure::Unavailable);
        assert_eq!(database_code("57P01"), Failure::Unavailable);
        assert_eq!(database_code("23505"), Failure::Internal);
    }

    #[test]
    fn pool_and_io_failures_are_outages_and_decoding_ones_bugs() {
        assert_eq!(failure(&sqlx::Error::PoolTimedOut), Failure::Unavailable);
        let io = sqlx::Error::Io(std::io::Error::other("reset"));
        assert_eq!(failure(&io), Failure::Unavailable);
        let decode = sqlx::Error::ColumnNotFound("x".into());
        assert_eq!(failure(&decode), Failure::Internal);
    }
}
