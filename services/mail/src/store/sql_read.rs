//! SQL of the reads: the change log, message metadata, counts and search.

/// Implements `ReadStore` for `$store`.
macro_rules! sql_read {
    ($store:ty, $db:ty, $byte_order:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::ReadStore for $store {
            async fn ping(&self) -> Result<(), $crate::error::MailError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn changes(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                after: (u64, &str),
                limit: u32,
            ) -> Result<Vec<$crate::model::ItemVersion>, $crate::error::MailError> {
                let mut tx = self.pool.begin().await?;
                owned_folder(&mut tx, user, folder).await?;
                // Ordered by (modseq, id as text in byte order): the order of the sync
                // engine's cursor.
                let rows = sqlx::query_as::<_, (i64, i64, bool, i64)>(concat!(
                    "SELECT id, modseq, deleted, received_at FROM messages ",
                    "WHERE folder_id = $1 AND (modseq > $2 OR (modseq = $2 AND ",
                    "CAST(id AS TEXT)",
                    $byte_order,
                    " > $3)) ORDER BY modseq, CAST(id AS TEXT)",
                    $byte_order,
                    " LIMIT $4"
                ))
                .bind(folder.0)
                .bind($crate::store::sql::to_i64(after.0))
                .bind(after.1)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(rows.into_iter().map(version).collect())
            }

            async fn versions(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                ids: &[$crate::model::MessageId],
            ) -> Result<Vec<$crate::model::ItemVersion>, $crate::error::MailError> {
                let mut tx = self.pool.begin().await?;
                owned_folder(&mut tx, user, folder).await?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT id, modseq, deleted, received_at FROM messages \
                     WHERE folder_id = $1 AND id IN ({}) ORDER BY id",
                    $crate::store::sql::placeholders(2, ids.len())
                );
                let mut query = sqlx::query_as::<_, (i64, i64, bool, i64)>(&sql).bind(folder.0);
                for id in ids {
                    query = query.bind(id.0);
                }
                let rows = query.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows.into_iter().map(version).collect())
            }

            async fn messages(
                &self,
                user: &str,
                ids: &[$crate::model::MessageId],
            ) -> Result<Vec<$crate::model::MessageMeta>, $crate::error::MailError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT {} FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id \
                     WHERE b.address = $1 AND NOT m.deleted AND m.id IN ({}) ORDER BY m.id",
                    $crate::store::sql::META_COLUMNS,
                    $crate::store::sql::placeholders(2, ids.len())
                );
                let mut query = sqlx::query(&sql).bind(user);
                for id in ids {
                    query = query.bind(id.0);
                }
                let rows = query.fetch_all(&self.pool).await?;
                with_attachments(&self.pool, rows).await
            }

            async fn count(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                since: Option<i64>,
            ) -> Result<u64, $crate::error::MailError> {
                let mut tx = self.pool.begin().await?;
                owned_folder(&mut tx, user, folder).await?;
                let count = sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM messages \
                     WHERE folder_id = $1 AND NOT deleted AND received_at >= $2",
                )
                .bind(folder.0)
                .bind(since.unwrap_or(i64::MIN))
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::store::sql::to_u64(count))
            }

            async fn search(
                &self,
                user: &str,
                pattern: &str,
                folder: Option<$crate::model::FolderId>,
                offset: u32,
                limit: u32,
            ) -> Result<(u64, Vec<$crate::model::MessageMeta>), $crate::error::MailError> {
                let mut tx = self.pool.begin().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                if let Some(folder) = folder {
                    owned_folder(&mut tx, user, folder).await?;
                }
                const MATCH: &str = "m.mailbox_id = $1 AND NOT m.deleted \
                    AND ($2 IS NULL OR m.folder_id = $2) AND m.search_text LIKE $3 ESCAPE '\\'";
                let total = sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT count(*) FROM messages m WHERE {MATCH}"
                ))
                .bind(mailbox)
                .bind(folder.map(|f| f.0))
                .bind(pattern)
                .fetch_one(&mut *tx)
                .await?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM messages m WHERE {MATCH} \
                     ORDER BY m.received_at DESC, m.id DESC LIMIT $4 OFFSET $5",
                    $crate::store::sql::META_COLUMNS
                ))
                .bind(mailbox)
                .bind(folder.map(|f| f.0))
                .bind(pattern)
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let items = with_attachments(&self.pool, rows).await?;
                Ok(($crate::store::sql::to_u64(total), items))
            }
        }

        fn version((id, modseq, deleted, date): (i64, i64, bool, i64)) -> $crate::model::ItemVersion {
            $crate::model::ItemVersion {
                id: $crate::model::MessageId(id),
                modseq: $crate::store::sql::to_u64(modseq),
                deleted,
                date,
            }
        }

        /// Decodes message rows and fills in their attachments, keeping the rows' order.
        async fn with_attachments(
            pool: &sqlx::Pool<$db>,
            rows: Vec<Row>,
        ) -> Result<Vec<$crate::model::MessageMeta>, $crate::error::MailError> {
            let mut metas = Vec::with_capacity(rows.len());
            for row in &rows {
                metas.push(meta_row(row)?.into_meta()?);
            }
            let with: Vec<i64> = metas.iter().map(|m| m.id.0).collect();
            if with.is_empty() {
                return Ok(metas);
            }
            let sql = format!(
                "SELECT {} FROM attachments WHERE message_id IN ({}) ORDER BY message_id, idx",
                $crate::store::sql::ATTACHMENT_COLUMNS,
                $crate::store::sql::placeholders(1, with.len())
            );
            let mut query = sqlx::query_as::<_, $crate::store::sql::AttachmentRow>(&sql);
            for id in &with {
                query = query.bind(*id);
            }
            let attachments = query.fetch_all(pool).await?;
            $crate::store::sql::join_attachments(&mut metas, attachments);
            Ok(metas)
        }
    };
}
pub(crate) use sql_read;
