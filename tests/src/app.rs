//! A running collector for tests: real HTTP server on a free port, a fresh database per test
//! (a temporary SQLite file, or a new database on the throwaway PostgreSQL server).

use std::time::Duration;

use chatrail_collector::config::Settings;
use chatrail_collector::domain::secret::sha256_hex;
use chatrail_collector::domain::site::{NewSite, Site, SiteInput};
use chatrail_collector::domain::token::{generate_token, Role};
use chatrail_collector::providers::signature::hub_signature;
use chatrail_collector::startup::Application;
use chatrail_collector::storage::{Db, SharedStore};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test process's PostgreSQL server.
    Postgres,
}

/// App secret of the test site's WhatsApp webhooks.
pub const APP_SECRET: &str = "test-app-secret";
/// Verify token of the test site's WhatsApp webhooks.
pub const VERIFY_TOKEN: &str = "test-verify-token";
/// The test site's tracked number as a marketer would type it.
pub const TRACKED_NUMBER: &str = "+7 (900) 123-45-67";
/// The same number, normalised.
pub const TRACKED_DIGITS: &str = "79001234567";
/// The Cloud API phone number id bound to it.
pub const PHONE_NUMBER_ID: &str = "221133445566778";
/// `CHATRAIL_PUBLIC_URL` of the test collector: what Twilio signatures are computed over.
pub const PUBLIC_URL: &str = "https://chatrail.example.com";
/// Twilio auth token of the test site.
pub const TWILIO_AUTH_TOKEN: &str = "test-twilio-auth-token";
/// Telegram bot of the test site.
pub const TELEGRAM_BOT: &str = "chatrail_shop_bot";
/// Telegram webhook secret token of the test site.
pub const TELEGRAM_SECRET: &str = "test-telegram-secret_1";

/// A database URL for a fresh, empty database on `backend`, and what keeps it alive.
pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("chatrail.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let url = crate::postgres::database()
                .await
                .expect("throwaway PostgreSQL");
            (url, None)
        }
    }
}

/// A running collector with one site and an operator token.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its store, for set-up and inspection.
    pub store: SharedStore,
    /// The database under the store, for bulk loads (the generator).
    pub db: Db,
    /// The site created for the test.
    pub site: Site,
    /// An operator token of that site.
    pub token: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// The database URL, for tests that inspect the stored rows.
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("base", &self.base).finish()
    }
}

/// Starts a collector on `backend` with a site `shop` (domain `shop.test`, the tracked
/// number, WhatsApp secrets) and an operator token.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with settings changed by `configure` first.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, dir) = fresh_database(backend).await;
    let mut settings = Settings::for_database(url.clone());
    settings.public_url = Some(PUBLIC_URL.into());
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (store, db) = (app.store(), app.db().clone());
    tokio::spawn(app.run_until_stopped());
    let site = create_site(
        &store,
        "shop",
        &[&format!("{TRACKED_NUMBER}={PHONE_NUMBER_ID}")],
    )
    .await;
    let token = create_token(&store, &site, Role::Operator).await;
    TestApp {
        base,
        store,
        db,
        site,
        token,
        http: reqwest::Client::new(),
        database_url: url,
        _dir: dir,
    }
}

/// Creates a site with the test WhatsApp and Twilio secrets; the site `shop` also gets the
/// test Telegram bot (bot usernames are one per site).
pub async fn create_site(store: &SharedStore, key: &str, numbers: &[&str]) -> Site {
    let telegram = key == "shop";
    let site = NewSite::parse(SiteInput {
        key: key.into(),
        domains: vec![format!("{key}.test")],
        numbers: numbers.iter().map(|n| n.to_string()).collect(),
        wa_app_secret: Some(APP_SECRET.into()),
        wa_verify_token: Some(VERIFY_TOKEN.into()),
        twilio_auth_token: Some(TWILIO_AUTH_TOKEN.into()),
        telegram_bot: telegram.then(|| TELEGRAM_BOT.into()),
        bots: if telegram {
            vec![TELEGRAM_BOT.into()]
        } else {
            Vec::new()
        },
        telegram_secret_token: telegram.then(|| TELEGRAM_SECRET.into()),
        ..SiteInput::default()
    })
    .expect("valid site");
    store.create_site(&site).await.expect("site stored")
}

/// Creates a token for `site`.
pub async fn create_token(store: &SharedStore, site: &Site, role: Role) -> String {
    let token = generate_token();
    store
        .create_token(site.id, &sha256_hex(&token), role, "test")
        .await
        .expect("token stored");
    token
}

/// A Cloud API webhook body with one text message to the test site's number.
pub fn whatsapp_text(message_id: &str, from: &str, name: &str, text: &str, unix_s: i64) -> String {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "310987654321098", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": TRACKED_DIGITS, "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": from}],
            "messages": [{"from": from, "id": message_id, "timestamp": unix_s.to_string(),
                          "type": "text", "text": {"body": text}}]
        }}]}]
    })
    .to_string()
}

impl TestApp {
    /// Starts another collector on this one's database (as several collectors share one
    /// PostgreSQL), with settings changed by `configure`; its base URL.
    pub async fn another_collector(&self, configure: impl FnOnce(&mut Settings)) -> String {
        let mut settings = Settings::for_database(self.database_url.clone());
        settings.public_url = Some(PUBLIC_URL.into());
        configure(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        base
    }

    /// The directory holding the SQLite database file (`None` on PostgreSQL).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    /// Posts a WhatsApp webhook body signed with `secret`.
    pub async fn post_whatsapp_signed(&self, body: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/webhooks/whatsapp", self.base))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                hub_signature(secret.as_bytes(), body.as_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await
            .expect("webhook request")
    }

    /// Posts a WhatsApp webhook body with the right signature.
    pub async fn post_whatsapp(&self, body: &str) -> reqwest::Response {
        self.post_whatsapp_signed(body, APP_SECRET).await
    }

    /// Posts a beacon (`kind` is `visit` or `click`) as a browser behind the test's trusted
    /// proxy sends it: from `user_agent`, forwarded for `client`.
    pub async fn beacon_from(
        &self,
        kind: &str,
        body: &serde_json::Value,
        user_agent: &str,
        client: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/collect/{kind}", self.base))
            .header("user-agent", user_agent)
            .header("x-forwarded-for", client)
            .header("content-type", "text/plain")
            .body(body.to_string())
            .send()
            .await
            .expect("beacon request")
    }

    /// GETs an API path with the operator token.
    pub async fn api_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("API request")
    }

    /// Reads `/health`.
    pub async fn health(&self) -> serde_json::Value {
        self.http
            .get(format!("{}/health", self.base))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("health JSON")
    }

    /// Reads `/health`'s ingest counters.
    pub async fn ingest_counter(&self, name: &str) -> u64 {
        self.health().await["ingest"][name].as_u64().unwrap_or(0)
    }

    /// Waits until the batch writer has stored at least `n` beacons the test did not see
    /// answered (a browser sent them).
    pub async fn wait_written(&self, n: u64) {
        for _ in 0..200 {
            if self.ingest_counter("written").await >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the batch writer did not store {n} beacons within 5 s");
    }

    /// Checks that the batch writer has stored at least `n` beacons: a beacon's 202 is sent
    /// only once it is committed, so there is nothing to wait for.
    pub async fn assert_written(&self, n: u64) {
        let written = self.ingest_counter("written").await;
        assert!(
            written >= n,
            "only {written} of {n} acknowledged beacons are stored"
        );
    }
}
