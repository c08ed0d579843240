//! Every operation of the description driven against a real server with realistic data,
//! including its error answers, each answer checked against the description; every status
//! the description documents must have been seen (but for a few public ones, listed).

use std::collections::BTreeSet;

use chatrail_collector::domain::token::Role;
use chatrail_collector::reports::ReportName;
use chatrail_collector::routes::api::openapi::ApiDoc;
use chatrail_tests::app::{create_site, create_token, spawn_app, Backend};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_CODE};
use chatrail_tests::on_both_backends;
use chatrail_tests::openapi::{call, Answer, Driver};
use serde_json::{json, Value};

use super::openapi::spec;
use super::openapi_public::public_routes;

on_both_backends!(every_operation_answers_as_described);

const DIALOGS: &str = "/api/v1/dialogs";
const CARD: &str = "/api/v1/dialogs/{id}";
const TAGS: &str = "/api/v1/dialogs/{id}/tags";
const TAG: &str = "/api/v1/dialogs/{id}/tags/{tag}";
const MESSAGES: &str = "/api/v1/messages";
const REPORT: &str = "/api/v1/reports/{name}";
const JSON: &str = "application/json";

async fn every_operation_answers_as_described(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = Driver::new(&app, spec());
    let operator = app.token.as_str();
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;

    let served = d
        .expect(
            call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json"),
            200,
        )
        .await;
    let generated: Value = serde_json::from_str(ApiDoc::json()).unwrap();
    assert_eq!(
        served.json(),
        generated,
        "the served description is the generated one"
    );

    public_routes(&d).await;
    messages(&d, operator, &analyst).await;
    let ids = dialogs(&d, operator, &analyst, &admin).await;
    tags(&d, &ids[0], operator, &analyst).await;
    super::live::live(&d, operator, &analyst).await;
    super::openapi_outcomes::outcomes(&d, &ids[0], operator, &analyst, &admin).await;
    super::openapi_outcomes::costs(&d, operator, &analyst, &admin).await;
    reports(&d, &analyst, operator).await;
    site(&d, &admin, operator).await;
    super::openapi_privacy::privacy(&d, &admin, operator).await;
    super::openapi_conversions::conversions(&d, &admin, operator, &analyst).await;
    super::openapi_accounts::accounts(&d, &admin, operator).await;
    refused_anywhere(&d).await;
    storage_down(&d).await;

    // Every status an operation documents was produced and checked, but for these public
    // ones that need a build without the snippet, a flood or a URL no client sends.
    let exempt = [
        ("GET", "/t.js", 503),
        ("GET", "/t/{hash}.wasm", 503),
        ("GET", "/go/{site}/{chat}", 400),
        // A flood: tests/api/limits.rs drives these with low limits.
        ("POST", "/collect/visit", 429),
        ("POST", "/collect/click", 429),
        ("GET", "/go/{site}/{chat}", 429),
    ];
    let exempt: Vec<_> = exempt
        .into_iter()
        .map(|(m, p, s)| (m.to_owned(), p.to_owned(), s))
        .collect();
    let unseen: Vec<_> = d
        .unseen()
        .into_iter()
        .filter(|u| !exempt.contains(u))
        .collect();
    assert!(
        unseen.is_empty(),
        "documented but never exercised (drive them here): {unseen:?}"
    );
}

/// Every operation answers its documented 400 to a NUL (`%00`) in its query, 414 to an
/// over-long path or query and 413 to an oversized body, before its route runs (so without a
/// token, a signature or a valid body).
async fn refused_anywhere(d: &Driver<'_>) {
    use chatrail_collector::routes::{MAX_BODY_BYTES, MAX_PATH_BYTES, MAX_QUERY_BYTES};
    for (method, template) in d.spec.operations() {
        let path = template.replace(['{', '}'], "");
        // `call` takes what lives as long as the test: the description's few names.
        let (method, template): (&'static str, &'static str) = (
            Box::leak(method.into_boxed_str()),
            Box::leak(template.into_boxed_str()),
        );
        let what = format!("{method} {template}");
        let refused = d
            .expect(call(method, template, format!("{path}?x%00=1")), 400)
            .await;
        let error = refused.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains("NUL"), "{what}: {error}");
        // Sent as they are and checked as the operation's answers: an over-long path or
        // query is refused before it is matched or read.
        let long_query = format!("{path}?x={}", "q".repeat(MAX_QUERY_BYTES));
        let long_path = format!("{path}/{}", "p".repeat(MAX_PATH_BYTES));
        for uri in [long_query, long_path] {
            let answer = d
                .http
                .request(method.parse().unwrap(), format!("{}{uri}", d.app.base))
                .send()
                .await
                .unwrap();
            d.checked(method, template, Answer::read(answer).await, 414);
        }
        let body = "b".repeat(MAX_BODY_BYTES + 1);
        d.expect(
            call(method, template, path).body("application/octet-stream", body),
            413,
        )
        .await;
    }
}

