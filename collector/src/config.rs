//! Settings, from command-line flags or `CHATRAIL_*` environment variables (flags win).

use std::path::PathBuf;

use clap::Args;

use crate::enrich::client_ip::TrustedProxies;

/// How the server runs.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: `sqlite://<file>` (created on first start) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "CHATRAIL_DATABASE_URL",
        default_value = "sqlite://chatrail.db"
    )]
    pub database_url: String,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CHATRAIL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "CHATRAIL_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Beacons held in memory before new ones are refused with 503.
    #[arg(long, env = "CHATRAIL_QUEUE_CAPACITY", default_value_t = 10_000)]
    pub queue_capacity: usize,
    /// Most beacons written per transaction.
    #[arg(long, env = "CHATRAIL_BATCH_SIZE", default_value_t = 500)]
    pub batch_size: usize,
    /// Hours of silence after which a contact's next message starts a new dialog.
    #[arg(long, env = "CHATRAIL_DIALOG_SILENCE_HOURS", default_value_t = 24)]
    pub dialog_silence_hours: i64,
    /// GeoIP city databases (`.mmdb`: GeoLite2-City, DB-IP, ip-location-db), comma-separated;
    /// the first that knows an address answers. Unset: region is unknown.
    #[arg(long = "geoip-db", env = "CHATRAIL_GEOIP_DB", value_delimiter = ',')]
    pub geoip_db: Vec<PathBuf>,
    /// Proxies (CIDRs or addresses, comma-separated) whose `Forwarded` / `X-Forwarded-For`
    /// headers name the visitor's address; from anyone else those headers are ignored.
    #[arg(long, env = "CHATRAIL_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,
    /// The collector's public base URL as providers call it, e.g. `https://chatrail.example.com`;
    /// Twilio signs the URL it called, which a proxy may rewrite, so it is configured, never
    /// taken from the Host header.
    #[arg(long, env = "CHATRAIL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Minutes before a message without code or referral in which a single unmatched click on
    /// the number makes a probable match (0 turns probable matching off).
    #[arg(long, env = "CHATRAIL_PROBABLE_WINDOW_MINUTES", default_value_t = 10)]
    pub probable_window_minutes: i64,
    /// Beacons and `/go` redirects a second one client address may send, in bursts of five
    /// seconds' worth; past it: `429`. 0: no limit.
    #[arg(long, env = "CHATRAIL_CLIENT_RATE", default_value_t = 20)]
    pub client_rate: u32,
    /// Beacons and `/go` redirects a second one site takes from all clients together, in
    /// bursts of ten seconds' worth; past it: `429`. 0: no limit.
    #[arg(long, env = "CHATRAIL_SITE_RATE", default_value_t = 2000)]
    pub site_rate: u32,
    /// Beacons and `/go` redirects one site takes in any 24 hours (refilled evenly over the
    /// day); past it: `429`. 0: no cap.
    #[arg(long, env = "CHATRAIL_SITE_DAILY_CAP", default_value_t = 0)]
    pub site_daily_cap: u32,
    /// Bearer token that `GET /metrics` requires; unset: the main listener answers `/metrics`
    /// with 404.
    #[arg(long, env = "CHATRAIL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<crate::domain::secret::Secret>,
    /// A second address serving only `/metrics` (no token needed there unless
    /// CHATRAIL_METRICS_TOKEN is set), e.g. a private interface for Prometheus.
    #[arg(long, env = "CHATRAIL_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Seconds between runs of the retention task, which deletes what sites keep no longer
    /// than their retention (`chatrail site retention`); 0 turns it off.
    #[arg(long, env = "CHATRAIL_RETENTION_EVERY_SECONDS", default_value_t = 3600)]
    pub retention_every_seconds: u64,
    /// Milliseconds the conversions sender waits when nothing is due; 0 turns sending off
    /// (events still go to the outbox, for another collector to send).
    #[arg(long, env = "CHATRAIL_CONVERSIONS_POLL_MS", default_value_t = 1000)]
    pub conversions_poll_ms: u64,
    /// Milliseconds before the second attempt at a delivery; doubled after each failure,
    /// up to an hour.
    #[arg(long, env = "CHATRAIL_CONVERSIONS_RETRY_MS", default_value_t = 30_000)]
    pub conversions_retry_ms: u64,
    /// Milliseconds a conversion request may take; a delivery a sender holds is left to
    /// others after twice that and 5 s (its sender died).
    #[arg(
        long,
        env = "CHATRAIL_CONVERSIONS_TIMEOUT_MS",
        default_value_t = 15_000
    )]
    pub conversions_timeout_ms: u64,
    /// Sign-in attempts (`POST /api/v1/session`) one e-mail address may make in 15 minutes,
    /// one client address five times as many; past it: `429`. 0: no limit.
    #[arg(long, env = "CHATRAIL_SIGN_IN_ATTEMPTS", default_value_t = 10)]
    pub sign_in_attempts: u32,
    /// Plain-http development only: session cookies without `Secure`, so a browser keeps
    /// them over http on a host other than localhost. Never in production.
    #[arg(long, env = "CHATRAIL_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Mount the demo site (`chatrail demo` sets this).
    #[arg(skip)]
    pub demo: bool,
}

impl Settings {
    /// Settings for tests and embedding: the given database, a free loopback port.
    pub fn for_database(database_url: impl Into<String>) -> Settings {
        Settings {
            database_url: database_url.into(),
            listen: "127.0.0.1:0".into(),
            workers: 2,
            queue_capacity: 10_000,
            batch_size: 500,
            dialog_silence_hours: 24,
            geoip_db: Vec::new(),
            trusted_proxies: TrustedProxies::default(),
            public_url: None,
            probable_window_minutes: 10,
            // Tests send from one address faster than any visitor; the limits' own tests
            // set them.
            client_rate: 0,
            site_rate: 0,
            site_daily_cap: 0,
            metrics_token: None,
            metrics_listen: None,
            retention_every_seconds: 3600,
            conversions_poll_ms: 1000,
            conversions_retry_ms: 30_000,
            conversions_timeout_ms: 15_000,
            sign_in_attempts: 10,
            insecure_cookies: false,
            demo: false,
        }
    }
}
