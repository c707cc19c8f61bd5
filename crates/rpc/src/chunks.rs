//! Content streamed in [`Chunk`]s (`eas.collections.v1.Chunk`): what a data service answers a
//! Read call with (the mail service's bodies and attachments, the calendar service's
//! attachments), and what the edge serves whole, inline or as a part of a multipart response.

use std::pin::Pin;

use futures::Stream;

use crate::collections::Chunk;

/// The server side of a streamed Read call.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Chunk, tonic::Status>> + Send + 'static>>;

/// Chunks of a file a data service exports (iCalendar, vCard).
pub const EXPORT_CHUNK_BYTES: usize = 1 << 20;

/// Reads a streamed reply to its end: the whole content.
pub async fn collect(mut stream: tonic::Streaming<Chunk>) -> Result<Vec<u8>, tonic::Status> {
    let mut out = Vec::new();
    while let Some(c) = stream.message().await? {
        if out.is_empty() {
            out.reserve(usize::try_from(c.total_size).unwrap_or(0));
        }
        out.extend_from_slice(&c.data);
    }
    Ok(out)
}

/// Streams bytes already in memory as chunks of `chunk` bytes (at least 1); the first carries
/// the total size. Empty content is one empty chunk, so the total still arrives.
pub fn from_bytes(data: Vec<u8>, chunk: usize) -> ChunkStream {
    let total = data.len() as u64;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        if data.is_empty() {
            let _ = tx.send(Ok(Chunk::default())).await;
            return;
        }
        for (n, piece) in data.chunks(chunk.max(1)).enumerate() {
            let c = Chunk {
                data: piece.to_vec(),
                total_size: if n == 0 { total } else { 0 },
            };
            if tx.send(Ok(c)).await.is_err() {
                return;
            }
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn bytes_come_back_in_order_with_the_total_on_the_first_chunk() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let chunks: Vec<Chunk> = from_bytes(data.clone(), 300)
            .map(|c| c.expect("chunk"))
            .collect()
            .await;
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks[0].total_size, 1000);
        assert!(chunks[1..].iter().all(|c| c.total_size == 0));
        assert_eq!(chunks.concat_data(), data);
        let empty: Vec<Chunk> = from_bytes(Vec::new(), 300)
            .map(|c| c.expect("chunk"))
            .collect()
            .await;
        assert_eq!(empty, [Chunk::default()]);
    }

    trait Concat {
        fn concat_data(&self) -> Vec<u8>;
    }

    impl Concat for Vec<Chunk> {
        fn concat_data(&self) -> Vec<u8> {
            self.iter().flat_map(|c| c.data.iter().copied()).collect()
        }
    }
}
