//! The GAL fields and photos half of the shared SQL store (see `sql.rs`): fields are columns of
//! `users`, photos rows of `user_photos`.

/// Implements `GalStore` for `$store { pool: Pool<_> }`.
macro_rules! sql_store_gal {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::GalStore for $store {
            async fn update_gal(
                &self,
                id: i64,
                fields: &$crate::model::GalFields,
            ) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query(
                    "UPDATE users SET first_name = $2, last_name = $3, names_folded = $4, \
                     title = $5, company = $6, office = $7, phone = $8, home_phone = $9, \
                     mobile_phone = $10, updated_at = CURRENT_TIMESTAMP WHERE id = $1",
                )
                .bind(id)
                .bind(fields.first_name.as_deref())
                .bind(fields.last_name.as_deref())
                .bind($crate::store::sql::names_folded(fields))
                .bind(fields.title.as_deref())
                .bind(fields.company.as_deref())
                .bind(fields.office.as_deref())
                .bind(fields.phone.as_deref())
                .bind(fields.home_phone.as_deref())
                .bind(fields.mobile_phone.as_deref())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn put_photo(
                &self,
                user_id: i64,
                photo: &$crate::model::Photo,
            ) -> Result<bool, $crate::error::DirectoryError> {
                let size = i64::try_from(photo.data.len()).unwrap_or(i64::MAX);
                let done = sqlx::query(
                    "INSERT INTO user_photos (user_id, content_type, size, data) \
                     SELECT id, $2, $3, $4 FROM users WHERE id = $1 \
                     ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, \
                     size = excluded.size, data = excluded.data, \
                     updated_at = CURRENT_TIMESTAMP",
                )
                .bind(user_id)
                .bind(&photo.content_type)
                .bind(size)
                .bind(&photo.data)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_photo(&self, user_id: i64) -> Result<bool, $crate::error::DirectoryError> {
                let done = sqlx::query("DELETE FROM user_photos WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn photos(
                &self,
                user_ids: &[i64],
            ) -> Result<Vec<(i64, $crate::model::Photo)>, $crate::error::DirectoryError> {
                let placeholders: Vec<String> =
                    (1..=user_ids.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT user_id, content_type, data FROM user_photos WHERE user_id IN ({})",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query_as::<_, (i64, String, Vec<u8>)>(&sql);
                for id in user_ids {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, content_type, data)| {
                        (id, $crate::model::Photo { content_type, data })
                    })
                    .collect())
            }
        }
    };
}
pub(super) use sql_store_gal;
