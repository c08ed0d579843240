//! `chatrail accounts`: people who sign in to the dashboard, from the command line: the
//! first admin of a site, and any account a site's admins cannot reach (one with roles on
//! several sites). Answers are JSON; an invite or reset link is printed once.

use clap::Subcommand;

use super::subcommands::Database;
use crate::domain::account::{invite_link, new_invite, Email};
use crate::domain::token::Role;
use crate::storage::accounts::{Invited, Reset};
use crate::storage::{self, SharedStore};

#[derive(Debug, Subcommand)]
pub(super) enum AccountsCommand {
    /// Give a person (by e-mail) a role on a site; a new account gets a one-time link to
    /// set its password, printed once.
    Add {
        #[command(flatten)]
        db: Database,
        /// Their e-mail address.
        #[arg(long)]
        email: String,
        /// Site key.
        #[arg(long)]
        site: String,
        /// What they may do there.
        #[arg(long, value_enum, default_value = "operator")]
        role: Role,
        /// The collector's public base URL, which the link starts with.
        #[arg(long, env = "CHATRAIL_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// List every account with its sites and roles.
    List {
        #[command(flatten)]
        db: Database,
    },
    /// Clear a person's password and end their sessions; prints a one-time link to set a
    /// new one.
    ResetPassword {
        #[command(flatten)]
        db: Database,
        /// Their e-mail address.
        #[arg(long)]
        email: String,
        /// The collector's public base URL, which the link starts with.
        #[arg(long, env = "CHATRAIL_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Delete an account with its roles and sessions (API tokens are not accounts').
    Remove {
        #[command(flatten)]
        db: Database,
        /// Their e-mail address.
        #[arg(long)]
        email: String,
    },
}

async fn connect(db: &Database) -> anyhow::Result<SharedStore> {
    Ok(storage::connect(&db.database_url).await?)
}

fn email(raw: &str) -> anyhow::Result<Email> {
    Email::parse(raw).map_err(|e| anyhow::anyhow!("--email: {e}"))
}

impl AccountsCommand {
    /// Runs the command.
    pub(super) async fn run(self) -> anyhow::Result<()> {
        let answer = match self {
            AccountsCommand::Add {
                db,
                email: raw,
                site,
                role,
                public_url,
            } => {
                let email = email(&raw)?;
                let store = connect(&db).await?;
                let site = store
                    .site_by_key(&site)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no site with key {site:?}"))?;
                let (token, hash, expires_at) = new_invite();
                let invited = store
                    .add_member(&email, site.id, role, (&hash, expires_at), None)
                    .await?;
                let link =
                    (invited == Invited::Link).then(|| invite_link(public_url.as_deref(), &token));
                if link.is_none() {
                    eprintln!(
                        "{} already has a password: they sign in as before",
                        email.given
                    );
                }
                serde_json::json!({
                    "email": email.given, "site": site.key, "role": role, "invite_link": link,
                })
            }
            AccountsCommand::List { db } => {
                serde_json::to_value(connect(&db).await?.all_accounts().await?)?
            }
            AccountsCommand::ResetPassword {
                db,
                email: raw,
                public_url,
            } => {
                let email = email(&raw)?;
                let store = connect(&db).await?;
                let (token, hash, expires_at) = new_invite();
                match store
                    .reset_password(&email, None, (&hash, expires_at), None)
                    .await?
                {
                    Reset::Link => {}
                    Reset::NoMember | Reset::NotYours => {
                        anyhow::bail!("no account with e-mail {:?}", email.given)
                    }
                }
                serde_json::json!({
                    "email": email.given,
                    "invite_link": invite_link(public_url.as_deref(), &token),
                })
            }
            AccountsCommand::Remove { db, email: raw } => {
                let email = email(&raw)?;
                if !connect(&db).await?.remove_account(&email).await? {
                    anyhow::bail!("no account with e-mail {:?}", email.given);
                }
                serde_json::json!({ "removed": email.given })
            }
        };
        println!("{}", serde_json::to_string_pretty(&answer)?);
        Ok(())
    }
}
