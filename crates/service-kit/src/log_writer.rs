//! A log writer that never fails: a write that the underlying stream refuses (stderr on a full
//! disk, a closed pipe) is dropped and counted instead of reaching the caller, so logging can
//! never fail or panic the request that logged.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::fmt::MakeWriter;

static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How many log writes (and start-up lines, see [`crate::announce`]) were dropped because their
/// stream refused them, since the process started.
pub fn dropped_writes() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Counts one dropped write.
pub fn count_dropped() {
    DROPPED.fetch_add(1, Ordering::Relaxed);
}

/// Makes writers over a stream (stderr for the services) that report success for every write
/// and count the ones the stream refused.
#[derive(Clone, Copy, Debug)]
pub struct Lossy<F> {
    open: F,
}

impl Lossy<fn() -> io::Stderr> {
    /// Over the process's stderr.
    pub fn stderr() -> Self {
        Lossy { open: io::stderr }
    }
}

impl<F, W> Lossy<F>
where
    F: Fn() -> W,
    W: Write,
{
    /// Over whatever `open` returns for each log line.
    pub fn new(open: F) -> Self {
        Lossy { open }
    }
}

/// One writer of [`Lossy`]: its writes always succeed from the caller's point of view.
pub struct LossyWriter<W: Write> {
    inner: W,
    /// Set after the first refused write: the rest of the line is dropped without trying.
    failed: bool,
}

impl<W: Write> LossyWriter<W> {
    fn refused(&mut self) {
        if !self.failed {
            self.failed = true;
            count_dropped();
        }
    }
}

impl<W: Write> Write for LossyWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.failed {
            if let Err(e) = self.inner.write_all(buf) {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.refused();
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.failed && self.inner.flush().is_err() {
            self.refused();
        }
        Ok(())
    }
}

impl<'a, F, W> MakeWriter<'a> for Lossy<F>
where
    F: Fn() -> W + 'static,
    W: Write + 'a,
{
    type Writer = LossyWriter<W>;

    fn make_writer(&'a self) -> Self::Writer {
        LossyWriter {
            inner: (self.open)(),
            failed: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A stream that refuses every write, like a file on a full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("no space left on device"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::other("no space left on device"))
        }
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_refused_write_is_reported_as_written_and_counted_once_per_line() {
        let make = Lossy::new(|| Full);
        let before = dropped_writes();
        let mut w = make.make_writer();
        assert_eq!(w.write(b"first part").unwrap(), 10);
        w.write_all(b" and the rest of the line\n").unwrap();
        w.flush().unwrap();
        let mut w = make.make_writer();
        writeln!(w, "second line").unwrap();
        // Other tests may drop writes at the same time, so at least these two were counted.
        assert!(dropped_writes() >= before + 2);
    }

    #[test]
    fn a_working_stream_gets_every_byte() {
        let sink = Shared::default();
        let make = {
            let sink = sink.clone();
            Lossy::new(move || sink.clone())
        };
        let mut w = make.make_writer();
        w.write_all(b"hello ").unwrap();
        writeln!(w, "world").unwrap();
        assert_eq!(&*sink.0.lock().unwrap(), b"hello world\n");
    }

    #[test]
    fn logging_through_a_subscriber_whose_stream_is_full_neither_fails_nor_panics() {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Lossy::new(|| Full))
            .log_internal_errors(false)
            .finish();
        let before = dropped_writes();
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..3 {
                tracing::info!(i, "a line nobody can write");
            }
        });
        assert!(dropped_writes() >= before + 3);
    }
}
