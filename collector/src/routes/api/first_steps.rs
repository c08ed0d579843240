//! `GET /api/v1/site/first-steps`: what a fresh site has seen yet, for the dashboard's
//! getting-started checklist: the script tag's newest visit, the newest chat-link click,
//! each provider's webhook (set up? newest message) and whether a dialog exists. Any valid
//! token; only its own site's rows are read.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::auth::Authenticated;
use crate::domain::provider::Provider;
use crate::domain::rfc3339_ms;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(first_steps);
}

/// What a fresh site has seen yet. Times are RFC 3339, `null` when it has not happened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirstStepsView {
    /// The newest visit the script tag sent (a session's start).
    #[schema(format = DateTime)]
    pub visit_at: Option<String>,
    /// The newest click on a tracked chat link.
    #[schema(format = DateTime)]
    pub click_at: Option<String>,
    /// Every provider: whether its webhook is set up and its newest message.
    pub webhooks: Vec<WebhookStep>,
    /// The newest dialog's start; once there is one, the checklist is done.
    #[schema(format = DateTime)]
    pub dialog_at: Option<String>,
}

/// One provider's webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookStep {
    /// `whatsapp`, `twilio`, `telegram` or `api` (`POST /api/v1/messages`).
    pub provider: String,
    /// Whether the site has what the webhook needs (the app secret, the auth token, the
    /// bot); the generic API needs only a token.
    pub configured: bool,
    /// The newest message it brought.
    #[schema(format = DateTime)]
    pub message_at: Option<String>,
}

/// What the site has seen yet. Any valid token.
#[utoipa::path(
    tag = "site",
    security(("token" = [])),
    responses((status = 200, description = "The site's first steps", body = FirstStepsView))
)]
#[get("/site/first-steps")]
async fn first_steps(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, _) = super::site::load(&state, &auth).await?;
    let steps = state.store.first_steps(site.id).await?;
    let time = |at: Option<i64>| at.map(rfc3339_ms);
    let webhooks = steps
        .messages_at
        .iter()
        .map(|(provider, at)| WebhookStep {
            provider: provider.as_str().to_owned(),
            configured: match provider {
                Provider::WhatsApp => site.wa_app_secret.is_some(),
                Provider::Twilio => site.providers.twilio_auth_token.is_some(),
                Provider::Telegram => {
                    site.providers.telegram_bot.is_some()
                        && site.providers.telegram_secret_hash.is_some()
                }
                Provider::Generic => true,
            },
            message_at: time(*at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(FirstStepsView {
        visit_at: time(steps.visit_at),
        click_at: time(steps.click_at),
        webhooks,
        dialog_at: time(steps.dialog_at),
    }))
}
