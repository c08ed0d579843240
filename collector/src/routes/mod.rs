//! HTTP routes, one module per route family.

pub mod api;
pub mod collect;
pub mod dashboard;
pub mod demo;
pub mod go;
pub mod health;
pub mod metrics;
pub mod schemas;
pub mod tracker;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::routes::api::openapi::ApiDoc;

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
    metrics::configure(cfg);
}

/// Longest request path taken, in bytes as sent (percent-encoded): far above any route's
/// (a `/go` link's, a dialog's tag), far below what would cost anything to look at.
pub const MAX_PATH_BYTES: usize = 2048;
/// Longest query string taken, in bytes as sent: a `/go` link's UTM tags and click ids, or
/// a report's filters, are a few hundred; a `/go` text longer than the 1,000 characters it
/// is cut to (6 bytes each, percent-encoded Cyrillic) is still cut, not refused.
pub const MAX_QUERY_BYTES: usize = 32 * 1024;
/// Largest body any route takes (a Cloud API delivery); each route has its own, smaller or
/// equal limit ([`body_limit`]), checked as it reads.
pub const MAX_BODY_BYTES: usize = webhooks::whatsapp::MAX_WEBHOOK_BYTES;

/// The most body bytes the operation `method` `template` (as the API description names it)
/// reads; a larger body is answered 413. Routes that take no body are held to the
/// collector-wide [`MAX_BODY_BYTES`], which is refused from `Content-Length` before any
/// route runs.
pub fn body_limit(method: &str, template: &str) -> usize {
    use chatrail_core::beacon::MAX_BEACON_BYTES;
    match (method.to_ascii_uppercase().as_str(), template) {
        ("POST", "/collect/visit" | "/collect/click") => MAX_BEACON_BYTES,
        ("POST", "/webhooks/whatsapp") => webhooks::whatsapp::MAX_WEBHOOK_BYTES,
        ("POST", "/webhooks/twilio") => webhooks::twilio::MAX_BODY_BYTES,
        ("POST", "/webhooks/telegram/{site_key}") => webhooks::telegram::MAX_BODY_BYTES,
        ("POST", "/api/v1/messages") => api::messages::MAX_BODY_BYTES,
        ("PUT", "/api/v1/site") => api::site::MAX_BODY_BYTES,
        ("POST", "/api/v1/tokens") => api::tokens::MAX_BODY_BYTES,
        ("POST", "/api/v1/session" | "/api/v1/invites/accept") => api::session::MAX_BODY_BYTES,
        ("POST", "/api/v1/site/members" | "/api/v1/site/members/reset") => {
            api::members::MAX_BODY_BYTES
        }
        ("POST", "/api/v1/costs") => api::costs::MAX_BODY_BYTES,
        ("POST", "/api/v1/conversions/destinations")
        | ("PATCH", "/api/v1/conversions/destinations/{id}") => api::conversions::MAX_BODY_BYTES,
        ("PUT", "/api/v1/dialogs/{id}/outcome" | "/api/v1/site/outcomes") => {
            api::outcomes::MAX_BODY_BYTES
        }
        _ => MAX_BODY_BYTES,
    }
}

/// Refuses, before any route sees it, a request malformed at the edge, with a JSON error
/// naming the problem (readable cross-origin, for the snippet):
///
/// - a path or query string holding a NUL character (`%00`): no stored text may hold one
///   (PostgreSQL refuses it), so a site key, a path segment or a filter with one is
///   malformed input, answered 400 naming where it was, never a database error;
/// - a path over [`MAX_PATH_BYTES`] or a query over [`MAX_QUERY_BYTES`]: 414;
/// - a `Content-Length` over [`MAX_BODY_BYTES`]: 413 before a byte of it is read (each
///   route also stops reading at its own limit, chunked bodies included).
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match edge_problem(&req) {
        Some(error) => {
            let response = readable(Err(error));
            Ok(req.into_response(response).map_into_right_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

fn edge_problem(req: &ServiceRequest) -> Option<ApiError> {
    let (path, query) = (req.uri().path(), req.query_string());
    if path.len() > MAX_PATH_BYTES {
        return Some(ApiError::UriTooLong(format!(
            "the path is longer than {MAX_PATH_BYTES} bytes"
        )));
    }
    if query.len() > MAX_QUERY_BYTES {
        return Some(ApiError::UriTooLong(format!(
            "the query string is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    if let Some(place) = crate::text::nul_in_uri(req.path(), query) {
        return Some(ApiError::bad_request(format!(
            "{place} holds a NUL character (%00)"
        )));
    }
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(n) if n > MAX_BODY_BYTES as u64 => Some(ApiError::PayloadTooLarge(MAX_BODY_BYTES)),
        _ => None,
    }
}

/// The answer to a request no route takes: `405` with `Allow` when the API description
/// names its path under other methods, else a JSON `404`.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    let Some(methods) = ApiDoc::methods_of(req.path()) else {
        return ApiError::NotFound("route").error_response();
    };
    let allow = methods.join(", ");
    let message = format!(
        "method {} is not allowed here; allowed: {allow}",
        req.method()
    );
    let mut response = ApiError::MethodNotAllowed(message).error_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    readable(Ok(response))
}

/// An answer of the snippet's routes (beacons, site config), errors included, readable from
/// any origin: without the header a browser shows the snippet a refusal as a network
/// failure (and logs a CORS error), so it could not drop a beacon refused for good (4xx)
/// and keep only those to send again (5xx, or no answer).
pub fn readable(answer: Result<HttpResponse, ApiError>) -> HttpResponse {
    let mut response = answer.unwrap_or_else(|e| e.error_response());
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
