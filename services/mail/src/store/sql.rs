//! The SQL of the mail store, written once and compiled for each sqlx backend (both accept
//! `$n` placeholders, `RETURNING`, `ON CONFLICT` and `LIKE ... ESCAPE`), and the plain helpers
//! that do not depend on the backend.

use crate::error::MailError;
use crate::model::{
    AttachmentMeta, EmailAddress, Flag, FlagStatus, Folder, FolderId, FolderType, Importance,
    MessageId, MessageMeta,
};

/// The columns `MetaRow` is read from, in order; `m` is `messages`.
pub(super) const META_COLUMNS: &str = "m.id, m.folder_id, m.modseq, m.from_json, m.to_json, \
    m.cc_json, m.reply_to_json, m.subject, m.sent_at, m.received_at, m.message_id, \
    m.in_reply_to, m.refs, m.importance, m.size, m.has_attachments, m.read, m.flag_status, \
    m.flag_start, m.flag_due";

/// The columns of `attachments` that `attachment_from_row` reads, `message_id` first.
pub(super) const ATTACHMENT_COLUMNS: &str =
    "message_id, idx, name, content_type, size, content_id, inline";

/// What a tombstone keeps: nothing but id, folder, modseq and date.
pub(super) const TOMBSTONE_SET: &str = "deleted = TRUE, blob_id = NULL, search_text = NULL, \
    subject = '', from_json = '[]', to_json = '[]', cc_json = '[]', reply_to_json = '[]', \
    message_id = NULL, in_reply_to = '', refs = ''";

/// One `messages` row as decoded from the database.
pub(super) struct MetaRow {
    pub id: i64,
    pub folder_id: i64,
    pub modseq: i64,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub reply_to: String,
    pub subject: String,
    pub sent_at: Option<i64>,
    pub received_at: i64,
    pub message_id: Option<String>,
    pub in_reply_to: String,
    pub refs: String,
    pub importance: i32,
    pub size: i64,
    pub has_attachments: bool,
    pub read: bool,
    pub flag_status: i32,
    pub flag_start: Option<i64>,
    pub flag_due: Option<i64>,
}

impl MetaRow {
    pub(super) fn into_meta(self) -> Result<MessageMeta, MailError> {
        let flag_status = i16::try_from(self.flag_status)
            .ok()
            .and_then(FlagStatus::from_code)
            .ok_or_else(|| MailError::Corrupt(format!("flag status of message {}", self.id)))?;
        Ok(MessageMeta {
            id: MessageId(self.id),
            folder_id: FolderId(self.folder_id),
            modseq: to_u64(self.modseq),
            from: addresses(&self.from, self.id)?,
            to: addresses(&self.to, self.id)?,
            cc: addresses(&self.cc, self.id)?,
            reply_to: addresses(&self.reply_to, self.id)?,
            subject: self.subject,
            sent_at: self.sent_at,
            received_at: self.received_at,
            message_id: self.message_id,
            in_reply_to: split_ids(&self.in_reply_to),
            references: split_ids(&self.refs),
            importance: Importance::from_code(i16::try_from(self.importance).unwrap_or(1)),
            size: to_u64(self.size),
            has_attachments: self.has_attachments,
            attachments: Vec::new(),
            read: self.read,
            flag: Flag {
                status: flag_status,
                start_at: self.flag_start,
                due_at: self.flag_due,
            },
        })
    }
}

/// One `attachments` row: message id, then the attachment.
pub(super) type AttachmentRow = (i64, i32, Option<String>, String, i64, Option<String>, bool);

pub(super) fn attachment_from_row(
    (message, index, name, content_type, size, content_id, inline): AttachmentRow,
) -> (i64, AttachmentMeta) {
    let meta = AttachmentMeta {
        index: u32::try_from(index).unwrap_or_default(),
        name,
        content_type,
        size: to_u64(size),
        content_id,
        inline,
    };
    (message, meta)
}

/// Attaches the attachment rows (ordered by message, index) to their messages.
pub(super) fn join_attachments(metas: &mut [MessageMeta], rows: Vec<AttachmentRow>) {
    for row in rows {
        let (message, attachment) = attachment_from_row(row);
        if let Some(meta) = metas.iter_mut().find(|m| m.id.0 == message) {
            meta.attachments.push(attachment);
        }
    }
}

/// id, parent id, name, folder type, counter.
pub(super) type FolderRow = (i64, Option<i64>, String, i32, i64);

pub(super) fn folder_from_row(
    (id, parent, name, folder_type, counter): FolderRow,
) -> Result<Folder, MailError> {
    Ok(Folder {
        id: FolderId(id),
        parent_id: parent.map(FolderId),
        name,
        folder_type: folder_type_of(id, folder_type)?,
        counter: to_u64(counter),
    })
}

pub(super) fn folder_type_of(id: i64, code: i32) -> Result<FolderType, MailError> {
    FolderType::from_code(code).ok_or_else(|| MailError::Corrupt(format!("type of folder {id}")))
}

/// `$first, $first+1, ...` for `count` values.
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counters are stored as BIGINT and never negative.
pub(super) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

pub(super) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn addresses(json: &str, id: i64) -> Result<Vec<EmailAddress>, MailError> {
    serde_json::from_str(json).map_err(|_| MailError::Corrupt(format!("addresses of message {id}")))
}

fn split_ids(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Turns a unique-constraint violation into `duplicate`, any other error into `Database`.
pub(super) fn unique_or(e: sqlx::Error, duplicate: impl FnOnce() -> MailError) -> MailError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => duplicate(),
        _ => MailError::Database(e),
    }
}

