//! `GET/POST /webhooks/whatsapp`: Meta's verification handshake and message notifications.
//!
//! The signature is checked over the raw body before anything is parsed; each message is
//! committed before the 200 is sent, so an acknowledged message is never lost, and a
//! redelivery (Meta retries for up to 7 days) finds its id already stored.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::domain::inbound::InboundMessage;
use crate::domain::now_ms;
use crate::domain::site::Site;
use crate::domain::token::sha256_hex;
use crate::error::{read_body, ApiError};
use crate::providers::signature::verify_hub_signature;
use crate::providers::whatsapp::Envelope;
use crate::state::AppState;
use crate::storage::IngestOutcome;

/// Meta documents payloads of up to 3 MB.
const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(verify).service(notify);
}

#[derive(Debug, Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

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

/// What one delivery did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// Messages stored now.
    pub stored: usize,
    /// Messages stored before (redeliveries).
    pub duplicates: usize,
    /// Messages to numbers no verified site tracks, or without a sender.
    pub skipped: usize,
    /// Dialogs of the stored messages, in order.
    pub dialogs: Vec<uuid::Uuid>,
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
        .into_iter()
        .filter(|s| {
            s.wa_app_secret
                .as_deref()
                .is_some_and(|secret| verify_hub_signature(secret.as_bytes(), body, signature))
        })
        .collect();
    if sites.is_empty() {
        return Err(ApiError::Unauthorized(
            "X-Hub-Signature-256 signature does not match the body",
        ));
    }
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid webhook JSON: {e}")))?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ApiError::bad_request(
            "object must be 'whatsapp_business_account'",
        ));
    }
    let mut report = Report::default();
    for change in envelope.entry.iter().flat_map(|e| &e.changes) {
        let Some(value) = change.value.as_ref().filter(|_| change.field == "messages") else {
            continue;
        };
        let receiver = value.metadata.as_ref().and_then(|m| {
            sites.iter().find_map(|site| {
                let number = site.tracked_number(&m.phone_number_id, &m.display_phone_number)?;
                Some((site, number.to_owned()))
            })
        });
        for message in &value.messages {
            let (Some((site, number)), Some(sender)) = (&receiver, message.sender(&value.contacts))
            else {
                tracing::warn!(id = %message.id, "message skipped: untracked number or no sender");
                report.skipped += 1;
                continue;
            };
            let inbound = InboundMessage {
                site_id: site.id,
                provider: "whatsapp",
                provider_message_id: message.id.clone(),
                business_number: number.clone(),
                contact: sender,
                message_type: message.kind.clone(),
                text: message.text(),
                sent_at_ms: message.sent_at_ms().unwrap_or_else(now_ms),
            };
            match state.store.ingest_message(&inbound, &state.policy).await? {
                IngestOutcome::Duplicate => report.duplicates += 1,
                IngestOutcome::Stored { dialog_id, .. } => {
                    report.stored += 1;
                    report.dialogs.push(dialog_id);
                }
            }
        }
    }
    Ok(report)
}
