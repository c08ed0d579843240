//! Every operation of the description driven against a real server with realistic data,
//! including its error answers, each answer checked against the description; every status
//! documented for an `/api/v1` operation must have been seen.

use std::collections::BTreeSet;
use std::sync::Mutex;

use chatrail_collector::domain::token::Role;
use chatrail_collector::reports::ReportName;
use chatrail_collector::routes::api::openapi::ApiDoc;
use chatrail_tests::app::{create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{fixture, twilio_form, Browsing, FIXTURE_CODE};
use chatrail_tests::on_both_backends;
use chatrail_tests::openapi::{Answer, Spec};
use serde_json::{json, Value};

use super::openapi::spec;

on_both_backends!(every_operation_answers_as_described);

/// Sends requests, checks each answer against the description and remembers what was seen.
struct Driver<'a> {
    app: &'a TestApp,
    spec: Spec,
    http: reqwest::Client,
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// One request: method, path template, the path as sent, and the rest.
struct Call<'t> {
    method: &'static str,
    template: &'static str,
    path: String,
    token: Option<&'t str>,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

fn call<'t>(method: &'static str, template: &'static str, path: impl Into<String>) -> Call<'t> {
    Call {
        method,
        template,
        path: path.into(),
        token: None,
        headers: Vec::new(),
        body: None,
    }
}

impl<'t> Call<'t> {
    fn token(mut self, token: &'t str) -> Self {
        self.token = Some(token);
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn body(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }
}

impl Driver<'_> {
    /// Sends `c`, checks the answer against the description, and asserts its status.
    async fn expect(&self, c: Call<'_>, status: u16) -> Answer {
        // A body the server is expected to take must be one the description allows.
        let content_type = c.headers.iter().find(|(n, _)| *n == "content-type");
        if let (Some((_, ct)), Some(body), true) =
            (content_type, &c.body, (200..300).contains(&status))
        {
            if let Err(e) = self.spec.check_request(c.method, c.template, ct, body) {
                panic!("{} {}: {e}", c.method, c.path);
            }
        }
        let mut request = self.http.request(
            c.method.parse().unwrap(),
            format!("{}{}", self.app.base, c.path),
        );
        if let Some(token) = c.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in c.headers {
            request = request.header(name, value);
        }
        if let Some(body) = c.body {
            request = request.body(body);
        }
        let answer = Answer::read(request.send().await.expect("request")).await;
        let what = format!("{} {}", c.method, c.path);
        // Refusals of unknown parameters are what they test; everything else is documented.
        if let Some((_, query)) = c.path.split_once('?').filter(|_| answer.status != 400) {
            if let Err(e) = self.spec.check_query(c.method, c.template, query) {
                panic!("{what}: {e}");
            }
        }
        assert_eq!(
            answer.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        if let Err(e) = self.spec.check(c.method, c.template, &answer) {
            panic!("{what} does not answer as described: {e}");
        }
        self.seen
            .lock()
            .unwrap()
            .insert((c.method.into(), c.template.into(), answer.status));
        answer
    }
}

const DIALOGS: &str = "/api/v1/dialogs";
const CARD: &str = "/api/v1/dialogs/{id}";
const TAGS: &str = "/api/v1/dialogs/{id}/tags";
const TAG: &str = "/api/v1/dialogs/{id}/tags/{tag}";
const MESSAGES: &str = "/api/v1/messages";
const REPORT: &str = "/api/v1/reports/{name}";
const JSON: &str = "application/json";

async fn every_operation_answers_as_described(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = Driver {
        app: &app,
        spec: spec(),
        // `/go` answers a redirect off this machine: never follow one.
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        seen: Mutex::default(),
    };
    let operator = app.token.as_str();
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;

    let served = d
        .expect(
            call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json"),
            200,
        )
        .await;
    assert_eq!(served.json(), d.spec.doc().clone());
    assert_eq!(
        serde_json::from_str::<Value>(ApiDoc::json()).unwrap(),
        served.json()
    );

    public_routes(&d).await;
    messages(&d, operator, &analyst).await;
    let ids = dialogs(&d, operator, &analyst, &admin).await;
    tags(&d, &ids[0], operator, &analyst).await;
    reports(&d, &analyst, operator).await;

    // Every status each `/api/v1` operation documents was produced and checked.
    let seen = d.seen.lock().unwrap().clone();
    for (method, path) in d.spec.operations() {
        if !path.starts_with("/api/v1") {
            continue;
        }
        let op = d.spec.operation(&method, &path).unwrap();
        for status in op["responses"].as_object().unwrap().keys() {
            let status: u16 = status.parse().unwrap();
            assert!(
                seen.contains(&(method.clone(), path.clone(), status)),
                "{method} {path} {status} was never exercised"
            );
        }
    }
}

/// The routes a site integrates with: health, the tracker, beacons, links and webhooks.
async fn public_routes(d: &Driver<'_>) {
    let health = d.expect(call("GET", "/health", "/health"), 200).await;
    assert_eq!(health.json()["status"], "ok");

    let js = d.expect(call("GET", "/t.js", "/t.js"), 200).await;
    let etag = d
        .app
        .http
        .get(format!("{}/t.js", d.app.base))
        .send()
        .await
        .unwrap();
    let etag = etag.headers()["etag"].to_str().unwrap().to_owned();
    d.expect(
        call("GET", "/t.js", "/t.js").header("if-none-match", etag),
        304,
    )
    .await;
    let js = String::from_utf8(js.body).unwrap();
    let start = js.find("/t/").expect("t.js names the wasm path");
    let wasm = &js[start..start + js[start..].find(".wasm").unwrap() + 5];
    d.expect(call("GET", "/t/{hash}.wasm", wasm), 200).await;
    d.expect(call("GET", "/t/{hash}.wasm", "/t/0000.wasm"), 404)
        .await;
    d.expect(
        call("GET", "/sites/{key}/config", "/sites/shop/config"),
        200,
    )
    .await;
    d.expect(
        call("GET", "/sites/{key}/config", "/sites/nope/config"),
        404,
    )
    .await;

    let b = Browsing::random();
    let visit = json!({"site": "shop", "visitor": b.visitor, "session": b.session, "code": b.code,
        "url": "https://shop.test/oak?utm_source=google&utm_medium=cpc&utm_campaign=oak",
        "referrer": "https://www.google.com/", "screen_w": 390, "screen_h": 844,
        "language": "en-GB", "timezone": "Europe/London"});
    let click = json!({"site": "shop", "visitor": b.visitor, "session": b.session, "code": b.code,
        "page": "https://shop.test/oak#buy", "number": "79001234567", "kind": "wa.me"});
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    for (template, body) in [("/collect/visit", visit), ("/collect/click", click)] {
        let post = || call("POST", template, template).header("user-agent", ua);
        let taken = d
            .expect(post().body("text/plain", body.to_string()), 202)
            .await;
        assert_eq!(taken.json()["status"], "accepted");
        let robot = call("POST", template, template)
            .header(
                "user-agent",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
            )
            .body("text/plain", body.to_string());
        assert_eq!(d.expect(robot, 202).await.json()["status"], "dropped");
        d.expect(post().body("text/plain", "{"), 400).await;
        let mut elsewhere = body.clone();
        elsewhere["site"] = json!("nope");
        d.expect(post().body("text/plain", elsewhere.to_string()), 404)
            .await;
        d.expect(post().body("text/plain", "x".repeat(9 * 1024)), 413)
            .await;
    }

    let go = "/go/{site}/{chat}";
    let redirect = d
        .expect(
            call("GET", go, "/go/shop/79001234567?utm_source=qr&text=hi"),
            302,
        )
        .await;
    assert!(redirect.body.is_empty());
    d.expect(call("GET", go, "/go/nope/79001234567"), 404).await;
    d.expect(call("GET", go, "/go/shop/15550001111"), 404).await;

    let verify = "/webhooks/whatsapp";
    let handshake = |token: &str| {
        format!("{verify}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")
    };
    let echoed = d
        .expect(
            call("GET", verify, handshake(chatrail_tests::app::VERIFY_TOKEN)),
            200,
        )
        .await;
    assert_eq!(echoed.body, b"1158201444");
    d.expect(call("GET", verify, handshake("wrong")), 403).await;
    d.expect(
        call("GET", verify, format!("{verify}?hub.mode=unsubscribe")),
        400,
    )
    .await;

    let message = whatsapp_text("wamid.oa1", "447911123456", "Tom", "hello", 1_763_806_200);
    let signed = chatrail_collector::providers::signature::hub_signature(
        chatrail_tests::app::APP_SECRET.as_bytes(),
        message.as_bytes(),
    );
    let post = || call("POST", verify, verify);
    let report = d
        .expect(
            post()
                .header("x-hub-signature-256", signed.clone())
                .body(JSON, message.clone()),
            200,
        )
        .await;
    assert_eq!(report.json()["stored"], 1);
    d.expect(post().body(JSON, message.clone()), 401).await;
    let bad = "{not json";
    let bad_signed = chatrail_collector::providers::signature::hub_signature(
        chatrail_tests::app::APP_SECRET.as_bytes(),
        bad.as_bytes(),
    );
    d.expect(
        post()
            .header("x-hub-signature-256", bad_signed)
            .body(JSON, bad),
        400,
    )
    .await;

    // Twilio and Telegram through the tests' signing helpers, checked the same way.
    let twilio = Answer::read(
        d.app
            .post_twilio(&twilio_form("twilio/text_with_code.form"))
            .await,
    )
    .await;
    assert_eq!(twilio.status, 200);
    d.spec.check("POST", "/webhooks/twilio", &twilio).unwrap();
    let unsigned = d
        .http
        .post(format!("{}/webhooks/twilio", d.app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("To=whatsapp%3A%2B79001234567")
        .send()
        .await
        .unwrap();
    let unsigned = Answer::read(unsigned).await;
    assert_eq!(unsigned.status, 401);
    d.spec.check("POST", "/webhooks/twilio", &unsigned).unwrap();
    let telegram = "/webhooks/telegram/{site_key}";
    for (resp, status) in [
        (
            d.app.post_telegram(&fixture("telegram/text.json")).await,
            200,
        ),
        (
            d.app
                .post_telegram_with(&fixture("telegram/text.json"), None)
                .await,
            401,
        ),
        (d.app.post_telegram(r#"{"update_id": "x"}"#).await, 400),
    ] {
        let answer = Answer::read(resp).await;
        assert_eq!(answer.status, status);
        d.spec.check("POST", telegram, &answer).unwrap();
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
    let before = page.json()["next_before"].as_i64().expect("a next page");
    d.expect(
        call("GET", DIALOGS, format!("{DIALOGS}?limit=2&before={before}")).token(operator),
        200,
    )
    .await;
    for bad in ["limit=0", "limit=abc", "before=soon"] {
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
    ] {
        d.expect(get(bad).token(analyst), 400).await;
    }
    d.expect(get(format!("pages?{period}")), 401).await;
    d.expect(get(format!("pages?{period}")).token(operator), 403)
        .await;
}
