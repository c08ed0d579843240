//! Beacon-derived writes: visits and clicks, in batches from the ingest writer.

mod stored;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use uuid::Uuid;

use crate::args;
use crate::db::{site_id_lists, Arg, Conn, Db, Statement, StoreError};
use crate::domain::visit::{Click, Visit};
use crate::reports::query::Fact;
use crate::reports::rollups::RollupDelta;
use stored::{count_sessions_in, Stored};

/// Beacon-derived records written in batches by the ingest writer.
#[derive(Debug, Clone)]
pub enum IngestEvent {
    /// A page view, which opens or extends a session.
    Visit(Box<Visit>),
    /// A click on a tracked chat link.
    Click(Box<Click>),
}

/// The beacon side of storage.
#[async_trait]
pub trait Ingest: Send + Sync {
    /// Writes a batch of visits and clicks in one transaction.
    async fn write_batch(&self, events: &[IngestEvent]) -> Result<(), StoreError>;

    /// The salt of client signals on `day` (days since the epoch, UTC), made on first
    /// request; salts of days before the one before are deleted.
    async fn client_salt(&self, day: i64) -> Result<String, StoreError>;
}

#[async_trait]
impl Ingest for Db {
    /// Per site, one read finds which sessions and clicks are new (and on PostgreSQL a
    /// second, after locking them, what points at the new sessions); then the rows, the
    /// rollups and the commit. A batch of visits alone (no clicks, nothing pointing at its
    /// sessions) knows its rollup contributions without reading them back, so on SQLite its
    /// writes and commit are one round trip: three in all, with `BEGIN` and the read.
    async fn write_batch(&self, events: &[IngestEvent]) -> Result<(), StoreError> {
        let batch = Batch::of(events);
        let mut tx = self.begin().await?;
        let mut delta = RollupDelta::default();
        let mut touched = Vec::new();
        for (site, ids) in batch.ids_by_site() {
            let stored = Stored::read(&mut tx, site, &ids.sessions, &ids.clicks, ids.locks).await?;
            delta
                .count_out(&mut tx, site, Fact::Clicks, &stored.orphan_clicks)
                .await?;
            delta
                .count_out(&mut tx, site, Fact::Dialogs, &stored.orphan_dialogs)
                .await?;
            touched.push((site, stored.touched()));
        }
        let writes = batch.statements(&tx);
        let read_back = touched
            .iter()
            .any(|(_, t)| !t.clicks.is_empty() || !t.dialogs.is_empty());
        let mut last = Vec::new();
        if read_back {
            tx.execute_all(writes).await?;
        } else {
            last = writes;
        }
        for (site, t) in &touched {
            count_sessions_in(&mut delta, *site, &t.sessions, &batch.sessions);
            delta.count_in(*site, Fact::Clicks, &t.clicks);
            delta.count_in(*site, Fact::Dialogs, &t.dialogs);
        }
        // Reads back only what clicks and dialogs changed: written already (`read_back`).
        delta.settle(&mut tx).await?;
        last.extend(delta.statements(&tx));
        tx.commit_after(last).await?;
        Ok(())
    }

    async fn client_salt(&self, day: i64) -> Result<String, StoreError> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO client_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
            args![day, fresh],
        )
        .await?;
        tx.execute("DELETE FROM client_salts WHERE day < $1", args![day - 1])
            .await?;
        let (salt,): (String,) = tx
            .fetch_one("SELECT salt FROM client_salts WHERE day = $1", args![day])
            .await?;
        tx.commit().await?;
        Ok(salt)
    }
}

/// A session as a batch writes it: its first visit in the batch, and what the others add.
///
/// The platforms' ids are the first the session's beacons carried (in the batch, and over
/// batches: a stored id is kept), since a later page view may come after the visitor's
/// analytics cookies were cleared; advertising consent is the newest beacon's (a click's
/// too), so consent withdrawn or given again on a later page counts from then on.
struct SessionRow<'a> {
    first: &'a Visit,
    last_seen_at: i64,
    pageviews: i64,
    ga_client_id: Option<&'a str>,
    ga_session_id: Option<&'a str>,
    ym_client_id: Option<&'a str>,
    /// The newest consent signal: its time and whether it denies.
    consent: (i64, bool),
}

/// A visitor as a batch writes it.
struct VisitorRow {
    first_seen_at: i64,
    last_seen_at: i64,
    first_session_id: Uuid,
}

/// What a batch reads and locks for one site ([`Batch::ids_by_site`]).
#[derive(Default)]
struct SiteIds {
    sessions: Vec<Uuid>,
    clicks: Vec<Uuid>,
    locks: BTreeSet<Uuid>,
}

