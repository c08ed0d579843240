//! `GET /metrics`: Prometheus text format, for holders of `CHATRAIL_METRICS_TOKEN`, or on
//! its own listener (`CHATRAIL_METRICS_LISTEN`, a private address).
//!
//! On the main listener, without a configured token the route does not exist (`404`, as
//! any unknown path), so a collector never shows its counters to the internet by default.
//! On the metrics listener it needs no token, unless one is configured. Not in the OpenAPI
//! description: it is for the operator's Prometheus, not for API clients.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{get, web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};

use crate::error::ApiError;
use crate::metrics::Metrics;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

/// The server of `CHATRAIL_METRICS_LISTEN`: `/metrics` and nothing else, one worker.
pub fn apart(data: web::Data<Metrics>, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/metrics", web::get().to(open))
            .default_service(web::to(|| async {
                ApiError::NotFound("route").error_response()
            }))
    })
    .workers(1)
    .listen(listener)?;
    Ok(server.run())
}

#[get("/metrics")]
async fn metrics(req: HttpRequest, m: web::Data<Metrics>) -> HttpResponse {
    if !m.enabled() {
        return ApiError::NotFound("route").error_response();
    }
    answer(&req, &m).await
}

/// `/metrics` on the metrics listener: the token only if one is configured.
async fn open(req: HttpRequest, m: web::Data<Metrics>) -> HttpResponse {
    answer(&req, &m).await
}

async fn answer(req: &HttpRequest, m: &Metrics) -> HttpResponse {
    if m.enabled() {
        if let Some(refusal) = refusal(req, m) {
            return refusal;
        }
    }
    match m.render().await {
        Ok(text) => HttpResponse::Ok()
            .content_type(prometheus::TEXT_FORMAT)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(e) => ApiError::Internal(e).error_response(),
    }
}

/// A `401` unless the request carries the token.
fn refusal(req: &HttpRequest, m: &Metrics) -> Option<HttpResponse> {
    let authorization = req.headers().get(header::AUTHORIZATION);
    if !m.authorized(authorization.map(|v| v.as_bytes())) {
        let mut answer =
            ApiError::Unauthorized("the metrics token is missing or wrong").error_response();
        answer.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return Some(answer);
    }
    None
}
