//! The token-protected JSON API under `/api/v1`.

pub mod dialogs;
pub mod me;
pub mod messages;
pub mod openapi;
pub mod reports;
pub mod site;
pub mod tags;
pub mod tokens;

use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::web;

/// Registers the routes. Every answer, errors included, tells browsers not to guess its
/// type and proxies not to keep it: it holds a site's chats and contacts. Answers are
/// compressed as they are sent when the client accepts it (brotli, gzip): JSON shrinks
/// several-fold (the OpenAPI description, 100 KB, to 13 KB with brotli).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let headers = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Cache-Control", "no-store"));
    cfg.service(
        web::scope("/api/v1")
            .wrap(headers)
            .wrap(Compress::default())
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
