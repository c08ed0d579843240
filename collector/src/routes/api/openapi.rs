//! The OpenAPI 3.1 description of every route, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types' `ToSchema` derives, served at `GET /api/v1/openapi.json`.
//!
//! To describe a new endpoint:
//! 1. put `#[utoipa::path(...)]` above its actix route macro (`#[get("/x")]`): the path and
//!    method come from the route macro, so give a `tag`, `security(("token" = []))` if it
//!    takes a token, its `params`, `request_body`, and every status it answers. Error
//!    statuses need no body: every 4xx is given the [`ErrorBody`] schema here, and every
//!    operation with the token gets its 401;
//! 2. derive `utoipa::ToSchema` on the types it answers (or, for a `json!` answer, add a
//!    schema-only struct below);
//! 3. list the handler in `paths(...)` of [`ApiV1`] (token API, paths relative to `/api/v1`)
//!    or [`ApiDoc`] (public routes).
//!
//! `cargo test -p chatrail-tests --test api openapi` fails when a route under `/api/v1` is
//! missing from the description, a described path does not exist, or an answer does not match
//! its schema.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoParams, Modify, OpenApi, PartialSchema, ToSchema};
use uuid::Uuid;

use super::{dialogs, messages, reports, tags};
use crate::reports::ReportName;
use crate::routes::{collect, go, health, tracker, webhooks};

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json);
}

/// The token API, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(
    openapi_json,
    dialogs::list,
    dialogs::card,
    tags::list,
    tags::add,
    tags::remove,
    messages::post_message,
    reports::report,
))]
pub struct ApiV1;

/// The whole description: the public routes a site integrates with, and the token API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatrail collector",
        description = "Click-to-chat attribution: the tracker and its beacons, off-site links, \
            messaging providers' webhooks, and the token API under `/api/v1`. Every error \
            answers `{\"error\": \"...\"}` with a 4xx or 5xx status."
    ),
    nest((path = "/api/v1", api = ApiV1)),
    paths(
        health::health,
        tracker::script,
        tracker::wasm,
        tracker::site_config,
        collect::visit,
        collect::click,
        go::go,
        webhooks::whatsapp::verify,
        webhooks::whatsapp::notify,
        webhooks::twilio::notify,
        webhooks::telegram::notify,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "dialogs", description = "Dialogs, source cards and tags (operator, admin)"),
        (name = "messages", description = "Inbound messages from any platform (operator, admin)"),
        (name = "reports", description = "Reports as JSON or CSV (analyst, admin)"),
        (name = "tracker", description = "The snippet, its beacons and off-site links"),
        (name = "webhooks", description = "Messaging providers' webhooks, each signed its way"),
        (name = "meta", description = "Health and this description"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The description as JSON, built once.
    pub fn json() -> &'static str {
        static JSON: OnceLock<String> = OnceLock::new();
        JSON.get_or_init(|| {
            ApiDoc::openapi()
                .to_pretty_json()
                .expect("the OpenAPI description serializes")
        })
    }
}

/// This description. Needs no token.
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object))
)]
#[get("/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ApiDoc::json())
}

/// What holds for every operation, so the annotations need not repeat it: the security
/// schemes, the 401 of operations that take a token, and the JSON body of every error.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let schemes = [
            (
                "token",
                SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "An API token of one site (`chatrail token create`); its role is \
                             operator, analyst or admin.",
                        ))
                        .build(),
                ),
            ),
            (
                "whatsapp_signature",
                header_key(
                    "X-Hub-Signature-256",
                    "`sha256=` + hex HMAC-SHA256 of the raw body with the Meta app secret.",
                ),
            ),
            (
                "twilio_signature",
                header_key(
                    "X-Twilio-Signature",
                    "Base64 HMAC-SHA1 with the site's Twilio auth token over the public URL \
                     and the sorted form fields.",
                ),
            ),
            (
                "telegram_secret",
                header_key(
                    "X-Telegram-Bot-Api-Secret-Token",
                    "The `secret_token` given to `setWebhook`.",
                ),
            ),
        ];
        for (name, scheme) in schemes {
            components.add_security_scheme(name, scheme);
        }
        let error = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        for item in api.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let takes_token = op
                    .security
                    .iter()
                    .flatten()
                    .any(|s| serde_json::to_value(s).is_ok_and(|v| v.get("token").is_some()));
                if takes_token {
                    op.responses
                        .responses
                        .entry("401".into())
                        .or_insert_with(|| {
                            RefOr::T(
                                utoipa::openapi::ResponseBuilder::new()
                                    .description("No token, or an unknown one")
                                    .build(),
                            )
                        });
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if status.starts_with('4') && response.content.is_empty() {
                            response
                                .content
                                .insert("application/json".into(), error.clone());
                        }
                    }
                }
            }
        }
    }
}

fn header_key(name: &str, description: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        name,
        description,
    )))
}

/// Every error answer (see `crate::error::ApiError`).
#[derive(ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}