/// With the database gone, beacons are not acknowledged but answered 503 (the snippet keeps
/// them), and `/health` says so with 503.
async fn storage_down(d: &Driver<'_>) {
    d.app.db.close().await;
    let health = d.expect(call("GET", "/health", "/health"), 503).await;
    assert_eq!(health.json()["status"], "degraded");
    assert_eq!(health.json()["storage"], "unavailable");
    let b = Browsing::random();
    let visit = json!({"site": "shop", "visitor": b.visitor, "session": b.session,
        "code": b.code, "url": "https://shop.test/?gclid=Cj0KCQ"});
    let click = json!({"site": "shop", "visitor": b.visitor, "session": b.session,
        "code": b.code, "page": "https://shop.test/", "number": "79001234567", "kind": "wa.me"});
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    for (template, body) in [("/collect/visit", visit), ("/collect/click", click)] {
        let post = call("POST", template, template)
            .header("user-agent", ua)
            .body("text/plain", body.to_string());
        let refused = d.expect(post, 503).await;
        assert!(
            refused.json()["error"]
                .as_str()
                .unwrap()
                .contains("retry later"),
            "{template}: {:?}",
            refused.json()
        );
    }
}

/// `POST /messages`: stored, duplicate, and every refusal.
async fn messages(d: &Driver<'_>, operator: &str, analyst: &str) {
    let b = Browsing::with_code(FIXTURE_CODE);
    d.app
        .browse_before_fixtures(&b, "https://shop.test/?utm_source=ig&utm_campaign=spring")
        .await;
    let post = || call("POST", MESSAGES, MESSAGES);
    let body = fixture("generic/message.json");
    let stored = d
        .expect(post().token(operator).body(JSON, body.clone()), 200)
        .await;
    assert_eq!(stored.json()["status"], "stored");
    let again = d
        .expect(post().token(operator).body(JSON, body.clone()), 200)
        .await;
    assert_eq!(again.json()["status"], "duplicate");
    let with_ad = json!({"channel": "whatsapp", "message_id": "crm-1", "business_number": "79001234567",
        "sender_phone": "+44 7911 654321", "text": "info?", "sent_at": "2025-11-23T09:30:00Z",
        "referral": {"source_id": "1202", "headline": "Oak", "source_type": "ad", "ctwa_clid": "ARAk"}});
    d.expect(post().token(operator).body(JSON, with_ad.to_string()), 200)
        .await;
    d.expect(post().body(JSON, body.clone()), 401).await;
    d.expect(post().token(analyst).body(JSON, body.clone()), 403)
        .await;
    d.expect(
        post().token(operator).body(JSON, r#"{"channel": "x"}"#),
        400,
    )
    .await;
    d.expect(
        post().token(operator).body(JSON, "x".repeat(65 * 1024)),
        413,
    )
    .await;
}

/// The list (paged), every card, and refusals; answers the dialog ids.
async fn dialogs(d: &Driver<'_>, operator: &str, analyst: &str, admin: &str) -> Vec<String> {
    let list = d
        .expect(call("GET", DIALOGS, DIALOGS).token(operator), 200)
        .await;
    let ids: Vec<String> = list.json()["dialogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dialog_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    let page = d
        .expect(
            call("GET", DIALOGS, format!("{DIALOGS}?limit=1")).token(admin),
            200,
        )
        .await;
    let cursor = page.json()["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    d.expect(
        call(
            "GET",
            DIALOGS,
            format!("{DIALOGS}?limit=2&cursor={cursor}&q=a&match=exact&kind=new&channel=Direct&tag=vip&number=79001234567&stage=New"),
        )
        .token(operator),
        200,
    )
    .await;
    for bad in [
        "limit=0",
        "limit=abc",
        "cursor=soon",
        "match=maybe",
        "stage=paid",
        "surprise=1",
    ] {
        d.expect(
            call("GET", DIALOGS, format!("{DIALOGS}?{bad}")).token(operator),
            400,
        )
        .await;
    }
    d.expect(call("GET", DIALOGS, DIALOGS), 401).await;
    d.expect(call("GET", DIALOGS, DIALOGS).token("crt_unknown"), 401)
        .await;
    d.expect(call("GET", DIALOGS, DIALOGS).token(analyst), 403)
        .await;

    let mut kinds = BTreeSet::new();
    for id in &ids {
        let card = d
            .expect(
                call("GET", CARD, format!("{DIALOGS}/{id}")).token(operator),
                200,
            )
            .await
            .json();
        kinds.insert(card["match"]["kind"].as_str().unwrap().to_owned());
    }
    // The cards checked include a session with its visitor, and an ad referral.
    assert!(
        kinds.contains("exact") && kinds.contains("referral"),
        "{kinds:?}"
    );
    let unknown = format!("{DIALOGS}/{}", uuid::Uuid::now_v7());
    d.expect(call("GET", CARD, unknown).token(operator), 404)
        .await;
    d.expect(
        call("GET", CARD, format!("{DIALOGS}/nope")).token(operator),
        400,
    )
    .await;
    d.expect(call("GET", CARD, format!("{DIALOGS}/{}", ids[0])), 401)
        .await;
    d.expect(
        call("GET", CARD, format!("{DIALOGS}/{}", ids[0])).token(analyst),
        403,
    )
    .await;
    ids
}

/// Tags: list, add, remove, and refusals for each.
async fn tags(d: &Driver<'_>, id: &str, operator: &str, analyst: &str) {
    let unknown = uuid::Uuid::now_v7().to_string();
    let list = |id: &str| call("GET", TAGS, format!("{DIALOGS}/{id}/tags"));
    for method in ["PUT", "DELETE"] {
        let tag = |id: &str, tag: &str| call(method, TAG, format!("{DIALOGS}/{id}/tags/{tag}"));
        let tags = d.expect(tag(id, "lead:hot").token(operator), 200).await;
        assert!(tags.json()["tags"].is_array());
        d.expect(tag(id, "%3Cb%3E").token(operator), 400).await;
        d.expect(tag("nope", "x").token(operator), 400).await;
        d.expect(tag(&unknown, "x").token(operator), 404).await;
        d.expect(tag(id, "x"), 401).await;
        d.expect(tag(id, "x").token(analyst), 403).await;
    }
    let put = |tag: &str| call("PUT", TAG, format!("{DIALOGS}/{id}/tags/{tag}"));
    d.expect(put("Oak%20Table").token(operator), 200).await;
    let tags = d.expect(list(id).token(operator), 200).await;
    assert_eq!(tags.json()["tags"], json!(["oak table"]));
    d.expect(list("nope").token(operator), 400).await;
    d.expect(list(&unknown).token(operator), 404).await;
    d.expect(list(id), 401).await;
    d.expect(list(id).token(analyst), 403).await;
}

/// Every report as JSON and CSV, dynamics with a comparison, and refusals.
async fn reports(d: &Driver<'_>, analyst: &str, operator: &str) {
    let period = "from=2025-11-01&to=2026-12-31";
    let get = |query: String| call("GET", REPORT, format!("/api/v1/reports/{query}"));
    for name in ReportName::ALL.map(ReportName::as_str) {
        let json = d
            .expect(get(format!("{name}?{period}")).token(analyst), 200)
            .await;
        assert_eq!(json.json()["report"], name);
        let csv = d
            .expect(
                get(format!("{name}?{period}&format=csv")).token(analyst),
                200,
            )
            .await;
        assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
        let accept = get(format!("{name}?{period}"))
            .token(analyst)
            .header("accept", "text/csv");
        d.expect(accept, 200).await;
    }
    let rows = |a: &Answer| a.json()["rows"].as_array().map_or(0, Vec::len);
    let channels = d
        .expect(get(format!("channels?{period}")).token(analyst), 200)
        .await;
    assert!(rows(&channels) > 0, "reports over real data");
    let filtered = format!(
        "dynamics?{period}&granularity=week&compare=custom&compare_from=2024-11-01\
         &compare_to=2025-10-31&channel=organic&match=exact&number=%2B79001234567&limit=5"
    );
    let dynamics = d.expect(get(filtered).token(analyst), 200).await.json();
    assert_eq!(dynamics["granularity"], "week");
    d.expect(
        get(format!("hours?{period}&compare=previous&granularity=month")).token(analyst),
        200,
    )
    .await;
    for bad in [
        format!("nope?{period}"),
        "pages?from=2025-11-01".into(),
        format!("pages?{period}&match=maybe"),
        format!("pages?{period}&format=xml"),
        format!("pages?{period}&surprise=1"),
        // An integer left empty is not an integer (schemathesis found it answered 200).
        format!("dynamics?{period}&limit="),
        format!("pages?{period}&limit=0"),
    ] {
        d.expect(get(bad).token(analyst), 400).await;
    }
    d.expect(get(format!("pages?{period}")), 401).await;
    d.expect(get(format!("pages?{period}")).token(operator), 403)
        .await;
}

const ME: &str = "/api/v1/me";
const SITE: &str = "/api/v1/site";
const FIRST_STEPS: &str = "/api/v1/site/first-steps";
const TOKENS: &str = "/api/v1/tokens";
const TOKEN: &str = "/api/v1/tokens/{id}";

/// `/me`, site settings and tokens, with every refusal.
async fn site(d: &Driver<'_>, admin: &str, operator: &str) {
    let me = d.expect(call("GET", ME, ME).token(operator), 200).await;
    assert_eq!(me.json()["role"], "operator");
    d.expect(call("GET", ME, ME), 401).await;
    let steps = d
        .expect(call("GET", FIRST_STEPS, FIRST_STEPS).token(operator), 200)
        .await;
    assert!(steps.json()["webhooks"].is_array());
    d.expect(call("GET", FIRST_STEPS, FIRST_STEPS), 401).await;

    let shown = d
        .expect(call("GET", SITE, SITE).token(admin), 200)
        .await
        .json();
    d.expect(call("GET", SITE, SITE).token(operator), 403).await;
    d.expect(call("GET", SITE, SITE), 401).await;
    let body = json!({
        "name": shown["name"], "timezone": "Europe/Lisbon", "domains": shown["domains"],
        "numbers": shown["numbers"], "template": shown["template"], "pages": [{"path": "/kids/*", "text": "Kids?"}],
        "bots": shown["bots"], "channel_rules": ["source=partner-* -> Affiliates"],
    });
    let put = || call("PUT", SITE, SITE);
    let saved = d
        .expect(put().token(admin).body(JSON, body.to_string()), 200)
        .await;
    assert_eq!(saved.json()["timezone"], "Europe/Lisbon");
    let mut bad = body.clone();
    bad["timezone"] = json!("Mars/Olympus");
    d.expect(put().token(admin).body(JSON, bad.to_string()), 400)
        .await;
    // A number another site owns (the tests' "other" site) is refused; nothing changes.
    create_site(&d.app.store, "other", &["+44 7700 900123"]).await;
    let mut taken = body.clone();
    taken["numbers"] = json!([{"number": "+44 7700 900123"}]);
    let refused = d
        .expect(put().token(admin).body(JSON, taken.to_string()), 409)
        .await;
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("belongs to one site"),
        "{:?}",
        refused.json()
    );
    d.expect(put().token(operator).body(JSON, body.to_string()), 403)
        .await;
    d.expect(put().token(admin).body(JSON, "x".repeat(257 * 1024)), 413)
        .await;
    d.expect(put().body(JSON, body.to_string()), 401).await;

    let created = d
        .expect(
            call("POST", TOKENS, TOKENS)
                .token(admin)
                .body(JSON, r#"{"name": "Maria", "role": "analyst"}"#),
            201,
        )
        .await
        .json();
    assert!(created["token"].as_str().unwrap().starts_with("crt_"));
    d.expect(
        call("POST", TOKENS, TOKENS)
            .token(admin)
            .body(JSON, r#"{"name": "x", "role": "owner"}"#),
        400,
    )
    .await;
    d.expect(
        call("POST", TOKENS, TOKENS)
            .token(operator)
            .body(JSON, r#"{"name": "x", "role": "admin"}"#),
        403,
    )
    .await;
    d.expect(
        call("POST", TOKENS, TOKENS)
            .token(admin)
            .body(JSON, "x".repeat(5000)),
        413,
    )
    .await;
    d.expect(call("POST", TOKENS, TOKENS).body(JSON, "{}"), 401)
        .await;
    let list = d
        .expect(call("GET", TOKENS, TOKENS).token(admin), 200)
        .await
        .json();
    d.expect(call("GET", TOKENS, TOKENS).token(operator), 403)
        .await;
    d.expect(call("GET", TOKENS, TOKENS), 401).await;
    let id_of = |name: &str, role: &str| {
        list["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name && t["role"] == role)
            .unwrap()["token_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let revoke = |id: &str| call("DELETE", TOKEN, format!("{TOKENS}/{id}"));
    let maria = id_of("Maria", "analyst");
    d.expect(revoke(&maria).token(operator), 403).await;
    d.expect(revoke(&maria), 401).await;
    d.expect(revoke(&maria).token(admin), 204).await;
    d.expect(revoke(&maria).token(admin), 404).await;
    d.expect(revoke("nope").token(admin), 400).await;
}
