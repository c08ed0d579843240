//! `POST /webhooks/telegram/{site_key}`: Telegram Bot API updates of a site's bot.
//!
//! The site comes from the path, set with `setWebhook(url=…/webhooks/telegram/<site key>,
//! secret_token=…)`; every request must carry that secret in `X-Telegram-Bot-Api-Secret-Token`
//! (compared in constant time, as SHA-256 hashes). Updates are deduplicated on `update_id`
//! per bot, and stored before the 200.

use actix_web::{post, web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;

use super::{store_events, Report};
use crate::domain::inbound::InboundEvent;
use crate::domain::secret::sha256_hex;
use crate::error::{read_body, ApiError};
use crate::providers::telegram::Update;
use crate::state::AppState;

/// Telegram updates are small; a message is at most 4,096 characters.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(notify);
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "telegram_notify",
    params(("site_key" = String, Path, description = "Site key, as given to `setWebhook`")),
    request_body(content = Object, description = "Telegram Bot API update"),
    security(("telegram_secret" = [])),
    responses(
        (status = 200, description = "Stored before the answer", body = super::Report),
        (status = 400, description = "Malformed update"),
        (status = 401, description = "Missing or wrong secret token"),
        (status = 404, description = "No such site, or it has no Telegram bot"),
        (status = 413, description = "Body over 1 MiB"),
    )
)]
#[post("/webhooks/telegram/{site_key}")]
async fn notify(
    req: HttpRequest,
    site_key: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let secret = req
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    let report = receive(&state, &site_key, &body, secret).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Verifies and stores one update for the site `site_key`.
pub async fn receive(
    state: &AppState,
    site_key: &str,
    body: &[u8],
    secret: Option<&str>,
) -> Result<Report, ApiError> {
    let site = state
        .store
        .site_by_key(site_key)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let (Some(bot), Some(hash)) = (
        site.providers.telegram_bot.as_deref(),
        site.providers.telegram_secret_hash.as_deref(),
    ) else {
        return Err(ApiError::NotFound("Telegram bot of this site"));
    };
    let secret = secret.ok_or(ApiError::Unauthorized(
        "missing header X-Telegram-Bot-Api-Secret-Token",
    ))?;
    if !bool::from(sha256_hex(secret).as_bytes().ct_eq(hash.as_bytes())) {
        return Err(ApiError::Unauthorized(
            "X-Telegram-Bot-Api-Secret-Token does not match",
        ));
    }
    let update: Update = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid Telegram update: {e}")))?;
    let mut report = Report::default();
    match update.message(site.id, bot)? {
        Some(message) => {
            let events = [InboundEvent::Message(Box::new(message))];
            store_events(state, &events, &mut report).await?;
        }
        None => report.skipped += 1,
    }
    Ok(report)
}
