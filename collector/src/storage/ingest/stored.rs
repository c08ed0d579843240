//! What a batch of beacons needs to know before it writes, in as few statements as the
//! backend allows, and the rollup contributions of the sessions it adds, computed from the
//! rows it writes instead of read back.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::SessionRow;
use crate::db::{ids_args, in_ids, Arg, Conn, ID_CHUNK};
use crate::reports::query::{Fact, Key};
use crate::reports::rollups::{FactRow, RollupDelta, Touched};

/// Which of a batch's sessions and clicks of one site are stored already, and the stored
/// clicks and dialogs pointing at its new sessions (their session's keys were missing when
/// they were counted).
#[derive(Debug, Default)]
pub(super) struct Stored {
    pub(super) new_sessions: Vec<Uuid>,
    pub(super) new_clicks: Vec<Uuid>,
    pub(super) orphan_clicks: Vec<Uuid>,
    pub(super) orphan_dialogs: Vec<Uuid>,
}

/// A row of the reads: what (`s` session, `c` click, `o` click of a batch session, `d`
/// dialog of one), its id, and its session.
type Found = (String, Uuid, Uuid);

impl Stored {
    /// Reads it, in one statement (per 500 sessions and clicks). On PostgreSQL the
    /// sessions `locks` (the batch's visits' and clicks') are locked first (see
    /// [`Conn::lock_sessions`]): a concurrent batch with one of them, or a transaction
    /// attributing a dialog to one, then commits before this one reads, so a session or
    /// click is counted new by one writer only.
    pub(super) async fn read(
        conn: &mut Conn,
        site: Uuid,
        sessions: &[Uuid],
        clicks: &[Uuid],
        locks: impl IntoIterator<Item = Uuid>,
    ) -> Result<Stored, sqlx::Error> {
        conn.lock_sessions(locks).await?;
        let found = find(conn, site, sessions, clicks).await?;
        let stored_sessions: BTreeSet<Uuid> = ids(&found, "s").collect();
        let stored_clicks: BTreeSet<Uuid> = ids(&found, "c").collect();
        let new_sessions: Vec<Uuid> = sorted(sessions)
            .filter(|id| !stored_sessions.contains(id))
            .collect();
        let new_clicks = sorted(clicks)
            .filter(|id| !stored_clicks.contains(id))
            .collect();
        let new: BTreeSet<&Uuid> = new_sessions.iter().collect();
        let pointing: Vec<Found> = found
            .into_iter()
            .filter(|(_, _, s)| new.contains(s))
            .collect();
        Ok(Stored {
            orphan_clicks: sorted_ids(&pointing, "o"),
            orphan_dialogs: sorted_ids(&pointing, "d"),
            new_sessions,
            new_clicks,
        })
    }

    /// What the write changes, to count in once written ([`RollupDelta::after_write`]'s
    /// [`Touched`]).
    pub(super) fn touched(self) -> Touched {
        let clicks: BTreeSet<Uuid> = self
            .new_clicks
            .into_iter()
            .chain(self.orphan_clicks)
            .collect();
        Touched {
            sessions: self.new_sessions,
            clicks: clicks.into_iter().collect(),
            dialogs: self.orphan_dialogs,
        }
    }
}

fn sorted(ids: &[Uuid]) -> impl Iterator<Item = Uuid> {
    ids.iter().copied().collect::<BTreeSet<Uuid>>().into_iter()
}

fn ids<'a>(rows: &'a [Found], what: &'a str) -> impl Iterator<Item = Uuid> + 'a {
    rows.iter().filter(move |r| r.0 == what).map(|r| r.1)
}

fn sorted_ids(rows: &[Found], what: &str) -> Vec<Uuid> {
    ids(rows, what)
        .collect::<BTreeSet<Uuid>>()
        .into_iter()
        .collect()
}

/// The rows of site `site` a batch needs: `s` stored sessions among `sessions`, `c` stored
/// clicks among `clicks`, `o` and `d` stored clicks and dialogs of `sessions`.
async fn find(
    conn: &mut Conn,
    site: Uuid,
    sessions: &[Uuid],
    clicks: &[Uuid],
) -> Result<Vec<Found>, sqlx::Error> {
    let backend = conn.backend();
    let mut found = Vec::new();
    let chunks = sessions.len().max(clicks.len()).div_ceil(ID_CHUNK);
    for i in 0..chunks {
        let chunk = |ids: &[Uuid]| -> Vec<Uuid> {
            ids.iter()
                .skip(i * ID_CHUNK)
                .take(ID_CHUNK)
                .copied()
                .collect()
        };
        let (s, c) = (chunk(sessions), chunk(clicks));
        let mut selects = Vec::new();
        let mut args: Vec<Arg<'static>> = Vec::new();
        for part in "scod".chars() {
            let (select, column, ids) = match part {
                's' => (
                    "SELECT 's', session_id, session_id FROM sessions",
                    "session_id",
                    &s,
                ),
                'c' => (
                    "SELECT 'c', click_id, session_id FROM clicks",
                    "click_id",
                    &c,
                ),
                'o' => (
                    "SELECT 'o', click_id, session_id FROM clicks",
                    "session_id",
                    &s,
                ),
                _ => (
                    "SELECT 'd', dialog_id, session_id FROM dialogs",
                    "session_id",
                    &s,
                ),
            };
            if ids.is_empty() {
                continue;
            }
            let site_at = args.len() + 1;
            selects.push(format!(
                "{select} WHERE site_id = ${site_at} AND {column}{}",
                in_ids(backend, site_at + 1, ids.len())
            ));
            args.push(Arg::from(site));
            args.extend(ids_args(backend, ids));
        }
        if selects.is_empty() {
            continue;
        }
        let rows: Vec<Found> = conn.fetch_all(&selects.join(" UNION ALL "), args).await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Counts the new sessions `new` of `site` in, as [`RollupDelta::add_fact_rows`] counts the
/// rows the batch writes: their keys as `Key::sql` reads them on sessions (no page of
/// contact, number, kind or match kind).
pub(super) fn count_sessions_in(
    delta: &mut RollupDelta,
    site: Uuid,
    new: &[Uuid],
    rows: &BTreeMap<(Uuid, Uuid), SessionRow<'_>>,
) {
    let fact_rows: Vec<FactRow> = new
        .iter()
        .filter_map(|id| rows.get(&(site, *id)))
        .map(|row| {
            let v = row.first;
            let key = |k: Key| -> Option<String> {
                match k {
                    Key::Channel => Some(v.channel.as_str().to_owned()),
                    Key::Campaign => v.attribution.utm_campaign.clone(),
                    Key::Content => v.attribution.utm_content.clone(),
                    Key::Term => v.attribution.utm_term.clone(),
                    Key::LandingPage => Some(v.page_key.clone()),
                    Key::Country => v.region.country.clone(),
                    Key::Region => v.region.region.clone(),
                    Key::Device => v.device.category.clone(),
                    Key::Os => v.device.os.clone(),
                    Key::Browser => v.device.browser.clone(),
                    Key::Kind | Key::MatchKind | Key::ClickPage | Key::Number => None,
                }
            };
            FactRow {
                at_ms: v.at_ms,
                keys: Key::ALL.map(key),
            }
        })
        .collect();
    delta.add_fact_rows(site, Fact::Sessions, &fact_rows, 1);
}
