//! Synthetic traffic for benchmarks and demos: `chatrail generate`.
//!
//! Sessions look as beacons make them: landing URLs with real ad tags and click ids (gclid,
//! yclid, fbclid) and some Cyrillic paths, referrers, both classified into channels by the
//! collector's own classifier; devices named by its user-agent parser, screens, places as
//! GeoIP names them; real session codes; start times that follow the site's local day and
//! week (busy weekday afternoons, quiet nights), a yearly wave and growth. A share of
//! sessions clicks a chat link (more for paid search and email, none for one display
//! campaign, so "clicks but no chats" shows), and a share of those clicks (at most one
//! dialog per click) becomes a chat whose first message is what the link prefilled — the
//! site's (or page's) template with the session's code — or, for probable matches, what the
//! visitor typed instead. Click-to-WhatsApp ads start chats without a visit; the rest of the
//! dialogs are unattributed. Every dialog has its messages: the contact's and the business's
//! replies with their delivery statuses. Some contacts come back (repeat dialogs), a third
//! of the dialogs carry operators' tags. Rows go in with multi-row inserts, one transaction
//! per batch. The same seed gives the same data.

use std::time::{Duration, Instant};

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod chats;
mod insert;
mod mix;
mod people;
mod rows;
mod thread;
mod visit;

use chats::{Chats, Source};
use mix::SOURCES;
use visit::Visits;

pub use insert::insert;
pub use rows::{
    SyntheticBatch, SyntheticClick, SyntheticContact, SyntheticDialog, SyntheticMessage,
    SyntheticReferral, SyntheticSession, SyntheticStatus,
};

use crate::db::Db;
use crate::domain::site::Site;
use crate::reports::store::Reports;

/// How much to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Sessions (visits).
    pub sessions: u64,
    /// Dialogs, attributed and not.
    pub dialogs: u64,
    /// Months of history, ending at `end_ms`.
    pub months: u32,
    /// End of the history, epoch ms.
    pub end_ms: i64,
    /// RNG seed.
    pub seed: u64,
    /// Sessions per transaction.
    pub batch: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            sessions: 10_000,
            dialogs: 1_000,
            months: 18,
            end_ms: crate::domain::now_ms(),
            seed: 42,
            batch: 5_000,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerateStats {
    /// Sessions.
    pub sessions: u64,
    /// Clicks.
    pub clicks: u64,
    /// Contacts.
    pub contacts: u64,
    /// Dialogs.
    pub dialogs: u64,
    /// Messages from contacts, the business's messages (by their statuses) and ad referrals.
    pub messages: u64,
    /// Time spent.
    pub elapsed: Duration,
}

impl GenerateStats {
    /// Rows written (visitors not counted).
    pub fn rows(&self) -> u64 {
        self.sessions + self.clicks + self.contacts + self.dialogs + self.messages
    }

