//! SQL of accounts and the calendar hierarchy: each user's own calendars and the calendars
//! shared with them, and the hierarchy counters a folder write moves.

/// Defines the folder functions the `Store` implementation calls.
macro_rules! sql_folders {
    ($store:ty, $db:ty) => {
        async fn ensure_account(store: &$store, user: &str) -> Result<bool, Error> {
            // Every Sync and Ping lists folders, and so ends here: the common case (the
            // account exists) is a plain read, so it never queues for SQLite's write lock.
            let exists = sqlx::query_scalar::<_, i64>("SELECT id FROM accounts WHERE address = $1")
                .bind(user)
                .fetch_optional(&store.pool)
                .await?;
            if exists.is_some() {
                return Ok(false);
            }
            let mut tx = store.write_tx().await?;
            let (_, created) = ensure_account_in(&mut tx, user).await?;
            tx.commit().await?;
            Ok(created)
        }

        async fn hierarchy(store: &$store, user: &str) -> Result<Hierarchy, Error> {
            // One statement, so the counter and both lists come from one snapshot: a share
            // that appears moves the grantee's counter in the same transaction.
            let rows = sqlx::query_as::<
                _,
                (i64, i64, i64, Option<i64>, String, String, i64, String, Option<String>),
            >(
                "SELECT CAST(0 AS BIGINT) AS kind, a.hierarchy_counter AS hc, f.id AS fid, f.parent_id, f.name, \
                 f.role, f.counter, '' AS owner, CAST(NULL AS TEXT) AS access \
                 FROM accounts a JOIN folders f ON f.account_id = a.id WHERE a.address = $1 \
                 UNION ALL \
                 SELECT CAST(1 AS BIGINT), g.hierarchy_counter, f.id, CAST(NULL AS BIGINT), f.name, f.role, \
                 f.counter, o.address, s.access \
                 FROM accounts g JOIN shares s ON s.grantee_id = g.id \
                 JOIN folders f ON f.id = s.folder_id JOIN accounts o ON o.id = f.account_id \
                 WHERE g.address = $1 \
                 ORDER BY kind, fid",
            )
            .bind(user)
            .fetch_all(&store.pool)
            .await?;
            let counter = rows.first().map_or(0, |row| row.1);
            let folders = rows
                .into_iter()
                .map(|(_, _, id, parent, name, role, counter, owner, access)| {
                    let mut folder =
                        $crate::store::sql::folder_from_row((id, parent, name, role, counter))?;
                    if let Some(access) = access {
                        folder.shared = Some(SharedBy {
                            owner,
                            access: $crate::store::sql::access_of(id, &access)?,
                        });
                    }
                    Ok(folder)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(Hierarchy {
                counter: eas_store_kit::to_u64(counter),
                folders,
            })
        }

        async fn folder_state(
            store: &$store,
            user: &str,
            folder: FolderId,
        ) -> Result<FolderState, Error> {
            let (counter, purged) = sqlx::query_as::<_, (i64, i64)>(
                "SELECT f.counter, f.purged_through FROM folders f \
                 JOIN accounts o ON o.id = f.account_id WHERE f.id = $2 AND (o.address = $1 \
                 OR EXISTS (SELECT 1 FROM shares s JOIN accounts g ON g.id = s.grantee_id \
                 WHERE s.folder_id = f.id AND g.address = $1))",
            )
            .bind(user)
            .bind(folder.0)
            .fetch_optional(&store.pool)
            .await?
            .ok_or_else(|| Error::FolderNotFound(folder.to_string()))?;
            Ok(FolderState {
                id: folder,
                counter: eas_store_kit::to_u64(counter),
                purged_through: eas_store_kit::to_u64(purged),
            })
        }

        /// Every calendar an account owns.
        async fn folder_tree(tx: &mut Tx<'_>, account: i64) -> Result<Vec<Folder>, Error> {
            sqlx::query_as::<_, $crate::store::sql::FolderRow>(
                "SELECT id, parent_id, name, role, counter FROM folders \
                 WHERE account_id = $1 ORDER BY id",
            )
            .bind(account)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map($crate::store::sql::folder_from_row)
            .collect()
        }

        /// A parent a calendar may be put under: one of the owner's own.
        fn check_parent(tree: &[Folder], parent: FolderId) -> Result<(), Error> {
            if tree.iter().any(|f| f.id == parent) {
                Ok(())
            } else {
                Err(Error::FolderNotFound(parent.to_string()))
            }
        }

        /// The grantees of the calendars `folders`, as `(account, address)`.
        async fn grantees_of(tx: &mut Tx<'_>, folders: &[i64]) -> Result<Vec<(i64, String)>, Error> {
            if folders.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT DISTINCT a.id, a.address FROM shares s \
                 JOIN accounts a ON a.id = s.grantee_id WHERE s.folder_id IN ({})",
                eas_store_kit::placeholders(1, folders.len())
            );
            let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in folders {
                query = query.bind(*id);
            }
            Ok(query.fetch_all(&mut **tx).await?)
        }

        async fn create_folder(
            store: &$store,
            user: &str,
            parent: Option<FolderId>,
            name: &str,
        ) -> Result<(Folder, u64), Error> {
            let mut tx = store.write_tx().await?;
            let (account, _) = ensure_account_in(&mut tx, user).await?;
            if let Some(parent) = parent {
                check_parent(&folder_tree(&mut tx, account).await?, parent)?;
            }
            let role = FolderRole::User;
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO folders (account_id, parent_id, name, name_key, role) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(account)
            .bind(parent.map(|p| p.0))
            .bind(name)
            .bind(name.to_lowercase())
            .bind(role.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                $crate::store::sql::unique_or(e, || Error::FolderExists(name.to_owned()))
            })?;
            let counter = bump_hierarchy(&mut tx, account).await?;
            tx.commit().await?;
            let folder = Folder {
                id: FolderId(id),
                parent_id: parent,
                name: name.to_owned(),
                role,
                counter: 0,
                shared: None,
            };
            Ok((folder, counter))
        }

        async fn update_folder(
            store: &$store,
            user: &str,
            folder: FolderId,
            parent: Option<FolderId>,
            name: &str,
        ) -> Result<(Folder, u64, Moves), Error> {
            let mut tx = store.write_tx().await?;
            let reach = owned(&mut tx, user, folder).await?;
            if reach.role != FolderRole::User {
                return Err(Error::SpecialFolder(folder.to_string()));
            }
            let tree = folder_tree(&mut tx, reach.account).await?;
            let current = tree
                .iter()
                .find(|f| f.id == folder)
                .cloned()
                .ok_or_else(|| Error::FolderNotFound(folder.to_string()))?;
            if let Some(p) = parent {
                if $crate::store::sql::subtree(&tree, folder).contains(&p.0) {
                    return Err(Error::FolderCycle(folder.to_string()));
                }
                check_parent(&tree, p)?;
            }
            sqlx::query(
                "UPDATE folders SET parent_id = $1, name = $2, name_key = $3 WHERE id = $4",
            )
            .bind(parent.map(|p| p.0))
            .bind(name)
            .bind(name.to_lowercase())
            .bind(folder.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                $crate::store::sql::unique_or(e, || Error::FolderExists(name.to_owned()))
            })?;
            // Grantees see the calendar at their top level whatever its parent, but under its
            // name: a rename changes their folder list too.
            let mut accounts = vec![(reach.account, reach.owner.clone())];
            if current.name != name {
                accounts.extend(grantees_of(&mut tx, &[folder.0]).await?);
            }
            let mut moves = bump_hierarchies(&mut tx, &accounts).await?;
            tx.commit().await?;
            let counter = take_owner(&mut moves, &reach.owner)?;
            let updated = Folder {
                parent_id: parent,
                name: name.to_owned(),
                ..current
            };
            Ok((updated, counter, moves))
        }

        async fn delete_folder(
            store: &$store,
            user: &str,
            folder: FolderId,
        ) -> Result<(u64, Moves), Error> {
            let mut tx = store.write_tx().await?;
            let reach = owned(&mut tx, user, folder).await?;
            if reach.role != FolderRole::User {
                return Err(Error::SpecialFolder(folder.to_string()));
            }
            let tree = folder_tree(&mut tx, reach.account).await?;
            let doomed = $crate::store::sql::subtree(&tree, folder);
            let mut accounts = vec![(reach.account, reach.owner.clone())];
            accounts.extend(grantees_of(&mut tx, &doomed).await?);
            // Subcalendars, events, tombstones and shares go by ON DELETE CASCADE.
            sqlx::query("DELETE FROM folders WHERE id = $1")
                .bind(folder.0)
                .execute(&mut *tx)
                .await?;
            let mut moves = bump_hierarchies(&mut tx, &accounts).await?;
            tx.commit().await?;
            let counter = take_owner(&mut moves, &reach.owner)?;
            Ok((counter, moves))
        }

        /// Takes the owner's entry out of `moves`: its counter.
        fn take_owner(moves: &mut Moves, owner: &str) -> Result<u64, Error> {
            let at = moves
                .iter()
                .position(|(user, _)| user == owner)
                .ok_or_else(|| Error::Corrupt(format!("hierarchy counter of {owner} not moved")))?;
            Ok(moves.remove(at).1)
        }
    };
}
pub(crate) use sql_folders;