/// Implements `Store` for `$store { pool: Pool<$db> }` (with a `write_tx` method), for
/// `eas_store_kit::sql_store!`; `$byte_order` makes a text expression compare byte-wise.
macro_rules! sql_store {
    ($store:ty, $db:ty, $byte_order:literal) => {
        $crate::store::sql::sql_helpers!($store, $db);
        $crate::store::sql_folders::sql_folders!($store, $db);
        $crate::store::sql_read::sql_read!($store, $db, $byte_order);
        $crate::store::sql_write::sql_write!($store, $db);
        $crate::store::sql_blobs::sql_blobs!($store, $db);
        $crate::store::sql_queue::sql_queue!($store, $db);
    };
}
pub(crate) use sql_store;

/// Helpers used inside transactions by every part of the store.
macro_rules! sql_helpers {
    ($store:ty, $db:ty) => {
        type Tx<'a> = sqlx::Transaction<'a, $db>;
        type Row = <$db as sqlx::Database>::Row;

        fn meta_row(row: &Row) -> Result<$crate::store::sql::MetaRow, sqlx::Error> {
            use sqlx::Row as _;
            Ok($crate::store::sql::MetaRow {
                id: row.try_get(0)?,
                folder_id: row.try_get(1)?,
                modseq: row.try_get(2)?,
                from: row.try_get(3)?,
                to: row.try_get(4)?,
                cc: row.try_get(5)?,
                reply_to: row.try_get(6)?,
                subject: row.try_get(7)?,
                sent_at: row.try_get(8)?,
                received_at: row.try_get(9)?,
                message_id: row.try_get(10)?,
                in_reply_to: row.try_get(11)?,
                refs: row.try_get(12)?,
                importance: row.try_get(13)?,
                size: row.try_get(14)?,
                has_attachments: row.try_get(15)?,
                read: row.try_get(16)?,
                flag_status: row.try_get(17)?,
                flag_start: row.try_get(18)?,
                flag_due: row.try_get(19)?,
            })
        }

        async fn mailbox_id(tx: &mut Tx<'_>, user: &str) -> Result<i64, $crate::error::MailError> {
            sqlx::query_scalar::<_, i64>("SELECT id FROM mailboxes WHERE address = $1")
                .bind(user)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| $crate::error::MailError::MailboxNotFound(user.to_owned()))
        }

        /// The type of `folder` when it belongs to `user`'s mailbox.
        async fn owned_folder(
            tx: &mut Tx<'_>,
            user: &str,
            folder: $crate::model::FolderId,
        ) -> Result<$crate::model::FolderType, $crate::error::MailError> {
            let code = sqlx::query_scalar::<_, i32>(
                "SELECT f.folder_type FROM folders f JOIN mailboxes b ON b.id = f.mailbox_id \
                 WHERE b.address = $1 AND f.id = $2",
            )
            .bind(user)
            .bind(folder.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| $crate::error::MailError::FolderNotFound(folder.to_string()))?;
            $crate::store::sql::folder_type_of(folder.0, code)
        }

        /// The folder and blob of a live message of `user`.
        async fn live_message(
            tx: &mut Tx<'_>,
            user: &str,
            id: $crate::model::MessageId,
        ) -> Result<(i64, Option<i64>), $crate::error::MailError> {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT m.folder_id, m.blob_id FROM messages m \
                 JOIN mailboxes b ON b.id = m.mailbox_id \
                 WHERE b.address = $1 AND m.id = $2 AND NOT m.deleted",
            )
            .bind(user)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| $crate::error::MailError::MessageNotFound(id.to_string()))
        }

        /// Moves a folder's change counter and returns the new value. The row lock this
        /// takes in PostgreSQL orders the writers of one folder, so modseqs commit in
        /// counter order and a reader never sees modseq n before n - 1.
        async fn bump(tx: &mut Tx<'_>, folder: i64) -> Result<i64, $crate::error::MailError> {
            Ok(sqlx::query_scalar::<_, i64>(
                "UPDATE folders SET counter = counter + 1 WHERE id = $1 RETURNING counter",
            )
            .bind(folder)
            .fetch_one(&mut **tx)
            .await?)
        }

        async fn bump_hierarchy(
            tx: &mut Tx<'_>,
            mailbox: i64,
        ) -> Result<u64, $crate::error::MailError> {
            let counter = sqlx::query_scalar::<_, i64>(
                "UPDATE mailboxes SET hierarchy_counter = hierarchy_counter + 1 \
                 WHERE id = $1 RETURNING hierarchy_counter",
            )
            .bind(mailbox)
            .fetch_one(&mut **tx)
            .await?;
            Ok($crate::store::sql::to_u64(counter))
        }

        /// Blobs referenced by the live messages (and their attachments) of `folders`.
        async fn blobs_of_folders(
            tx: &mut Tx<'_>,
            folders: &[i64],
        ) -> Result<Vec<i64>, $crate::error::MailError> {
            if folders.is_empty() {
                return Ok(Vec::new());
            }
            let list = $crate::store::sql::placeholders(1, folders.len());
            let sql = format!(
                "SELECT blob_id FROM messages WHERE folder_id IN ({list}) \
                 AND blob_id IS NOT NULL \
                 UNION SELECT a.blob_id FROM attachments a \
                 JOIN messages m ON m.id = a.message_id WHERE m.folder_id IN ({list})"
            );
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for folder in folders {
                query = query.bind(*folder);
            }
            Ok(query.fetch_all(&mut **tx).await?)
        }
    };
}
pub(crate) use sql_helpers;
