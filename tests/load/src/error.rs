//! The one error type of the load crate's library: transport, codec and protocol failures.

use http::StatusCode;

/// Why a request, a delivery or a measurement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad url {0:?}: only http://host:port/path is supported")]
    Url(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("http request: {0}")]
    Request(#[from] http::Error),
    #[error("{cmd}: http status {status}")]
    HttpStatus { cmd: String, status: StatusCode },
    #[error("{cmd}: response is not wbxml: {error}")]
    Wbxml {
        cmd: String,
        error: eas_wbxml::DecodeError,
    },
    #[error("{cmd}: status {status}")]
    Status { cmd: String, status: String },
    #[error("{cmd}: unexpected response: {what}")]
    Protocol { cmd: String, what: String },
    #[error("lmtp: {0}")]
    Lmtp(String),
    #[error("admin api: {0}")]
    Admin(String),
    #[error("server process: {0}")]
    Server(String),
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// A response that does not have the shape the command promises.
    pub fn protocol(cmd: &str, what: impl Into<String>) -> Error {
        Error::Protocol {
            cmd: cmd.to_owned(),
            what: what.into(),
        }
    }
}
