//! The token-protected JSON API under `/api/v1`.

pub mod dialogs;
pub mod reports;

use actix_web::web;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(dialogs::configure)
            .configure(reports::configure),
    );
}
