//! The user, alias and search half of the shared SQL store (see `sql.rs`).

/// Implements `UserStore` for `$store { pool: Pool<_> }`.
macro_rules! sql_store_users {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::UserStore for $store {
            async fn ping(&self) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_user(
                &self,
                row: &$crate::store::NewUserRow,
            ) -> Result<i64, $crate::error::DirectoryError> {
                use $crate::error::Entity;
                use $crate::store::sql::duplicate_or_database;
                let duplicate = |e| duplicate_or_database(e, Entity::Address, &row.address);
                let mut tx = self.pool.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (domain_id, local_part, address, display_name, \
                 display_name_folded, password_hash) VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id",
                )
                .bind(row.domain_id)
                .bind(&row.local_part)
                .bind(&row.address)
                .bind(&row.display_name)
                .bind(row.display_name.to_lowercase())
                .bind(&row.password_hash)
                .fetch_one(&mut *tx)
                .await
                .map_err(duplicate)?;
                sqlx::query(
                    "INSERT INTO addresses (address, user_id, domain_id, local_part, is_primary) \
                 VALUES ($1, $2, $3, $4, TRUE)",
                )
                .bind(&row.address)
                .bind(id)
                .bind(row.domain_id)
                .bind(&row.local_part)
                .execute(&mut *tx)
                .await
                .map_err(duplicate)?;
                tx.commit().await?;
                Ok(id)
            }

            async fn user_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::store::UserRecord>, $crate::error::DirectoryError> {
                let rows: Vec<$crate::store::sql::UserRow> =
                    sqlx::query_as($crate::store::sql::select_users!("u.id = $1", "u.id"))
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok($crate::store::sql::group_users(rows).into_iter().next())
            }

            async fn user_by_address(
                &self,
                address: &str,
            ) -> Result<Option<$crate::store::UserRecord>, $crate::error::DirectoryError> {
                let rows: Vec<$crate::store::sql::UserRow> =
                    sqlx::query_as($crate::store::sql::select_users!(
                        "u.id IN (SELECT user_id FROM addresses WHERE address = $1)",
                        "u.id"
                    ))
                    .bind(address)
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::store::sql::group_users(rows).into_iter().next())
            }

            async fn users_by_local_part(
                &self,
                local: &str,
            ) -> Result<Vec<$crate::store::UserRecord>, $crate::error::DirectoryError> {
                let rows: Vec<$crate::store::sql::UserRow> =
                    sqlx::query_as($crate::store::sql::select_users!(
                        "u.id IN (SELECT user_id FROM addresses WHERE local_part = $1)",
                        "u.id"
                    ))
                    .bind(local)
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::store::sql::group_users(rows))
            }

            async fn users(
                &self,
                domain: Option<&str>,
            ) -> Result<Vec<$crate::model::User>, $crate::error::DirectoryError> {
                use $crate::store::sql::select_users;
                let query = match domain {
                    Some(domain) => {
                        sqlx::query_as(select_users!("d.name = $1", "u.id")).bind(domain)
                    }
                    None => sqlx::query_as(select_users!("TRUE", "u.id")),
                };
                let rows: Vec<$crate::store::sql::UserRow> = query.fetch_all(&self.pool).await?;
                let mut users: Vec<_> = $crate::store::sql::group_users(rows)
                    .into_iter()
                    .map(|record| record.user)
                    .collect();
                users.sort_by(|a, b| a.address.cmp(&b.address));
                Ok(users)
            }

            async fn update_user(
                &self,
                id: i64,
                changes: &$crate::store::UserChanges,
            ) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query(
                    "UPDATE users SET display_name = COALESCE($2, display_name), \
                 display_name_folded = COALESCE($3, display_name_folded), \
                 password_hash = COALESCE($4, password_hash), \
                 disabled = COALESCE($5, disabled), \
                 updated_at = CURRENT_TIMESTAMP WHERE id = $1",
                )
                .bind(id)
                .bind(changes.display_name.as_deref())
                .bind(changes.display_name.as_deref().map(str::to_lowercase))
                .bind(changes.password_hash.as_deref())
                .bind(changes.disabled)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn set_shared_calendars(
                &self,
                id: i64,
                value: Option<bool>,
            ) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query(
                    "UPDATE users SET shared_calendars = $2, updated_at = CURRENT_TIMESTAMP \
                 WHERE id = $1",
                )
                .bind(id)
                .bind(value)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn set_calendar_preferences(
                &self,
                id: i64,
                prefs: &$crate::model::CalendarPreferences,
            ) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query(
                    "UPDATE users SET time_zone = $2, first_day_of_week = $3, \
                 updated_at = CURRENT_TIMESTAMP WHERE id = $1",
                )
                .bind(id)
                .bind(prefs.time_zone.as_deref())
                .bind(prefs.first_day_of_week.map(i16::from))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_user(
                &self,
                address: &str,
            ) -> Result<bool, $crate::error::DirectoryError> {
                let done = sqlx::query("DELETE FROM users WHERE address = $1")
                    .bind(address)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_alias(
                &self,
                user_id: i64,
                domain_id: i64,
                local_part: &str,
                alias: &str,
            ) -> Result<(), $crate::error::DirectoryError> {
                sqlx::query(
                    "INSERT INTO addresses (address, user_id, domain_id, local_part, is_primary) \
                 VALUES ($1, $2, $3, $4, FALSE)",
                )
                .bind(alias)
                .bind(user_id)
                .bind(domain_id)
                .bind(local_part)
                .execute(&self.pool)
                .await
                .map_err(|e| {
                    $crate::store::sql::duplicate_or_database(
                        e,
                        $crate::error::Entity::Address,
                        alias,
                    )
                })?;
                Ok(())
            }

            async fn delete_alias(
                &self,
                alias: &str,
            ) -> Result<bool, $crate::error::DirectoryError> {
                let done =
                    sqlx::query("DELETE FROM addresses WHERE address = $1 AND NOT is_primary")
                        .bind(alias)
                        .execute(&self.pool)
                        .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn search_users(
                &self,
                domain: &str,
                patterns: &$crate::store::SearchPatterns,
                limit: u32,
            ) -> Result<Vec<$crate::model::User>, $crate::error::DirectoryError> {
                // The LIMIT sits in the subquery so that it counts users, not user-alias rows.
                let rows: Vec<$crate::store::sql::UserRow> =
                    sqlx::query_as($crate::store::sql::select_users!(
                        "u.id IN (SELECT s.id FROM users s JOIN domains sd ON sd.id = s.domain_id \
                     WHERE sd.name = $1 AND NOT s.disabled AND ( \
                     s.display_name_folded LIKE $2 ESCAPE '\\' \
                     OR s.display_name_folded LIKE $3 ESCAPE '\\' \
                     OR s.names_folded LIKE $2 ESCAPE '\\' \
                     OR s.names_folded LIKE $3 ESCAPE '\\' \
                     OR EXISTS (SELECT 1 FROM addresses sa WHERE sa.user_id = s.id \
                                AND sa.address LIKE $2 ESCAPE '\\')) \
                     ORDER BY s.display_name_folded, s.id LIMIT $4)",
                        "u.display_name_folded, u.id"
                    ))
                    .bind(domain)
                    .bind(&patterns.prefix)
                    .bind(&patterns.word)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::store::sql::group_users(rows)
                    .into_iter()
                    .map(|record| record.user)
                    .collect())
            }
        }
    };
}
pub(super) use sql_store_users;
