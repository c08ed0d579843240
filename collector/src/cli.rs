//! The command line: run the server or the demo, create sites and API tokens.

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::secret::{sha256_hex, Secret};
use crate::domain::site::{NewSite, SiteInput};
use crate::domain::token::{generate_token, Role};
use crate::generate::{generate, GenerateOptions};
use crate::routes::demo;
use crate::startup::Application;
use crate::storage::{self, Admin, Db};

/// chatrail: click-to-chat attribution.
#[derive(Debug, Parser)]
#[command(name = "chatrail", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector.
    Serve(Settings),
    /// Run the collector with the demo site at /demo.
    Demo(Settings),
    /// Manage sites.
    #[command(subcommand)]
    Site(Box<SiteCommand>),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Report maintenance.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Fill a site with synthetic traffic (sessions, clicks, contacts, dialogs) for
    /// benchmarks and demos.
    Generate {
        #[command(flatten)]
        db: Database,
        /// Site key (create it first with `chatrail site create`).
        #[arg(long)]
        site: String,
        /// Sessions (visits) to generate.
        #[arg(long, default_value_t = 100_000)]
        sessions: u64,
        /// Dialogs to generate (about 85% from chat-link clicks, the rest unattributed).
        #[arg(long, default_value_t = 10_000)]
        dialogs: u64,
        /// Months of history, ending now.
        #[arg(long, default_value_t = 18)]
        months: u32,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Sessions per transaction.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
    },
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// Register a site with its tracked numbers.
    Create {
        #[command(flatten)]
        db: Database,
        /// Public key used in the script tag's data-site (a-z, 0-9, '-').
        #[arg(long)]
        key: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// The site's own domain (repeatable); referrers from it are internal.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// A tracked number in any notation (repeatable); `NUMBER=PHONE_NUMBER_ID` also binds
        /// the WhatsApp Cloud API phone number id.
        #[arg(long = "number")]
        numbers: Vec<String>,
        /// Prefilled-message template with {text} and {code}.
        #[arg(long)]
        template: Option<String>,
        /// A channel rule checked before the default channel group (repeatable, in order),
        /// e.g. "source=partner-* & medium=cpa -> Affiliates".
        #[arg(long = "channel-rule")]
        channel_rules: Vec<String>,
        /// A starter phrase for pages: `PATH=TEXT`, PATH like `/prices`, `/kids/*` or `*`
        /// (repeatable; the first matching path wins).
        #[arg(long = "page")]
        pages: Vec<String>,
        /// A template for pages: `PATH=TEMPLATE`, e.g. for pages in another language.
        #[arg(long = "page-template")]
        page_templates: Vec<String>,
        /// WhatsApp app secret (checks X-Hub-Signature-256).
        #[arg(long, env = "CHATRAIL_WA_APP_SECRET")]
        wa_app_secret: Option<Secret>,
        /// WhatsApp webhook verify token (stored hashed).
        #[arg(long, env = "CHATRAIL_WA_VERIFY_TOKEN")]
        wa_verify_token: Option<Secret>,
        /// Twilio auth token (checks X-Twilio-Signature).
        #[arg(long, env = "CHATRAIL_TWILIO_AUTH_TOKEN")]
        twilio_auth_token: Option<Secret>,
        /// The webhook URL exactly as configured in Twilio, if it is not CHATRAIL_PUBLIC_URL
        /// followed by /webhooks/twilio.
        #[arg(long)]
        twilio_webhook_url: Option<String>,
        /// Telegram bot username (t.me/<bot>).
        #[arg(long)]
        telegram_bot: Option<String>,
        /// Telegram webhook secret token, as given to setWebhook (stored hashed).
        #[arg(long, env = "CHATRAIL_TELEGRAM_SECRET_TOKEN")]
        telegram_secret_token: Option<Secret>,
        /// IANA time zone in which reports count days and hours, e.g. Europe/Berlin.
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReportsCommand {
    /// Compare a site's report rollups (and the attribution copied onto its clicks and
    /// dialogs) with the fact tables, and recompute them if they differ. Writes keep them in
    /// step; this repairs what they cannot, e.g. rows edited by hand.
    Rebuild {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// Recompute even if nothing differs.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token; it is printed once and stored only as a hash.
    Create {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// What the token may do.
        #[arg(long, value_enum, default_value = "operator")]
        role: Role,
        /// A label, e.g. who holds it.
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Debug, clap::Args)]
struct Database {
    /// Database URL, as for `serve`.
    #[arg(
        long,
        env = "CHATRAIL_DATABASE_URL",
        default_value = "sqlite://chatrail.db"
    )]
    database_url: String,
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(settings) => serve(settings).await,
            Command::Demo(mut settings) => {
                settings.demo = true;
                serve(settings).await
            }
            Command::Site(site) => match *site {
                SiteCommand::Create {
                    db,
                    key,
                    name,
                    domains,
                    numbers,
                    template,
                    channel_rules,
                    pages,
                    page_templates,
                    wa_app_secret,
                    wa_verify_token,
                    twilio_auth_token,
                    twilio_webhook_url,
                    telegram_bot,
                    telegram_secret_token,
                    timezone,
                } => {
                    let tz: chrono_tz::Tz = timezone
                        .parse()
                        .map_err(|_| anyhow::anyhow!("unknown time zone {timezone:?}"))?;
                    let site = NewSite::parse(SiteInput {
                        key,
                        name,
                        domains,
                        numbers,
                        template,
                        // The webhook bot is also the bot whose t.me links carry the code.
                        bots: telegram_bot.iter().cloned().collect(),
                        pages,
                        page_templates,
                        wa_app_secret,
                        wa_verify_token,
                        channel_rules,
                        twilio_auth_token,
                        twilio_webhook_url,
                        telegram_bot,
                        telegram_secret_token,
                    })?;
                    let store = storage::connect(&db.database_url).await?;
                    let site = store.create_site(&site).await?;
                    store.set_site_timezone(site.id, tz.name()).await?;
                    let mut json = serde_json::to_value(&site)?;
                    json["timezone"] = tz.name().into();
                    println!("{}", serde_json::to_string_pretty(&json)?);
                    Ok(())
                }
            },
            Command::Token(TokenCommand::Create {
                db,
                site,
                role,
                name,
            }) => {
                let store = storage::connect(&db.database_url).await?;
                let site = store
                    .site_by_key(&site)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site with key {site:?}"))?;
                let token = generate_token();
                store
                    .create_token(site.id, &sha256_hex(&token), role, &name)
                    .await?;
                println!("{token}");
                Ok(())
            }
            Command::Reports(ReportsCommand::Rebuild { db, site, force }) => {
                let store = storage::connect(&db.database_url).await?;
                let site = store
                    .site_by_key(&site)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site with key {site:?}"))?;
                let drift = store.rollup_drift(site.id).await?;
                for line in drift.iter().take(20) {
                    eprintln!("{line}");
                }
                println!("{} differences from the fact tables", drift.len());
                if drift.is_empty() && !force {
                    return Ok(());
                }
                let rows = store.rebuild_rollups(site.id).await?;
                let left = store.rollup_drift(site.id).await?.len();
                println!("rebuilt: {rows} rollup rows, {left} differences left");
                anyhow::ensure!(left == 0, "differences remain after the rebuild");
                Ok(())
            }
            Command::Generate {
                db,
                site,
                sessions,
                dialogs,
                months,
                seed,
                batch,
            } => {
                anyhow::ensure!(sessions > 0, "--sessions must be at least 1");
                let store = Db::connect(&db.database_url).await?;
                let site = store
                    .site_by_key(&site)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site with key {site:?}"))?;
                let opts = GenerateOptions {
                    sessions,
                    dialogs,
                    months,
                    seed,
                    batch,
                    ..GenerateOptions::default()
                };
                let stats = generate(&store, &site, &opts, |s| {
                    eprint!(
                        "\r{} sessions, {} clicks, {} dialogs, {:.0} rows/s   ",
                        s.sessions,
                        s.clicks,
                        s.dialogs,
                        s.rows_per_s()
                    );
                })
                .await?;
                eprintln!();
                println!(
                    "generated {} sessions, {} clicks, {} contacts, {} dialogs ({} rows) in {:.1} s: {:.0} rows/s",
                    stats.sessions,
                    stats.clicks,
                    stats.contacts,
                    stats.dialogs,
                    stats.rows(),
                    stats.elapsed.as_secs_f64(),
                    stats.rows_per_s()
                );
                Ok(())
            }
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let demo_mode = settings.demo;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    if demo_mode {
        let store = app.store();
        let site = demo::ensure_site(store.as_ref()).await?;
        let empty = store
            .list_dialogs(
                site.id,
                &crate::storage::DialogListQuery {
                    limit: 1,
                    ..Default::default()
                },
            )
            .await?
            .is_empty();
        if empty {
            // Three months of synthetic traffic, so the dashboard's reports have something
            // to show; the demo page adds real dialogs on top.
            let opts = crate::generate::GenerateOptions {
                sessions: 20_000,
                dialogs: 2_000,
                months: 3,
                ..Default::default()
            };
            crate::generate::generate(app.db(), &site, &opts, |_| {}).await?;
        }
        let token = generate_token();
        store
            .create_token(site.id, &sha256_hex(&token), Role::Admin, "demo")
            .await?;
        println!("\nchatrail demo is running.\n  dashboard:   {base}/dashboard/  (sign in with the token below)\n  demo page:   {base}/demo\n  API token:   {token}\n  try:         curl -H 'Authorization: Bearer {token}' {base}/api/v1/dialogs\n");
    }
    tracing::info!(%base, "listening");
    app.run_until_stopped().await
}
