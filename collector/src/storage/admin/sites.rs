//! Sites and their tracked numbers: created from the CLI, read by every request, changed
//! from Settings. Every statement is keyed by the site.

use std::sync::Arc;

use uuid::Uuid;

use crate::args;
use crate::db::{Arg, Conn, Db, StoreError};
use crate::domain::now_ms;
use crate::domain::secret::Secret;
use crate::domain::site::{NewSite, ProviderSettings, Site, SiteId, TrackedNumber};
use crate::enrich::channel::ChannelRule;

const SELECT_SITE: &str = "SELECT site_id, site_key, name, domains, template, wa_app_secret, \
    wa_verify_token_hash, channel_rules, twilio_auth_token, twilio_webhook_url, telegram_bot, \
    telegram_secret_hash, bots, pages FROM sites";

const INSERT_NUMBER: &str =
    "INSERT INTO tracked_numbers (site_id, number, wa_phone_number_id) VALUES ($1, $2, $3)";

/// A `sites` row before its numbers are attached (no `Debug`: it holds provider secrets in
/// clear until they become [`Secret`]s).
#[derive(sqlx::FromRow)]
struct SiteRow {
    site_id: Uuid,
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
    fn into_site(self, numbers: Vec<(String, Option<String>)>) -> Site {
        let channel_rules = parse_rules(&self.site_key, &self.channel_rules);
        Site {
            id: SiteId(self.site_id),
            key: self.site_key,
            name: self.name,
            domains: serde_json::from_str(&self.domains).unwrap_or_default(),
            template: self.template,
            numbers: numbers
                .into_iter()
                .map(|(number, wa_phone_number_id)| TrackedNumber {
                    number,
                    wa_phone_number_id,
                })
                .collect(),
            channel_rules,
            bots: serde_json::from_str(&self.bots).unwrap_or_default(),
            pages: serde_json::from_str(&self.pages).unwrap_or_default(),
            wa_app_secret: self.wa_app_secret.map(Secret::from),
            wa_verify_token_hash: self.wa_verify_token_hash,
            providers: ProviderSettings {
                twilio_auth_token: self.twilio_auth_token.map(Secret::from),
                twilio_webhook_url: self.twilio_webhook_url,
                telegram_bot: self.telegram_bot,
                telegram_secret_hash: self.telegram_secret_hash,
            },
        }
    }
}

/// A site's stored channel rules; rules stored by a later version that this one cannot read
/// are skipped with a warning rather than making the site unusable.
fn parse_rules(site_key: &str, json: &str) -> Vec<ChannelRule> {
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

/// A list setting as stored: JSON text.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Registers a site with its tracked numbers.
pub async fn create(db: &Db, s: &NewSite) -> Result<Site, StoreError> {
    let site_id = Uuid::now_v7();
    let p = &s.providers;
    let mut tx = db.begin().await?;
    tx.execute(
        "INSERT INTO sites (site_id, site_key, name, domains, template, wa_app_secret, \
         wa_verify_token_hash, created_at, channel_rules, twilio_auth_token, \
         twilio_webhook_url, telegram_bot, telegram_secret_hash, bots, pages) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        args![
            site_id,
            &s.key,
            &s.name,
            json(&s.domains),
            &s.template,
            s.wa_app_secret.as_ref().map(Secret::expose),
            &s.wa_verify_token_hash,
            now_ms(),
            json(&s.channel_rules),
            p.twilio_auth_token.as_ref().map(Secret::expose),
            &p.twilio_webhook_url,
            &p.telegram_bot,
            &p.telegram_secret_hash,
            json(&s.bots),
            json(&s.pages),
        ],
    )
    .await
    .map_err(StoreError::conflict("site key"))?;
    insert_numbers(&mut tx, site_id, &s.numbers).await?;
    tx.commit().await?;
    Ok(Site {
        id: SiteId(site_id),
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

async fn insert_numbers(
    tx: &mut Conn,
    site_id: Uuid,
    numbers: &[TrackedNumber],
) -> Result<(), StoreError> {
    for n in numbers {
        tx.execute(
            INSERT_NUMBER,
            args![site_id, &n.number, &n.wa_phone_number_id],
        )
        .await
        .map_err(StoreError::conflict(
            "tracked number or phone number id (each belongs to one site)",
        ))?;
    }
    Ok(())
}

/// Replaces a site's settings; its key and provider secrets stay. `false` if there is no
/// such site.
pub async fn update(db: &Db, site_id: SiteId, s: &NewSite) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let updated = tx
        .execute(
            "UPDATE sites SET name = $2, domains = $3, template = $4, \
             channel_rules = $5, bots = $6, pages = $7 WHERE site_id = $1",
            args![
                site_id.0,
                &s.name,
                json(&s.domains),
                &s.template,
                json(&s.channel_rules),
                json(&s.bots),
                json(&s.pages),
            ],
        )
        .await?;
    if updated == 0 {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM tracked_numbers WHERE site_id = $1",
        args![site_id.0],
    )
    .await?;
    insert_numbers(&mut tx, site_id.0, &s.numbers).await?;
    tx.commit().await?;
    Ok(true)
}

/// The site whose `column` (named by our code, never by input) equals `value`.
pub async fn by(db: &Db, column: &'static str, value: Arg<'_>) -> Result<Option<Site>, StoreError> {
    let mut conn = db.read().await?;
    let sql = format!("{SELECT_SITE} WHERE {column} = $1");
    let row: Option<SiteRow> = conn.fetch_optional(&sql, vec![value]).await?;
    match row {
        Some(row) => Ok(Some(with_numbers(&mut conn, row).await?)),
        None => Ok(None),
    }
}

/// Every site whose `column` (a provider secret, named by our code) is set, oldest first;
/// remembered until sites change.
pub async fn with_secret(db: &Db, column: &'static str) -> Result<Arc<Vec<Site>>, StoreError> {
    let all = db.remembered(column, || async {
        Ok::<_, StoreError>(Some(with_secret_read(db, column).await?))
    });
    Ok(all.await?.unwrap_or_default())
}

async fn with_secret_read(db: &Db, column: &'static str) -> Result<Vec<Site>, StoreError> {
    let mut conn = db.read().await?;
    let sql = format!("{SELECT_SITE} WHERE {column} IS NOT NULL ORDER BY created_at");
    let rows: Vec<SiteRow> = conn.fetch_all(&sql, args![]).await?;
    let mut sites = Vec::with_capacity(rows.len());
    for row in rows {
        sites.push(with_numbers(&mut conn, row).await?);
    }
    Ok(sites)
}

async fn with_numbers(conn: &mut Conn, row: SiteRow) -> Result<Site, StoreError> {
    let numbers: Vec<(String, Option<String>)> = conn
        .fetch_all(
            "SELECT number, wa_phone_number_id FROM tracked_numbers \
             WHERE site_id = $1 ORDER BY number",
            args![row.site_id],
        )
        .await?;
    Ok(row.into_site(numbers))
}
