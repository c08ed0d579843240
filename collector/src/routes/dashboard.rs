//! The web dashboard under `/dashboard`: static files compiled into the binary (no CDN, no
//! build step), a client of the token API. A strict Content-Security-Policy allows only
//! these files, so even text that slipped past the pages' escaping could not run script.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use crate::error::ApiError;

/// The files, by name: `(name, content type, body)`.
const FILES: &[(&str, &str, &str)] = &[
    ("app.js", JS, include_str!("../../dashboard/app.js")),
    ("api.js", JS, include_str!("../../dashboard/api.js")),
    ("dom.js", JS, include_str!("../../dashboard/dom.js")),
    ("format.js", JS, include_str!("../../dashboard/format.js")),
    ("dialogs.js", JS, include_str!("../../dashboard/dialogs.js")),
    ("card.js", JS, include_str!("../../dashboard/card.js")),
    ("reports.js", JS, include_str!("../../dashboard/reports.js")),
    ("chart.js", JS, include_str!("../../dashboard/chart.js")),
    (
        "settings.js",
        JS,
        include_str!("../../dashboard/settings.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../dashboard/app.css"),
    ),
];
const JS: &str = "text/javascript; charset=utf-8";
const INDEX: &str = include_str!("../../dashboard/index.html");

/// Same-origin only: scripts and styles from these files, data from the API.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(root).service(index).service(file);
}

fn respond(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Small files that change with the binary: revalidate rather than go stale.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

#[get("/")]
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/dashboard/"))
        .finish()
}

#[get("/dashboard{slash:/?}")]
async fn index() -> HttpResponse {
    respond("text/html; charset=utf-8", INDEX)
}

#[get("/dashboard/{name}")]
async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    FILES
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .map(|(_, content_type, body)| respond(content_type, body))
        .ok_or(ApiError::NotFound("dashboard file"))
}
