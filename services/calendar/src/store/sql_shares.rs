//! SQL of shared calendars: grants, their withdrawal, and the lists of both sides. A grant
//! appearing, changing or going moves the grantee's hierarchy counter in its transaction.

/// Defines the share functions the `Store` implementation calls.
macro_rules! sql_shares {
    ($store:ty, $db:ty) => {
        async fn grant(
            store: &$store,
            owner: &str,
            folder: FolderId,
            grantee: &str,
            access: Access,
        ) -> Result<(Share, Option<u64>), Error> {
            let mut tx = store.write_tx().await?;
            // Only the owner shares a calendar; to anyone else it is no calendar of theirs.
            let reach = reach(&mut tx, owner, folder).await?;
            if !reach.is_owner() {
                return Err(Error::FolderNotFound(folder.to_string()));
            }
            let name = sqlx::query_scalar::<_, String>("SELECT name FROM folders WHERE id = $1")
                .bind(folder.0)
                .fetch_one(&mut *tx)
                .await?;
            // The grantee sees the calendar at their next folder listing; their account (and
            // default Calendar) may not exist yet.
            let (grantee_account, _) = ensure_account_in(&mut tx, grantee).await?;
            let before = sqlx::query_scalar::<_, String>(
                "SELECT access FROM shares WHERE folder_id = $1 AND grantee_id = $2",
            )
            .bind(folder.0)
            .bind(grantee_account)
            .fetch_optional(&mut *tx)
            .await?;
            let share = Share {
                owner: owner.to_owned(),
                folder_id: folder,
                grantee: grantee.to_owned(),
                access,
                name,
            };
            if before.as_deref() == Some(access.as_str()) {
                tx.commit().await?;
                return Ok((share, None));
            }
            sqlx::query(
                "INSERT INTO shares (folder_id, grantee_id, access) VALUES ($1, $2, $3) \
                 ON CONFLICT (folder_id, grantee_id) DO UPDATE SET access = excluded.access",
            )
            .bind(folder.0)
            .bind(grantee_account)
            .bind(access.as_str())
            .execute(&mut *tx)
            .await?;
            let counter = bump_hierarchy(&mut tx, grantee_account).await?;
            tx.commit().await?;
            Ok((share, Some(counter)))
        }

        async fn revoke(
            store: &$store,
            owner: &str,
            folder: FolderId,
            grantee: &str,
        ) -> Result<u64, Error> {
            let mut tx = store.write_tx().await?;
            let reach = reach(&mut tx, owner, folder).await?;
            if !reach.is_owner() {
                return Err(Error::FolderNotFound(folder.to_string()));
            }
            let missing = || Error::ShareNotFound {
                folder: folder.to_string(),
                grantee: grantee.to_owned(),
            };
            let grantee_account = account_id(&mut tx, grantee).await?.ok_or_else(missing)?;
            let removed = sqlx::query("DELETE FROM shares WHERE folder_id = $1 AND grantee_id = $2")
                .bind(folder.0)
                .bind(grantee_account)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(missing());
            }
            let counter = bump_hierarchy(&mut tx, grantee_account).await?;
            tx.commit().await?;
            Ok(counter)
        }

        async fn shares(store: &$store, user: &str) -> Result<Shares, Error> {
            const SELECT: &str = "SELECT o.address, f.id, g.address, s.access, f.name \
                FROM shares s JOIN folders f ON f.id = s.folder_id \
                JOIN accounts o ON o.id = f.account_id JOIN accounts g ON g.id = s.grantee_id";
            let mut tx = store.pool.begin().await?;
            let granted = sqlx::query_as::<_, (String, i64, String, String, String)>(&format!(
                "{SELECT} WHERE o.address = $1 ORDER BY f.id, g.address"
            ))
            .bind(user)
            .fetch_all(&mut *tx)
            .await?;
            let received = sqlx::query_as::<_, (String, i64, String, String, String)>(&format!(
                "{SELECT} WHERE g.address = $1 ORDER BY f.id"
            ))
            .bind(user)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let share = |(owner, folder, grantee, access, name): (String, i64, String, String, String)| {
                Ok(Share {
                    owner,
                    folder_id: FolderId(folder),
                    grantee,
                    access: $crate::store::sql::access_of(folder, &access)?,
                    name,
                })
            };
            Ok(Shares {
                granted: granted.into_iter().map(share).collect::<Result<_, Error>>()?,
                received: received.into_iter().map(share).collect::<Result<_, Error>>()?,
            })
        }
    };
}
pub(crate) use sql_shares;
