//! The SQL of the calendar store, written once and compiled for each sqlx backend (both accept
//! `$n` placeholders, `RETURNING`, `ON CONFLICT` and partial indexes), and the plain helpers
//! that do not depend on the backend.

use crate::error::CalendarError;
use crate::model::{Access, EventId, Folder, FolderId, FolderRole, SharedBy, StoredEvent};

/// id, parent id, name, role, counter.
pub(super) type FolderRow = (i64, Option<i64>, String, String, i64);

pub(super) fn folder_from_row(
    (id, parent, name, role, counter): FolderRow,
) -> Result<Folder, CalendarError> {
    Ok(Folder {
        id: FolderId(id),
        parent_id: parent.map(FolderId),
        name,
        role: role_of(id, &role)?,
        counter: eas_store_kit::to_u64(counter),
        shared: None,
    })
}

pub(super) fn role_of(folder: i64, role: &str) -> Result<FolderRole, CalendarError> {
    FolderRole::parse(role)
        .ok_or_else(|| CalendarError::Corrupt(format!("role of folder {folder}")))
}

pub(super) fn access_of(folder: i64, access: &str) -> Result<Access, CalendarError> {
    Access::parse(access)
        .ok_or_else(|| CalendarError::Corrupt(format!("access to folder {folder}")))
}

/// How the user reaches a calendar.
#[derive(Debug, Clone)]
pub(super) struct Reach {
    /// The owner's account.
    pub account: i64,
    pub owner: String,
    pub role: FolderRole,
    /// `None` for the owner; the grant for a grantee.
    pub shared: Option<SharedBy>,
}

impl Reach {
    pub(super) fn is_owner(&self) -> bool {
        self.shared.is_none()
    }
}

/// id, folder id, modseq, json.
pub(super) type EventRow = (i64, i64, i64, String);

pub(super) fn event_from_row((id, folder, modseq, json): EventRow) -> StoredEvent {
    StoredEvent {
        id: EventId(id),
        folder_id: FolderId(folder),
        modseq: eas_store_kit::to_u64(modseq),
        json,
    }
}

/// Turns a unique-constraint violation into `duplicate`, any other error into `Database`.
pub(super) fn unique_or(
    e: sqlx::Error,
    duplicate: impl FnOnce() -> CalendarError,
) -> CalendarError {
    if eas_store_kit::is_unique_violation(&e) {
        duplicate()
    } else {
        CalendarError::Database(e)
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
        use $crate::error::CalendarError as Error;
        use $crate::index::Indexed;
        use $crate::model::{
            Access, Created, EventId, Folder, FolderId, FolderRole, FolderState, Hierarchy,
            ItemVersion, Moved, Share, SharedBy, Shares, StoredEvent, Written,
        };
        use $crate::store::sql::Reach;
        use $crate::store::{Audience, Moves};

        $crate::store::sql::sql_helpers!($store, $db);
        $crate::store::sql_folders::sql_folders!($store, $db);
        $crate::store::sql_items::sql_items!($store, $db, $byte_order);
        $crate::store::sql_shares::sql_shares!($store, $db);

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn ping(&self) -> Result<(), Error> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn ensure_account(&self, user: &str) -> Result<bool, Error> {
                ensure_account(self, user).await
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
            ) -> Result<(Folder, u64, Moves), Error> {
                update_folder(self, user, folder, parent, name).await
            }

            async fn delete_folder(
                &self,
                user: &str,
                folder: FolderId,
            ) -> Result<(u64, Moves), Error> {
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
                ids: &[EventId],
            ) -> Result<Vec<ItemVersion>, Error> {
                versions(self, user, folder, ids).await
            }

            async fn events(
                &self,
                user: &str,
                folder: FolderId,
                ids: Option<&[EventId]>,
            ) -> Result<Vec<StoredEvent>, Error> {
                events(self, user, folder, ids).await
            }

            async fn own_events_after(
                &self,
                user: &str,
                after: i64,
            ) -> Result<Vec<StoredEvent>, Error> {
                own_events_after(self, user, after).await
            }

            async fn create(
                &self,
                user: &str,
                folder: FolderId,
                event: &Indexed,
            ) -> Result<(Created, Audience), Error> {
                create(self, user, folder, event).await
            }

            async fn update(
                &self,
                user: &str,
                folder: FolderId,
                id: EventId,
                event: &Indexed,
                if_modseq: Option<u64>,
            ) -> Result<(Written, Audience), Error> {
                update(self, user, folder, id, event, if_modseq).await
            }

            async fn delete(
                &self,
                user: &str,
                folder: FolderId,
                id: EventId,
            ) -> Result<(Written, Audience), Error> {
                delete(self, user, folder, id).await
            }

            async fn move_to(
                &self,
                user: &str,
                from: FolderId,
                id: EventId,
                to: FolderId,
            ) -> Result<(Moved, Audience, Audience), Error> {
                move_to(self, user, from, id, to).await
            }

            async fn import(
                &self,
                user: &str,
                folder: FolderId,
                events: &[Indexed],
            ) -> Result<(u64, Vec<EventId>, Audience), Error> {
                import(self, user, folder, events).await
            }

            async fn purge_tombstones(
                &self,
                user: &str,
                folder: FolderId,
                through: u64,
            ) -> Result<u64, Error> {
                purge_tombstones(self, user, folder, through).await
            }

            async fn grant(
                &self,
                owner: &str,
                folder: FolderId,
                grantee: &str,
                access: Access,
            ) -> Result<(Share, Option<u64>), Error> {
                grant(self, owner, folder, grantee, access).await
            }

            async fn revoke(
                &self,
                owner: &str,
                folder: FolderId,
                grantee: &str,
            ) -> Result<u64, Error> {
                revoke(self, owner, folder, grantee).await
            }

            async fn shares(&self, user: &str) -> Result<Shares, Error> {
                shares(self, user).await
            }

            async fn attachment(&self, user: &str, reference: &str) -> Result<Vec<u8>, Error> {
                attachment(self, user, reference).await
            }

            async fn folder_attachments(
                &self,
                user: &str,
                folder: FolderId,
            ) -> Result<std::collections::HashMap<String, Vec<u8>>, Error> {
                folder_attachments(self, user, folder).await
            }
        }
    };
}
pub(crate) use sql_store;

