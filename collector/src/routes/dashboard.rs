//! The web dashboard under `/dashboard`: static files compiled into the binary (no CDN, no
//! build step), a client of the token API. A strict Content-Security-Policy allows only
//! these files, so even text that slipped past the pages' escaping could not run script.
//! Each file is compressed once, the first time one is asked for, and revalidated by ETag
//! ([`Precompressed`]).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::ApiError;
use crate::snippet::Precompressed;

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

/// A file's name (`""`: the index), content type and encodings.
type File = (&'static str, &'static str, Precompressed);

/// The files and the index, compressed the first time one is asked for, off the async
/// workers (brotli at its best takes about 0.1 s for all of them in a release build).
async fn files() -> &'static [File] {
    static COMPRESSED: OnceLock<Vec<File>> = OnceLock::new();
    if let Some(files) = COMPRESSED.get() {
        return files;
    }
    let compress = || -> Vec<File> {
        let page = ("", "text/html; charset=utf-8", INDEX);
        std::iter::once(&page)
            .chain(FILES)
            .map(|&(name, content_type, body)| (name, content_type, Precompressed::new(body)))
            .collect()
    };
    // Without the blocking pool (shutting down), here.
    let made = web::block(compress).await.unwrap_or_else(|_| compress());
    COMPRESSED.get_or_init(|| made)
}

/// The file `name` (`""`: the index) as `req` takes it.
async fn respond(req: &HttpRequest, name: &str) -> Result<HttpResponse, ApiError> {
    let (_, content_type, found) = files()
        .await
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or(ApiError::NotFound("dashboard file"))?;
    let mut answer = HttpResponse::Ok();
    answer
        .content_type(*content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Small files that change with the binary: revalidate rather than go stale.
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    Ok(found.respond(req, answer))
}

#[get("/")]
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/dashboard/"))
        .finish()
}

#[get("/dashboard{slash:/?}")]
async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    respond(&req, "").await
}

#[get("/dashboard/{name}")]
async fn file(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // (`{name}` is never empty: `""`, the index's entry, is not a file's name.)
    respond(&req, &name).await
}
