//! Inbound webhooks of messaging providers.

pub mod whatsapp;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    whatsapp::configure(cfg);
}
