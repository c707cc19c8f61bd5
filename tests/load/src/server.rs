//! Starts the real one-process `eas-server` binary as the end-to-end tests do: loopback ports
//! chosen by the OS, a fresh data directory, and the addresses read from its first lines.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// A running server; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub eas_url: String,
    pub admin_url: String,
    pub lmtp: SocketAddr,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `bin` with `extra_env` on top of the loopback defaults and waits (up to a minute)
    /// for the `eas endpoint:`, `admin api:` and `lmtp:` lines.
    pub fn start(bin: &Path, extra_env: &[(&str, String)]) -> Result<ServerProcess, Error> {
        let dir = tempfile::Builder::new()
            .prefix("eas-load-")
            .tempdir()
            .map_err(|e| Error::io("temp dir", e))?;
        let mut cmd = Command::new(bin);
        cmd.env("EAS_LISTEN", "127.0.0.1:0")
            .env("EAS_ADMIN_LISTEN", "127.0.0.1:0")
            .env("EAS_LMTP_LISTEN", "127.0.0.1:0")
            .env("EAS_DATA_DIR", dir.path())
            .env("EAS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("starting {}", bin.display()), e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Server("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut eas, mut admin, mut lmtp) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while eas.is_none() || admin.is_none() || lmtp.is_none() {
            let line = match lines.next() {
                Some(Ok(l)) if Instant::now() < deadline => l,
                _ => {
                    let _ = child.kill();
                    return Err(Error::Server(
                        "eas-server did not print its addresses".into(),
                    ));
                }
            };
            if let Some(v) = line.strip_prefix("eas endpoint: ") {
                eas = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("admin api: ") {
                admin = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("lmtp: ") {
                lmtp = v.trim().parse().ok();
            }
        }
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(ServerProcess {
            child,
            eas_url: eas.unwrap_or_default(),
            admin_url: admin.unwrap_or_default(),
            lmtp: lmtp.ok_or_else(|| Error::Server("bad lmtp address".into()))?,
            data_dir: dir.path().to_owned(),
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The admin API token the server generated into its data directory.
    pub fn admin_token(&self) -> Result<String, Error> {
        read_admin_token(&self.data_dir)
    }
}

/// `admin-token` from a server's data directory.
pub fn read_admin_token(data_dir: &Path) -> Result<String, Error> {
    let p = data_dir.join("admin-token");
    std::fs::read_to_string(&p)
        .map(|t| t.trim().to_owned())
        .map_err(|e| Error::io(format!("reading {}", p.display()), e))
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
