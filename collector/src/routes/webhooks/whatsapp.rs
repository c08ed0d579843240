//! `GET/POST /webhooks/whatsapp`: Meta's verification handshake and message notifications.
//!
//! The signature is checked over the raw body before anything is parsed; each message is
//! committed before the 200 is sent, so an acknowledged message is never lost, and a
//! redelivery (Meta retries for up to 7 days) finds its id already stored. Messages (with
//! their ad referrals), statuses and `system` identity changes of every entry and change are
//! handled; the receiving number picks the site.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{store_events, Report};
use crate::domain::secret::{sha256_hex, Secret};
use crate::domain::site::Site;
use crate::error::{read_body, ApiError};
use crate::providers::signature::verify_hub_signature;
use crate::providers::whatsapp::{events, Envelope};
use crate::state::AppState;

/// Meta documents payloads of up to 3 MB.
pub const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(verify).service(notify);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Handshake {
    /// `subscribe`.
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    /// The site's verify token.
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    /// Echoed back.
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "whatsapp_verify",
    params(Handshake),
    responses(
        (status = 200, description = "`hub.challenge`, echoed", body = String, content_type = "text/plain"),
        (status = 400, description = "Not a subscribe handshake"),
        (status = 403, description = "`hub.verify_token` matches no site"),
    )
)]
#[get("/webhooks/whatsapp")]
async fn verify(
    query: web::Query<Handshake>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    if q.mode.as_deref() != Some("subscribe") {
        return Err(ApiError::bad_request("hub.mode must be 'subscribe'"));
    }
    let challenge = q
        .challenge
        .ok_or_else(|| ApiError::bad_request("hub.challenge is missing"))?;
    let token = q
        .verify_token
        .ok_or(ApiError::Forbidden("hub.verify_token is missing"))?;
    let presented = sha256_hex(&token);
    let sites = state.store.whatsapp_sites().await?;
    let known = sites.iter().any(|s| {
        s.wa_verify_token_hash
            .as_deref()
            .is_some_and(|h| bool::from(h.as_bytes().ct_eq(presented.as_bytes())))
    });
    if !known {
        return Err(ApiError::Forbidden("hub.verify_token does not match"));
    }
    // hub.challenge is opaque: echo it back exactly.
    Ok(HttpResponse::Ok()
        .content_type("text/plain")
        .body(challenge))
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "whatsapp_notify",
    request_body(content = Object, description = "WhatsApp Cloud API notification"),
    security(("whatsapp_signature" = [])),
    responses(
        (status = 200, description = "Stored before the answer", body = super::Report),
        (status = 400, description = "Malformed notification"),
        (status = 401, description = "Missing signature, or no site's app secret signed the body"),
        (status = 413, description = "Body over 4 MiB"),
    )
)]
#[post("/webhooks/whatsapp")]
async fn notify(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_WEBHOOK_BYTES).await?;
    let signature = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let report = receive(&state, &body, signature).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Verifies and stores one Cloud API delivery.
pub async fn receive(
    state: &AppState,
    body: &[u8],
    signature: Option<&str>,
) -> Result<Report, ApiError> {
    let signature = signature.ok_or(ApiError::Unauthorized(
        "missing signature header X-Hub-Signature-256",
    ))?;
    // A Meta app may serve several sites; only sites whose secret signed this body may
    // receive its messages, so one site's secret can never inject into another site.
    let sites: Vec<Site> = state
        .store
        .whatsapp_sites()
        .await?
        .iter()
        .filter(|s| {
            s.wa_app_secret
                .as_ref()
                .map(Secret::expose)
                .is_some_and(|secret| verify_hub_signature(secret.as_bytes(), body, signature))
        })
        .cloned()
        .collect();
    if sites.is_empty() {
        return Err(ApiError::Unauthorized(
            "X-Hub-Signature-256 signature does not match the body",
        ));
    }
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid webhook JSON: {e}")))?;
    let delivery = events(&envelope, &sites)?;
    let mut report = Report {
        skipped: delivery.skipped,
        ..Report::default()
    };
    store_events(state, &delivery.events, &mut report).await?;
    Ok(report)
}
