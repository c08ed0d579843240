//! The token-protected JSON API under `/api/v1`.

pub mod dialogs;
pub mod messages;
pub mod openapi;
pub mod reports;
pub mod tags;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(openapi::configure)
            .configure(dialogs::configure)
            .configure(tags::configure)
            .configure(messages::configure)
            .configure(reports::configure),
    );
}
