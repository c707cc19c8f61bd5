//! The SQL of the directory, written once and compiled for each sqlx backend: both SQLite and
//! PostgreSQL accept `$n` placeholders, `RETURNING`, `||` and `LIKE ... ESCAPE`.

use std::str::FromStr;

use crate::error::{DirectoryError, Entity};
use crate::model::{Domain, User};
use crate::policy::ApprovalPolicy;
use crate::store::UserRecord;

/// One row of [`select_users!`]: a user, its domain, one of its aliases (or NULL), its GAL
/// fields and what is known of its photo.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    address: String,
    local_part: String,
    domain: String,
    display_name: String,
    disabled: bool,
    password_hash: String,
    alias: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    title: Option<String>,
    company: Option<String>,
    office: Option<String>,
    phone: Option<String>,
    home_phone: Option<String>,
    mobile_phone: Option<String>,
    photo_type: Option<String>,
    photo_size: Option<i64>,
    shared_calendars: Option<bool>,
    time_zone: Option<String>,
    first_day_of_week: Option<i16>,
}

/// Selects users joined with their domain, their photo's type and size, and one row per alias;
/// `$where` filters `u`, `$order` must end with `u.id` so that the rows of one user are adjacent.
macro_rules! select_users {
    ($where:literal, $order:literal) => {
        concat!(
            "SELECT u.id, u.address, u.local_part, d.name AS domain, u.display_name, u.disabled, ",
            "u.password_hash, a.address AS alias, u.first_name, u.last_name, u.title, ",
            "u.company, u.office, u.phone, u.home_phone, u.mobile_phone, ",
            "p.content_type AS photo_type, p.size AS photo_size, u.shared_calendars, ",
            "u.time_zone, u.first_day_of_week ",
            "FROM users u JOIN domains d ON d.id = u.domain_id ",
            "LEFT JOIN addresses a ON a.user_id = u.id AND NOT a.is_primary ",
            "LEFT JOIN user_photos p ON p.user_id = u.id ",
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
    for row in rows {
        let same_user = records.last().is_some_and(|last| last.user.id == row.id);
        if !same_user {
            let photo = row
                .photo_type
                .zip(row.photo_size)
                .map(|(content_type, size)| crate::model::PhotoInfo {
                    content_type,
                    size: u64::try_from(size).unwrap_or_default(),
                });
            records.push(UserRecord {
                user: User {
                    id: row.id,
                    address: row.address,
                    local_part: row.local_part,
                    domain: row.domain,
                    display_name: row.display_name,
                    disabled: row.disabled,
                    aliases: Vec::new(),
                    gal: crate::model::GalFields {
                        first_name: row.first_name,
                        last_name: row.last_name,
                        title: row.title,
                        company: row.company,
                        office: row.office,
                        phone: row.phone,
                        home_phone: row.home_phone,
                        mobile_phone: row.mobile_phone,
                    },
                    photo,
                    shared_calendars: row.shared_calendars,
                    calendar: crate::model::CalendarPreferences {
                        time_zone: row.time_zone,
                        first_day_of_week: row.first_day_of_week.and_then(|d| u8::try_from(d).ok()),
                    },
                },
                password_hash: row.password_hash,
            });
        }
        if let (Some(alias), Some(last)) = (row.alias, records.last_mut()) {
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

/// The lowercase first and last name, space-separated, that GAL search matches word starts in.
pub(super) fn names_folded(fields: &crate::model::GalFields) -> String {
    let names: Vec<&str> = [&fields.first_name, &fields.last_name]
        .into_iter()
        .filter_map(|n| n.as_deref())
        .collect();
    names.join(" ").to_lowercase()
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
        $crate::store::sql_gal::sql_store_gal!($store);
    };
}
pub(super) use sql_store;
