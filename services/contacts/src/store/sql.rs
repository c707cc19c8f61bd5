//! The SQL of the contacts store, written once and compiled for each sqlx backend (both accept
//! `$n` placeholders, `RETURNING`, `ON CONFLICT`, partial indexes and `LIKE ... ESCAPE`), and
//! the plain helpers that do not depend on the backend.

use crate::error::ContactsError;
use crate::model::{ContactId, Folder, FolderId, FolderRole, StoredContact};

/// id, parent id, name, role, counter.
pub(super) type FolderRow = (i64, Option<i64>, String, String, i64);

pub(super) fn folder_from_row(
    (id, parent, name, role, counter): FolderRow,
) -> Result<Folder, ContactsError> {
    Ok(Folder {
        id: FolderId(id),
        parent_id: parent.map(FolderId),
        name,
        role: role_of(id, &role)?,
        counter: eas_store_kit::to_u64(counter),
    })
}

pub(super) fn role_of(folder: i64, role: &str) -> Result<FolderRole, ContactsError> {
    FolderRole::parse(role)
        .ok_or_else(|| ContactsError::Corrupt(format!("role of folder {folder}")))
}

/// id, folder id, modseq, json.
pub(super) type ContactRow = (i64, i64, i64, String);

pub(super) fn contact_from_row((id, folder, modseq, json): ContactRow) -> StoredContact {
    StoredContact {
        id: ContactId(id),
        folder_id: FolderId(folder),
        modseq: eas_store_kit::to_u64(modseq),
        json,
    }
}

/// Turns a unique-constraint violation into `duplicate`, any other error into `Database`.
pub(super) fn unique_or(
    e: sqlx::Error,
    duplicate: impl FnOnce() -> ContactsError,
) -> ContactsError {
    if eas_store_kit::is_unique_violation(&e) {
        duplicate()
    } else {
        ContactsError::Database(e)
    }
}

/// `root` and all its descendants.
pub(super) fn subtree(tree: &[Folder], root: FolderId) -> Vec<i64> {
    eas_store_kit::subtree(
        tree.iter().map(|f| (f.id.0, f.parent_id.map(|p| p.0))),
        root.0,
    )
}

/// Implements `Store` for `$store { pool: Pool<$db> }` (with a `write_tx` method), for
/// `eas_store_kit::sql_store!`; `$byte_order` makes a text expression compare byte-wise.
macro_rules! sql_store {
    ($store:ty, $db:ty, $byte_order:literal) => {
        type Tx<'a> = sqlx::Transaction<'a, $db>;
        use $crate::error::ContactsError as Error;
        use $crate::index::Indexed;
        use $crate::model::{
            ContactId, Folder, FolderId, FolderRole, FolderState, Hierarchy, ItemVersion, Moved,
            SearchResult, StoredContact, Written,
        };

        $crate::store::sql::sql_helpers!($store, $db);
        $crate::store::sql_folders::sql_folders!($store, $db);
        $crate::store::sql_items::sql_items!($store, $db, $byte_order);

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn ping(&self) -> Result<(), Error> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn ensure_book(&self, user: &str) -> Result<bool, Error> {
                ensure_book(self, user).await
            }

            async fn hierarchy(&self, user: &str) -> Result<Hierarchy, Error> {
                hierarchy(self, user).await
            }

            async fn folder_state(
                &self,
                user: &str,
                folder: FolderId,
            ) -> Result<FolderState, Error> {
                folder_state(self, user, folder).await
            }

            async fn create_folder(
                &self,
                user: &str,
                parent: Option<FolderId>,
                name: &str,
            ) -> Result<(Folder, u64), Error> {
                create_folder(self, user, parent, name).await
            }

            async fn update_folder(
                &self,
                user: &str,
                folder: FolderId,
                parent: Option<FolderId>,
                name: &str,
            ) -> Result<(Folder, u64), Error> {
                update_folder(self, user, folder, parent, name).await
            }

            async fn delete_folder(&self, user: &str, folder: FolderId) -> Result<u64, Error> {
                delete_folder(self, user, folder).await
            }

            async fn changes(
                &self,
                user: &str,
                folder: FolderId,
                after: (u64, &str),
                limit: u32,
            ) -> Result<Vec<ItemVersion>, Error> {
                changes(self, user, folder, after, limit).await
            }

            async fn versions(
                &self,
                user: &str,
                folder: FolderId,
                ids: &[ContactId],
            ) -> Result<Vec<ItemVersion>, Error> {
                versions(self, user, folder, ids).await
            }

            async fn contacts(
                &self,
                user: &str,
                folder: FolderId,
                ids: &[ContactId],
            ) -> Result<Vec<StoredContact>, Error> {
                contacts(self, user, folder, Some(ids)).await
            }

            async fn all_contacts(
                &self,
                user: &str,
                folder: FolderId,
            ) -> Result<Vec<StoredContact>, Error> {
                contacts(self, user, folder, None).await
            }

            async fn search(
                &self,
                user: &str,
                pattern: &str,
                include_collected: bool,
                limit: u32,
            ) -> Result<SearchResult, Error> {
                search(self, user, pattern, include_collected, limit).await
            }

            async fn insert(
                &self,
                user: &str,
                folder: FolderId,
                contacts: &[Indexed],
            ) -> Result<(u64, Vec<ContactId>), Error> {
                insert(self, user, folder, contacts).await
            }

            async fn update(
                &self,
                user: &str,
                folder: FolderId,
                id: ContactId,
                contact: &Indexed,
                if_modseq: Option<u64>,
            ) -> Result<Written, Error> {
                update(self, user, folder, id, contact, if_modseq).await
            }

            async fn delete(
                &self,
                user: &str,
                folder: FolderId,
                id: ContactId,
            ) -> Result<Written, Error> {
                delete(self, user, folder, id).await
            }

            async fn move_to(
                &self,
                user: &str,
                from: FolderId,
                id: ContactId,
                to: FolderId,
            ) -> Result<Moved, Error> {
                move_to(self, user, from, id, to).await
            }

            async fn purge_tombstones(
                &self,
                user: &str,
                folder: FolderId,
                through: u64,
            ) -> Result<u64, Error> {
                purge_tombstones(self, user, folder, through).await
            }

            async fn collect(
                &self,
                user: &str,
                recipients: &[(String, Indexed)],
            ) -> Result<Option<(FolderId, u64, usize)>, Error> {
                collect(self, user, recipients).await
            }
        }
    };
}
pub(crate) use sql_store;

