//! SQL of the message writes: each bumps the counter of every folder it touches, in the same
//! transaction, and gives the item that counter value as its modseq.

/// Implements `WriteStore` for `$store`.
macro_rules! sql_write {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::WriteStore for $store {
            async fn deliver(
                &self,
                user: &str,
                folder: Option<$crate::model::FolderId>,
                message: &$crate::parse::NewMessage<'_>,
                chunk_size: usize,
            ) -> Result<$crate::model::ItemChange, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                let folder = match folder {
                    Some(folder) => {
                        owned_folder(&mut tx, user, folder).await?;
                        folder.0
                    }
                    None => inbox(&mut tx, mailbox).await?,
                };
                let blob = put_blob(&mut tx, &message.sha256, &message.raw, chunk_size).await?;
                let modseq = bump(&mut tx, folder).await?;
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO messages (mailbox_id, folder_id, modseq, blob_id, size, \
                     received_at, sent_at, subject, from_json, to_json, cc_json, reply_to_json, \
                     message_id, in_reply_to, refs, importance, has_attachments, search_text) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18) RETURNING id",
                )
                .bind(mailbox)
                .bind(folder)
                .bind(modseq)
                .bind(blob)
                .bind($crate::store::sql::to_i64(message.raw.len()))
                .bind(message.received_at)
                .bind(message.sent_at)
                .bind(&message.subject)
                .bind(&message.from)
                .bind(&message.to)
                .bind(&message.cc)
                .bind(&message.reply_to)
                .bind(&message.message_id)
                .bind(&message.in_reply_to)
                .bind(&message.references)
                .bind(i32::from(message.importance.code()))
                .bind(message.has_attachments)
                .bind(&message.search_text)
                .fetch_one(&mut *tx)
                .await?;
                for attachment in &message.attachments {
                    let blob =
                        put_blob(&mut tx, &attachment.sha256, &attachment.data, chunk_size).await?;
                    let meta = &attachment.meta;
                    sqlx::query(
                        "INSERT INTO attachments (message_id, idx, name, content_type, size, \
                         content_id, inline, blob_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id)
                    .bind(i32::try_from(meta.index).unwrap_or(i32::MAX))
                    .bind(&meta.name)
                    .bind(&meta.content_type)
                    .bind($crate::store::sql::to_i64(meta.size))
                    .bind(&meta.content_id)
                    .bind(meta.inline)
                    .bind(blob)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(change(id, folder, modseq))
            }

            async fn set_read(
                &self,
                user: &str,
                id: $crate::model::MessageId,
                read: bool,
            ) -> Result<$crate::model::ItemChange, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let (folder, _) = live_message(&mut tx, user, id).await?;
                let modseq = bump(&mut tx, folder).await?;
                let updated = sqlx::query(
                    "UPDATE messages SET read = $1, modseq = $2 \
                     WHERE id = $3 AND folder_id = $4 AND NOT deleted",
                )
                .bind(read)
                .bind(modseq)
                .bind(id.0)
                .bind(folder)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err($crate::error::MailError::MessageNotFound(id.to_string()));
                }
                tx.commit().await?;
                Ok(change(id.0, folder, modseq))
            }

            async fn set_flag(
                &self,
                user: &str,
                id: $crate::model::MessageId,
                flag: $crate::model::Flag,
            ) -> Result<$crate::model::ItemChange, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let (folder, _) = live_message(&mut tx, user, id).await?;
                let modseq = bump(&mut tx, folder).await?;
                let updated = sqlx::query(
                    "UPDATE messages SET flag_status = $1, flag_start = $2, flag_due = $3, \
                     modseq = $4 WHERE id = $5 AND folder_id = $6 AND NOT deleted",
                )
                .bind(i32::from(flag.status.code()))
                .bind(flag.start_at)
                .bind(flag.due_at)
                .bind(modseq)
                .bind(id.0)
                .bind(folder)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err($crate::error::MailError::MessageNotFound(id.to_string()));
                }
                tx.commit().await?;
                Ok(change(id.0, folder, modseq))
            }

            async fn delete(
                &self,
                user: &str,
                id: $crate::model::MessageId,
            ) -> Result<($crate::model::ItemChange, $crate::store::Released), $crate::error::MailError>
            {
                let mut tx = self.write_tx().await?;
                let (folder, blob) = live_message(&mut tx, user, id).await?;
                let mut blobs = attachment_blobs(&mut tx, id.0).await?;
                blobs.extend(blob);
                let modseq = bump(&mut tx, folder).await?;
                tombstone(&mut tx, id.0, folder, modseq).await?;
                tx.commit().await?;
                Ok((change(id.0, folder, modseq), $crate::store::Released { blobs }))
            }

            async fn move_to(
                &self,
                user: &str,
                id: $crate::model::MessageId,
                destination: $crate::model::FolderId,
            ) -> Result<$crate::model::Moved, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let (source, _) = live_message(&mut tx, user, id).await?;
                owned_folder(&mut tx, user, destination).await?;
                if source == destination.0 {
                    return Err($crate::error::MailError::SameFolder(destination.to_string()));
                }
                // Lock the two counters in id order, so that two opposite moves cannot deadlock.
                let (source_modseq, dest_modseq) = if source < destination.0 {
                    let s = bump(&mut tx, source).await?;
                    (s, bump(&mut tx, destination.0).await?)
                } else {
                    let d = bump(&mut tx, destination.0).await?;
                    (bump(&mut tx, source).await?, d)
                };
                let new_id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO messages (mailbox_id, folder_id, modseq, blob_id, size, \
                     received_at, sent_at, subject, from_json, to_json, cc_json, reply_to_json, \
                     message_id, in_reply_to, refs, importance, has_attachments, read, \
                     flag_status, flag_start, flag_due, search_text) \
                     SELECT mailbox_id, $1, $2, blob_id, size, received_at, sent_at, subject, \
                     from_json, to_json, cc_json, reply_to_json, message_id, in_reply_to, refs, \
                     importance, has_attachments, read, flag_status, flag_start, flag_due, \
                     search_text FROM messages WHERE id = $3 AND NOT deleted RETURNING id",
                )
                .bind(destination.0)
                .bind(dest_modseq)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| $crate::error::MailError::MessageNotFound(id.to_string()))?;
                sqlx::query(
                    "INSERT INTO attachments (message_id, idx, name, content_type, size, \
                     content_id, inline, blob_id) SELECT $1, idx, name, content_type, size, \
                     content_id, inline, blob_id FROM attachments WHERE message_id = $2",
                )
                .bind(new_id)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                tombstone(&mut tx, id.0, source, source_modseq).await?;
                tx.commit().await?;
                Ok($crate::model::Moved {
                    tombstone: change(id.0, source, source_modseq),
                    item: change(new_id, destination.0, dest_modseq),
                })
            }

            async fn empty_folder(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                include_subfolders: bool,
            ) -> Result<$crate::store::Emptied, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                owned_folder(&mut tx, user, folder).await?;
                let mut emptied = $crate::store::Emptied::default();
                let mut blobs = blobs_of_folders(&mut tx, &[folder.0]).await?;
                let live = sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM messages WHERE folder_id = $1 AND NOT deleted",
                )
                .bind(folder.0)
                .fetch_one(&mut *tx)
                .await?;
                if live > 0 {
                    // One counter value for the whole operation: the tombstones tie on modseq
                    // and are ordered by id.
                    let modseq = bump(&mut tx, folder.0).await?;
                    sqlx::query(
                        "DELETE FROM attachments WHERE message_id IN \
                         (SELECT id FROM messages WHERE folder_id = $1 AND NOT deleted)",
                    )
                    .bind(folder.0)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(&format!(
                        "UPDATE messages SET {}, modseq = $1 WHERE folder_id = $2 AND NOT deleted",
                        $crate::store::sql::TOMBSTONE_SET
                    ))
                    .bind(modseq)
                    .bind(folder.0)
                    .execute(&mut *tx)
                    .await?;
                    emptied.counter = Some($crate::store::sql::to_u64(modseq));
                }
                if include_subfolders {
                    let children = sqlx::query_scalar::<_, i64>(
                        "SELECT id FROM folders WHERE parent_id = $1",
                    )
                    .bind(folder.0)
                    .fetch_all(&mut *tx)
                    .await?;
                    if !children.is_empty() {
                        let tree = folder_tree(&mut tx, mailbox).await?;
                        let mut doomed = $crate::store::sql_folders::subtree(&tree, folder);
                        doomed.retain(|id| *id != folder.0);
                        blobs.extend(blobs_of_folders(&mut tx, &doomed).await?);
                        sqlx::query("DELETE FROM folders WHERE parent_id = $1")
                            .bind(folder.0)
                            .execute(&mut *tx)
                            .await?;
                        emptied.hierarchy = Some(bump_hierarchy(&mut tx, mailbox).await?);
                    }
                }
                tx.commit().await?;
                emptied.released.blobs = blobs;
                Ok(emptied)
            }

            async fn purge_tombstones(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                below: u64,
            ) -> Result<u64, $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                owned_folder(&mut tx, user, folder).await?;
                let below = $crate::store::sql::to_i64(below);
                let purged = sqlx::query(
                    "DELETE FROM messages WHERE folder_id = $1 AND deleted AND modseq < $2",
                )
                .bind(folder.0)
                .bind(below)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE folders SET purged_through = $1 \
                     WHERE id = $2 AND purged_through < $1",
                )
                .bind(below - 1)
                .bind(folder.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(purged.rows_affected())
            }
        }

        fn change(id: i64, folder: i64, modseq: i64) -> $crate::model::ItemChange {
            $crate::model::ItemChange {
                id: $crate::model::MessageId(id),
                folder_id: $crate::model::FolderId(folder),
                modseq: $crate::store::sql::to_u64(modseq),
            }
        }

        async fn inbox(tx: &mut Tx<'_>, mailbox: i64) -> Result<i64, $crate::error::MailError> {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM folders WHERE mailbox_id = $1 AND folder_type = $2 \
                 ORDER BY id LIMIT 1",
            )
            .bind(mailbox)
            .bind($crate::model::FolderType::Inbox.code())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| $crate::error::MailError::Corrupt(format!("mailbox {mailbox} has no inbox")))
        }

        async fn attachment_blobs(tx: &mut Tx<'_>, message: i64) -> Result<Vec<i64>, $crate::error::MailError> {
            Ok(sqlx::query_scalar::<_, i64>("SELECT blob_id FROM attachments WHERE message_id = $1")
                .bind(message)
                .fetch_all(&mut **tx)
                .await?)
        }

        /// Turns a live message into a tombstone: content and attachment rows go, id, modseq
        /// and date stay.
        async fn tombstone(
            tx: &mut Tx<'_>,
            id: i64,
            folder: i64,
            modseq: i64,
        ) -> Result<(), $crate::error::MailError> {
            sqlx::query("DELETE FROM attachments WHERE message_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let updated = sqlx::query(&format!(
                "UPDATE messages SET {}, modseq = $1 WHERE id = $2 AND folder_id = $3 AND NOT deleted",
                $crate::store::sql::TOMBSTONE_SET
            ))
            .bind(modseq)
            .bind(id)
            .bind(folder)
            .execute(&mut **tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Err($crate::error::MailError::MessageNotFound(id.to_string()));
            }
            Ok(())
        }
    };
}
pub(crate) use sql_write;