/// Helpers used inside transactions by every part of the store.
macro_rules! sql_helpers {
    ($store:ty, $db:ty) => {
        async fn account_id(tx: &mut Tx<'_>, user: &str) -> Result<Option<i64>, Error> {
            Ok(
                sqlx::query_scalar::<_, i64>("SELECT id FROM accounts WHERE address = $1")
                    .bind(user)
                    .fetch_optional(&mut **tx)
                    .await?,
            )
        }

        /// The user's account, created with its default Calendar when missing. Concurrent
        /// callers: PostgreSQL makes the loser wait for the winner's commit and then do
        /// nothing; SQLite serialises the whole transaction.
        async fn ensure_account_in(tx: &mut Tx<'_>, user: &str) -> Result<(i64, bool), Error> {
            let created = sqlx::query_scalar::<_, i64>(
                "INSERT INTO accounts (address, hierarchy_counter) VALUES ($1, 1) \
                 ON CONFLICT (address) DO NOTHING RETURNING id",
            )
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(account) = created else {
                let id = account_id(tx, user)
                    .await?
                    .ok_or_else(|| Error::Corrupt(format!("account of {user} vanished")))?;
                return Ok((id, false));
            };
            let name = $crate::model::CALENDAR_FOLDER_NAME;
            sqlx::query(
                "INSERT INTO folders (account_id, parent_id, name, name_key, role) \
                 VALUES ($1, NULL, $2, $3, $4)",
            )
            .bind(account)
            .bind(name)
            .bind(name.to_lowercase())
            .bind(FolderRole::Calendar.as_str())
            .execute(&mut **tx)
            .await?;
            Ok((account, true))
        }

        /// How `user` reaches `folder`: as its owner, or through a grant; `FolderNotFound`
        /// when neither.
        async fn reach(tx: &mut Tx<'_>, user: &str, folder: FolderId) -> Result<Reach, Error> {
            let (account, role, owner, access) =
                sqlx::query_as::<_, (i64, String, String, Option<String>)>(
                    "SELECT f.account_id, f.role, o.address, s.access \
                     FROM folders f JOIN accounts o ON o.id = f.account_id \
                     LEFT JOIN shares s ON s.folder_id = f.id \
                     AND s.grantee_id = (SELECT id FROM accounts WHERE address = $1) \
                     WHERE f.id = $2",
                )
                .bind(user)
                .bind(folder.0)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| Error::FolderNotFound(folder.to_string()))?;
            let role = $crate::store::sql::role_of(folder.0, &role)?;
            let shared = if owner == user {
                None
            } else {
                match access {
                    Some(a) => Some(SharedBy {
                        owner: owner.clone(),
                        access: $crate::store::sql::access_of(folder.0, &a)?,
                    }),
                    None => return Err(Error::FolderNotFound(folder.to_string())),
                }
            };
            Ok(Reach {
                account,
                owner,
                role,
                shared,
            })
        }

        /// A calendar the user may write events to: their own, or one shared read-write;
        /// `ReadOnly` for one shared for reading.
        async fn writable(tx: &mut Tx<'_>, user: &str, folder: FolderId) -> Result<Reach, Error> {
            let reach = reach(tx, user, folder).await?;
            match &reach.shared {
                Some(SharedBy {
                    access: Access::Read,
                    ..
                }) => Err(Error::ReadOnly(folder.to_string())),
                _ => Ok(reach),
            }
        }

        /// One of the user's own calendars: `SpecialFolder` for one shared with them (they
        /// may not rename, move or delete it), `FolderNotFound` for any other.
        async fn owned(tx: &mut Tx<'_>, user: &str, folder: FolderId) -> Result<Reach, Error> {
            let reach = reach(tx, user, folder).await?;
            if reach.is_owner() {
                Ok(reach)
            } else {
                Err(Error::SpecialFolder(folder.to_string()))
            }
        }

        /// The owner, then every grantee of `folder` (by address).
        async fn audience(
            tx: &mut Tx<'_>,
            reach: &Reach,
            folder: FolderId,
        ) -> Result<Audience, Error> {
            let mut users = vec![reach.owner.clone()];
            users.extend(
                sqlx::query_scalar::<_, String>(
                    "SELECT a.address FROM shares s JOIN accounts a ON a.id = s.grantee_id \
                     WHERE s.folder_id = $1 ORDER BY a.address",
                )
                .bind(folder.0)
                .fetch_all(&mut **tx)
                .await?,
            );
            Ok(users)
        }

        /// The modseq and UID of a live event of `folder`.
        async fn live_event(
            tx: &mut Tx<'_>,
            folder: FolderId,
            id: EventId,
        ) -> Result<(i64, String), Error> {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT modseq, uid FROM events WHERE id = $1 AND folder_id = $2 AND NOT deleted",
            )
            .bind(id.0)
            .bind(folder.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::EventNotFound(id.to_string()))
        }

        /// Moves a calendar's change counter and returns the new value. The row lock this
        /// takes in PostgreSQL orders the writers of one calendar, so modseqs commit in counter
        /// order and a reader never sees modseq n before n - 1.
        async fn bump(tx: &mut Tx<'_>, folder: i64) -> Result<i64, Error> {
            Ok(sqlx::query_scalar::<_, i64>(
                "UPDATE folders SET counter = counter + 1 WHERE id = $1 RETURNING counter",
            )
            .bind(folder)
            .fetch_one(&mut **tx)
            .await?)
        }

        async fn bump_hierarchy(tx: &mut Tx<'_>, account: i64) -> Result<u64, Error> {
            let counter = sqlx::query_scalar::<_, i64>(
                "UPDATE accounts SET hierarchy_counter = hierarchy_counter + 1 \
                 WHERE id = $1 RETURNING hierarchy_counter",
            )
            .bind(account)
            .fetch_one(&mut **tx)
            .await?;
            Ok(eas_store_kit::to_u64(counter))
        }

        /// Moves the hierarchy counter of each account, in id order so that two writers that
        /// touch the same accounts cannot deadlock; `(address, counter)` of each.
        async fn bump_hierarchies(
            tx: &mut Tx<'_>,
            accounts: &[(i64, String)],
        ) -> Result<Moves, Error> {
            let mut sorted: Vec<&(i64, String)> = accounts.iter().collect();
            sorted.sort_by_key(|(id, _)| *id);
            sorted.dedup_by_key(|(id, _)| *id);
            let mut moves = Vec::with_capacity(sorted.len());
            for (id, address) in sorted {
                moves.push((address.clone(), bump_hierarchy(tx, *id).await?));
            }
            Ok(moves)
        }

        /// Adds one live event; its id.
        async fn insert_event(
            tx: &mut Tx<'_>,
            account: i64,
            folder: i64,
            modseq: i64,
            event: &Indexed,
        ) -> Result<i64, Error> {
            Ok(sqlx::query_scalar::<_, i64>(
                "INSERT INTO events (account_id, folder_id, modseq, json, uid, client_uid, date) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(account)
            .bind(folder)
            .bind(modseq)
            .bind(&event.json)
            .bind(&event.uid)
            .bind(&event.client_uid)
            .bind(event.date)
            .fetch_one(&mut **tx)
            .await?)
        }

        /// Keeps the bytes of the attachments `event` lists and adds those it brings, as the
        /// attachments of event `id`; deletes the ones it no longer lists. A FileReference that
        /// is neither the event's nor new is refused: a write cannot take another event's bytes.
        async fn write_attachments(tx: &mut Tx<'_>, id: i64, event: &Indexed) -> Result<(), Error> {
            let stored = sqlx::query_scalar::<_, String>(
                "SELECT reference FROM attachments WHERE event_id = $1",
            )
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
            let is_new = |r: &String| event.contents.iter().any(|(n, _)| n == r);
            if let Some(r) = event
                .references
                .iter()
                .find(|r| !stored.contains(r) && !is_new(r))
            {
                return Err(Error::InvalidEvent(format!(
                    "attachment {r:?} is not one of the event's"
                )));
            }
            for r in stored.iter().filter(|r| !event.references.contains(r)) {
                sqlx::query("DELETE FROM attachments WHERE reference = $1")
                    .bind(r)
                    .execute(&mut **tx)
                    .await?;
            }
            for (reference, content) in &event.contents {
                sqlx::query(
                    "INSERT INTO attachments (reference, event_id, size, content) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(reference)
                .bind(id)
                .bind(eas_store_kit::to_i64(content.len() as u64))
                .bind(content)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        /// Turns an event into a tombstone at `modseq`: no content, no indexed values, no
        /// attachments.
        async fn tombstone(tx: &mut Tx<'_>, id: i64, modseq: i64) -> Result<(), Error> {
            sqlx::query("DELETE FROM attachments WHERE event_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query(
                "UPDATE events SET deleted = TRUE, modseq = $1, json = '', uid = '', \
                 client_uid = '', date = 0 WHERE id = $2",
            )
            .bind(modseq)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
    };
}
pub(crate) use sql_helpers;
