//! `GET /health`: liveness plus the ingest counters.

use std::sync::atomic::Ordering;

use actix_web::{get, web, HttpResponse};

use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health);
}

#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "Alive, with counters", body = crate::routes::schemas::Health))
)]
#[get("/health")]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let s = state.queue.stats();
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "snippet": state.snippet.is_some(),
        "ingest": {
            "accepted": s.accepted.load(Ordering::Relaxed),
            "rejected_queue_full": s.rejected_queue_full.load(Ordering::Relaxed),
            "written": s.written.load(Ordering::Relaxed),
            "failed": s.failed.load(Ordering::Relaxed),
            "batches": s.batches.load(Ordering::Relaxed),
        },
        "dropped": state.filtered.to_json(),
        "geoip": state.geo.is_enabled(),
    }))
}
