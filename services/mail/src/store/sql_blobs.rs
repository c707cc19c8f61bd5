//! SQL of content-addressed, chunked blobs: raw messages and decoded attachments.

/// Implements `BlobStore` for `$store`, and `put_blob` for the writes.
macro_rules! sql_blobs {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::BlobStore for $store {
            async fn raw_blob(
                &self,
                user: &str,
                id: $crate::model::MessageId,
            ) -> Result<$crate::store::BlobRef, $crate::error::MailError> {
                let (blob, size, chunks) = sqlx::query_as::<_, (i64, i64, i32)>(
                    "SELECT bl.id, bl.size, bl.chunk_count FROM messages m \
                     JOIN mailboxes b ON b.id = m.mailbox_id JOIN blobs bl ON bl.id = m.blob_id \
                     WHERE b.address = $1 AND m.id = $2 AND NOT m.deleted",
                )
                .bind(user)
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| $crate::error::MailError::MessageNotFound(id.to_string()))?;
                Ok(blob_ref(blob, size, chunks))
            }

            async fn attachment_blob(
                &self,
                user: &str,
                id: $crate::model::MessageId,
                index: u32,
            ) -> Result<($crate::model::AttachmentMeta, $crate::store::BlobRef), $crate::error::MailError>
            {
                let row = sqlx::query_as::<
                    _,
                    (i64, i32, Option<String>, String, i64, Option<String>, bool, i64, i64, i32),
                >(
                    "SELECT a.message_id, a.idx, a.name, a.content_type, a.size, a.content_id, \
                     a.inline, bl.id, bl.size, bl.chunk_count FROM attachments a \
                     JOIN messages m ON m.id = a.message_id \
                     JOIN mailboxes b ON b.id = m.mailbox_id JOIN blobs bl ON bl.id = a.blob_id \
                     WHERE b.address = $1 AND m.id = $2 AND NOT m.deleted AND a.idx = $3",
                )
                .bind(user)
                .bind(id.0)
                .bind(i32::try_from(index).unwrap_or(i32::MAX))
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| $crate::error::MailError::AttachmentNotFound {
                    message: id.to_string(),
                    index,
                })?;
                let (message, idx, name, ctype, size, cid, inline, blob, blob_size, chunks) = row;
                let (_, meta) = $crate::store::sql::attachment_from_row((
                    message, idx, name, ctype, size, cid, inline,
                ));
                Ok((meta, blob_ref(blob, blob_size, chunks)))
            }

            async fn chunk(
                &self,
                blob: i64,
                seq: u32,
            ) -> Result<Option<Vec<u8>>, $crate::error::MailError> {
                Ok(sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2",
                )
                .bind(blob)
                .bind(i64::from(seq))
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn collect_garbage(&self, blobs: &[i64]) {
                let mut unique = blobs.to_vec();
                unique.sort_unstable();
                unique.dedup();
                for blob in unique {
                    // Another message may have taken a reference since; then nothing happens,
                    // or, if it did so in a transaction still open, the foreign key refuses.
                    let result = sqlx::query(
                        "DELETE FROM blobs WHERE id = $1 \
                         AND NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = $1) \
                         AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob_id = $1)",
                    )
                    .bind(blob)
                    .execute(&self.pool)
                    .await;
                    if let Err(error) = result {
                        tracing::debug!(blob, %error, "blob kept");
                    }
                }
            }
        }

        fn blob_ref(id: i64, size: i64, chunks: i32) -> $crate::store::BlobRef {
            $crate::store::BlobRef {
                id,
                size: $crate::store::sql::to_u64(size),
                chunk_count: u32::try_from(chunks).unwrap_or_default(),
            }
        }

        /// Stores `data` under its SHA-256 unless a blob with that hash exists; returns its id.
        /// The content is read one chunk at a time, so that a spooled message or attachment
        /// is never whole in memory.
        async fn put_blob(
            tx: &mut Tx<'_>,
            sha256: &str,
            data: &$crate::blob::Content<'_>,
            chunk_size: usize,
        ) -> Result<i64, $crate::error::MailError> {
            let chunk_size = chunk_size.max(1);
            let size = data.len();
            let chunk_count = size.div_ceil(chunk_size as u64);
            // A concurrent insert of the same hash makes PostgreSQL wait for its commit, then
            // do nothing; the SELECT below then sees the committed row.
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO blobs (sha256, size, chunk_count) VALUES ($1, $2, $3) \
                 ON CONFLICT (sha256) DO NOTHING RETURNING id",
            )
            .bind(sha256)
            .bind($crate::store::sql::to_i64(size))
            .bind(i32::try_from(chunk_count).unwrap_or(i32::MAX))
            .fetch_optional(&mut **tx)
            .await?;
            let Some(blob) = inserted else {
                return sqlx::query_scalar::<_, i64>("SELECT id FROM blobs WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or_else(|| $crate::error::MailError::Corrupt(format!("blob {sha256} vanished")));
            };
            let mut chunks = data.chunks(chunk_size);
            let mut seq: i64 = 0;
            let mut written: u64 = 0;
            while let Some(chunk) = chunks.next().await? {
                written += chunk.len() as u64;
                sqlx::query("INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)")
                    .bind(blob)
                    .bind(seq)
                    .bind(chunk)
                    .execute(&mut **tx)
                    .await?;
                seq += 1;
            }
            if written != size {
                // The spool changed under the delivery; storing a blob that does not match
                // its hash would be worse than failing (the MTA retries on 451).
                return Err($crate::error::MailError::Spool(format!(
                    "content of blob {sha256} is {written} bytes, expected {size}"
                )));
            }
            Ok(blob)
        }
    };
}
pub(crate) use sql_blobs;
