//! The token-protected JSON API under `/api/v1`.

pub mod dialogs;
pub mod me;
pub mod messages;
pub mod openapi;
pub mod reports;
pub mod site;
pub mod tags;
pub mod tokens;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(openapi::configure)
            .configure(dialogs::configure)
            .configure(tags::configure)
            .configure(messages::configure)
            .configure(reports::configure)
            .configure(me::configure)
            .configure(site::configure)
            .configure(tokens::configure),
    );
}
