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
                     wa_verify_token_hash, created_at, channel_rules, twilio_auth_token, \
                     twilio_webhook_url, telegram_bot, telegram_secret_hash, bots, pages) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(site_id)
                .bind(&s.key)
                .bind(&s.name)
                .bind(serde_json::to_string(&s.domains).unwrap_or_default())
                .bind(&s.template)
                .bind(&s.wa_app_secret)
                .bind(&s.wa_verify_token_hash)
                .bind($crate::domain::now_ms())
                .bind(serde_json::to_string(&s.channel_rules).unwrap_or_else(|_| "[]".into()))
                .bind(&s.providers.twilio_auth_token)
                .bind(&s.providers.twilio_webhook_url)
                .bind(&s.providers.telegram_bot)
                .bind(&s.providers.telegram_secret_hash)
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
                    channel_rules: s.channel_rules.clone(),
                    bots: s.bots.clone(),
                    pages: s.pages.clone(),
                    wa_app_secret: s.wa_app_secret.clone(),
                    wa_verify_token_hash: s.wa_verify_token_hash.clone(),
                    providers: s.providers.clone(),
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

            async fn site_by_id(
                &self,
                site_id: $crate::domain::site::SiteId,
            ) -> Result<Option<$crate::domain::site::Site>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::SiteRow> = sqlx::query_as(concat!(
                    $crate::storage::sql::SELECT_SITE!(),
                    " WHERE site_id = $1"
                ))
                .bind(site_id.0)
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
                Ok(self.sites_with("wa_app_secret").await?)
            }

            async fn twilio_sites(
                &self,
            ) -> Result<Vec<$crate::domain::site::Site>, $crate::storage::StoreError> {
                Ok(self.sites_with("twilio_auth_token").await?)
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
                use $crate::storage::sql::rollups::{apply_rollups, rollups_after, rollups_before};
                use $crate::storage::IngestEvent;
                let _write = self.write_guard().await;
                let mut tx = self.pool.begin().await?;
                // Per site, the sessions and clicks the batch may add.
                let mut by_site: std::collections::BTreeMap<
                    uuid::Uuid,
                    (Vec<uuid::Uuid>, Vec<uuid::Uuid>),
                > = Default::default();
                for event in events {
                    match event {
                        IngestEvent::Visit(v) => {
                            by_site.entry(v.site_id.0).or_default().0.push(v.session_id)
                        }
                        IngestEvent::Click(c) => {
                            by_site.entry(c.site_id.0).or_default().1.push(c.click_id)
                        }
                    }
                }
                let mut delta = $crate::storage::rollups::RollupDelta::default();
                let mut touched = Vec::with_capacity(by_site.len());
                for (site, (sessions, clicks)) in by_site {
                    touched.push((site, rollups_before!(tx, $db, site, sessions, clicks, delta)));
                }
                for event in events {
                    match event {
                        IngestEvent::Visit(v) => {
                            $crate::storage::sql::insert_visit!(tx, v);
                        }
                        IngestEvent::Click(c) => {
                            $crate::storage::sql::insert_click!(tx, c);
                        }
                    }
                }
                for (site, t) in &touched {
                    rollups_after!(tx, *site, t, delta);
                }
                apply_rollups!(tx, $db, delta);
                tx.commit().await?;
                Ok(())
            }

            async fn ingest_message(
                &self,
                m: &$crate::domain::inbound::InboundMessage,
                policy: &$crate::matching::DialogPolicy,
            ) -> Result<$crate::storage::IngestOutcome, $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                $crate::storage::sql::ingest_message!(self.pool, $db, m, policy)
            }

            async fn record_status(
                &self,
                status: &$crate::domain::status::StatusUpdate,
            ) -> Result<(), $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                $crate::storage::sql::record_status!(self.pool, status)
            }

            async fn message_status(
                &self,
                site_id: $crate::domain::site::SiteId,
                provider: &str,
                provider_message_id: &str,
            ) -> Result<Option<$crate::storage::StatusView>, $crate::storage::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT provider_message_id, recipient, status, status_at, sent_at, \
                     delivered_at, read_at, played_at, failed_at, errors, pricing_category \
                     FROM message_statuses \
                     WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
                )
                .bind(site_id.0)
                .bind(provider)
                .bind(provider_message_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn change_identity(
                &self,
                change: &$crate::domain::inbound::IdentityChange,
            ) -> Result<$crate::storage::IdentityOutcome, $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                $crate::storage::sql::change_identity!(self.pool, change)
            }

            async fn list_dialogs(
                &self,
                site_id: $crate::domain::site::SiteId,
                q: &$crate::storage::DialogListQuery,
            ) -> Result<Vec<$crate::storage::DialogSummary>, $crate::storage::StoreError> {
                let f = &q.filters;
                // `CROSS JOIN` fixes SQLite's join order. Without a search it reads dialogs
                // first, newest first, from `dialogs_for_reports` (in page order), so a page
                // stops after its rows (with planner statistics it may otherwise start from
                // contacts and sort every dialog of the site). A search reads the matching
                // contacts first and sorts their dialogs (otherwise a search that matches
                // little walks every dialog). PostgreSQL plans both as the inner join they
                // are, its trigram index finding the contacts.
                let from = if f.name_like.is_some() {
                    "contacts c CROSS JOIN dialogs d"
                } else {
                    "dialogs d CROSS JOIN contacts c"
                };
                let after = q.after.unwrap_or($crate::storage::DialogCursor {
                    started_at: i64::MAX,
                    dialog_id: uuid::Uuid::max(),
                });
                let sql = format!(
                    "SELECT d.dialog_id, d.started_at, d.kind, d.match_kind, \
                     c.name AS contact_name, c.phone AS contact_phone, \
                     d.first_message, s.channel, s.utm_campaign, s.source, d.business_number \
                     FROM {from} \
                     LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
                     WHERE c.site_id = d.site_id AND c.contact_id = d.contact_id \
                     AND d.site_id = $1 AND (d.started_at, d.dialog_id) < ($2, $3) \
                     AND ($4 IS NULL OR s.channel = $4) \
                     AND ($5 IS NULL OR d.match_kind = $5) \
                     AND ($6 IS NULL OR d.kind = $6) \
                     AND ($7 IS NULL OR d.business_number = $7) \
                     AND ($8 IS NULL OR EXISTS (SELECT 1 FROM dialog_tags t \
                          WHERE t.site_id = d.site_id AND t.dialog_id = d.dialog_id AND t.tag = $8)) \
                     AND ($9 IS NULL OR LOWER(c.name) LIKE $9 ESCAPE '\\' \
                          OR c.name LIKE $10 ESCAPE '\\' \
                          OR ($11 IS NOT NULL AND c.phone LIKE $11)) \
                     ORDER BY d.started_at DESC, d.dialog_id DESC LIMIT $12"
                );
                Ok(sqlx::query_as(&sql)
                .bind(site_id.0)
                .bind(after.started_at)
                .bind(after.dialog_id)
                .bind(&f.channel)
                .bind(&f.match_kind)
                .bind(&f.kind)
                .bind(&f.number)
                .bind(&f.tag)
                .bind(&f.name_like)
                .bind(&f.name_like_as_typed)
                .bind(&f.phone_like)
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

            async fn dialog_tags(
                &self,
                site_id: $crate::domain::site::SiteId,
                dialog_id: uuid::Uuid,
            ) -> Result<Option<Vec<String>>, $crate::storage::StoreError> {
                let mut conn = self.pool.acquire().await?;
                $crate::storage::sql::tags::tags_of!(conn, site_id.0, dialog_id)
            }

            async fn add_tag(
                &self,
                site_id: $crate::domain::site::SiteId,
                dialog_id: uuid::Uuid,
                tag: &$crate::domain::tag::Tag,
            ) -> Result<$crate::storage::TagChange, $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                $crate::storage::sql::tags::add_tag!(self.pool, site_id.0, dialog_id, tag)
            }

            async fn remove_tag(
                &self,
                site_id: $crate::domain::site::SiteId,
                dialog_id: uuid::Uuid,
                tag: &$crate::domain::tag::Tag,
            ) -> Result<$crate::storage::TagChange, $crate::storage::StoreError> {
                let _write = self.write_guard().await;
                $crate::storage::sql::tags::remove_tag!(self.pool, site_id.0, dialog_id, tag)
            }
        }

        impl $store {
            /// Every site whose `column` (a provider secret, named by our code) is set.
            async fn sites_with(
                &self,
                column: &'static str,
            ) -> Result<Vec<$crate::domain::site::Site>, sqlx::Error> {
                let sql = format!(
                    "{} WHERE {column} IS NOT NULL ORDER BY created_at",
                    $crate::storage::sql::SELECT_SITE!()
                );
                let rows: Vec<$crate::storage::sql::SiteRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                let mut sites = Vec::with_capacity(rows.len());
                for row in rows {
                    sites.push(self.with_numbers(row).await?);
                }
                Ok(sites)
            }

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
         channel_rules, twilio_auth_token, twilio_webhook_url, telegram_bot, telegram_secret_hash, \
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
    channel_rules: String,
    twilio_auth_token: Option<String>,
    twilio_webhook_url: Option<String>,
    telegram_bot: Option<String>,
    telegram_secret_hash: Option<String>,
    bots: String,
    pages: String,
}

