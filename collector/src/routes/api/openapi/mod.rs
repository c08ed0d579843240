//! The OpenAPI 3.1 description of every route, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types' `ToSchema` derives, served at `GET /api/v1/openapi.json`.
//!
//! To describe a new endpoint:
//! 1. put `#[utoipa::path(...)]` above its actix route macro (`#[get("/x")]`; without one,
//!    add `get, path = "/x"`): the path and method come from the route macro, so give a
//!    `tag`, `security(("token" = []))` if it takes a token, `params(...)` (for a
//!    `web::Query<T>`, derive `utoipa::IntoParams` on `T` and name it there: it is not picked
//!    up on its own), `request_body`, and every status it answers. Error statuses need no
//!    body: every 4xx and 5xx gets the [`ErrorBody`] schema here, and every operation with the token
//!    its 401;
//! 2. derive `utoipa::ToSchema` on the types it answers (or, for a `json!` answer, add a
//!    schema-only struct to `routes/schemas.rs`); rows that always serialize every field go in
//!    `COMPLETE_ROWS`;
//! 3. list the handler in `paths(...)` of [`ApiV1`] (token API, paths relative to `/api/v1`)
//!    or [`ApiDoc`] (public routes);
//! 4. drive it, with each status it documents, in `tests/api/openapi_conformance.rs`;
//! 5. state in [`constraints`] every rule its parsers enforce that the annotations cannot
//!    (patterns, bounds, enums): schemathesis (`tests/api/schemathesis.rs`) fails when the
//!    server refuses what the description allows, or takes what it forbids.
//!
//! `cargo test -p chatrail-tests --test api openapi` fails when a route under `/api/v1` is
//! missing from the description, a described path does not exist, an answer, its status or a
//! query parameter is not as described, or a documented status was never seen.

mod constraints;

use std::sync::OnceLock;

use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{
    conversions, costs, dialogs, first_steps, live, me, members, messages, outcomes, privacy,
    reports, session, site, tags, tokens,
};
use crate::routes::schemas::ErrorBody;
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
    outcomes::show,
    outcomes::set,
    outcomes::settings,
    outcomes::save_settings,
    messages::post_message,
    reports::report,
    costs::import,
    costs::totals,
    me::me,
    site::show,
    site::update,
    first_steps::first_steps,
    live::live,
    tokens::list,
    tokens::create,
    tokens::revoke,
    privacy::erase,
    privacy::show_retention,
    privacy::set_retention,
    conversions::list,
    conversions::create,
    conversions::edit,
    conversions::remove,
    conversions::deliveries,
    conversions::retry,
    conversions::test,
    conversions::export,
    session::sign_in,
    session::signed_in,
    session::sign_out,
    session::sign_out_everywhere,
    session::accept_invite,
    members::list,
    members::add,
    members::reset,
    members::remove,
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
        (name = "conversions", description = "Conversions sent to Meta, GA4, Google Ads, Yandex Metrica and webhooks: destinations and delivery logs (admin)"),
        (name = "account", description = "Signing in with an e-mail address and a password: the session cookie, signing out, invites"),
        (name = "site", description = "Who a token is; site settings, tokens, retention, erasure (admin)"),
        (name = "tracker", description = "The snippet, its beacons and off-site links"),
        (name = "webhooks", description = "Messaging providers' webhooks, each signed its way"),
        (name = "meta", description = "Health and this description"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The methods the description gives the route matching `path` (a request path, each
    /// `{param}` of a described path matching one non-empty segment), or `None` if no
    /// described route matches it.
    pub fn methods_of(path: &str) -> Option<Vec<&'static str>> {
        static ROUTES: OnceLock<Vec<(String, Vec<&'static str>)>> = OnceLock::new();
        let routes = ROUTES.get_or_init(|| {
            let doc = ApiDoc::openapi();
            doc.paths
                .paths
                .iter()
                .map(|(template, item)| {
                    let methods = [
                        ("GET", item.get.is_some()),
                        ("PUT", item.put.is_some()),
                        ("POST", item.post.is_some()),
                        ("DELETE", item.delete.is_some()),
                        ("PATCH", item.patch.is_some()),
                    ];
                    let methods = methods.iter().filter(|m| m.1).map(|m| m.0).collect();
                    (template.clone(), methods)
                })
                .collect()
        });
        routes
            .iter()
            .find(|(template, _)| template_matches(template, path))
            .map(|(_, methods)| methods.clone())
    }

    /// The description as JSON, built once: the annotations' description with the
    /// constraints they cannot state ([`constraints`]).
    pub fn json() -> &'static str {
        static JSON: OnceLock<String> = OnceLock::new();
        JSON.get_or_init(|| {
            let mut doc = serde_json::to_value(ApiDoc::openapi())
                .expect("the OpenAPI description serializes");
            let missing = constraints::apply(&mut doc);
            debug_assert!(missing.is_empty(), "constraints on nothing: {missing:?}");
            serde_json::to_string_pretty(&doc).expect("the OpenAPI description serializes")
        })
    }
}

