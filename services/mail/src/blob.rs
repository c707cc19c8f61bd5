//! Reading a stored blob chunk by chunk, so that a large message or attachment never sits
//! whole in memory.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::Stream;

use crate::error::MailError;
use crate::store::{BlobRef, Store};

/// A reader over one stored blob (a raw message or one attachment's decoded bytes). Each call
/// to [`BlobReader::next_chunk`] loads one chunk (256 KiB by default) from the database.
pub struct BlobReader {
    store: Arc<dyn Store>,
    blob: BlobRef,
    next: u32,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("size", &self.blob.size)
            .field("chunks", &self.blob.chunk_count)
            .field("next", &self.next)
            .finish()
    }
}

impl BlobReader {
    pub(crate) fn new(store: Arc<dyn Store>, blob: BlobRef) -> Self {
        BlobReader {
            store,
            blob,
            next: 0,
        }
    }

    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.blob.size
    }

    /// The next chunk, or `None` after the last one. A blob removed while being read (its
    /// last message deleted) ends with `MessageNotFound`.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, MailError> {
        if self.next >= self.blob.chunk_count {
            return Ok(None);
        }
        let chunk = self
            .store
            .chunk(self.blob.id, self.next)
            .await?
            .ok_or_else(|| MailError::MessageNotFound(format!("blob {}", self.blob.id)))?;
        self.next += 1;
        Ok(Some(Bytes::from(chunk)))
    }

    /// Reads everything left into memory; for small blobs and tests.
    pub async fn read_to_end(mut self) -> Result<Vec<u8>, MailError> {
        let mut all = Vec::with_capacity(usize::try_from(self.blob.size).unwrap_or(0));
        while let Some(chunk) = self.next_chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// The chunks as a stream, for an HTTP or gRPC body.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, MailError>> + Send + 'static {
        futures::stream::try_unfold(self, |mut reader| async move {
            Ok(reader.next_chunk().await?.map(|chunk| (chunk, reader)))
        })
    }
}
