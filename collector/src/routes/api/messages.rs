//! `POST /api/v1/messages`: inbound messages from any other platform, in the generic JSON
//! format of [`GenericMessage`], for the token's site. Stored (and matched) before the answer.

use actix_web::{post, web, HttpResponse};

use crate::auth::Authenticated;
use crate::domain::inbound::InboundEvent;
use crate::domain::now_ms;
use crate::error::{parse_json, read_body, ApiError};
use crate::providers::generic::GenericMessage;
use crate::routes::webhooks::{store_events, Report};
use crate::state::AppState;

/// A message is at most 16 KiB of text plus a few short fields and a referral.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(post_message);
}

#[utoipa::path(
    tag = "messages",
    request_body = GenericMessage,
    security(("token" = [])),
    responses(
        (status = 200, description = "Stored and matched, or a duplicate", body = crate::routes::schemas::MessageAnswer),
        (status = 400, description = "Invalid JSON or field, named in the error"),
        (status = 403, description = "The role cannot post messages"),
        (status = 413, description = "Body over 64 KiB"),
    )
)]
#[post("/messages")]
async fn post_message(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !auth.0.role.can_post_messages() {
        return Err(ApiError::Forbidden(
            "this token's role cannot post messages",
        ));
    }
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let message: GenericMessage = parse_json(&body, "message")?;
    let site = state
        .store
        .site_by_id(auth.0.site_id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let inbound = message.into_inbound(&site, now_ms())?;
    let mut report = Report::default();
    store_events(
        &state,
        &[InboundEvent::Message(Box::new(inbound))],
        &mut report,
    )
    .await?;
    let answer = match report.dialogs.first() {
        Some(dialog_id) => serde_json::json!({"status": "stored", "dialog_id": dialog_id}),
        None => serde_json::json!({"status": "duplicate"}),
    };
    Ok(HttpResponse::Ok().json(answer))
}
