//! The tracker files and the per-site configuration the snippet fetches.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::SiteConfig;

use crate::error::ApiError;
use crate::routes::readable;
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(script).service(wasm).service(site_config);
}

const NOT_BUILT: &str =
    "the tracker snippet is not built into this binary: run `cargo xtask snippet` and rebuild";

/// `t.js` keeps a fixed URL, so it is cached briefly and revalidated by ETag.
#[utoipa::path(
    operation_id = "tracker_script",
    tag = "tracker",
    responses(
        (status = 200, description = "The snippet's loader, cached 5 min with an ETag", body = String, content_type = "text/javascript"),
        (status = 304, description = "`If-None-Match` matched"),
        (status = 503, description = "The snippet is not built into this binary"),
    )
)]
#[get("/t.js")]
async fn script(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snippet = state
        .snippet
        .as_ref()
        .ok_or(ApiError::Unavailable(NOT_BUILT))?;
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == snippet.js_etag));
    let mut resp = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ETAG, snippet.js_etag.clone()))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    Ok(if cached {
        resp.finish()
    } else {
        resp.body(snippet.js.clone())
    })
}

/// The wasm URL carries its content hash, so it never changes and is cached for a year.
#[utoipa::path(
    operation_id = "tracker_wasm",
    tag = "tracker",
    params(("hash" = String, Path, description = "Content hash, as `t.js` names it")),
    responses(
        (status = 200, description = "The snippet's WebAssembly, cached for a year", body = String, content_type = "application/wasm"),
        (status = 404, description = "Another snippet version"),
        (status = 503, description = "The snippet is not built into this binary"),
    )
)]
#[get("/t/{hash}.wasm")]
async fn wasm(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snippet = state
        .snippet
        .as_ref()
        .ok_or(ApiError::Unavailable(NOT_BUILT))?;
    if *path != snippet.wasm_hash {
        return Err(ApiError::NotFound("snippet version"));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/wasm"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(snippet.wasm.clone()))
}

/// What the snippet needs of a site (numbers, bots, template, domains, page rules): public by
/// nature, since all of it shows on the site's pages.
#[utoipa::path(
    operation_id = "site_config",
    tag = "tracker",
    params(("key" = String, Path, description = "Site key")),
    responses(
        (status = 200, description = "Numbers, bots, message template, domains and page rules the snippet needs", body = SiteConfig),
        (status = 404, description = "No such site"),
    )
)]
#[get("/sites/{key}/config")]
async fn site_config(key: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    readable(config_of(&key, &state).await)
}

async fn config_of(key: &str, state: &AppState) -> Result<HttpResponse, ApiError> {
    let site = state
        .store
        .site_by_key(key)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let config = SiteConfig {
        numbers: site.numbers.iter().map(|n| n.number.clone()).collect(),
        template: site.template.clone(),
        bots: site.bots.clone(),
        domains: site.domains.clone(),
        pages: site.pages.clone(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(config))
}
