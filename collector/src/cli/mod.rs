//! The command line: run the server or the demo, create sites, API tokens and accounts.

mod accounts;
mod conversions;
mod subcommands;

use clap::{Parser, Subcommand};
use subcommands::{ContactCommand, CostsCommand, Database, ReportsCommand, TokenCommand};

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
    /// Dashboard accounts: people signing in with e-mail and password.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// Report maintenance.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Chat contacts.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Ad spend.
    #[command(subcommand)]
    Costs(CostsCommand),
    /// Conversions: where a site's leads and sales are sent.
    #[command(subcommand)]
    Conversions(conversions::ConversionsCommand),
    /// Copy the SQLite database into FILE, consistent while the collector serves
    /// (PostgreSQL: use pg_dump).
    Backup {
        #[command(flatten)]
        db: Database,
        /// The backup file to write (must not exist).
        file: std::path::PathBuf,
    },
    /// Put a backup made by `chatrail backup` in place of the SQLite database; refused while
    /// a collector runs on it (PostgreSQL: use pg_restore).
    Restore {
        #[command(flatten)]
        db: Database,
        /// The backup file.
        file: std::path::PathBuf,
        /// Replace an existing database (kept beside it as `<file>.before-restore-<time>`).
        #[arg(long)]
        force: bool,
    },
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

// Parsed once per run and already boxed in `Command::Site`.
#[allow(clippy::large_enum_variant)]
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
    /// Show or set how long a site keeps visits and clicks, and dialogs and messages;
    /// 0 days keeps them for ever. The collector deletes what is older every
    /// CHATRAIL_RETENTION_EVERY_SECONDS.
    Retention {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// Days visits (sessions, pageviews, visitors) and clicks are kept.
        #[arg(long)]
        visits_days: Option<u32>,
        /// Days dialogs, messages and delivery statuses are kept.
        #[arg(long)]
        dialogs_days: Option<u32>,
        /// Delete what is older now, rather than at the collector's next run.
        #[arg(long)]
        run: bool,
    },
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
                SiteCommand::Retention {
                    db,
                    site,
                    visits_days,
                    dialogs_days,
                    run,
                } => {
                    let (store, site) = store_and_site(&db, &site).await?;
                    let mut r = store.retention(site).await?;
                    let days = |d: u32| (d > 0).then_some(d);
                    r.visits_days = visits_days.map_or(r.visits_days, days);
                    r.dialogs_days = dialogs_days.map_or(r.dialogs_days, days);
                    r.validate().map_err(anyhow::Error::msg)?;
                    store.set_retention(site, &r).await?;
                    println!("{}", serde_json::to_string(&r)?);
                    if run {
                        let now = chrono::Utc::now().timestamp_millis();
                        println!(
                            "{}",
                            serde_json::to_string(&store.expire(site, now).await?)?
                        );
                    }
                    Ok(())
                }
            },
            Command::Contact(ContactCommand::Erase {
                db,
                site,
                phone,
                user_id,
            }) => {
                let digits = chatrail_core::phone::normalize_number(&phone)
                    .ok_or_else(|| anyhow::anyhow!("--phone is not a phone number"))?;
                let (store, site) = store_and_site(&db, &site).await?;
                let erased = store
                    .erase_contact(site, Some(&digits), user_id.as_deref(), "cli")
                    .await?;
                println!("{}", serde_json::to_string_pretty(&erased)?);
                Ok(())
            }
            Command::Token(TokenCommand::Create {
                db,
                site,
                role,
                name,
            }) => {
                let (store, site) = store_and_site(&db, &site).await?;
                let token = generate_token();
                store
                    .create_token(site, &sha256_hex(&token), role, &name)
                    .await?;
                println!("{token}");
                Ok(())
            }
            Command::Reports(ReportsCommand::Rebuild { db, site, force }) => {
                let (store, site) = store_and_site(&db, &site).await?;
                let drift = store.rollup_drift(site).await?;
                for line in drift.iter().take(20) {
                    eprintln!("{line}");
                }
                println!("{} differences from the fact tables", drift.len());
                if drift.is_empty() && !force {
                    return Ok(());
                }
                let rows = store.rebuild_rollups(site).await?;
                let left = store.rollup_drift(site).await?.len();
                println!("rebuilt: {rows} rollup rows, {left} differences left");
                anyhow::ensure!(left == 0, "differences remain after the rebuild");
                Ok(())
            }
            Command::Costs(CostsCommand::Import {
                db,
                site,
                map,
                file,
            }) => {
                let store = storage::connect(&db.database_url).await?;
                let site = store
                    .site_by_key(&site)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site with key {site:?}"))?;
                let mapping =
                    crate::reports::costs::Mapping::parse(map.iter().map(String::as_str))?;
                let body = std::fs::read(&file)?;
                let rows = crate::reports::costs::parse_csv(&body, &mapping, &site.channel_rules)?;
                let stored = store.import_costs(site.id, &rows).await?;
                println!("{}", serde_json::to_string_pretty(&stored)?);
                Ok(())
            }
            Command::Conversions(c) => c.run().await,
            Command::Accounts(c) => c.run().await,
            Command::Backup { db, file } => {
                let done = crate::backup::backup(&db.database_url, &file).await?;
                println!(
                    "backed up to {} ({} bytes) in {:.2} s",
                    file.display(),
                    done.bytes,
                    done.elapsed.as_secs_f64()
                );
                Ok(())
            }
            Command::Restore { db, file, force } => {
                let kept = crate::backup::restore(&file, &db.database_url, force).await?;
                println!("restored {} to {}", file.display(), db.database_url);
                if let Some(kept) = kept {
                    println!("the replaced database is kept as {}", kept.display());
                }
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

/// The store of `db` and the id of the site keyed `key`.
async fn store_and_site(
    db: &Database,
    key: &str,
) -> anyhow::Result<(storage::SharedStore, crate::domain::site::SiteId)> {
    let store = storage::connect(&db.database_url).await?;
    let site = store
        .site_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site with key {key:?}"))?;
    Ok((store, site.id))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let demo_mode = settings.demo;
    let database_url = settings.database_url.clone();
    let app = Application::build(settings).await?;
    // Held while serving: `chatrail restore` will not replace the file under us.
    let _lock = crate::backup::hold_shared(&database_url)?;
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
