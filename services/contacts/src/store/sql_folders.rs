//! SQL of address books and the folder hierarchy.

/// Defines the folder functions the `Store` implementation calls.
macro_rules! sql_folders {
    ($store:ty, $db:ty) => {
        async fn ensure_book(store: &$store, user: &str) -> Result<bool, Error> {
            // Every Sync and Ping lists folders, and so ends here: the common case (the book
            // exists) is a plain read, so it never queues for SQLite's write lock.
            let exists = sqlx::query_scalar::<_, i64>("SELECT id FROM books WHERE address = $1")
                .bind(user)
                .fetch_optional(&store.pool)
                .await?;
            if exists.is_some() {
                return Ok(false);
            }
            let mut tx = store.write_tx().await?;
            // Concurrent callers: PostgreSQL makes the loser wait for the winner's commit and
            // then do nothing; SQLite serialises the whole transaction.
            let created = sqlx::query_scalar::<_, i64>(
                "INSERT INTO books (address, hierarchy_counter) VALUES ($1, 1) \
                 ON CONFLICT (address) DO NOTHING RETURNING id",
            )
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(book) = created else {
                return Ok(false);
            };
            for (role, name) in [
                (FolderRole::Contacts, $crate::model::CONTACTS_FOLDER_NAME),
                (FolderRole::Collected, $crate::model::COLLECTED_FOLDER_NAME),
            ] {
                sqlx::query(
                    "INSERT INTO folders (book_id, parent_id, name, name_key, role) \
                     VALUES ($1, NULL, $2, $3, $4)",
                )
                .bind(book)
                .bind(name)
                .bind(name.to_lowercase())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        }

        async fn hierarchy(store: &$store, user: &str) -> Result<Hierarchy, Error> {
            // One statement, so counter and list come from one snapshot.
            let rows = sqlx::query_as::<_, (i64, i64, Option<i64>, String, String, i64)>(
                "SELECT b.hierarchy_counter, f.id, f.parent_id, f.name, f.role, f.counter \
                 FROM books b JOIN folders f ON f.book_id = b.id \
                 WHERE b.address = $1 ORDER BY f.id",
            )
            .bind(user)
            .fetch_all(&store.pool)
            .await?;
            let counter = rows.first().map_or(0, |row| row.0);
            let folders = rows
                .into_iter()
                .map(|(_, id, parent, name, role, counter)| {
                    $crate::store::sql::folder_from_row((id, parent, name, role, counter))
                })
                .collect::<Result<Vec<_>, _>>()?;
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
            let (role, counter, purged) = sqlx::query_as::<_, (String, i64, i64)>(
                "SELECT f.role, f.counter, f.purged_through FROM folders f \
                 JOIN books b ON b.id = f.book_id WHERE b.address = $1 AND f.id = $2",
            )
            .bind(user)
            .bind(folder.0)
            .fetch_optional(&store.pool)
            .await?
            .ok_or_else(|| Error::FolderNotFound(folder.to_string()))?;
            Ok(FolderState {
                id: folder,
                role: $crate::store::sql::role_of(folder.0, &role)?,
                counter: eas_store_kit::to_u64(counter),
                purged_through: eas_store_kit::to_u64(purged),
            })
        }

        /// Every folder of a book.
        async fn folder_tree(tx: &mut Tx<'_>, book: i64) -> Result<Vec<Folder>, Error> {
            sqlx::query_as::<_, $crate::store::sql::FolderRow>(
                "SELECT id, parent_id, name, role, counter FROM folders \
                 WHERE book_id = $1 ORDER BY id",
            )
            .bind(book)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map($crate::store::sql::folder_from_row)
            .collect()
        }

        /// A parent a folder may be put under: a synchronized folder of the book.
        fn check_parent(tree: &[Folder], parent: FolderId) -> Result<(), Error> {
            match tree.iter().find(|f| f.id == parent) {
                Some(f) if f.role.synchronized() => Ok(()),
                _ => Err(Error::FolderNotFound(parent.to_string())),
            }
        }

        async fn create_folder(
            store: &$store,
            user: &str,
            parent: Option<FolderId>,
            name: &str,
        ) -> Result<(Folder, u64), Error> {
            let mut tx = store.write_tx().await?;
            let book = book_id(&mut tx, user).await?.ok_or_else(|| {
                Error::FolderNotFound(parent.map(|p| p.to_string()).unwrap_or_default())
            })?;
            if let Some(parent) = parent {
                check_parent(&folder_tree(&mut tx, book).await?, parent)?;
            }
            let role = FolderRole::User;
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO folders (book_id, parent_id, name, name_key, role) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(book)
            .bind(parent.map(|p| p.0))
            .bind(name)
            .bind(name.to_lowercase())
            .bind(role.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                $crate::store::sql::unique_or(e, || Error::FolderExists(name.to_owned()))
            })?;
            let counter = bump_hierarchy(&mut tx, book).await?;
            tx.commit().await?;
            let folder = Folder {
                id: FolderId(id),
                parent_id: parent,
                name: name.to_owned(),
                role,
                counter: 0,
            };
            Ok((folder, counter))
        }

        async fn update_folder(
            store: &$store,
            user: &str,
            folder: FolderId,
            parent: Option<FolderId>,
            name: &str,
        ) -> Result<(Folder, u64), Error> {
            let mut tx = store.write_tx().await?;
            let (book, role) = owned_folder(&mut tx, user, folder).await?;
            if role != FolderRole::User {
                return Err(Error::SpecialFolder(folder.to_string()));
            }
            let tree = folder_tree(&mut tx, book).await?;
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
            let counter = bump_hierarchy(&mut tx, book).await?;
            tx.commit().await?;
            let updated = Folder {
                parent_id: parent,
                name: name.to_owned(),
                ..current
            };
            Ok((updated, counter))
        }

        async fn delete_folder(store: &$store, user: &str, folder: FolderId) -> Result<u64, Error> {
            let mut tx = store.write_tx().await?;
            let (book, role) = owned_folder(&mut tx, user, folder).await?;
            if role != FolderRole::User {
                return Err(Error::SpecialFolder(folder.to_string()));
            }
            // Subfolders, contacts, tombstones and terms go by ON DELETE CASCADE.
            sqlx::query("DELETE FROM folders WHERE id = $1")
                .bind(folder.0)
                .execute(&mut *tx)
                .await?;
            let counter = bump_hierarchy(&mut tx, book).await?;
            tx.commit().await?;
            Ok(counter)
        }
    };
}
pub(crate) use sql_folders;
