//! HTTP routes, one module per route family.

pub mod api;
pub mod collect;
pub mod dashboard;
pub mod demo;
pub mod go;
pub mod health;
pub mod tracker;
pub mod webhooks;

use actix_web::web;

use crate::error::ApiError;

/// Registers every production route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    tracker::configure(cfg);
    collect::configure(cfg);
    go::configure(cfg);
    webhooks::configure(cfg);
    api::configure(cfg);
    dashboard::configure(cfg);
}

/// The JSON 404 for unknown paths.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}
