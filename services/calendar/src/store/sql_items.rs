//! SQL of events: the change log, reads, and the writes, each of which bumps the counter of
//! every calendar it touches in its transaction and gives the event that value as its modseq.

/// Defines the item functions the `Store` implementation calls.
macro_rules! sql_items {
    ($store:ty, $db:ty, $byte_order:literal) => {
        fn version((id, modseq, deleted, date): (i64, i64, bool, i64)) -> ItemVersion {
            ItemVersion {
                id: EventId(id),
                modseq: eas_store_kit::to_u64(modseq),
                deleted,
                date: if deleted { 0 } else { date },
            }
        }

        async fn changes(
            store: &$store,
            user: &str,
            folder: FolderId,
            after: (u64, &str),
            limit: u32,
        ) -> Result<Vec<ItemVersion>, Error> {
            let mut tx = store.pool.begin().await?;
            reach(&mut tx, user, folder).await?;
            // Ordered by (modseq, id as text in byte order): the order of the sync engine's
            // cursor.
            let rows = sqlx::query_as::<_, (i64, i64, bool, i64)>(eas_store_kit::changes_sql!(
                "events",
                "id, modseq, deleted, date",
                $byte_order
            ))
            .bind(folder.0)
            .bind(eas_store_kit::to_i64(after.0))
            .bind(after.1)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(version).collect())
        }

        async fn versions(
            store: &$store,
            user: &str,
            folder: FolderId,
            ids: &[EventId],
        ) -> Result<Vec<ItemVersion>, Error> {
            let mut tx = store.pool.begin().await?;
            reach(&mut tx, user, folder).await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = eas_store_kit::versions_sql("events", "id, modseq, deleted, date", ids.len());
            let mut query = sqlx::query_as::<_, (i64, i64, bool, i64)>(&sql).bind(folder.0);
            for id in ids {
                query = query.bind(id.0);
            }
            let rows = query.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(version).collect())
        }

        async fn events(
            store: &$store,
            user: &str,
            folder: FolderId,
            ids: Option<&[EventId]>,
        ) -> Result<Vec<StoredEvent>, Error> {
            let mut tx = store.pool.begin().await?;
            reach(&mut tx, user, folder).await?;
            let rows = match ids {
                Some([]) => Vec::new(),
                Some(ids) => {
                    let sql = format!(
                        "SELECT id, folder_id, modseq, json FROM events \
                         WHERE folder_id = $1 AND NOT deleted AND id IN ({}) ORDER BY id",
                        eas_store_kit::placeholders(2, ids.len())
                    );
                    let mut query =
                        sqlx::query_as::<_, $crate::store::sql::EventRow>(&sql).bind(folder.0);
                    for id in ids {
                        query = query.bind(id.0);
                    }
                    query.fetch_all(&mut *tx).await?
                }
                None => {
                    sqlx::query_as::<_, $crate::store::sql::EventRow>(
                        "SELECT id, folder_id, modseq, json FROM events \
                         WHERE folder_id = $1 AND NOT deleted ORDER BY id",
                    )
                    .bind(folder.0)
                    .fetch_all(&mut *tx)
                    .await?
                }
            };
            tx.commit().await?;
            Ok(rows.into_iter().map($crate::store::sql::event_from_row).collect())
        }

        async fn own_events_after(
            store: &$store,
            user: &str,
            after: i64,
        ) -> Result<Vec<StoredEvent>, Error> {
            // `date` is the end of the last occurrence (0: a series without end), the column
            // FilterType windows use; an all-day event's is its end in the last time zone, so
            // no event with an occurrence after `after` is missed.
            let rows = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                "SELECT e.id, e.folder_id, e.modseq, e.json FROM events e \
                 JOIN folders f ON f.id = e.folder_id \
                 JOIN accounts a ON a.id = f.account_id \
                 WHERE a.address = $1 AND NOT e.deleted AND (e.date = 0 OR e.date > $2) \
                 ORDER BY e.id",
            )
            .bind(user)
            .bind(after)
            .fetch_all(&store.pool)
            .await?;
            Ok(rows.into_iter().map($crate::store::sql::event_from_row).collect())
        }

        async fn create(
            store: &$store,
            user: &str,
            folder: FolderId,
            event: &Indexed,
        ) -> Result<(Created, Audience), Error> {
            let mut tx = store.write_tx().await?;
            let reach = writable(&mut tx, user, folder).await?;
            // Bump first: the counter's row lock orders this against every other writer of the
            // calendar, so two Adds with one ClientUid cannot both find it free.
            let modseq = bump(&mut tx, folder.0).await?;
            if !event.client_uid.is_empty() {
                // MS-ASCAL 2.2.2.13: a repeated Add finds the event the first one created.
                // Nothing is written: dropping the transaction takes the bump back.
                let first = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                    "SELECT id, folder_id, modseq, json FROM events \
                     WHERE folder_id = $1 AND client_uid = $2 AND client_uid <> '' AND NOT deleted",
                )
                .bind(folder.0)
                .bind(&event.client_uid)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = first {
                    let created = Created {
                        event: $crate::store::sql::event_from_row(row),
                        existed: true,
                    };
                    return Ok((created, Vec::new()));
                }
            }
            let id = insert_event(&mut tx, reach.account, folder.0, modseq, event).await?;
            write_attachments(&mut tx, id, event).await?;
            let users = audience(&mut tx, &reach, folder).await?;
            tx.commit().await?;
            let created = Created {
                event: StoredEvent {
                    id: EventId(id),
                    folder_id: folder,
                    modseq: eas_store_kit::to_u64(modseq),
                    json: event.json.clone(),
                },
                existed: false,
            };
            Ok((created, users))
        }

        async fn update(
            store: &$store,
            user: &str,
            folder: FolderId,
            id: EventId,
            event: &Indexed,
            if_modseq: Option<u64>,
        ) -> Result<(Written, Audience), Error> {
            let mut tx = store.write_tx().await?;
            let reach = writable(&mut tx, user, folder).await?;
            // Bump first: the counter's row lock orders this against every other writer of the
            // calendar, so the modseq read next is the one this write replaces.
            let modseq = bump(&mut tx, folder.0).await?;
            let (current, stored_uid) = live_event(&mut tx, folder, id).await?;
            if let Some(expected) = if_modseq {
                if eas_store_kit::to_i64(expected) != current {
                    return Err(Error::Conflict {
                        id: id.to_string(),
                        expected,
                        current: eas_store_kit::to_u64(current),
                    });
                }
            }
            // The UID names the event for good (MS-ASCAL 2.2.2.46): a new version without one
            // keeps it.
            let kept;
            let event = if event.uid.is_empty() && !stored_uid.is_empty() {
                kept = event.clone().with_uid(&stored_uid);
                &kept
            } else {
                event
            };
            write_attachments(&mut tx, id.0, event).await?;
            sqlx::query("UPDATE events SET modseq = $1, json = $2, uid = $3, date = $4 WHERE id = $5")
                .bind(modseq)
                .bind(&event.json)
                .bind(&event.uid)
                .bind(event.date)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let users = audience(&mut tx, &reach, folder).await?;
            tx.commit().await?;
            let written = Written {
                id,
                folder_id: folder,
                modseq: eas_store_kit::to_u64(modseq),
            };
            Ok((written, users))
        }

        async fn delete(
            store: &$store,
            user: &str,
            folder: FolderId,
            id: EventId,
        ) -> Result<(Written, Audience), Error> {
            let mut tx = store.write_tx().await?;
            let reach = writable(&mut tx, user, folder).await?;
            // Bump first, so that a concurrent delete of the same event waits and then finds
            // it gone.
            let modseq = bump(&mut tx, folder.0).await?;
            live_event(&mut tx, folder, id).await?;
            tombstone(&mut tx, id.0, modseq).await?;
            let users = audience(&mut tx, &reach, folder).await?;
            tx.commit().await?;
            let written = Written {
                id,
                folder_id: folder,
                modseq: eas_store_kit::to_u64(modseq),
            };
            Ok((written, users))
        }

        async fn move_to(
            store: &$store,
            user: &str,
            from: FolderId,
            id: EventId,
            to: FolderId,
        ) -> Result<(Moved, Audience, Audience), Error> {
            let mut tx = store.write_tx().await?;
            let source = writable(&mut tx, user, from).await?;
            let dest = writable(&mut tx, user, to).await?;
            live_event(&mut tx, from, id).await?;
            if from == to {
                return Err(Error::SameFolder(to.to_string()));
            }
            // Lock the two counters in id order, so that two opposite moves cannot deadlock.
            let (source_modseq, dest_modseq) = if from.0 < to.0 {
                let s = bump(&mut tx, from.0).await?;
                (s, bump(&mut tx, to.0).await?)
            } else {
                let d = bump(&mut tx, to.0).await?;
                (bump(&mut tx, from.0).await?, d)
            };
            // The event keeps its ClientUid unless the destination already has a live event
            // with it (two Adds of one event in two calendars): then its copy goes without.
            let new_id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO events (account_id, folder_id, modseq, json, uid, client_uid, date) \
                 SELECT $1, $2, $3, e.json, e.uid, \
                 CASE WHEN e.client_uid = '' OR EXISTS (SELECT 1 FROM events d \
                 WHERE d.folder_id = $2 AND d.client_uid = e.client_uid AND d.client_uid <> '' \
                 AND NOT d.deleted) \
                 THEN '' ELSE e.client_uid END, e.date \
                 FROM events e WHERE e.id = $4 AND NOT e.deleted RETURNING id",
            )
            .bind(dest.account)
            .bind(to.0)
            .bind(dest_modseq)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::EventNotFound(id.to_string()))?;
            // The attachments' bytes go with the event to its new id; their FileReferences stay.
            sqlx::query("UPDATE attachments SET event_id = $1 WHERE event_id = $2")
                .bind(new_id)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            tombstone(&mut tx, id.0, source_modseq).await?;
            let source_users = audience(&mut tx, &source, from).await?;
            let dest_users = audience(&mut tx, &dest, to).await?;
            tx.commit().await?;
            let moved = Moved {
                tombstone: Written {
                    id,
                    folder_id: from,
                    modseq: eas_store_kit::to_u64(source_modseq),
                },
                item: Written {
                    id: EventId(new_id),
                    folder_id: to,
                    modseq: eas_store_kit::to_u64(dest_modseq),
                },
            };
            Ok((moved, source_users, dest_users))
        }

        async fn import(
            store: &$store,
            user: &str,
            folder: FolderId,
            events: &[Indexed],
        ) -> Result<(u64, Vec<EventId>, Audience), Error> {
            let mut tx = store.write_tx().await?;
            let reach = writable(&mut tx, user, folder).await?;
            if events.is_empty() {
                return Ok((0, Vec::new(), Vec::new()));
            }
            let modseq = bump(&mut tx, folder.0).await?;
            let mut ids: Vec<EventId> = Vec::with_capacity(events.len());
            for event in events {
                let mut replaced = None;
                if !event.uid.is_empty() {
                    let same_uid = sqlx::query_scalar::<_, i64>(
                        // `uid <> ''` lets SQLite use the partial index events_uid instead
                        // of reading the whole calendar for each imported event.
                        "SELECT id FROM events WHERE folder_id = $1 AND uid = $2 AND uid <> '' \
                         AND NOT deleted ORDER BY id",
                    )
                    .bind(folder.0)
                    .bind(&event.uid)
                    .fetch_all(&mut *tx)
                    .await?;
                    // An event this import wrote is not replaced by another of the same file.
                    replaced = same_uid.into_iter().find(|id| !ids.contains(&EventId(*id)));
                }
                let id = match replaced {
                    Some(id) => {
                        // The ClientUid of the Add that created the event stays its key.
                        sqlx::query(
                            "UPDATE events SET modseq = $1, json = $2, uid = $3, date = $4 \
                             WHERE id = $5",
                        )
                        .bind(modseq)
                        .bind(&event.json)
                        .bind(&event.uid)
                        .bind(event.date)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                    None => insert_event(&mut tx, reach.account, folder.0, modseq, event).await?,
                };
                write_attachments(&mut tx, id, event).await?;
                ids.push(EventId(id));
            }
            let users = audience(&mut tx, &reach, folder).await?;
            tx.commit().await?;
            Ok((eas_store_kit::to_u64(modseq), ids, users))
        }

        async fn purge_tombstones(
            store: &$store,
            user: &str,
            folder: FolderId,
            through: u64,
        ) -> Result<u64, Error> {
            let mut tx = store.write_tx().await?;
            if !reach(&mut tx, user, folder).await?.is_owner() {
                return Err(Error::FolderNotFound(folder.to_string()));
            }
            let through = eas_store_kit::to_i64(through);
            let purged = sqlx::query("DELETE FROM events WHERE folder_id = $1 AND deleted AND modseq <= $2")
                .bind(folder.0)
                .bind(through)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // The horizon only moves up, and never past the counter.
            sqlx::query(
                "UPDATE folders SET purged_through = CASE \
                 WHEN purged_through >= $1 THEN purged_through \
                 WHEN $1 > counter THEN counter ELSE $1 END WHERE id = $2",
            )
            .bind(through)
            .bind(folder.0)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(purged)
        }

        /// MS-ASAIRS 2.2.2.24: the attachment's bytes, checked to belong to a live event of a
        /// calendar the user owns or that is shared with them; any other reference is not
        /// found, so that nothing tells another user's attachment from none.
        async fn attachment(store: &$store, user: &str, reference: &str) -> Result<Vec<u8>, Error> {
            let not_found = || Error::AttachmentNotFound(reference.to_owned());
            let mut tx = store.pool.begin().await?;
            let folder = sqlx::query_scalar::<_, i64>(
                "SELECT e.folder_id FROM attachments a JOIN events e ON e.id = a.event_id \
                 WHERE a.reference = $1 AND NOT e.deleted",
            )
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(not_found)?;
            match reach(&mut tx, user, FolderId(folder)).await {
                Ok(_) => {}
                Err(Error::FolderNotFound(_)) => return Err(not_found()),
                Err(e) => return Err(e),
            }
            let content = sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT content FROM attachments WHERE reference = $1",
            )
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(not_found)?;
            tx.commit().await?;
            Ok(content)
        }

        async fn folder_attachments(
            store: &$store,
            user: &str,
            folder: FolderId,
        ) -> Result<std::collections::HashMap<String, Vec<u8>>, Error> {
            let mut tx = store.pool.begin().await?;
            reach(&mut tx, user, folder).await?;
            let rows = sqlx::query_as::<_, (String, Vec<u8>)>(
                "SELECT a.reference, a.content FROM attachments a \
                 JOIN events e ON e.id = a.event_id WHERE e.folder_id = $1 AND NOT e.deleted",
            )
            .bind(folder.0)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(rows.into_iter().collect())
        }
    };
}
pub(crate) use sql_items;
