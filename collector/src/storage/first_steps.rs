//! A fresh site's first steps, as the data shows them: when the script tag last sent a
//! visit, when a chat link was last clicked, when each provider's webhook last brought a
//! message, and whether there is a dialog yet. Each is the newest row of an index, so asking
//! costs the same on a site with millions of rows.

use async_trait::async_trait;

use crate::args;
use crate::db::{Conn, Db, StoreError};
use crate::domain::provider::Provider;
use crate::domain::site::SiteId;

/// The newest of each kind of row, epoch ms; `None` when there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstSteps {
    /// The newest session's start: the script tag works.
    pub visit_at: Option<i64>,
    /// The newest chat-link click.
    pub click_at: Option<i64>,
    /// The newest message received, per provider.
    pub messages_at: Vec<(Provider, Option<i64>)>,
    /// The newest dialog's start.
    pub dialog_at: Option<i64>,
}

/// Reading a site's first steps.
#[async_trait]
pub trait FirstStepsStore: Send + Sync {
    /// The site's [`FirstSteps`].
    async fn first_steps(&self, site_id: SiteId) -> Result<FirstSteps, StoreError>;
}

/// The newest value of `column` of `table` for site `$1` (and the extra equalities), by the
/// index that leads with them.
async fn newest(
    conn: &mut Conn,
    table: &str,
    column: &str,
    also: &str,
    args: Vec<crate::db::Arg<'_>>,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = conn
        .fetch_optional(
            &format!(
                "SELECT {column} FROM {table} WHERE site_id = $1{also} \
                 ORDER BY {column} DESC LIMIT 1"
            ),
            args,
        )
        .await?;
    Ok(row.map(|r| r.0))
}

#[async_trait]
impl FirstStepsStore for Db {
    async fn first_steps(&self, site_id: SiteId) -> Result<FirstSteps, StoreError> {
        let site = site_id.0;
        let mut conn = self.read().await?;
        let mut steps = FirstSteps {
            visit_at: newest(&mut conn, "sessions", "started_at", "", args![site]).await?,
            click_at: newest(&mut conn, "clicks", "clicked_at", "", args![site]).await?,
            dialog_at: newest(&mut conn, "dialogs", "started_at", "", args![site]).await?,
            messages_at: Vec::new(),
        };
        for provider in [
            Provider::WhatsApp,
            Provider::Twilio,
            Provider::Telegram,
            Provider::Generic,
        ] {
            let at = newest(
                &mut conn,
                "messages",
                "received_at",
                " AND provider = $2",
                args![site, provider.as_str()],
            )
            .await?;
            steps.messages_at.push((provider, at));
        }
        Ok(steps)
    }
}
