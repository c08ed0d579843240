//! Driving inbound providers against a [`TestApp`]: fixture payloads, signed Twilio and
//! Telegram requests, generic API messages, and browsing sessions with known codes.

use chatrail_collector::domain::visit::{Click, Sender, Visit};
use chatrail_collector::providers::twilio::{self, Form};
use chatrail_collector::storage::IngestEvent;
use chatrail_core::beacon::{format_id, ClickBeacon, VisitBeacon};
use serde_json::Value;

use crate::app::{TestApp, PUBLIC_URL, TELEGRAM_SECRET, TRACKED_DIGITS, TWILIO_AUTH_TOKEN};

/// The Unix time (seconds) the fixtures' messages are sent at: 2025-11-22T10:00:00Z.
pub const FIXTURE_T: i64 = 1_763_805_600;
/// The session code the fixtures carry.
pub const FIXTURE_CODE: &str = "K7Q2M9VA";

/// The text of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A fixture form (one `name=value` per line, values as typed) encoded as Twilio posts it.
pub fn twilio_form(name: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for line in fixture(name).lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = line.split_once('=').expect("name=value");
        form.append_pair(k, v);
    }
    form.finish()
}

const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// A browser session the test made, as the snippet would.
#[derive(Debug, Clone)]
pub struct Browsing {
    /// Session id as sent in beacons.
    pub session: String,
    /// Its visitor.
    pub visitor: String,
    /// Its code.
    pub code: String,
    /// The client signal its visits and clicks carry (the collector makes it from the
    /// address and user agent; the store-level helpers take it as given).
    pub client: Option<i64>,
}

impl Browsing {
    /// A new session carrying `code`.
    pub fn with_code(code: &str) -> Browsing {
        Browsing {
            session: format_id(*uuid::Uuid::new_v4().as_bytes()),
            visitor: format_id(*uuid::Uuid::new_v4().as_bytes()),
            code: code.into(),
            client: None,
        }
    }

    /// The same session, sent from `client`.
    pub fn from_client(self, client: i64) -> Browsing {
        Browsing {
            client: Some(client),
            ..self
        }
    }

    /// A new session with a random code.
    pub fn random() -> Browsing {
        let code = chatrail_core::code::SessionCode::generate(|| {
            (uuid::Uuid::new_v4().as_u128() >> 96) as u32
        });
        Browsing::with_code(code.as_str())
    }
}

impl TestApp {
    /// Stores a visit of `b` landing on `landing` at `at_ms` through the store (so the test
    /// controls the time), without a click.
    pub async fn visit(&self, b: &Browsing, landing: &str, at_ms: i64) {
        let beacon = VisitBeacon {
            site: self.site.key.clone(),
            visitor: b.visitor.clone(),
            session: b.session.clone(),
            code: b.code.clone(),
            url: landing.into(),
            referrer: None,
            screen_w: Some(390),
            screen_h: Some(844),
            language: Some("en-GB".into()),
            timezone: Some("Europe/London".into()),
            ..VisitBeacon::default()
        };
        let visit = Visit::parse(&self.site, beacon, Sender::user_agent(CHROME_UA), at_ms)
            .expect("valid visit");
        let visit = Visit {
            client: b.client,
            ..visit
        };
        self.store
            .write_batch(&[IngestEvent::Visit(Box::new(visit))])
            .await
            .expect("visit stored");
    }

    /// Stores a click of `b` on the tracked number at `at_ms`.
    pub async fn click(&self, b: &Browsing, at_ms: i64) {
        self.click_on(b, "wa.me", TRACKED_DIGITS, at_ms).await;
    }

    /// Stores a click of `b` on a link of `kind` to `number` (a bot for Telegram kinds), as
    /// the snippet reports it, at `at_ms`.
    pub async fn click_on(&self, b: &Browsing, kind: &str, number: &str, at_ms: i64) {
        let beacon = ClickBeacon {
            site: self.site.key.clone(),
            visitor: b.visitor.clone(),
            session: b.session.clone(),
            code: b.code.clone(),
            page: "https://shop.test/oak-table".into(),
            number: number.into(),
            kind: kind.into(),
            id: None,
            ..ClickBeacon::default()
        };
        let click = Click::parse(&self.site, beacon, at_ms).expect("valid click");
        let click = Click {
            client: b.client,
            ..click
        };
        self.store
            .write_batch(&[IngestEvent::Click(Box::new(click))])
            .await
            .expect("click stored");
    }

    /// A session that landed from `landing` five minutes before the fixtures' time and
    /// clicked the tracked number a minute later.
    pub async fn browse_before_fixtures(&self, b: &Browsing, landing: &str) {
        let t = FIXTURE_T * 1000;
        self.visit(b, landing, t - 300_000).await;
        self.click(b, t - 240_000).await;
    }

    /// Posts a Twilio form body signed for `url` with `token`.
    pub async fn post_twilio_signed(
        &self,
        body: &str,
        token: &str,
        url: &str,
    ) -> reqwest::Response {
        let signature = twilio::signature(token, url, &Form::parse(body.as_bytes()));
        self.http
            .post(format!("{}/webhooks/twilio", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .expect("twilio request")
    }

    /// Posts a Twilio form body with the right signature for the configured public URL.
    pub async fn post_twilio(&self, body: &str) -> reqwest::Response {
        let url = format!("{PUBLIC_URL}/webhooks/twilio");
        self.post_twilio_signed(body, TWILIO_AUTH_TOKEN, &url).await
    }

    /// Posts a Telegram update for site `shop` with `secret` (none: no header).
    pub async fn post_telegram_with(&self, body: &str, secret: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/webhooks/telegram/shop", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(secret) = secret {
            request = request.header("x-telegram-bot-api-secret-token", secret);
        }
        request.send().await.expect("telegram request")
    }

    /// Posts a Telegram update for site `shop` with the right secret.
    pub async fn post_telegram(&self, body: &str) -> reqwest::Response {
        self.post_telegram_with(body, Some(TELEGRAM_SECRET)).await
    }

    /// Posts a generic message with the operator token.
    pub async fn post_message(&self, body: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/messages", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("messages request")
    }

    /// The dialogs list (newest first).
    pub async fn dialogs(&self) -> Vec<Value> {
        let list: Value = self.api_get("/api/v1/dialogs").await.json().await.unwrap();
        list["dialogs"].as_array().cloned().unwrap_or_default()
    }

    /// The source card of the only dialog, asserting there is exactly one.
    pub async fn only_card(&self) -> Value {
        let dialogs = self.dialogs().await;
        assert_eq!(dialogs.len(), 1, "expected one dialog: {dialogs:?}");
        self.card(dialogs[0]["dialog_id"].as_str().unwrap()).await
    }

    /// The source card of a dialog.
    pub async fn card(&self, dialog_id: &str) -> Value {
        let resp = self.api_get(&format!("/api/v1/dialogs/{dialog_id}")).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}
