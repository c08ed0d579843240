//! The JSON API under `/api/v1`, protected by an API token or an account's session cookie.

pub mod conversions;
pub mod costs;
pub mod dialogs;
pub mod first_steps;
pub mod live;
pub mod me;
pub mod members;
pub mod messages;
pub mod openapi;
pub mod outcomes;
pub mod privacy;
pub mod reports;
pub mod session;
pub mod site;
pub mod tags;
pub mod tokens;

use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::web;

use crate::error::ApiError;

/// Registers the routes. Every answer, errors included, tells browsers not to guess its
/// type and proxies not to keep it: it holds a site's chats and contacts. Answers are
/// compressed as they are sent when the client accepts it (brotli, gzip): JSON shrinks
/// several-fold (the OpenAPI description, 150 KB, to 19 KB with brotli).
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
            .configure(outcomes::configure)
            .configure(messages::configure)
            .configure(reports::configure)
            .configure(costs::configure)
            .configure(conversions::configure)
            .configure(me::configure)
            .configure(site::configure)
            .configure(first_steps::configure)
            .configure(live::configure)
            .configure(privacy::configure)
            .configure(tokens::configure)
            .configure(session::configure)
            .configure(members::configure),
    );
}

/// Whether a request asks for CSV: `format=csv` (or `json`; empty is the default), else an
/// `Accept` header naming `text/csv`.
pub(crate) fn wants_csv(
    req: &actix_web::HttpRequest,
    format: Option<&str>,
) -> Result<bool, ApiError> {
    match format.unwrap_or_default() {
        "csv" => return Ok(true),
        "json" => return Ok(false),
        "" => {}
        other => {
            return Err(ApiError::bad_request(format!(
                "format must be json or csv, got {other:?}"
            )))
        }
    }
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(accept.contains("text/csv"))
}

/// `table` as a CSV download named `file`.
pub(crate) fn csv_attachment(
    table: &crate::reports::Table,
    file: &str,
) -> Result<actix_web::HttpResponse, ApiError> {
    let body = table.to_csv().map_err(|e| ApiError::Internal(e.into()))?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(body))
}
