//! The spool of one DATA section: the message goes to an unnamed temporary file while it is
//! received, so that memory stays at one read buffer whatever the message size; the file
//! disappears when the spool is dropped, also after a crash (it is unlinked from the start).

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufWriter};

/// Bytes buffered before they are written to the file.
const WRITE_BUFFER: usize = 64 * 1024;

/// A message being received.
pub(crate) struct Spool {
    file: BufWriter<tokio::fs::File>,
    size: u64,
}

impl Spool {
    /// An empty spool in `dir` (created if missing).
    pub(crate) async fn create(dir: &Path) -> std::io::Result<Spool> {
        tokio::fs::create_dir_all(dir).await?;
        let dir = dir.to_owned();
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .map_err(std::io::Error::other)??;
        Ok(Spool {
            file: BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file)),
            size: 0,
        })
    }

    /// Bytes written so far.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all(data).await?;
        self.size += data.len() as u64;
        Ok(())
    }

    /// The spooled message as a file, every byte written.
    pub(crate) async fn into_file(mut self) -> std::io::Result<Arc<std::fs::File>> {
        self.file.flush().await?;
        Ok(Arc::new(self.file.into_inner().into_std().await))
    }

    /// The whole message, read back into one buffer of exactly its size.
    #[cfg(test)]
    pub(crate) async fn into_bytes(mut self) -> std::io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        self.file.flush().await?;
        let mut file = self.file.into_inner();
        file.rewind().await?;
        let size = usize::try_from(self.size).map_err(std::io::Error::other)?;
        let mut all = vec![0; size];
        file.read_exact(&mut all).await?;
        Ok(all)
    }
}