impl SiteRow {
    /// Completes the site with its tracked numbers.
    pub fn into_site(self, numbers: Vec<(String, Option<String>)>) -> crate::domain::site::Site {
        let channel_rules = parse_rules(&self.site_key, &self.channel_rules);
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
            channel_rules,
            bots: serde_json::from_str(&self.bots).unwrap_or_default(),
            pages: serde_json::from_str(&self.pages).unwrap_or_default(),
            wa_app_secret: self.wa_app_secret,
            wa_verify_token_hash: self.wa_verify_token_hash,
            providers: crate::domain::site::ProviderSettings {
                twilio_auth_token: self.twilio_auth_token,
                twilio_webhook_url: self.twilio_webhook_url,
                telegram_bot: self.telegram_bot,
                telegram_secret_hash: self.telegram_secret_hash,
            },
        }
    }
}

/// A site's stored channel rules; rules stored by a later version that this one cannot read
/// are skipped with a warning rather than making the site unusable.
fn parse_rules(site_key: &str, json: &str) -> Vec<crate::enrich::channel::ChannelRule> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    values
        .into_iter()
        .filter_map(|v| match serde_json::from_value(v) {
            Ok(rule) => Some(rule),
            Err(e) => {
                tracing::warn!(site = site_key, error = %e, "skipping an unreadable channel rule");
                None
            }
        })
        .collect()
}

/// Turns a unique-constraint violation into [`StoreError::Conflict`](super::StoreError).
pub fn conflict(e: sqlx::Error, what: &'static str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => super::StoreError::Conflict(what),
        _ => super::StoreError::Database(e),
    }
}

pub(crate) mod admin;
pub(crate) mod card;
pub(crate) mod identity;
pub(crate) mod inbound;
pub(crate) mod ingest;
pub(crate) mod reports;
pub(crate) mod rollups;
pub(crate) mod statuses;
pub(crate) mod tags;
pub(crate) use card::source_card;
pub(crate) use identity::change_identity;
pub(crate) use inbound::ingest_message;
pub(crate) use ingest::{insert_click, insert_visit};
pub(crate) use statuses::record_status;