/// Helpers used inside transactions by every part of the store.
macro_rules! sql_helpers {
    ($store:ty, $db:ty) => {
        async fn book_id(tx: &mut Tx<'_>, user: &str) -> Result<Option<i64>, Error> {
            Ok(
                sqlx::query_scalar::<_, i64>("SELECT id FROM books WHERE address = $1")
                    .bind(user)
                    .fetch_optional(&mut **tx)
                    .await?,
            )
        }

        /// The book and role of `folder` when it belongs to `user`.
        async fn owned_folder(
            tx: &mut Tx<'_>,
            user: &str,
            folder: FolderId,
        ) -> Result<(i64, FolderRole), Error> {
            let (book, role) = sqlx::query_as::<_, (i64, String)>(
                "SELECT f.book_id, f.role FROM folders f JOIN books b ON b.id = f.book_id \
                 WHERE b.address = $1 AND f.id = $2",
            )
            .bind(user)
            .bind(folder.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::FolderNotFound(folder.to_string()))?;
            Ok((book, $crate::store::sql::role_of(folder.0, &role)?))
        }

        /// The folder of `role` (the collected contacts).
        async fn role_folder(tx: &mut Tx<'_>, book: i64, role: FolderRole) -> Result<i64, Error> {
            sqlx::query_scalar::<_, i64>("SELECT id FROM folders WHERE book_id = $1 AND role = $2")
                .bind(book)
                .bind(role.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("book {book} has no {} folder", role.as_str())))
        }

        /// The modseq of a live contact of `folder`.
        async fn live_contact(tx: &mut Tx<'_>, folder: FolderId, id: ContactId) -> Result<i64, Error> {
            sqlx::query_scalar::<_, i64>(
                "SELECT modseq FROM contacts WHERE id = $1 AND folder_id = $2 AND NOT deleted",
            )
            .bind(id.0)
            .bind(folder.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::ContactNotFound(id.to_string()))
        }

        /// Moves a folder's change counter and returns the new value. The row lock this takes
        /// in PostgreSQL orders the writers of one folder, so modseqs commit in counter order
        /// and a reader never sees modseq n before n - 1.
        async fn bump(tx: &mut Tx<'_>, folder: i64) -> Result<i64, Error> {
            Ok(sqlx::query_scalar::<_, i64>(
                "UPDATE folders SET counter = counter + 1 WHERE id = $1 RETURNING counter",
            )
            .bind(folder)
            .fetch_one(&mut **tx)
            .await?)
        }

        async fn bump_hierarchy(tx: &mut Tx<'_>, book: i64) -> Result<u64, Error> {
            let counter = sqlx::query_scalar::<_, i64>(
                "UPDATE books SET hierarchy_counter = hierarchy_counter + 1 \
                 WHERE id = $1 RETURNING hierarchy_counter",
            )
            .bind(book)
            .fetch_one(&mut **tx)
            .await?;
            Ok(eas_store_kit::to_u64(counter))
        }

        /// Adds one live contact with its terms; its id.
        async fn insert_contact(
            tx: &mut Tx<'_>,
            book: i64,
            folder: i64,
            modseq: i64,
            contact: &Indexed,
        ) -> Result<i64, Error> {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO contacts (book_id, folder_id, modseq, json, display_name, sort_key, \
                 first_name, last_name, nick_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id",
            )
            .bind(book)
            .bind(folder)
            .bind(modseq)
            .bind(&contact.json)
            .bind(&contact.display_name)
            .bind(contact.display_name.to_lowercase())
            .bind(&contact.first_name)
            .bind(&contact.last_name)
            .bind(&contact.nick_name)
            .fetch_one(&mut **tx)
            .await?;
            insert_terms(tx, book, id, contact).await?;
            Ok(id)
        }

        async fn insert_terms(
            tx: &mut Tx<'_>,
            book: i64,
            id: i64,
            contact: &Indexed,
        ) -> Result<(), Error> {
            for (kind, term) in &contact.terms {
                sqlx::query(
                    "INSERT INTO contact_terms (contact_id, book_id, kind, term) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(book)
                .bind(*kind)
                .bind(term)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        /// Turns a contact into a tombstone at `modseq`: no content, no terms.
        async fn tombstone(tx: &mut Tx<'_>, id: i64, modseq: i64) -> Result<(), Error> {
            sqlx::query(
                "UPDATE contacts SET deleted = TRUE, modseq = $1, json = '', display_name = '', \
                 sort_key = '', first_name = NULL, last_name = NULL, nick_name = NULL \
                 WHERE id = $2",
            )
            .bind(modseq)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM contact_terms WHERE contact_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
    };
}
pub(crate) use sql_helpers;