/// A batch's events folded into one row per table key, so each table takes one multi-row
/// statement (PostgreSQL refuses an upsert that meets the same row twice), in key order (so
/// concurrent writers lock rows in one order).
struct Batch<'a> {
    visitors: BTreeMap<(Uuid, Uuid), VisitorRow>,
    sessions: BTreeMap<(Uuid, Uuid), SessionRow<'a>>,
    pageviews: Vec<&'a Visit>,
    clicks: BTreeMap<(Uuid, Uuid), &'a Click>,
    /// Per session with no visit in the batch, the newest consent its clicks carried.
    click_consent: BTreeMap<(Uuid, Uuid), (i64, bool)>,
}

impl<'a> Batch<'a> {
    fn of(events: &'a [IngestEvent]) -> Batch<'a> {
        let mut b = Batch {
            visitors: BTreeMap::new(),
            sessions: BTreeMap::new(),
            pageviews: Vec::new(),
            clicks: BTreeMap::new(),
            click_consent: BTreeMap::new(),
        };
        for event in events {
            match event {
                IngestEvent::Visit(v) => b.add_visit(v),
                IngestEvent::Click(c) => {
                    b.clicks.entry((c.site_id.0, c.click_id)).or_insert(c);
                    newest(
                        b.click_consent
                            .entry((c.site_id.0, c.session_id))
                            .or_default(),
                        (c.at_ms, c.ads_denied),
                    );
                }
            }
        }
        // A click's consent goes with its session's row when the batch has one.
        b.click_consent
            .retain(|key, signal| match b.sessions.get_mut(key) {
                Some(row) => {
                    newest(&mut row.consent, *signal);
                    false
                }
                None => true,
            });
        b
    }

    fn add_visit(&mut self, v: &'a Visit) {
        self.pageviews.push(v);
        let visitor = self
            .visitors
            .entry((v.site_id.0, v.visitor_id))
            .or_insert(VisitorRow {
                first_seen_at: v.at_ms,
                last_seen_at: v.at_ms,
                first_session_id: v.session_id,
            });
        if v.at_ms < visitor.first_seen_at {
            visitor.first_seen_at = v.at_ms;
            visitor.first_session_id = v.session_id;
        }
        visitor.last_seen_at = visitor.last_seen_at.max(v.at_ms);
        let session = self
            .sessions
            .entry((v.site_id.0, v.session_id))
            .or_insert(SessionRow {
                first: v,
                last_seen_at: v.at_ms,
                pageviews: 0,
                ga_client_id: None,
                ga_session_id: None,
                ym_client_id: None,
                consent: (v.at_ms, v.ads.ads_denied),
            });
        session.pageviews += 1;
        let ads = &v.ads;
        session.ga_client_id = session.ga_client_id.or(ads.ga_client_id.as_deref());
        session.ga_session_id = session.ga_session_id.or(ads.ga_session_id.as_deref());
        session.ym_client_id = session.ym_client_id.or(ads.ym_client_id.as_deref());
        newest(&mut session.consent, (v.at_ms, ads.ads_denied));
        session.last_seen_at = session.last_seen_at.max(v.at_ms);
        if v.at_ms < session.first.at_ms {
            session.first = v;
        }
    }

    /// Per site, the sessions and clicks the batch may add, and the sessions its visits and
    /// clicks belong to.
    fn ids_by_site(&self) -> BTreeMap<Uuid, SiteIds> {
        let mut by_site: BTreeMap<Uuid, SiteIds> = BTreeMap::new();
        for (site, session) in self.sessions.keys() {
            let ids = by_site.entry(*site).or_default();
            ids.sessions.push(*session);
            ids.locks.insert(*session);
        }
        for ((site, click), c) in &self.clicks {
            let ids = by_site.entry(*site).or_default();
            ids.clicks.push(*click);
            ids.locks.insert(c.session_id);
        }
        by_site
    }

    /// The batch's writes: visitors, sessions (new, or more page views of one), page views,
    /// clicks (a redelivered click beacon changes nothing), a statement per table.
    fn statements(&self, tx: &Conn) -> Vec<Statement<'a>> {
        let mut out = tx.rows_statements(
            "INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, \
             first_session_id)",
            "ON CONFLICT (site_id, visitor_id) DO UPDATE SET last_seen_at = CASE \
             WHEN excluded.last_seen_at > visitors.last_seen_at THEN excluded.last_seen_at \
             ELSE visitors.last_seen_at END",
            self.visitors.iter().map(|((site, visitor), r)| {
                args![
                    *site,
                    *visitor,
                    r.first_seen_at,
                    r.last_seen_at,
                    r.first_session_id
                ]
            }),
        );
        out.extend(tx.rows_statements(
            "INSERT INTO sessions (site_id, session_id, visitor_id, code, started_at, \
             last_seen_at, pageviews, landing_page, referrer, referring_domain, utm_source, \
             utm_medium, utm_campaign, utm_content, utm_term, click_ids, channel, os, \
             os_version, browser, browser_version, device, screen_w, screen_h, language, \
             timezone, source, keyword, country, region, city, client, landing_key, \
             ga_client_id, ga_session_id, ym_client_id, ads_denied)",
            "ON CONFLICT (site_id, session_id) DO UPDATE SET \
             pageviews = sessions.pageviews + excluded.pageviews, \
             last_seen_at = CASE WHEN excluded.last_seen_at > sessions.last_seen_at \
             THEN excluded.last_seen_at ELSE sessions.last_seen_at END, \
             ga_client_id = COALESCE(sessions.ga_client_id, excluded.ga_client_id), \
             ga_session_id = COALESCE(sessions.ga_session_id, excluded.ga_session_id), \
             ym_client_id = COALESCE(sessions.ym_client_id, excluded.ym_client_id), \
             ads_denied = CASE WHEN excluded.last_seen_at >= sessions.last_seen_at \
             THEN excluded.ads_denied ELSE sessions.ads_denied END",
            self.sessions.values().map(session_args),
        ));
        out.extend(self.click_consent(tx));
        out.extend(
            tx.rows_statements(
                "INSERT INTO pageviews (site_id, pageview_id, session_id, url, viewed_at)",
                "",
                self.pageviews
                    .iter()
                    .map(|v| args![v.site_id.0, Uuid::now_v7(), v.session_id, &v.url, v.at_ms]),
            ),
        );
        out.extend(tx.rows_statements(
            "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, \
             kind, page_url, clicked_at, client, page_key)",
            "ON CONFLICT (site_id, click_id) DO NOTHING",
            self.clicks.values().map(|c| {
                args![
                    c.site_id.0,
                    c.click_id,
                    c.session_id,
                    c.visitor_id,
                    c.code.as_str(),
                    &c.number,
                    c.kind.as_str(),
                    &c.page_url,
                    c.at_ms,
                    c.client,
                    &c.page_key,
                ]
            }),
        ));
        out
    }
}

