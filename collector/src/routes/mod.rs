//! HTTP routes, one module per route family.

pub mod api;
pub mod collect;
pub mod dashboard;
pub mod demo;
pub mod go;
pub mod health;
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
}

/// Refuses, before any route sees it, a request whose path or query string holds a NUL
/// character (`%00`): no stored text may hold one (PostgreSQL refuses it), so a site key,
/// a path segment or a filter with one is malformed input, answered 400 naming where it
/// was, never a database error. The snippet's readers get the answer cross-origin.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let problem = crate::text::nul_in_uri(req.path(), req.query_string());
    match problem {
        Some(place) => {
            let error = ApiError::bad_request(format!("{place} holds a NUL character (%00)"));
            let response = readable(Err(error));
            Ok(req.into_response(response).map_into_right_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
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
