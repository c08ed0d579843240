//! `POST /webhooks/twilio`: Twilio WhatsApp (and SMS) messages and status callbacks.
//!
//! The signature is checked against every site with a Twilio auth token, over the URL Twilio
//! called as configured (the site's `--twilio-webhook-url`, else `CHATRAIL_PUBLIC_URL` + this
//! request's path and query); only sites whose token signed may receive, and the `To` number
//! (`From` for status callbacks) picks the site. The answer is empty TwiML, sent after the
//! message is stored.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::{store_events, Report};
use crate::domain::inbound::InboundEvent;
use crate::domain::now_ms;
use crate::domain::secret::Secret;
use crate::domain::site::Site;
use crate::error::{read_body, ApiError};
use crate::providers::twilio::{self, Form};
use crate::state::AppState;

/// Twilio's requests are small forms; a MMS with many media URLs stays far below this.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The TwiML that tells Twilio to do nothing more.
const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(notify);
}

#[utoipa::path(
    tag = "webhooks",
    operation_id = "twilio_notify",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "Twilio message or status callback"),
    security(("twilio_signature" = [])),
    responses(
        (status = 200, description = "Stored; empty TwiML", body = String, content_type = "text/xml"),
        (status = 400, description = "`To` (or `From`) missing, or a bad field"),
        (status = 401, description = "Missing signature, or no site's auth token signed the request"),
        (status = 413, description = "Body over 256 KiB"),
    )
)]
#[post("/webhooks/twilio")]
async fn notify(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let signature = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized(
            "missing signature header X-Twilio-Signature",
        ))?;
    let path = req.uri().path_and_query().map_or("", |p| p.as_str());
    let report = receive(&state, &body, signature, path).await?;
    tracing::debug!(?report, "twilio delivery");
    Ok(HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(EMPTY_TWIML))
}

/// Verifies and stores one Twilio request whose path and query were `path`.
pub async fn receive(
    state: &AppState,
    body: &[u8],
    signature: &str,
    path: &str,
) -> Result<Report, ApiError> {
    let form = Form::parse(body);
    let url_of = |site: &Site| {
        site.providers.twilio_webhook_url.clone().or_else(|| {
            state
                .public_url
                .as_ref()
                .map(|base| format!("{base}{path}"))
        })
    };
    let all = state.store.twilio_sites().await?;
    if !all.is_empty() && all.iter().all(|s| url_of(s).is_none()) {
        tracing::error!(
            "Twilio webhooks cannot be verified: set CHATRAIL_PUBLIC_URL or the site's \
             --twilio-webhook-url to the URL configured in Twilio"
        );
    }
    let sites: Vec<Site> = all
        .iter()
        .filter(|site| {
            let token = site
                .providers
                .twilio_auth_token
                .as_ref()
                .map(Secret::expose);
            match (token, url_of(site)) {
                (Some(token), Some(url)) => twilio::verify(token, &url, &form, signature),
                _ => false,
            }
        })
        .cloned()
        .collect();
    if sites.is_empty() {
        return Err(ApiError::Unauthorized(
            "X-Twilio-Signature does not match the request for the configured public URL",
        ));
    }
    let number = form
        .business_number()
        .ok_or_else(|| ApiError::bad_request("To (From for status callbacks) is missing"))?;
    let mut report = Report::default();
    let Some((site, number)) = sites
        .iter()
        .find_map(|s| s.tracked_digits(number).map(|n| (s, n)))
    else {
        tracing::warn!(%number, "twilio request skipped: number not tracked by a signing site");
        report.skipped += 1;
        return Ok(report);
    };
    let now = now_ms();
    let event = if form.is_status_callback() {
        twilio::status(&form, site.id, now)?.map(InboundEvent::Status)
    } else {
        Some(InboundEvent::Message(Box::new(twilio::message(
            &form, site.id, number, now,
        )?)))
    };
    store_events(state, event.as_slice(), &mut report).await?;
    Ok(report)
}
