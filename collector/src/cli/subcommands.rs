//! The smaller subcommands of the `chatrail` command line, and the database argument they
//! share.

use clap::Subcommand;

use crate::domain::token::Role;

#[derive(Debug, Subcommand)]
pub(super) enum ContactCommand {
    /// Erase a contact: messages, statuses to their number, the visits, clicks and visitor
    /// records their dialogs came from; the dialogs stay as anonymous counts. Logged
    /// without the number (deploy/PRIVACY.md).
    Erase {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// The contact's phone number, in any notation.
        #[arg(long)]
        phone: String,
        /// Also the contact with this provider user id (WhatsApp BSUID, Telegram user id).
        #[arg(long)]
        user_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ReportsCommand {
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
pub(super) enum CostsCommand {
    /// Import daily ad costs from a CSV file (format: collector/src/reports/costs/README.md);
    /// the file's days and sources replace what was stored for them.
    Import {
        #[command(flatten)]
        db: Database,
        /// Site key.
        #[arg(long)]
        site: String,
        /// Column mapping, repeatable: `FIELD=Column header` or `FIELD:=value`.
        #[arg(long)]
        map: Vec<String>,
        /// The CSV file.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
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
pub(super) struct Database {
    /// Database URL, as for `serve`.
    #[arg(
        long,
        env = "CHATRAIL_DATABASE_URL",
        default_value = "sqlite://chatrail.db"
    )]
    pub(super) database_url: String,
}
