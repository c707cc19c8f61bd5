//! How log lines are written: human-readable text (the default) or one JSON object per line
//! for a log collector (the `log_format` setting of every binary; docs/observability.md).

use serde::{Deserialize, Serialize};
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::log_writer;

/// The `log_format` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `2026-01-01T00:00:00.000000Z  INFO eas_edge::server: connection caps max_connections=…`
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, the event's fields (`message`
    /// among them) at the top level, and `span`/`spans` when the event is inside spans.
    Json,
}

/// The layer that writes log lines to stderr in `format`. A line that cannot be written is
/// dropped and counted ([`log_writer::dropped_writes`]); the subscriber's own report of the
/// failure is off, since it would go to the same stderr with `eprintln!`, which panics when
/// stderr cannot be written.
pub fn stderr_layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    to_writer(format, log_writer::Lossy::stderr())
}

fn to_writer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .log_internal_errors(false);
    match format {
        LogFormat::Text => Box::new(layer),
        LogFormat::Json => Box::new(layer.json().flatten_event(true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log_one_line(format: LogFormat) -> String {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber =
            tracing_subscriber::registry().with(to_writer(format, move || out.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("lmtp", peer = "127.0.0.1:4000");
            let _in = span.enter();
            tracing::warn!(user = "jdoe@example.loc", counter = 7, "delivery failed");
        });
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn json_lines_are_objects_with_the_fields_at_the_top_level() {
        let out = log_one_line(LogFormat::Json);
        assert_eq!(out.lines().count(), 1, "{out}");
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["message"], "delivery failed");
        assert_eq!(v["user"], "jdoe@example.loc");
        assert_eq!(v["counter"], 7);
        assert_eq!(v["target"], "eas_service_kit::log_format::tests");
        assert_eq!(v["span"]["name"], "lmtp");
        assert_eq!(v["span"]["peer"], "127.0.0.1:4000");
        assert!(v["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn text_is_the_default_and_is_not_json() {
        assert_eq!(LogFormat::default(), LogFormat::Text);
        let out = log_one_line(LogFormat::Text);
        assert!(out.contains("WARN"), "{out}");
        assert!(out.contains("delivery failed"), "{out}");
        assert!(out.contains("jdoe@example.loc"), "{out}");
        assert!(serde_json::from_str::<serde_json::Value>(out.trim_end()).is_err());
    }

    #[test]
    fn the_setting_is_read_in_lowercase() {
        #[derive(Deserialize)]
        struct S {
            log_format: LogFormat,
        }
        let s: S = serde_json::from_str(r#"{"log_format":"json"}"#).unwrap();
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(serde_json::from_str::<S>(r#"{"log_format":"xml"}"#).is_err());
    }
}