/// Whichever of two consent signals (time, denied) is newer; on a tie, the later one.
fn newest(signal: &mut (i64, bool), other: (i64, bool)) {
    if other.0 >= signal.0 {
        *signal = other;
    }
}

impl Batch<'_> {
    /// Marks the sessions whose clicks (and no visit) in this batch carry consent: denied
    /// sets `ads_denied`, granted clears it; the rows that already say so are not written.
    fn click_consent(&self, tx: &Conn) -> Vec<Statement<'static>> {
        let mut by_change: BTreeMap<(bool, Uuid), Vec<Uuid>> = BTreeMap::new();
        for ((site, session), (_, denied)) in &self.click_consent {
            by_change
                .entry((*denied, *site))
                .or_default()
                .push(*session);
        }
        let mut out = Vec::new();
        for ((denied, site), sessions) in by_change {
            let set = if denied {
                "ads_denied = 1 WHERE ads_denied IS NULL"
            } else {
                "ads_denied = NULL WHERE ads_denied IS NOT NULL"
            };
            for (list, args) in site_id_lists(tx.backend(), site, &sessions) {
                let sql =
                    format!("UPDATE sessions SET {set} AND site_id = $1 AND session_id{list}");
                out.push((sql, args));
            }
        }
        out
    }
}

/// A session's row: its first visit's attribution, device and region; the platforms' ids
/// and consent as [`SessionRow`] folds them.
fn session_args<'a>(s: &SessionRow<'a>) -> Vec<Arg<'a>> {
    let v = s.first;
    let a = &v.attribution;
    let d = &v.device;
    args![
        v.site_id.0,
        v.session_id,
        v.visitor_id,
        v.code.as_str(),
        v.at_ms,
        s.last_seen_at,
        s.pageviews,
        &v.url,
        &v.referrer,
        &v.referrer_domain,
        &a.utm_source,
        &a.utm_medium,
        &a.utm_campaign,
        &a.utm_content,
        &a.utm_term,
        a.click_ids_json(),
        v.channel.as_str(),
        &d.os,
        &d.os_version,
        &d.browser,
        &d.browser_version,
        &d.category,
        v.screen_w,
        v.screen_h,
        &v.language,
        &v.timezone,
        &v.source,
        &v.keyword,
        &v.region.country,
        &v.region.region,
        &v.region.city,
        v.client,
        &v.page_key,
        s.ga_client_id,
        s.ga_session_id,
        s.ym_client_id,
        s.consent.1.then_some(1i32),
    ]
}
