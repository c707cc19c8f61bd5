//! What every service binary shares: layered configuration, logging to stderr, the shutdown
//! signal (SIGTERM from Kubernetes, Ctrl-C at a terminal), the HTTP health probes, the
//! Prometheus metrics and the OpenTelemetry traces.

pub mod health;
pub mod log_format;
pub mod log_writer;
pub mod metrics;
pub mod telemetry;

pub use log_format::LogFormat;

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Loads `T`: its defaults, then the TOML file (when given; a missing file is an error), then
/// environment variables starting with `prefix`, with `__` separating nested keys
/// (`EAS_EDGE__PUBLIC_URL` sets `edge.public_url` for the prefix `EAS_`).
pub fn load_config<T>(file: Option<&Path>, prefix: &str) -> anyhow::Result<T>
where
    T: Default + Serialize + DeserializeOwned,
{
    let mut fig = Figment::from(Serialized::defaults(T::default()));
    if let Some(f) = file {
        if !f.exists() {
            anyhow::bail!("configuration file {} does not exist", f.display());
        }
        fig = fig.merge(Toml::file(f));
    }
    fig = fig.merge(Env::prefixed(prefix).split("__").ignore(&["config"]));
    Ok(fig.extract()?)
}

/// The `main` of a service: loads its settings (see [`load_config`]), logs with the filter and
/// format that `log` picks from them, and runs `serve` on a multi-threaded runtime. Traces are
/// exported when the `OTEL_*` variables ask for it ([`telemetry::init`]), under the service name
/// the prefix gives (`EAS_EDGE_` → `eas-edge`), and flushed when `serve` returns.
pub fn run_service<T, Fut>(
    file: Option<&Path>,
    prefix: &str,
    log: fn(&T) -> (&str, LogFormat),
    serve: impl FnOnce(T) -> Fut,
) -> anyhow::Result<()>
where
    T: Default + Serialize + DeserializeOwned,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let settings: T = load_config(file, prefix)?;
    let (filter, format) = log(&settings);
    init_tracing(filter, format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let telemetry = {
        let _entered = runtime.enter();
        telemetry::init(&service_name(prefix))
    };
    let result = runtime.block_on(serve(settings));
    // The last spans leave while the runtime that carries the exporter's connection still runs.
    telemetry.shutdown();
    result
}

/// The service name an environment prefix stands for: `EAS_EDGE_` → `eas-edge`.
fn service_name(prefix: &str) -> String {
    prefix
        .trim_end_matches('_')
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// Logs to stderr with `filter` (for example `info` or `eas_edge=debug,info`; `RUST_LOG` wins
/// when set), as text or JSON lines. Calling it twice is harmless.
///
/// A log line that cannot be written (stderr on a full disk, a closed pipe) is dropped and
/// counted ([`log_writer::dropped_writes`]); it never fails or panics the request that logged it
/// (see [`log_format::stderr_layer`]).
pub fn init_tracing(filter: &str, format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(log_format::stderr_layer(format))
        .try_init();
}

/// Writes one line to stdout (the start-up lines that scripts read, such as `lmtp: ADDR`). A line
/// that cannot be written is dropped and counted like a log line: a full disk or a closed
/// terminal never stops a server from starting.
pub fn announce(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        log_writer::count_dropped();
    }
}

/// Resolves at the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Sample {
        port: u16,
        inner: Inner,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        name: String,
        size: u32,
    }

    impl Default for Inner {
        fn default() -> Self {
            Inner {
                name: "default".into(),
                size: 7,
            }
        }
    }

    #[test]
    fn a_file_overrides_defaults_and_keeps_unset_nested_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "port = 9\n[inner]\nname = \"file\"\n").unwrap();
        let s: Sample = load_config(Some(&f), "EAS_KIT_TEST_NONE_").unwrap();
        assert_eq!(s.port, 9);
        assert_eq!(s.inner.name, "file");
        assert_eq!(s.inner.size, 7);
    }

    #[test]
    fn environment_variables_override_the_file_with_double_underscore_nesting() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "port = 9\n").unwrap();
        // The prefix is used by this test only, so other tests never see these variables.
        std::env::set_var("EAS_KIT_ENV_TEST_PORT", "11");
        std::env::set_var("EAS_KIT_ENV_TEST_INNER__SIZE", "3");
        let s: Sample = load_config(Some(&f), "EAS_KIT_ENV_TEST_").unwrap();
        assert_eq!(s.port, 11);
        assert_eq!(s.inner.size, 3);
        assert_eq!(s.inner.name, "default");
    }

    /// Set in the child process of the next test, which runs the test after it.
    const CHILD: &str = "EAS_KIT_FULL_STDERR_CHILD";

    #[cfg(target_os = "linux")]
    #[test]
    fn logging_with_stderr_on_a_full_disk_neither_panics_nor_fails() {
        // The test binary runs the next test again in a child whose stderr is /dev/full (every
        // write fails with ENOSPC), without libtest's output capture, as in a service: there
        // tracing-subscriber's own report of a failed write (`eprintln!`) would panic. (stdout
        // stays writable: libtest reports on it. The end-to-end test `test_log_full.py` puts the
        // server's stdout on /dev/full too.)
        let full = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
        };
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::child_logs_through_the_service_setup",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(full())
            .status()
            .unwrap();
        assert!(status.success(), "the child failed: {status}");
    }

    #[test]
    fn child_logs_through_the_service_setup() {
        if std::env::var_os(CHILD).is_none() {
            return; // only meaningful in the child of the test above
        }
        init_tracing("info", LogFormat::Text);
        let before = log_writer::dropped_writes();
        for i in 0..3 {
            tracing::info!(i, "a line nobody can write");
        }
        assert!(log_writer::dropped_writes() >= before + 3);
    }

    #[test]
    fn the_prefix_names_the_service() {
        assert_eq!(service_name("EAS_EDGE_"), "eas-edge");
        assert_eq!(service_name("EAS_PUSH_"), "eas-push");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let r: anyhow::Result<Sample> = load_config(Some(&dir.path().join("no.toml")), "X_");
        assert!(r.is_err());
    }
}