/// Whether request `path` is one of described path `template`: segment by segment, a
/// segment holding `{param}` matches any non-empty segment with the same text around it.
fn template_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let ok = match (ts.find('{'), ts.rfind('}')) {
                    (Some(open), Some(close)) => {
                        let (before, after) = (&ts[..open], &ts[close + 1..]);
                        ps.len() > before.len() + after.len()
                            && ps.starts_with(before)
                            && ps.ends_with(after)
                    }
                    _ => ts == ps,
                };
                if !ok {
                    return false;
                }
            }
            _ => return false,
        }
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
/// schemes, the 401 of operations that take a token, the JSON body of every error, and
/// complete rows.
struct Conventions;

/// Schemas of answers that serialize every field, `null` included (utoipa takes an `Option`
/// field for one that may be absent): clients may rely on each being there.
const COMPLETE_ROWS: [&str; 12] = [
    "Erased",
    "DialogSummary",
    "ContactView",
    "MatchView",
    "ReferralView",
    "SessionView",
    "HistoryEntry",
    "DialogRow",
    "VisitorView",
    "SourceCard",
    "SiteConfig",
    "TokenView",
];

/// Makes every property of an object schema (or of the objects an `allOf` composes) required.
fn require_all(schema: &mut utoipa::openapi::schema::Schema) {
    use utoipa::openapi::schema::Schema;
    match schema {
        Schema::Object(object) => object.required = object.properties.keys().cloned().collect(),
        Schema::AllOf(all) => {
            for part in &mut all.items {
                if let RefOr::T(part) = part {
                    require_all(part);
                }
            }
        }
        _ => {}
    }
}

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
                "session",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    crate::domain::account::SESSION_COOKIE,
                    "An account's session (`POST /api/v1/session`). Every operation that takes \
                     a token takes it instead, with the `X-Chatrail-Site` header naming the \
                     site it acts on (a site the account has no role on: 403); a change \
                     (POST, PUT, PATCH, DELETE) needs that header and, when it names an \
                     `Origin`, the collector's own.",
                ))),
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
        for name in COMPLETE_ROWS {
            if let Some(RefOr::T(schema)) = components.schemas.get_mut(name) {
                require_all(schema);
            }
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
                    let answers = [
                        ("401", "No token, or an unknown one"),
                        ("403", "Signed in, but without a role on the site named by X-Chatrail-Site, or from another origin"),
                    ];
                    for (status, description) in answers {
                        op.responses
                            .responses
                            .entry(status.into())
                            .or_insert_with(|| {
                                RefOr::T(
                                    utoipa::openapi::ResponseBuilder::new()
                                        .description(description)
                                        .build(),
                                )
                            });
                    }
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        let error_status = status.starts_with('4') || status.starts_with('5');
                        if error_status && response.content.is_empty() {
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

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

    use crate::routes::schemas::ReportParams;

    use super::*;

    #[test]
    fn report_params_are_the_parsers() {
        let documented: Vec<String> = ReportParams::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(documented, crate::reports::KNOWN);
    }

    #[test]
    fn every_constraint_has_its_parameter_or_field() {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(constraints::apply(&mut doc), Vec::<String>::new());
    }

    #[test]
    fn complete_rows_name_existing_schemas() {
        let api = ApiDoc::openapi();
        let schemas = &api.components.expect("components").schemas;
        for name in COMPLETE_ROWS {
            assert!(schemas.contains_key(name), "{name}");
        }
    }

    #[test]
    fn described_paths_match_requests_segment_by_segment() {
        assert!(template_matches(
            "/api/v1/dialogs/{id}",
            "/api/v1/dialogs/42"
        ));
        assert!(template_matches("/t/{hash}.wasm", "/t/0a1b.wasm"));
        assert!(!template_matches("/t/{hash}.wasm", "/t/.wasm"));
        assert!(!template_matches(
            "/api/v1/dialogs/{id}",
            "/api/v1/dialogs/42/tags"
        ));
        assert!(!template_matches(
            "/api/v1/dialogs/{id}",
            "/api/v1/dialogs/"
        ));
        assert_eq!(ApiDoc::methods_of("/collect/visit"), Some(vec!["POST"]));
        assert_eq!(ApiDoc::methods_of("/nowhere"), None);
    }
}
