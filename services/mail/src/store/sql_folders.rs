//! SQL of mailboxes and the folder hierarchy.

/// Implements `FolderStore` for `$store`.
macro_rules! sql_folders {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::FolderStore for $store {
            async fn ensure_mailbox(&self, user: &str) -> Result<bool, $crate::error::MailError> {
                // Every Sync and Ping lists folders, and so ends here: the common case (the
                // mailbox exists) is a plain read, so it never queues for SQLite's write lock.
                let exists = sqlx::query_scalar::<_, i64>("SELECT id FROM mailboxes WHERE address = $1")
                    .bind(user)
                    .fetch_optional(&self.pool)
                    .await?;
                if exists.is_some() {
                    return Ok(false);
                }
                let mut tx = self.write_tx().await?;
                // Concurrent callers: PostgreSQL makes the loser wait for the winner's commit
                // and then do nothing; SQLite serialises the whole transaction.
                let created = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO mailboxes (address, hierarchy_counter) VALUES ($1, 1) \
                     ON CONFLICT (address) DO NOTHING RETURNING id",
                )
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(mailbox) = created else {
                    return Ok(false);
                };
                for (folder_type, name) in $crate::model::FolderType::STANDARD {
                    sqlx::query(
                        "INSERT INTO folders (mailbox_id, parent_id, name, name_key, folder_type) \
                         VALUES ($1, NULL, $2, $3, $4)",
                    )
                    .bind(mailbox)
                    .bind(name)
                    .bind(name.to_lowercase())
                    .bind(folder_type.code())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn hierarchy(
                &self,
                user: &str,
            ) -> Result<$crate::model::Hierarchy, $crate::error::MailError> {
                // One statement, so counter and list come from one snapshot.
                let rows = sqlx::query_as::<_, (i64, i64, Option<i64>, String, i32, i64)>(
                    "SELECT b.hierarchy_counter, f.id, f.parent_id, f.name, f.folder_type, \
                     f.counter FROM mailboxes b JOIN folders f ON f.mailbox_id = b.id \
                     WHERE b.address = $1 ORDER BY f.id",
                )
                .bind(user)
                .fetch_all(&self.pool)
                .await?;
                let Some(counter) = rows.first().map(|row| row.0) else {
                    return Err($crate::error::MailError::MailboxNotFound(user.to_owned()));
                };
                let folders = rows
                    .into_iter()
                    .map(|(_, id, parent, name, kind, counter)| {
                        $crate::store::sql::folder_from_row((id, parent, name, kind, counter))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok($crate::model::Hierarchy {
                    counter: $crate::store::sql::to_u64(counter),
                    folders,
                })
            }

            async fn folder_state(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
            ) -> Result<$crate::model::FolderState, $crate::error::MailError> {
                let (kind, counter, purged) = sqlx::query_as::<_, (i32, i64, i64)>(
                    "SELECT f.folder_type, f.counter, f.purged_through FROM folders f \
                     JOIN mailboxes b ON b.id = f.mailbox_id WHERE b.address = $1 AND f.id = $2",
                )
                .bind(user)
                .bind(folder.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| $crate::error::MailError::FolderNotFound(folder.to_string()))?;
                Ok($crate::model::FolderState {
                    id: folder,
                    folder_type: $crate::store::sql::folder_type_of(folder.0, kind)?,
                    counter: $crate::store::sql::to_u64(counter),
                    purged_through: $crate::store::sql::to_u64(purged),
                })
            }

            async fn create_folder(
                &self,
                user: &str,
                parent: Option<$crate::model::FolderId>,
                name: &str,
            ) -> Result<($crate::model::Folder, u64), $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                if let Some(parent) = parent {
                    owned_folder(&mut tx, user, parent).await?;
                }
                let kind = $crate::model::FolderType::UserMail;
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO folders (mailbox_id, parent_id, name, name_key, folder_type) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(mailbox)
                .bind(parent.map(|p| p.0))
                .bind(name)
                .bind(name.to_lowercase())
                .bind(kind.code())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::sql::unique_or(e, || {
                        $crate::error::MailError::FolderExists(name.to_owned())
                    })
                })?;
                let counter = bump_hierarchy(&mut tx, mailbox).await?;
                tx.commit().await?;
                let folder = $crate::model::Folder {
                    id: $crate::model::FolderId(id),
                    parent_id: parent,
                    name: name.to_owned(),
                    folder_type: kind,
                    counter: 0,
                };
                Ok((folder, counter))
            }

            async fn update_folder(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
                parent: Option<Option<$crate::model::FolderId>>,
                name: Option<&str>,
            ) -> Result<($crate::model::Folder, u64), $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                let tree = folder_tree(&mut tx, mailbox).await?;
                let current = tree
                    .iter()
                    .find(|f| f.id == folder)
                    .cloned()
                    .ok_or_else(|| $crate::error::MailError::FolderNotFound(folder.to_string()))?;
                if current.folder_type != $crate::model::FolderType::UserMail {
                    return Err($crate::error::MailError::SpecialFolder(folder.to_string()));
                }
                let new_parent = parent.unwrap_or(current.parent_id);
                if let Some(p) = new_parent {
                    if !tree.iter().any(|f| f.id == p) {
                        return Err($crate::error::MailError::FolderNotFound(p.to_string()));
                    }
                    if $crate::store::sql_folders::subtree(&tree, folder).contains(&p.0) {
                        return Err($crate::error::MailError::FolderCycle(folder.to_string()));
                    }
                }
                let new_name = name.unwrap_or(&current.name);
                sqlx::query(
                    "UPDATE folders SET parent_id = $1, name = $2, name_key = $3 WHERE id = $4",
                )
                .bind(new_parent.map(|p| p.0))
                .bind(new_name)
                .bind(new_name.to_lowercase())
                .bind(folder.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::sql::unique_or(e, || {
                        $crate::error::MailError::FolderExists(new_name.to_owned())
                    })
                })?;
                let counter = bump_hierarchy(&mut tx, mailbox).await?;
                tx.commit().await?;
                let updated = $crate::model::Folder {
                    parent_id: new_parent,
                    name: new_name.to_owned(),
                    ..current
                };
                Ok((updated, counter))
            }

            async fn delete_folder(
                &self,
                user: &str,
                folder: $crate::model::FolderId,
            ) -> Result<(u64, $crate::store::Released), $crate::error::MailError> {
                let mut tx = self.write_tx().await?;
                let mailbox = mailbox_id(&mut tx, user).await?;
                let tree = folder_tree(&mut tx, mailbox).await?;
                let current = tree
                    .iter()
                    .find(|f| f.id == folder)
                    .ok_or_else(|| $crate::error::MailError::FolderNotFound(folder.to_string()))?;
                if current.folder_type != $crate::model::FolderType::UserMail {
                    return Err($crate::error::MailError::SpecialFolder(folder.to_string()));
                }
                let doomed = $crate::store::sql_folders::subtree(&tree, folder);
                let blobs = blobs_of_folders(&mut tx, &doomed).await?;
                // Subfolders, messages, tombstones and attachment rows go by ON DELETE CASCADE.
                sqlx::query("DELETE FROM folders WHERE id = $1")
                    .bind(folder.0)
                    .execute(&mut *tx)
                    .await?;
                let counter = bump_hierarchy(&mut tx, mailbox).await?;
                tx.commit().await?;
                Ok((counter, $crate::store::Released { blobs }))
            }
        }

        /// Every folder of a mailbox.
        async fn folder_tree(
            tx: &mut Tx<'_>,
            mailbox: i64,
        ) -> Result<Vec<$crate::model::Folder>, $crate::error::MailError> {
            sqlx::query_as::<_, $crate::store::sql::FolderRow>(
                "SELECT id, parent_id, name, folder_type, counter FROM folders \
                 WHERE mailbox_id = $1 ORDER BY id",
            )
            .bind(mailbox)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map($crate::store::sql::folder_from_row)
            .collect()
        }
    };
}
pub(crate) use sql_folders;

use crate::model::{Folder, FolderId};

/// `root` and all its descendants.
pub(crate) fn subtree(tree: &[Folder], root: FolderId) -> Vec<i64> {
    let mut found = vec![root.0];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            tree.iter()
                .filter(|f| f.parent_id.map(|p| p.0) == Some(parent))
                .map(|f| f.id.0),
        );
        next += 1;
    }
    found
}
