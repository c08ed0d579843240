//! The queries, written once in the SQL both SQLite and PostgreSQL accept (`$n` parameters,
//! `ON CONFLICT`, `RETURNING`) and instantiated for each backend's pool by [`impl_store!`].

/// Implements [`Store`](super::Store) for a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            async fn create_site(
                &self,
                s: &$crate::domain::site::NewSite,
            ) -> Result<$crate::domain::site::Site, $crate::storage::StoreError> {
                let site_id = uuid::Uuid::now_v7();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO sites (site_id, site_key, name, domains, template, wa_app_secret, \
                     wa_verify_token_hash, created_at, bots, pages) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(site_id)
                .bind(&s.key)
                .bind(&s.name)
                .bind(serde_json::to_string(&s.domains).unwrap_or_default())
                .bind(&s.template)
                .bind(&s.wa_app_secret)
                .bind(&s.wa_verify_token_hash)
                .bind($crate::domain::now_ms())
                .bind(serde_json::to_string(&s.bots).unwrap_or_default())
                .bind(serde_json::to_string(&s.pages).unwrap_or_default())
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::storage::sql::conflict(e, "site key"))?;
                for n in &s.numbers {
                    sqlx::query(
                        "INSERT INTO tracked_numbers (site_id, number, wa_phone_number_id) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(site_id)
                    .bind(&n.number)
                    .bind(&n.wa_phone_number_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::storage::sql::conflict(e, "tracked number"))?;
                }
                tx.commit().await?;
                Ok($crate::domain::site::Site {
                    id: $crate::domain::site::SiteId(site_id),
                    key: s.key.clone(),
                    name: s.name.clone(),
                    domains: s.domains.clone(),
                    template: s.template.clone(),
                    numbers: s.numbers.clone(),
                    bots: s.bots.clone(),
                    pages: s.pages.clone(),
                    wa_app_secret: s.wa_app_secret.clone(),
                    wa_verify_token_hash: s.wa_verify_token_hash.clone(),
                })
            }

            async fn site_by_key(
                &self,
                key: &str,
            ) -> Result<Option<$crate::domain::site::Site>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::SiteRow> = sqlx::query_as(concat!(
                    $crate::storage::sql::SELECT_SITE!(),
                    " WHERE site_key = $1"
                ))
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some(self.with_numbers(row).await?)),
                    None => Ok(None),
                }
            }

            async fn whatsapp_sites(
                &self,
            ) -> Result<Vec<$crate::domain::site::Site>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::sql::SiteRow> = sqlx::query_as(concat!(
                    $crate::storage::sql::SELECT_SITE!(),
                    " WHERE wa_app_secret IS NOT NULL ORDER BY created_at"
                ))
                .fetch_all(&self.pool)
                .await?;
                let mut sites = Vec::with_capacity(rows.len());
                for row in rows {
                    sites.push(self.with_numbers(row).await?);
                }
                Ok(sites)
            }

            async fn create_token(
                &self,
                site_id: $crate::domain::site::SiteId,
                token_hash: &str,
                role: $crate::domain::token::Role,
                name: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query(
                    "INSERT INTO api_tokens (site_id, token_id, token_hash, role, name, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(site_id.0)
                .bind(uuid::Uuid::now_v7())
                .bind(token_hash)
                .bind(role.as_str())
                .bind(name)
                .bind($crate::domain::now_ms())
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::storage::sql::conflict(e, "token"))?;
                Ok(())
            }

            async fn token_grant(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::domain::token::TokenGrant>, $crate::storage::StoreError>
            {
                let row: Option<(uuid::Uuid, String)> =
                    sqlx::query_as("SELECT site_id, role FROM api_tokens WHERE token_hash = $1")
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.and_then(|(site_id, role)| {
                    Some($crate::domain::token::TokenGrant {
                        site_id: $crate::domain::site::SiteId(site_id),
                        role: $crate::domain::token::Role::parse(&role)?,
                    })
                }))
            }

            async fn write_batch(
                &self,
                events: &[$crate::storage::IngestEvent],
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                for event in events {
                    match event {
                        $crate::storage::IngestEvent::Visit(v) => {
                            $crate::storage::sql::insert_visit!(tx, v);
                        }
                        $crate::storage::IngestEvent::Click(c) => {
                            $crate::storage::sql::insert_click!(tx, c);
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn ingest_message(
                &self,
                m: &$crate::domain::inbound::InboundMessage,
                policy: &$crate::matching::DialogPolicy,
            ) -> Result<$crate::storage::IngestOutcome, $crate::storage::StoreError> {
                $crate::storage::sql::ingest_message!(self.pool, m, policy)
            }

            async fn list_dialogs(
                &self,
                site_id: $crate::domain::site::SiteId,
                q: &$crate::storage::DialogListQuery,
            ) -> Result<Vec<$crate::storage::DialogSummary>, $crate::storage::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT d.dialog_id, d.started_at, d.kind, d.match_kind, \
                     c.name AS contact_name, c.phone AS contact_phone, \
                     d.first_message, s.channel, s.utm_campaign \
                     FROM dialogs d \
                     JOIN contacts c ON c.site_id = d.site_id AND c.contact_id = d.contact_id \
                     LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
                     WHERE d.site_id = $1 AND d.started_at < $2 \
                     ORDER BY d.started_at DESC, d.dialog_id DESC LIMIT $3",
                )
                .bind(site_id.0)
                .bind(q.before_ms.unwrap_or(i64::MAX))
                .bind(q.limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn source_card(
                &self,
                site_id: $crate::domain::site::SiteId,
                dialog_id: uuid::Uuid,
            ) -> Result<Option<$crate::storage::SourceCard>, $crate::storage::StoreError> {
                $crate::storage::sql::source_card!(self.pool, site_id.0, dialog_id)
            }
        }

        impl $store {
            async fn with_numbers(
                &self,
                row: $crate::storage::sql::SiteRow,
            ) -> Result<$crate::domain::site::Site, sqlx::Error> {
                let numbers: Vec<(String, Option<String>)> = sqlx::query_as(
                    "SELECT number, wa_phone_number_id FROM tracked_numbers \
                     WHERE site_id = $1 ORDER BY number",
                )
                .bind(row.site_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(row.into_site(numbers))
            }
        }
    };
}
pub(crate) use impl_store;

macro_rules! SELECT_SITE {
    () => {
        "SELECT site_id, site_key, name, domains, template, wa_app_secret, wa_verify_token_hash, \
         bots, pages FROM sites"
    };
}
pub(crate) use SELECT_SITE;

/// A `sites` row before its numbers are attached.
#[derive(Debug, sqlx::FromRow)]
pub struct SiteRow {
    pub(crate) site_id: uuid::Uuid,
    site_key: String,
    name: String,
    domains: String,
    template: String,
    wa_app_secret: Option<String>,
    wa_verify_token_hash: Option<String>,
    bots: String,
    pages: String,
}

impl SiteRow {
    /// Completes the site with its tracked numbers.
    pub fn into_site(self, numbers: Vec<(String, Option<String>)>) -> crate::domain::site::Site {
        crate::domain::site::Site {
            id: crate::domain::site::SiteId(self.site_id),
            key: self.site_key,
            name: self.name,
            domains: serde_json::from_str(&self.domains).unwrap_or_default(),
            template: self.template,
            numbers: numbers
                .into_iter()
                .map(
                    |(number, wa_phone_number_id)| crate::domain::site::TrackedNumber {
                        number,
                        wa_phone_number_id,
                    },
                )
                .collect(),
            bots: serde_json::from_str(&self.bots).unwrap_or_default(),
            pages: serde_json::from_str(&self.pages).unwrap_or_default(),
            wa_app_secret: self.wa_app_secret,
            wa_verify_token_hash: self.wa_verify_token_hash,
        }
    }
}

/// Turns a unique-constraint violation into [`StoreError::Conflict`](super::StoreError).
pub fn conflict(e: sqlx::Error, what: &'static str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => super::StoreError::Conflict(what),
        _ => super::StoreError::Database(e),
    }
}

pub(crate) mod card;
pub(crate) mod ingest;
pub(crate) use card::source_card;
pub(crate) use ingest::{ingest_message, insert_click, insert_visit};
