//! `GET /health`: whether the collector can store what it is sent, plus the ingest counters.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};

use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health);
}

#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "Alive and the database answers, with counters", body = crate::routes::schemas::Health),
        (status = 503, description = "Degraded: the database does not answer within a second; beacons and webhooks are answered 503 meanwhile", body = crate::routes::schemas::Health),
    )
)]
#[get("/health")]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let storage = match state.store.ping(Duration::from_secs(1)).await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "health: the database does not answer");
            "unavailable".to_owned()
        }
    };
    let mut answer = if storage == "ok" {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    answer.json(serde_json::json!({
        "status": if storage == "ok" { "ok" } else { "degraded" },
        "storage": storage,
        "snippet": state.snippet.is_some(),
        "ingest": state.queue.stats(),
        "inbound": state.inbound.stats(),
        "dropped": state.filtered.to_json(),
        "geoip": state.geo.is_enabled(),
    }))
}