/// `GET /dialogs`.
#[derive(ToSchema)]
pub struct DialogList {
    /// Newest first.
    pub dialogs: Vec<crate::storage::DialogSummary>,
    /// The `before` of the next page (epoch ms); null on the last page.
    pub next_before: Option<i64>,
}

/// A dialog's tags, sorted.
#[derive(ToSchema)]
pub struct TagList {
    /// Lower-case tags.
    pub tags: Vec<String>,
}

/// What `POST /messages` did.
#[derive(ToSchema)]
pub struct MessageAnswer {
    /// `stored`, or `duplicate` when the message id was stored before.
    pub status: MessageStatus,
    /// The message's dialog (only when stored).
    #[schema(required = false)]
    pub dialog_id: Option<Uuid>,
}

/// Whether a posted message was new.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored now.
    Stored,
    /// Stored before.
    Duplicate,
}

/// A report as JSON: the request echoed, then rows keyed by the report's columns.
#[derive(ToSchema)]
pub struct ReportBody {
    /// The report's name.
    pub report: ReportName,
    /// First local date, inclusive.
    #[schema(format = Date)]
    pub from: String,
    /// Last local date, inclusive.
    #[schema(format = Date)]
    pub to: String,
    /// The site's time zone (IANA), which days and hours are counted in.
    pub timezone: String,
    /// Column names, in order (CSV header).
    pub columns: Vec<String>,
    /// One object per row, keyed by column; cells are strings, numbers or null.
    pub rows: Vec<BTreeMap<String, Cell>>,
    /// `dynamics` only: the bucket size.
    #[schema(required = false)]
    pub granularity: Option<GranularityName>,
    /// `dynamics` with `compare` only: the comparison period.
    #[schema(required = false, format = Date)]
    pub compare_from: Option<String>,
    /// `dynamics` with `compare` only.
    #[schema(required = false, format = Date)]
    pub compare_to: Option<String>,
}

/// A report cell: a key (string), a count or share (number), or null.
pub struct Cell;

impl PartialSchema for Cell {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{SchemaType, Type};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([
                Type::String,
                Type::Number,
                Type::Null,
            ]))
            .into()
    }
}

impl ToSchema for Cell {}

/// A bucket size of `dynamics`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum GranularityName {
    /// Local days.
    Day,
    /// ISO weeks.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

impl PartialSchema for ReportName {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ReportName::ALL.map(ReportName::as_str)))
            .description(Some("A report's URL name"))
            .into()
    }
}

impl ToSchema for ReportName {}

/// The query of `GET /reports/{name}` (checked against the parser's list in a test).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First local date, inclusive (required).
    #[param(format = Date)]
    pub from: String,
    /// Last local date, inclusive (required; at most 3 × 366 days after `from`).
    #[param(format = Date)]
    pub to: String,
    /// Only sessions of this channel.
    pub channel: Option<String>,
    /// Only sessions of this `utm_campaign`.
    pub campaign: Option<String>,
    /// Only dialogs with this tracked number (any notation).
    pub number: Option<String>,
    /// Only dialogs of this match kind: `exact`, `referral`, `probable` or `none`.
    #[param(pattern = "^(exact|referral|probable|none)$")]
    pub r#match: Option<String>,
    /// Most rows of ranked reports, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `dynamics`: bucket size (default `day`).
    #[param(inline)]
    pub granularity: Option<GranularityName>,
    /// `dynamics`: compare with `previous`, `year`, `custom` (needs `compare_from` and
    /// `compare_to`) or `none`.
    #[param(pattern = "^(previous|year|custom|none)$")]
    pub compare: Option<String>,
    /// `dynamics` with `compare=custom`: first date.
    #[param(format = Date)]
    pub compare_from: Option<String>,
    /// `dynamics` with `compare=custom`: last date.
    #[param(format = Date)]
    pub compare_to: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`), `json` for JSON (the default).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// `POST /collect/*`: a beacon taken.
#[derive(ToSchema)]
pub struct BeaconAnswer {
    /// `accepted` (queued), or `dropped` for robots and referrer spam.
    pub status: String,
    /// Why it was dropped: `crawler`, `headless` or `referrer_spam`.
    #[schema(required = false)]
    pub reason: Option<String>,
}

/// `GET /health`.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// Whether the tracker snippet is built in.
    pub snippet: bool,
    /// The beacon queue's counters.
    pub ingest: IngestCounters,
    /// Beacons dropped, by reason (`crawler`, `headless`, `referrer_spam`).
    pub dropped: BTreeMap<String, u64>,
    /// Whether a GeoIP database is loaded.
    pub geoip: bool,
}

/// Counters of the beacon queue since start.
#[derive(ToSchema)]
pub struct IngestCounters {
    /// Queued.
    pub accepted: u64,
    /// Refused with 503 because the queue was full.
    pub rejected_queue_full: u64,
    /// Written to the database.
    pub written: u64,
    /// Lost to a failed write.
    pub failed: u64,
    /// Batches written.
    pub batches: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_params_are_the_parsers() {
        let documented: Vec<String> = ReportParams::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(documented, crate::reports::KNOWN);
    }
}