    /// Rows per second.
    pub fn rows_per_s(&self) -> f64 {
        self.rows() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Weighted pick: index by cumulative weights.
pub(super) fn pick(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

pub(super) fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

pub(super) fn uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Operators' tags: a third of the dialogs get one or two.
pub(super) fn tags(rng: &mut StdRng) -> Vec<String> {
    const TAGS: [&str; 5] = ["hot lead", "price", "delivery", "sofa", "kitchen"];
    let mut out = Vec::new();
    if rng.random::<f64>() < 0.33 {
        out.push(TAGS[rng.random_range(0..TAGS.len())].to_owned());
        let second = TAGS[rng.random_range(0..TAGS.len())];
        if rng.random::<f64>() < 0.3 && !out.iter().any(|t| t == second) {
            out.push(second.to_owned());
        }
    }
    out
}

/// Relative traffic of a local hour: quiet nights, busy afternoons, calmer weekends.
fn hour_weight(t: chrono::NaiveDateTime, progress: f64) -> f64 {
    const HOURS: [f64; 24] = [
        0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.4, 0.65, 0.85, 1.0, 1.0, 0.95, 1.0, 1.0, 0.95,
        0.9, 0.85, 0.8, 0.85, 0.8, 0.6, 0.4, 0.25,
    ];
    const DAYS: [f64; 7] = [1.0, 1.0, 0.98, 0.95, 0.9, 0.65, 0.55];
    let season = 1.0 + 0.25 * (std::f64::consts::TAU * f64::from(t.ordinal()) / 365.0).cos();
    HOURS[t.hour() as usize]
        * DAYS[t.weekday().num_days_from_monday() as usize]
        * season
        * (0.6 + 0.8 * progress)
}

/// Share of clicks that become a chat: many who click never send the prefilled message.
const CHAT_PER_CLICK: f64 = 0.42;
/// Shares of the dialogs from Click-to-WhatsApp ads and of unknown source; the rest come
/// from clicks.
const FROM_ADS: f64 = 0.06;
const UNKNOWN: f64 = 0.15;

/// Fills the database with synthetic traffic for `site`; `progress` sees the running totals
/// after each batch.
pub async fn generate(
    db: &Db,
    site: &Site,
    opts: &GenerateOptions,
    mut progress: impl FnMut(&GenerateStats),
) -> anyhow::Result<GenerateStats> {
    let started = Instant::now();
    let tz: Tz = db
        .site_timezone(site.id)
        .await?
        .and_then(|t| t.parse().ok())
        .unwrap_or(Tz::UTC);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    const HOUR: i64 = 3_600_000;
    let hours = (i64::from(opts.months.max(1)) * 30 * 24 + i64::from(opts.months) * 10).max(24);
    let start_ms = (opts.end_ms / HOUR - hours) * HOUR;
    let hour_cum = cumulative((0..hours).map(|h| {
        let local = crate::reports::time::local(tz, start_ms + h * HOUR);
        hour_weight(local, h as f64 / hours as f64)
    }));
    let random_time = |rng: &mut StdRng| {
        let h = pick(rng, &hour_cum) as i64;
        start_ms + h * HOUR + rng.random_range(0..HOUR)
    };
    let number = site
        .numbers
        .first()
        .map_or_else(|| "79990000000".to_owned(), |n| n.number.clone());
    let mut visits = Visits::new(site, &mut rng);
    let mut chats = Chats::new(site, tz, number.clone(), opts.end_ms);
    // Calibrate clicks so that the clicks' share of the dialogs comes from CHAT_PER_CLICK of
    // them; ad chats come at a steady rate alongside the sessions.
    let sessions = opts.sessions.max(1) as f64;
    let avg_clicky: f64 = SOURCES.iter().map(|s| s.share * s.clicky).sum();
    let from_clicks = opts.dialogs as f64 * (1.0 - FROM_ADS - UNKNOWN);
    let click_base = from_clicks / CHAT_PER_CLICK / (sessions * avg_clicky);
    let ad_per_session = opts.dialogs as f64 * FROM_ADS / sessions;

    let mut stats = GenerateStats::default();
    // Sessions go in in time order, as real traffic does, so each batch touches the rollups
    // of a few days rather than of the whole history.
    let mut session_times: Vec<i64> = (0..opts.sessions).map(|_| random_time(&mut rng)).collect();
    session_times.sort_unstable();
    let mut session_times = session_times.into_iter();
    let mut remaining = opts.sessions;
    while remaining > 0 {
        let n = remaining.min(opts.batch.max(1) as u64);
        remaining -= n;
        let mut batch = SyntheticBatch::default();
        for _ in 0..n {
            let started_at = session_times.next().unwrap_or(start_ms);
            let drawn = visits.draw(&mut rng, started_at);
            let session = &drawn.session;
            if stats.dialogs < opts.dialogs && rng.random::<f64>() < ad_per_session {
                let at = started_at + rng.random_range(0..HOUR);
                chats.start(&mut rng, Source::Ad, at, &mut batch);
                stats.dialogs += 1;
            }
            let p_click = (click_base * drawn.clicky).min(0.9);
            if rng.random::<f64>() < p_click {
                let clicks = if rng.random::<f64>() < 0.15 { 2 } else { 1 };
                for i in 0..clicks {
                    let page_url = if rng.random::<f64>() < 0.7 {
                        visits.page_url(drawn.landing)
                    } else {
                        visits.page(&mut rng).1
                    };
                    let clicked_at =
                        (started_at + rng.random_range(10_000..600_000)).min(opts.end_ms);
                    let click = SyntheticClick {
                        click_id: uuid(&mut rng),
                        session_id: session.session_id,
                        visitor_id: session.visitor_id,
                        code: session.code.clone(),
                        number: number.clone(),
                        page_key: visits.key(&page_url),
                        page_url,
                        clicked_at,
                    };
                    // One dialog per click at most, and from the session's first click.
                    if i == 0
                        && drawn.chats
                        && stats.dialogs < opts.dialogs
                        && rng.random::<f64>() < CHAT_PER_CLICK
                    {
                        let at = clicked_at + rng.random_range(5_000..300_000);
                        // A chat that would come after the history's end does not come (the
                        // last batch tops up the dialogs): moved earlier, it could come before
                        // its click.
                        if at <= chats.latest_start() {
                            let source = Source::Click(session, &click, drawn.place);
                            chats.start(&mut rng, source, at, &mut batch);
                            stats.dialogs += 1;
                        }
                    }
                    batch.clicks.push(click);
                }
            }
            batch.sessions.push(drawn.session);
        }
        // The last batch tops up with dialogs of unknown source (no session, no click).
        if remaining == 0 {
            while stats.dialogs < opts.dialogs {
                let at = random_time(&mut rng);
                chats.start(&mut rng, Source::Unknown, at, &mut batch);
                stats.dialogs += 1;
            }
        }
        insert(db, site.id, &batch).await?;
        stats.sessions += batch.sessions.len() as u64;
        stats.clicks += batch.clicks.len() as u64;
        stats.contacts += batch.contacts.len() as u64;
        stats.messages = chats.message_rows;
        stats.elapsed = started.elapsed();
        progress(&stats);
    }
    db.analyze().await?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}
