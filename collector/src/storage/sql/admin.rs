//! [`SiteAdmin`](crate::storage::SiteAdmin) for both backends. Every statement is keyed by
//! the site, so one site's admin can neither change nor list another site's settings.

/// Implements `SiteAdmin` for a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_admin {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::SiteAdmin for $store {
            async fn update_site(
                &self,
                site_id: $crate::domain::site::SiteId,
                s: &$crate::domain::site::NewSite,
            ) -> Result<bool, $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(
                    "UPDATE sites SET name = $2, domains = $3, template = $4, \
                     channel_rules = $5, bots = $6, pages = $7 WHERE site_id = $1",
                )
                .bind(site_id.0)
                .bind(&s.name)
                .bind(serde_json::to_string(&s.domains).unwrap_or_else(|_| "[]".into()))
                .bind(&s.template)
                .bind(serde_json::to_string(&s.channel_rules).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&s.bots).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&s.pages).unwrap_or_else(|_| "[]".into()))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM tracked_numbers WHERE site_id = $1")
                    .bind(site_id.0)
                    .execute(&mut *tx)
                    .await?;
                for n in &s.numbers {
                    sqlx::query(
                        "INSERT INTO tracked_numbers (site_id, number, wa_phone_number_id) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(site_id.0)
                    .bind(&n.number)
                    .bind(&n.wa_phone_number_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::storage::sql::conflict(e, "tracked number"))?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn list_tokens(
                &self,
                site_id: $crate::domain::site::SiteId,
            ) -> Result<Vec<$crate::storage::TokenView>, $crate::storage::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT token_id, name, role, created_at FROM api_tokens \
                     WHERE site_id = $1 ORDER BY created_at, token_id",
                )
                .bind(site_id.0)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_token(
                &self,
                site_id: $crate::domain::site::SiteId,
                token_id: uuid::Uuid,
            ) -> Result<$crate::storage::Revoke, $crate::storage::StoreError> {
                use $crate::storage::Revoke;
                let _write = self.write_guard().await;
                let mut tx = self.pool.begin().await?;
                let role: Option<(String,)> = sqlx::query_as(
                    "SELECT role FROM api_tokens WHERE site_id = $1 AND token_id = $2",
                )
                .bind(site_id.0)
                .bind(token_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((role,)) = role else {
                    return Ok(Revoke::NoToken);
                };
                if role == $crate::domain::token::Role::Admin.as_str() {
                    let (admins,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM api_tokens WHERE site_id = $1 AND role = $2",
                    )
                    .bind(site_id.0)
                    .bind(&role)
                    .fetch_one(&mut *tx)
                    .await?;
                    if admins <= 1 {
                        return Ok(Revoke::LastAdmin);
                    }
                }
                sqlx::query("DELETE FROM api_tokens WHERE site_id = $1 AND token_id = $2")
                    .bind(site_id.0)
                    .bind(token_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Revoke::Revoked)
            }
        }
    };
}
pub(crate) use impl_admin;
