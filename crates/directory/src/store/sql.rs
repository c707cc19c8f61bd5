//! The SQL of the directory, written once and compiled for each sqlx backend: both SQLite and
//! PostgreSQL accept `$n` placeholders, `RETURNING`, `||` and `LIKE ... ESCAPE`.

use std::str::FromStr;

use crate::error::{DirectoryError, Entity};
use crate::model::{Domain, User};
use crate::policy::ApprovalPolicy;
use crate::store::UserRecord;

/// id, address, local_part, domain, display_name, disabled, password_hash, alias (or NULL).
pub(super) type UserRow = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    String,
    Option<String>,
);

/// Selects users joined with their domain and one row per alias; `$where` filters `u`, `$order`
/// must end with `u.id` so that the rows of one user are adjacent.
macro_rules! select_users {
    ($where:literal, $order:literal) => {
        concat!(
            "SELECT u.id, u.address, u.local_part, d.name, u.display_name, u.disabled, ",
            "u.password_hash, a.address ",
            "FROM users u JOIN domains d ON d.id = u.domain_id ",
            "LEFT JOIN addresses a ON a.user_id = u.id AND NOT a.is_primary ",
            "WHERE ",
            $where,
            " ORDER BY ",
            $order
        )
    };
}
pub(super) use select_users;

pub(super) const DOMAIN_COLUMNS: &str = "id, name, approval";

/// Folds the one-row-per-alias result into users, keeping the query's order of users.
pub(super) fn group_users(rows: Vec<UserRow>) -> Vec<UserRecord> {
    let mut records: Vec<UserRecord> = Vec::new();
    for (id, address, local_part, domain, display_name, disabled, password_hash, alias) in rows {
        let same_user = records.last().is_some_and(|last| last.user.id == id);
        if !same_user {
            records.push(UserRecord {
                user: User {
                    id,
                    address,
                    local_part,
                    domain,
                    display_name,
                    disabled,
                    aliases: Vec::new(),
                },
                password_hash,
            });
        }
        if let (Some(alias), Some(last)) = (alias, records.last_mut()) {
            last.user.aliases.push(alias);
        }
    }
    // Sorted here, not in SQL, so that both backends agree whatever the database collation.
    for record in &mut records {
        record.user.aliases.sort();
    }
    records
}

pub(super) fn domain_from_row(
    (id, name, approval): (i64, String, Option<String>),
) -> Result<Domain, DirectoryError> {
    let approval = approval
        .map(|text| ApprovalPolicy::from_str(&text))
        .transpose()
        .map_err(|e| DirectoryError::Database(sqlx::Error::Decode(Box::new(e))))?;
    Ok(Domain { id, name, approval })
}

/// Turns a unique-constraint violation into `Duplicate`, and any other error into `Database`.
pub(super) fn duplicate_or_database(e: sqlx::Error, entity: Entity, name: &str) -> DirectoryError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            DirectoryError::duplicate(entity, name)
        }
        _ => DirectoryError::Database(e),
    }
}

/// Implements `Store` for `$store { pool: Pool<$db> }` with the SQL above, for
/// `eas_store_kit::sql_store!`. `$byte_order` is not used: no cursor compares text here.
macro_rules! sql_store {
    ($store:ty, $db:ty, $byte_order:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::DomainStore for $store {
            async fn insert_domain(
                &self,
                name: &str,
                approval: Option<$crate::policy::ApprovalPolicy>,
            ) -> Result<$crate::model::Domain, $crate::error::DirectoryError> {
                let row = sqlx::query_as::<_, (i64, String, Option<String>)>(
                    "INSERT INTO domains (name, approval) VALUES ($1, $2) \
                     RETURNING id, name, approval",
                )
                .bind(name)
                .bind(approval.map(|a| a.as_str()))
                .fetch_one(&self.pool)
                .await
                .map_err(|e| {
                    $crate::store::sql::duplicate_or_database(
                        e,
                        $crate::error::Entity::Domain,
                        name,
                    )
                })?;
                $crate::store::sql::domain_from_row(row)
            }

            async fn domains(
                &self,
            ) -> Result<Vec<$crate::model::Domain>, $crate::error::DirectoryError> {
                let sql = format!(
                    "SELECT {} FROM domains ORDER BY id",
                    $crate::store::sql::DOMAIN_COLUMNS
                );
                let rows = sqlx::query_as::<_, (i64, String, Option<String>)>(&sql)
                    .fetch_all(&self.pool)
                    .await?;
                let mut domains: Vec<_> = rows
                    .into_iter()
                    .map($crate::store::sql::domain_from_row)
                    .collect::<Result<_, _>>()?;
                domains.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(domains)
            }

            async fn domain(
                &self,
                name: &str,
            ) -> Result<Option<$crate::model::Domain>, $crate::error::DirectoryError> {
                let sql = format!(
                    "SELECT {} FROM domains WHERE name = $1",
                    $crate::store::sql::DOMAIN_COLUMNS
                );
                sqlx::query_as::<_, (i64, String, Option<String>)>(&sql)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::sql::domain_from_row)
                    .transpose()
            }

            async fn set_domain_approval(
                &self,
                name: &str,
                approval: Option<$crate::policy::ApprovalPolicy>,
            ) -> Result<Option<$crate::model::Domain>, $crate::error::DirectoryError> {
                sqlx::query_as::<_, (i64, String, Option<String>)>(
                    "UPDATE domains SET approval = $2 WHERE name = $1 \
                     RETURNING id, name, approval",
                )
                .bind(name)
                .bind(approval.map(|a| a.as_str()))
                .fetch_optional(&self.pool)
                .await?
                .map($crate::store::sql::domain_from_row)
                .transpose()
            }

            async fn delete_domain(&self, name: &str) -> Result<(), $crate::error::DirectoryError> {
                use $crate::error::{DirectoryError, Entity};
                let deleted = sqlx::query(
                    "DELETE FROM domains WHERE name = $1 \
                     AND NOT EXISTS (SELECT 1 FROM users WHERE users.domain_id = domains.id) \
                     AND NOT EXISTS \
                         (SELECT 1 FROM addresses WHERE addresses.domain_id = domains.id)",
                )
                .bind(name)
                .execute(&self.pool)
                .await;
                match deleted {
                    Ok(done) if done.rows_affected() > 0 => Ok(()),
                    Ok(_) => match self.domain(name).await? {
                        Some(_) => Err(DirectoryError::DomainHasUsers(name.to_owned())),
                        None => Err(DirectoryError::not_found(Entity::Domain, name)),
                    },
                    // A user added between the check and the delete trips the foreign key.
                    Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                        Err(DirectoryError::DomainHasUsers(name.to_owned()))
                    }
                    Err(e) => Err(DirectoryError::Database(e)),
                }
            }
        }

        $crate::store::sql_users::sql_store_users!($store);
        $crate::store::sql_oof::sql_store_oof!($store);
    };
}
pub(super) use sql_store;
