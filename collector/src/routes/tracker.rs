//! The tracker files and the per-site configuration the snippet fetches, or gets with the
//! script (`t.js?site=<key>`), so that a first page view tags its links without waiting for
//! a second request.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::SiteConfig;
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::readable;
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(script).service(wasm).service(site_config);
}

const NOT_BUILT: &str =
    "the tracker snippet is not built into this binary: run `cargo xtask snippet` and rebuild";

/// Query of `t.js`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ScriptParams {
    /// A site key: the script then carries the site's key and config (what
    /// `/sites/{key}/config` answers), so the snippet needs no second request before it tags
    /// links; an unknown site's script carries its key only, and fetches the config itself.
    site: Option<String>,
}

/// `t.js` keeps a fixed URL, so it is cached briefly and revalidated by ETag; a site's
/// (`?site=`) carries the site's config, so it is cached as briefly as the config. Brotli or
/// gzip when the client accepts it (an unknown site's script: as it is), each encoding with
/// its own ETag.
#[utoipa::path(
    operation_id = "tracker_script",
    tag = "tracker",
    params(ScriptParams),
    responses(
        (status = 200, description = "The snippet's loader, cached 5 min (1 min with `site`) with an ETag; brotli or gzip by `Accept-Encoding`", body = String, content_type = "text/javascript"),
        (status = 304, description = "`If-None-Match` matched"),
        (status = 503, description = "The snippet is not built into this binary"),
    )
)]
#[get("/t.js")]
async fn script(
    req: HttpRequest,
    params: web::Query<ScriptParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snippet = state
        .snippet
        .as_ref()
        .ok_or(ApiError::Unavailable(NOT_BUILT))?;
    let (script, max_age) = match &params.site {
        Some(key) => {
            let (preset, known) = preset(key, &state).await;
            (snippet.for_site(&preset, known).await, 60)
        }
        None => (snippet.js.clone(), 300),
    };
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    Ok(script.respond(&req, answer))
}

/// What a site's script carries (JSON): `[key, config]`, the config as the JSON text that
/// `/sites/{key}/config` answers; `[key]` when the site is unknown or cannot be read now,
/// and the snippet then fetches the config itself. True when it has the config.
async fn preset(key: &str, state: &AppState) -> (String, bool) {
    let config = match config_of_site(key, state).await {
        Ok(config) => config,
        Err(e) => {
            tracing::warn!(error = %e, "site config for the script");
            None
        }
    };
    let mut preset = vec![key.to_owned()];
    preset.extend(config.and_then(|c| serde_json::to_string(&c).ok()));
    let known = preset.len() > 1;
    (serde_json::to_string(&preset).unwrap_or_default(), known)
}

/// The wasm URL carries its content hash, so it never changes and is cached for a year;
/// brotli or gzip when the client accepts it, each encoding with its own ETag.
#[utoipa::path(
    operation_id = "tracker_wasm",
    tag = "tracker",
    params(("hash" = String, Path, description = "Content hash, as `t.js` names it")),
    responses(
        (status = 200, description = "The snippet's WebAssembly, cached for a year with an ETag; brotli or gzip by `Accept-Encoding`", body = String, content_type = "application/wasm"),
        (status = 304, description = "`If-None-Match` matched"),
        (status = 404, description = "Another snippet version"),
        (status = 503, description = "The snippet is not built into this binary"),
    )
)]
#[get("/t/{hash}.wasm")]
async fn wasm(
    req: HttpRequest,
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
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CONTENT_TYPE, "application/wasm"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    Ok(snippet.wasm.respond(&req, answer))
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
    let config = config_of_site(key, state)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(config))
}

/// What the snippet needs of the site `key`, if there is one.
async fn config_of_site(key: &str, state: &AppState) -> Result<Option<SiteConfig>, ApiError> {
    Ok(state.store.site_by_key(key).await?.map(|site| SiteConfig {
        numbers: site.numbers.iter().map(|n| n.number.clone()).collect(),
        template: site.template.clone(),
        bots: site.bots.clone(),
        domains: site.domains.clone(),
        pages: site.pages.clone(),
    }))
}
