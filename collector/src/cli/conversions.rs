//! `chatrail conversions`: a site's conversion destinations from the command line, as the
//! API and Settings manage them (`collector/src/conversions/README.md`).

use clap::Subcommand;
use uuid::Uuid;

use super::subcommands::Database;
use crate::conversions::{DestinationKind, NewDestination};
use crate::storage::{self, SharedStore};

#[derive(Debug, Subcommand)]
pub(super) enum ConversionsCommand {
    /// Add a destination; prints it as JSON (a webhook's made-up signing secret once).
    Add {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// `webhook`, `meta`, `ga4`, `google_ads` or `yandex_metrica`.
        #[arg(long)]
        kind: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// The webhook's URL, or a base URL in place of the platform's.
        #[arg(long)]
        endpoint: Option<String>,
        /// A setting, repeatable: `dataset_id=…`, `whatsapp_business_account_id=…`,
        /// `test_event_code=…` (Meta), `measurement_id=G-…` (GA4).
        #[arg(long)]
        setting: Vec<String>,
        /// The credential (Meta's access token, GA4's API secret, a webhook's `whsec_…`);
        /// better from the environment than on the command line.
        #[arg(long, env = "CHATRAIL_DESTINATION_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// An event and its name there, repeatable: `won=Purchase`, `stage:qualified=…`;
        /// the platform's usual names when none is given.
        #[arg(long)]
        event: Vec<String>,
    },
    /// List the site's destinations as JSON (never their secrets).
    List {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
    },
    /// Remove a destination and its delivery log.
    Remove {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// The destination's id.
        #[arg(long)]
        id: Uuid,
    },
}

/// `NAME=VALUE` pairs.
fn pairs(
    what: &str,
    given: &[String],
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    given
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--{what} {p:?} is not NAME=VALUE"))?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

async fn site_of(
    db: &Database,
    key: &str,
) -> anyhow::Result<(SharedStore, crate::domain::site::SiteId)> {
    let store = storage::connect(&db.database_url).await?;
    let site = store
        .site_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site with key {key:?}"))?;
    Ok((store, site.id))
}

impl ConversionsCommand {
    pub(super) async fn run(self) -> anyhow::Result<()> {
        match self {
            ConversionsCommand::Add {
                db,
                site,
                kind,
                name,
                endpoint,
                setting,
                secret,
                event,
            } => {
                let (store, site_id) = site_of(&db, &site).await?;
                let kind = DestinationKind::parse(&kind).map_err(|_| {
                    anyhow::anyhow!(
                        "--kind must be webhook, meta, ga4, google_ads or yandex_metrica"
                    )
                })?;
                let new = NewDestination {
                    kind,
                    name,
                    endpoint,
                    settings: pairs("setting", &setting)?,
                    secret,
                    events: (!event.is_empty())
                        .then(|| pairs("event", &event))
                        .transpose()?,
                };
                let made_up = new.makes_up_secret();
                let d = new.check(site_id.0).map_err(anyhow::Error::msg)?;
                store.add_destination(&d).await?;
                println!("{}", d.as_created(made_up));
            }
            ConversionsCommand::List { db, site } => {
                let (store, site_id) = site_of(&db, &site).await?;
                println!(
                    "{}",
                    serde_json::to_string(&store.destinations(site_id).await?)?
                );
            }
            ConversionsCommand::Remove { db, site, id } => {
                let (store, site_id) = site_of(&db, &site).await?;
                anyhow::ensure!(
                    store.remove_destination(site_id, id).await?,
                    "site {site:?} has no destination {id}"
                );
                println!("removed {id}");
            }
        }
        Ok(())
    }
}
