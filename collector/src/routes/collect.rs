//! Beacons from the snippet: `text/plain` JSON (no CORS preflight), validated, then stored;
//! the 202 is sent once the beacon is committed.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::{ClickBeacon, VisitBeacon, MAX_BEACON_BYTES};
use serde::de::DeserializeOwned;

use crate::domain::now_ms;
use crate::domain::site::Site;
use crate::domain::visit::{Click, Sender, Visit};
use crate::enrich::filter::{self, Dropped};
use crate::error::{parse_json, read_body, ApiError};
use crate::routes::readable;
use crate::state::AppState;
use crate::storage::IngestEvent;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(visit).service(click);
}

/// Reads a beacon and the site it names, and takes it from the client's and the site's
/// rate limits; the client's address comes along (for the region lookup). A beacon sent
/// from a page off the site comes back as the reason it is dropped.
async fn beacon<T: DeserializeOwned>(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    site_key: impl Fn(&T) -> &str,
) -> Result<Result<(T, Arc<Site>, Option<IpAddr>), Dropped>, ApiError> {
    let body = read_body(payload, MAX_BEACON_BYTES).await?;
    let beacon: T = parse_json(&body, "beacon")?;
    let site = state
        .store
        .site_by_key(site_key(&beacon))
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let peer = req.peer_addr().map(|a| a.ip());
    let client = state.proxies.client_ip(peer, req.headers());
    state.limits.take(client, site.id)?;
    let origin = req.headers().get(header::ORIGIN).map(|v| v.as_bytes());
    if let Some(why) = filter::screen_origin(&site.domains, origin) {
        return Ok(Err(why));
    }
    Ok(Ok((beacon, site, client)))
}

/// Stores the event and answers 202 once it is committed.
async fn store(state: &AppState, event: IngestEvent) -> Result<HttpResponse, ApiError> {
    state
        .queue
        .store(vec![event])
        .await
        .map_err(|e| ApiError::Unavailable(e.message()))?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "status": "accepted" })))
}

/// The answer to a beacon dropped as a robot or spam: accepted, like any other, so the sender
/// learns nothing from it, but named for whoever debugs a tracker.
fn dropped(state: &AppState, why: Dropped) -> HttpResponse {
    state.filtered.count(why);
    HttpResponse::Accepted()
        .json(serde_json::json!({ "status": "dropped", "reason": why.as_str() }))
}

fn user_agent(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[utoipa::path(
    operation_id = "collect_visit",
    tag = "tracker",
    request_body(content = VisitBeacon, content_type = "text/plain", description = "A page view of a session, as JSON sent as text/plain so browsers skip the CORS preflight; at most 8 KiB"),
    responses(
        (status = 202, description = "Stored (committed), or dropped as a robot, spam, or sent from a page off the site's domains", body = crate::routes::schemas::BeaconAnswer),
        (status = 400, description = "Invalid beacon"),
        (status = 404, description = "No such site"),
        (status = 413, description = "Body too large"),
        (status = 429, description = "Past the client's or the site's rate limit; `Retry-After` says when to send again"),
        (status = 503, description = "Not stored (the ingest queue is full, or the database is unavailable); retry later"),
    )
)]
#[post("/collect/visit")]
async fn visit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    readable(take_visit(&req, payload, &state).await)
}

async fn take_visit(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let (b, site, ip) = match beacon::<VisitBeacon>(req, state, payload, |b| &b.site).await? {
        Ok(beacon) => beacon,
        Err(why) => return Ok(dropped(state, why)),
    };
    // The address is used for the region lookup and then forgotten: only the region is kept.
    let sender = Sender {
        user_agent: user_agent(req),
        ip,
        geo: &state.geo,
    };
    let mut view = Visit::parse(&site, b, sender, now_ms())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(why) = view.dropped() {
        return Ok(dropped(state, why));
    }
    view.client = state
        .clients
        .of(&*state.store, site.id, ip, sender.user_agent, view.at_ms)
        .await;
    store(state, IngestEvent::Visit(Box::new(view))).await
}

#[utoipa::path(
    operation_id = "collect_click",
    tag = "tracker",
    request_body(content = ClickBeacon, content_type = "text/plain", description = "A click on a chat link, as JSON sent as text/plain so browsers skip the CORS preflight; at most 8 KiB"),
    responses(
        (status = 202, description = "Stored (committed), or dropped as a robot, spam, or sent from a page off the site's domains", body = crate::routes::schemas::BeaconAnswer),
        (status = 400, description = "Invalid beacon"),
        (status = 404, description = "No such site"),
        (status = 413, description = "Body too large"),
        (status = 429, description = "Past the client's or the site's rate limit; `Retry-After` says when to send again"),
        (status = 503, description = "Not stored (the ingest queue is full, or the database is unavailable); retry later"),
    )
)]
#[post("/collect/click")]
async fn click(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    readable(take_click(&req, payload, &state).await)
}

async fn take_click(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let (b, site, ip) = match beacon::<ClickBeacon>(req, state, payload, |b| &b.site).await? {
        Ok(beacon) => beacon,
        Err(why) => return Ok(dropped(state, why)),
    };
    let mut chat =
        Click::parse(&site, b, now_ms()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(why) = filter::screen_click(user_agent(req)) {
        return Ok(dropped(state, why));
    }
    chat.client = state
        .clients
        .of(&*state.store, site.id, ip, user_agent(req), chat.at_ms)
        .await;
    store(state, IngestEvent::Click(Box::new(chat))).await
}
