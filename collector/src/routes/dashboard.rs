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
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        JS,
        include_str!("../../dashboard/app.js").as_bytes(),
    ),
    (
        "api.js",
        JS,
        include_str!("../../dashboard/api.js").as_bytes(),
    ),
    (
        "account.js",
        JS,
        include_str!("../../dashboard/account.js").as_bytes(),
    ),
    (
        "members.js",
        JS,
        include_str!("../../dashboard/members.js").as_bytes(),
    ),
    (
        "i18n.js",
        JS,
        include_str!("../../dashboard/i18n.js").as_bytes(),
    ),
    (
        "dom.js",
        JS,
        include_str!("../../dashboard/dom.js").as_bytes(),
    ),
    (
        "format.js",
        JS,
        include_str!("../../dashboard/format.js").as_bytes(),
    ),
    (
        "dialogs.js",
        JS,
        include_str!("../../dashboard/dialogs.js").as_bytes(),
    ),
    (
        "live.js",
        JS,
        include_str!("../../dashboard/live.js").as_bytes(),
    ),
    (
        "checklist.js",
        JS,
        include_str!("../../dashboard/checklist.js").as_bytes(),
    ),
    (
        "card.js",
        JS,
        include_str!("../../dashboard/card.js").as_bytes(),
    ),
    (
        "reports.js",
        JS,
        include_str!("../../dashboard/reports.js").as_bytes(),
    ),
    (
        "chart.js",
        JS,
        include_str!("../../dashboard/chart.js").as_bytes(),
    ),
    (
        "hours.js",
        JS,
        include_str!("../../dashboard/hours.js").as_bytes(),
    ),
    (
        "settings.js",
        JS,
        include_str!("../../dashboard/settings.js").as_bytes(),
    ),
    (
        "conversions.js",
        JS,
        include_str!("../../dashboard/conversions.js").as_bytes(),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../dashboard/app.css").as_bytes(),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../dashboard/favicon.svg"),
    ),
    // Asked for by browsers at `/favicon.ico` whatever the page says.
    (
        "favicon.ico",
        "image/x-icon",
        include_bytes!("../../dashboard/favicon.ico"),
    ),
];
const JS: &str = "text/javascript; charset=utf-8";
const JSON: &str = "application/json";
const INDEX: &str = include_str!("../../dashboard/index.html");

/// The message catalogues, `(language code, catalogue)`: every `dashboard/i18n/<code>.json`,
/// listed by the build script. Served as `i18n/<code>.json`, with their list in
/// `i18n/index.json` (code and each catalogue's `_language`, the language's own name).
pub const LANGUAGES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// `i18n/index.json`: `{"languages": [{"code": "en", "name": "English"}, …]}`.
pub fn language_index() -> String {
    let languages: Vec<serde_json::Value> = LANGUAGES
        .iter()
        .map(|(code, catalogue)| {
            let name = serde_json::from_str::<serde_json::Value>(catalogue)
                .ok()
                .and_then(|v| v["_language"].as_str().map(str::to_owned))
                .unwrap_or_else(|| (*code).to_owned());
            serde_json::json!({ "code": code, "name": name })
        })
        .collect();
    serde_json::json!({ "languages": languages }).to_string()
}

/// Same-origin only: scripts and styles from these files, data from the API.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(index)
        .service(favicon)
        .service(i18n_file)
        .service(file);
}

/// A file's name (`""`: the index; `i18n/…` for the catalogues), content type and encodings.
type File = (String, &'static str, Precompressed);

/// The files and the index, compressed the first time one is asked for, off the async
/// workers (brotli at its best takes about 0.1 s for all of them in a release build).
async fn files() -> &'static [File] {
    static COMPRESSED: OnceLock<Vec<File>> = OnceLock::new();
    if let Some(files) = COMPRESSED.get() {
        return files;
    }
    let compress = || -> Vec<File> {
        let page = ("", "text/html; charset=utf-8", INDEX.as_bytes());
        let mut files: Vec<File> = std::iter::once(&page)
            .chain(FILES)
            .map(|&(name, content_type, body)| {
                (name.to_owned(), content_type, Precompressed::new(body))
            })
            .collect();
        files.extend(LANGUAGES.iter().map(|(code, catalogue)| {
            let name = format!("i18n/{code}.json");
            (name, JSON, Precompressed::new(catalogue.as_bytes()))
        }));
        let list = Precompressed::new(language_index());
        files.push(("i18n/index.json".to_owned(), JSON, list));
        files
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
        .find(|(n, _, _)| n == name)
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

#[get("/dashboard/i18n/{name}")]
async fn i18n_file(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    respond(&req, &format!("i18n/{name}")).await
}

/// The icon browsers ask every site for: without it each page logs a 404.
#[get("/favicon.ico")]
async fn favicon(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    respond(&req, "favicon.ico").await
}
