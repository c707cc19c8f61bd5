//! SQL of contacts: the change log, reads, search, and the writes, each of which bumps the
//! counter of every folder it touches in its transaction and gives the item that value as its
//! modseq.

/// Defines the item functions the `Store` implementation calls.
macro_rules! sql_items {
    ($store:ty, $db:ty, $byte_order:literal) => {
        fn version((id, modseq, deleted): (i64, i64, bool)) -> ItemVersion {
            ItemVersion {
                id: ContactId(id),
                modseq: eas_store_kit::to_u64(modseq),
                deleted,
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
            owned_folder(&mut tx, user, folder).await?;
            // Ordered by (modseq, id as text in byte order): the order of the sync engine's
            // cursor.
            let rows = sqlx::query_as::<_, (i64, i64, bool)>(eas_store_kit::changes_sql!(
                "contacts",
                "id, modseq, deleted",
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
            ids: &[ContactId],
        ) -> Result<Vec<ItemVersion>, Error> {
            let mut tx = store.pool.begin().await?;
            owned_folder(&mut tx, user, folder).await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = eas_store_kit::versions_sql("contacts", "id, modseq, deleted", ids.len());
            let mut query = sqlx::query_as::<_, (i64, i64, bool)>(&sql).bind(folder.0);
            for id in ids {
                query = query.bind(id.0);
            }
            let rows = query.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(version).collect())
        }

        /// The live contacts of `folder` among `ids`, or all of them (`None`), by id.
        async fn contacts(
            store: &$store,
            user: &str,
            folder: FolderId,
            ids: Option<&[ContactId]>,
        ) -> Result<Vec<StoredContact>, Error> {
            let mut tx = store.pool.begin().await?;
            owned_folder(&mut tx, user, folder).await?;
            let rows = match ids {
                Some([]) => Vec::new(),
                Some(ids) => {
                    let sql = format!(
                        "SELECT id, folder_id, modseq, json FROM contacts \
                         WHERE folder_id = $1 AND NOT deleted AND id IN ({}) ORDER BY id",
                        eas_store_kit::placeholders(2, ids.len())
                    );
                    let mut query =
                        sqlx::query_as::<_, $crate::store::sql::ContactRow>(&sql).bind(folder.0);
                    for id in ids {
                        query = query.bind(id.0);
                    }
                    query.fetch_all(&mut *tx).await?
                }
                None => {
                    sqlx::query_as::<_, $crate::store::sql::ContactRow>(
                        "SELECT id, folder_id, modseq, json FROM contacts \
                         WHERE folder_id = $1 AND NOT deleted ORDER BY id",
                    )
                    .bind(folder.0)
                    .fetch_all(&mut *tx)
                    .await?
                }
            };
            tx.commit().await?;
            Ok(rows.into_iter().map($crate::store::sql::contact_from_row).collect())
        }

        async fn search(
            store: &$store,
            user: &str,
            pattern: &str,
            include_collected: bool,
            limit: u32,
        ) -> Result<SearchResult, Error> {
            let mut tx = store.pool.begin().await?;
            let Some(book) = book_id(&mut tx, user).await? else {
                return Ok(SearchResult {
                    total: 0,
                    hits: Vec::new(),
                });
            };
            const MATCH: &str = "c.book_id = $1 AND NOT c.deleted \
                AND ($2 OR f.role <> 'collected') \
                AND EXISTS (SELECT 1 FROM contact_terms t \
                WHERE t.contact_id = c.id AND t.term LIKE $3 ESCAPE '\\')";
            let total = sqlx::query_scalar::<_, i64>(&format!(
                "SELECT count(*) FROM contacts c JOIN folders f ON f.id = c.folder_id WHERE {MATCH}"
            ))
            .bind(book)
            .bind(include_collected)
            .bind(pattern)
            .fetch_one(&mut *tx)
            .await?;
            let rows = sqlx::query_as::<_, (i64, i64, i64, String, String)>(&format!(
                "SELECT c.id, c.folder_id, c.modseq, c.json, f.role \
                 FROM contacts c JOIN folders f ON f.id = c.folder_id WHERE {MATCH} \
                 ORDER BY c.sort_key, c.id LIMIT $4"
            ))
            .bind(book)
            .bind(include_collected)
            .bind(pattern)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let hits = rows
                .into_iter()
                .map(|(id, folder, modseq, json, role)| {
                    Ok($crate::model::SearchHit {
                        from_collected: $crate::store::sql::role_of(folder, &role)?
                            == FolderRole::Collected,
                        contact: $crate::store::sql::contact_from_row((id, folder, modseq, json)),
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(SearchResult {
                total: eas_store_kit::to_u64(total),
                hits,
            })
        }

        async fn insert(
            store: &$store,
            user: &str,
            folder: FolderId,
            contacts: &[Indexed],
        ) -> Result<(u64, Vec<ContactId>), Error> {
            let mut tx = store.write_tx().await?;
            let (book, _) = owned_folder(&mut tx, user, folder).await?;
            let modseq = bump(&mut tx, folder.0).await?;
            let mut ids = Vec::with_capacity(contacts.len());
            for contact in contacts {
                ids.push(ContactId(insert_contact(&mut tx, book, folder.0, modseq, contact).await?));
            }
            tx.commit().await?;
            Ok((eas_store_kit::to_u64(modseq), ids))
        }

        async fn update(
            store: &$store,
            user: &str,
            folder: FolderId,
            id: ContactId,
            contact: &Indexed,
            if_modseq: Option<u64>,
        ) -> Result<Written, Error> {
            let mut tx = store.write_tx().await?;
            let (book, _) = owned_folder(&mut tx, user, folder).await?;
            // Bump first: the counter's row lock orders this against every other writer of the
            // folder, so the modseq read next is the one this write replaces.
            let modseq = bump(&mut tx, folder.0).await?;
            let current = live_contact(&mut tx, folder, id).await?;
            if let Some(expected) = if_modseq {
                if eas_store_kit::to_i64(expected) != current {
                    return Err(Error::Conflict {
                        id: id.to_string(),
                        expected,
                        current: eas_store_kit::to_u64(current),
                    });
                }
            }
            sqlx::query(
                "UPDATE contacts SET modseq = $1, json = $2, display_name = $3, sort_key = $4, \
                 first_name = $5, last_name = $6, nick_name = $7 WHERE id = $8",
            )
            .bind(modseq)
            .bind(&contact.json)
            .bind(&contact.display_name)
            .bind(contact.display_name.to_lowercase())
            .bind(&contact.first_name)
            .bind(&contact.last_name)
            .bind(&contact.nick_name)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM contact_terms WHERE contact_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            insert_terms(&mut tx, book, id.0, contact).await?;
            tx.commit().await?;
            Ok(Written {
                id,
                folder_id: folder,
                modseq: eas_store_kit::to_u64(modseq),
            })
        }

        async fn delete(
            store: &$store,
            user: &str,
            folder: FolderId,
            id: ContactId,
        ) -> Result<Written, Error> {
            let mut tx = store.write_tx().await?;
            owned_folder(&mut tx, user, folder).await?;
            // Bump first, so that a concurrent delete of the same contact waits and then finds
            // it gone.
            let modseq = bump(&mut tx, folder.0).await?;
            live_contact(&mut tx, folder, id).await?;
            tombstone(&mut tx, id.0, modseq).await?;
            tx.commit().await?;
            Ok(Written {
                id,
                folder_id: folder,
                modseq: eas_store_kit::to_u64(modseq),
            })
        }

        async fn move_to(
            store: &$store,
            user: &str,
            from: FolderId,
            id: ContactId,
            to: FolderId,
        ) -> Result<Moved, Error> {
            let mut tx = store.write_tx().await?;
            owned_folder(&mut tx, user, from).await?;
            owned_folder(&mut tx, user, to).await?;
            live_contact(&mut tx, from, id).await?;
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
            let new_id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO contacts (book_id, folder_id, modseq, json, display_name, sort_key, \
                 first_name, last_name, nick_name) \
                 SELECT book_id, $1, $2, json, display_name, sort_key, first_name, last_name, \
                 nick_name FROM contacts WHERE id = $3 AND NOT deleted RETURNING id",
            )
            .bind(to.0)
            .bind(dest_modseq)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::ContactNotFound(id.to_string()))?;
            sqlx::query(
                "INSERT INTO contact_terms (contact_id, book_id, kind, term) \
                 SELECT $1, book_id, kind, term FROM contact_terms WHERE contact_id = $2",
            )
            .bind(new_id)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            tombstone(&mut tx, id.0, source_modseq).await?;
            tx.commit().await?;
            Ok(Moved {
                tombstone: Written {
                    id,
                    folder_id: from,
                    modseq: eas_store_kit::to_u64(source_modseq),
                },
                item: Written {
                    id: ContactId(new_id),
                    folder_id: to,
                    modseq: eas_store_kit::to_u64(dest_modseq),
                },
            })
        }

        async fn purge_tombstones(
            store: &$store,
            user: &str,
            folder: FolderId,
            through: u64,
        ) -> Result<u64, Error> {
            let mut tx = store.write_tx().await?;
            owned_folder(&mut tx, user, folder).await?;
            let through = eas_store_kit::to_i64(through);
            let purged = sqlx::query("DELETE FROM contacts WHERE folder_id = $1 AND deleted AND modseq <= $2")
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

        async fn collect(
            store: &$store,
            user: &str,
            recipients: &[(String, Indexed)],
        ) -> Result<Option<(FolderId, u64, usize)>, Error> {
            let mut tx = store.write_tx().await?;
            let book = book_id(&mut tx, user)
                .await?
                .ok_or_else(|| Error::FolderNotFound(String::new()))?;
            let folder = role_folder(&mut tx, book, FolderRole::Collected).await?;
            // Takes the folder's row lock (PostgreSQL) without a change: two concurrent
            // collections of one address cannot both find it missing.
            sqlx::query("UPDATE folders SET counter = counter WHERE id = $1")
                .bind(folder)
                .execute(&mut *tx)
                .await?;
            let mut modseq = None;
            let mut added = 0;
            for (address, contact) in recipients {
                let known = sqlx::query_scalar::<_, i64>(
                    "SELECT contact_id FROM contact_terms \
                     WHERE book_id = $1 AND kind = $2 AND term = $3 LIMIT 1",
                )
                .bind(book)
                .bind($crate::index::EMAIL)
                .bind(address)
                .fetch_optional(&mut *tx)
                .await?;
                if known.is_some() {
                    continue;
                }
                let m = match modseq {
                    Some(m) => m,
                    None => *modseq.insert(bump(&mut tx, folder).await?),
                };
                insert_contact(&mut tx, book, folder, m, contact).await?;
                added += 1;
            }
            tx.commit().await?;
            Ok(modseq.map(|m| (FolderId(folder), eas_store_kit::to_u64(m), added)))
        }
    };
}
pub(crate) use sql_items;
