//! Beacons from the snippet: `text/plain` JSON (no CORS preflight), validated, then queued.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::{ClickBeacon, VisitBeacon, MAX_BEACON_BYTES};
use serde::de::DeserializeOwned;

use crate::domain::now_ms;
use crate::domain::site::Site;
use crate::domain::visit::{Click, Visit};
use crate::error::{read_body, ApiError};
use crate::state::AppState;
use crate::storage::IngestEvent;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(visit).service(click);
}

/// Reads a beacon and the site it names.
async fn beacon<T: DeserializeOwned>(
    state: &AppState,
    payload: web::Payload,
    site_key: impl Fn(&T) -> &str,
) -> Result<(T, Site), ApiError> {
    let body = read_body(payload, MAX_BEACON_BYTES).await?;
    let beacon: T = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid beacon JSON: {e}")))?;
    let site = state
        .store
        .site_by_key(site_key(&beacon))
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    Ok((beacon, site))
}

fn enqueue(state: &AppState, event: IngestEvent) -> Result<HttpResponse, ApiError> {
    state
        .queue
        .push(event)
        .map_err(|_| ApiError::Unavailable("ingest queue is full, retry later"))?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(serde_json::json!({ "status": "accepted" })))
}

#[post("/collect/visit")]
async fn visit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (b, site) = beacon::<VisitBeacon>(&state, payload, |b| &b.site).await?;
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let visit =
        Visit::parse(&site, b, ua, now_ms()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    enqueue(&state, IngestEvent::Visit(Box::new(visit)))
}

#[post("/collect/click")]
async fn click(
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (b, site) = beacon::<ClickBeacon>(&state, payload, |b| &b.site).await?;
    let click =
        Click::parse(&site, b, now_ms()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    enqueue(&state, IngestEvent::Click(Box::new(click)))
}
