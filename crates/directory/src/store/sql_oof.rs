//! The out-of-office half of the shared SQL store (see `sql.rs`): one row per user.

use crate::error::DirectoryError;
use crate::model::{OofReply, OutOfOffice};

/// state, start_time, end_time, then enabled, message, body type for internal, external known
/// and external unknown senders.
pub(super) type OofRow = (
    i64,
    Option<i64>,
    Option<i64>,
    bool,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
);

pub(super) const OOF_COLUMNS: &str = "state, start_time, end_time, \
    internal_enabled, internal_message, internal_body_type, \
    external_known_enabled, external_known_message, external_known_body_type, \
    external_unknown_enabled, external_unknown_message, external_unknown_body_type";

pub(super) fn oof_from_row(row: OofRow) -> Result<OutOfOffice, DirectoryError> {
    let (state, start, end, ie, im, ib, ke, km, kb, ue, um, ub) = row;
    let state = u8::try_from(state)
        .map_err(|e| DirectoryError::Database(sqlx::Error::Decode(Box::new(e))))?;
    Ok(OutOfOffice {
        state,
        window: start.zip(end),
        internal: OofReply {
            enabled: ie,
            message: im,
            body_type: ib,
        },
        external_known: OofReply {
            enabled: ke,
            message: km,
            body_type: kb,
        },
        external_unknown: OofReply {
            enabled: ue,
            message: um,
            body_type: ub,
        },
    })
}

/// Implements `OofStore` for `$store { pool: Pool<_> }`.
macro_rules! sql_store_oof {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::OofStore for $store {
            async fn out_of_office(
                &self,
                user_id: i64,
            ) -> Result<Option<$crate::model::OutOfOffice>, $crate::error::DirectoryError> {
                let sql = format!(
                    "SELECT {} FROM out_of_office WHERE user_id = $1",
                    $crate::store::sql_oof::OOF_COLUMNS
                );
                sqlx::query_as::<_, $crate::store::sql_oof::OofRow>(&sql)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::sql_oof::oof_from_row)
                    .transpose()
            }

            async fn put_out_of_office(
                &self,
                user_id: i64,
                oof: &$crate::model::OutOfOffice,
            ) -> Result<bool, $crate::error::DirectoryError> {
                let sql = format!(
                    "INSERT INTO out_of_office (user_id, {}) \
                     SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
                     FROM users WHERE id = $1 \
                     ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, \
                     start_time = excluded.start_time, end_time = excluded.end_time, \
                     internal_enabled = excluded.internal_enabled, \
                     internal_message = excluded.internal_message, \
                     internal_body_type = excluded.internal_body_type, \
                     external_known_enabled = excluded.external_known_enabled, \
                     external_known_message = excluded.external_known_message, \
                     external_known_body_type = excluded.external_known_body_type, \
                     external_unknown_enabled = excluded.external_unknown_enabled, \
                     external_unknown_message = excluded.external_unknown_message, \
                     external_unknown_body_type = excluded.external_unknown_body_type, \
                     updated_at = CURRENT_TIMESTAMP",
                    $crate::store::sql_oof::OOF_COLUMNS
                );
                let (start, end) = match oof.window {
                    Some((s, e)) => (Some(s), Some(e)),
                    None => (None, None),
                };
                let done = sqlx::query(&sql)
                    .bind(user_id)
                    .bind(i64::from(oof.state))
                    .bind(start)
                    .bind(end)
                    .bind(oof.internal.enabled)
                    .bind(&oof.internal.message)
                    .bind(&oof.internal.body_type)
                    .bind(oof.external_known.enabled)
                    .bind(&oof.external_known.message)
                    .bind(&oof.external_known.body_type)
                    .bind(oof.external_unknown.enabled)
                    .bind(&oof.external_unknown.message)
                    .bind(&oof.external_unknown.body_type)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(super) use sql_store_oof;
