//! SQL of the outbound queue: messages waiting for the SMTP relay, claimed with a lease so
//! that two relay workers (two mail service instances) never send the same row at once.

/// Implements `QueueStore` for `$store`.
macro_rules! sql_queue {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::QueueStore for $store {
            async fn enqueue(
                &self,
                sender: &str,
                recipients: &[String],
                raw: &[u8],
                now_ms: i64,
            ) -> Result<i64, $crate::error::MailError> {
                let recipients = serde_json::to_string(recipients)
                    .map_err(|e| $crate::error::MailError::Corrupt(e.to_string()))?;
                Ok(sqlx::query_scalar::<_, i64>(
                    "INSERT INTO outbound (sender, recipients, raw, queued_at, next_attempt) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(sender)
                .bind(recipients)
                .bind(raw)
                .bind(now_ms)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn claim_due(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                limit: u32,
            ) -> Result<Vec<$crate::outbound::Outbound>, $crate::error::MailError> {
                let due = sqlx::query_as::<_, (i64, i64)>(
                    "SELECT id, next_attempt FROM outbound WHERE next_attempt <= $1 \
                     ORDER BY next_attempt, id LIMIT $2",
                )
                .bind(now_ms)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                let mut claimed = Vec::with_capacity(due.len());
                for (id, seen) in due {
                    // Optimistic claim: only the worker that still sees the old time wins.
                    let won = sqlx::query(
                        "UPDATE outbound SET next_attempt = $1 \
                         WHERE id = $2 AND next_attempt = $3",
                    )
                    .bind(lease_until_ms)
                    .bind(id)
                    .bind(seen)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                        == 1;
                    if !won {
                        continue;
                    }
                    let row = sqlx::query_as::<
                        _,
                        (i64, String, String, Vec<u8>, i64, i32, Option<String>),
                    >(
                        "SELECT id, sender, recipients, raw, queued_at, attempts, last_error \
                         FROM outbound WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(row) = row {
                        claimed.push($crate::outbound::Outbound::from_row(row)?);
                    }
                }
                Ok(claimed)
            }

            async fn retry_later(
                &self,
                id: i64,
                next_attempt_ms: i64,
                error: &str,
            ) -> Result<(), $crate::error::MailError> {
                sqlx::query(
                    "UPDATE outbound SET next_attempt = $1, attempts = attempts + 1, \
                     last_error = $2 WHERE id = $3",
                )
                .bind(next_attempt_ms)
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn remove(&self, id: i64) -> Result<(), $crate::error::MailError> {
                sqlx::query("DELETE FROM outbound WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn next_due(&self) -> Result<(u64, Option<i64>), $crate::error::MailError> {
                let (rows, due) = sqlx::query_as::<_, (i64, Option<i64>)>(
                    "SELECT COUNT(*), MIN(next_attempt) FROM outbound",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok((u64::try_from(rows).unwrap_or(0), due))
            }

            async fn queued(
                &self,
            ) -> Result<Vec<$crate::outbound::Outbound>, $crate::error::MailError> {
                let rows =
                    sqlx::query_as::<_, (i64, String, String, Vec<u8>, i64, i32, Option<String>)>(
                        "SELECT id, sender, recipients, raw, queued_at, attempts, last_error \
                     FROM outbound ORDER BY id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::outbound::Outbound::from_row)
                    .collect()
            }
        }
    };
}
pub(crate) use sql_queue;
