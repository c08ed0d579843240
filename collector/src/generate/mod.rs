//! Synthetic traffic for benchmarks and demos: `chatrail generate`.
//!
//! Sessions get a channel mix with campaigns, ads and keywords, landing pages with a long
//! tail, devices, and start times that follow the site's local day and week (busy weekday
//! afternoons, quiet nights), a yearly wave and growth. A share of sessions clicks a chat
//! link (more for paid search and email, none for one display campaign, so "clicks but no
//! chats" shows); most clicks become dialogs, some contacts come back (repeat dialogs), and
//! the rest of the dialogs are unattributed; a third of the dialogs carry operators' tags.
//! Rows go in with multi-row inserts, one transaction per batch. The same seed gives the
//! same data.

use std::time::{Duration, Instant};

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod insert;
mod mix;
mod rows;

use mix::{CHANNELS, PAGES};

pub use insert::insert;
pub use rows::{
    SyntheticBatch, SyntheticClick, SyntheticContact, SyntheticDialog, SyntheticSession,
};

use crate::db::Db;
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::site::Site;
use crate::enrich::channel::Channel;
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
    /// Time spent.
    pub elapsed: Duration,
}

impl GenerateStats {
    /// Rows written (visitors not counted).
    pub fn rows(&self) -> u64 {
        self.sessions + self.clicks + self.contacts + self.dialogs
    }

    /// Rows per second.
    pub fn rows_per_s(&self) -> f64 {
        self.rows() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Weighted pick: index by cumulative weights.
fn pick(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

fn uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Operators' tags: a third of the dialogs get one or two.
fn tags(rng: &mut StdRng) -> Vec<String> {
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
    let channel_cum = cumulative(CHANNELS.iter().map(|c| c.share));
    let page_cum = cumulative((0..PAGES.len()).map(|i| 1.0 / (i as f64 + 1.0)));
    let number = site
        .numbers
        .first()
        .map_or_else(|| "79990000000".to_owned(), |n| n.number.clone());
    // Calibrate clicks so that ~85% of the dialogs come from clicks, 62% of clicks chatting.
    const CHAT_PER_CLICK: f64 = 0.62;
    let avg_clicky: f64 = CHANNELS.iter().map(|c| c.share * c.clicky).sum();
    let attributed_target = (opts.dialogs as f64 * 0.85).round() as u64;
    let click_base =
        attributed_target as f64 / CHAT_PER_CLICK / (opts.sessions.max(1) as f64 * avg_clicky);

    let mut stats = GenerateStats::default();
    let mut contacts: Vec<Uuid> = Vec::new();
    // Phones are numbered, not random: contacts are unique per phone.
    let new_contact = |rng: &mut StdRng, n: usize, at: i64, batch: &mut SyntheticBatch| {
        let id = uuid(rng);
        let phone = format!("4917{n:08}");
        batch.contacts.push(SyntheticContact {
            contact_id: id,
            phone,
            name: None,
            first_seen_at: at,
        });
        id
    };
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
            let ch = &CHANNELS[pick(&mut rng, &channel_cum)];
            let camp = (!ch.campaigns.is_empty())
                .then(|| &ch.campaigns[rng.random_range(0..ch.campaigns.len())]);
            let ad = camp
                .filter(|c| !c.ads.is_empty())
                .map(|c| c.ads[rng.random_range(0..c.ads.len())]);
            let keyword = camp
                .filter(|c| !c.keywords.is_empty())
                .map(|c| c.keywords[rng.random_range(0..c.keywords.len())]);
            let landing = PAGES[pick(&mut rng, &page_cum)];
            let device = match rng.random_range(0..100) {
                0..62 => (
                    "mobile",
                    ["Android", "iOS"][rng.random_range(0..2)],
                    "Chrome",
                ),
                62..95 => (
                    "desktop",
                    "Windows",
                    ["Chrome", "Edge", "Firefox"][rng.random_range(0..3)],
                ),
                _ => ("tablet", "iPadOS", "Safari"),
            };
            let started_at = session_times.next().unwrap_or(start_ms);
            let session = SyntheticSession {
                session_id: uuid(&mut rng),
                visitor_id: uuid(&mut rng),
                code: format!("{:06x}", rng.random_range(0..0xff_ffffu32)),
                started_at,
                pageviews: rng.random_range(1..8),
                landing_page: format!("https://shop.example{landing}"),
                referring_domain: ch.referrer.map(Into::into),
                utm_source: camp.and(ch.source).map(Into::into),
                utm_medium: camp.and(ch.medium).map(Into::into),
                utm_campaign: camp.map(|c| c.name.to_owned()),
                utm_content: ad.map(Into::into),
                utm_term: keyword.map(Into::into),
                channel: ch.channel.as_str().to_owned(),
                device: Some(device.0.into()),
                os: Some(device.1.into()),
                browser: Some(device.2.into()),
            };
            let p_click = (click_base * ch.clicky).min(0.9);
            if rng.random::<f64>() < p_click {
                let clicks = if rng.random::<f64>() < 0.15 { 2 } else { 1 };
                for i in 0..clicks {
                    let page = if rng.random::<f64>() < 0.7 {
                        landing
                    } else {
                        PAGES[pick(&mut rng, &page_cum)]
                    };
                    let clicked_at = started_at + rng.random_range(10_000..600_000);
                    let click = SyntheticClick {
                        click_id: uuid(&mut rng),
                        session_id: session.session_id,
                        visitor_id: session.visitor_id,
                        code: session.code.clone(),
                        number: number.clone(),
                        page_url: format!("https://shop.example{page}"),
                        clicked_at,
                    };
                    let chats = camp.is_none_or(|c| c.chats);
                    if i == 0
                        && chats
                        && stats.dialogs < opts.dialogs
                        && rng.random::<f64>() < CHAT_PER_CLICK
                    {
                        let at = clicked_at + rng.random_range(5_000..300_000);
                        let repeat = !contacts.is_empty() && rng.random::<f64>() < 0.28;
                        let contact_id = if repeat {
                            contacts[rng.random_range(0..contacts.len())]
                        } else {
                            let id = new_contact(&mut rng, contacts.len(), at, &mut batch);
                            contacts.push(id);
                            id
                        };
                        let match_kind = match (ch.channel, rng.random_range(0..100)) {
                            (Channel::ClickToWhatsApp, 0..80) => MatchKind::Referral,
                            (_, 0..84) => MatchKind::Exact,
                            _ => MatchKind::Probable,
                        };
                        batch.dialogs.push(SyntheticDialog {
                            dialog_id: uuid(&mut rng),
                            contact_id,
                            kind: if repeat {
                                DialogKind::Repeat
                            } else {
                                DialogKind::New
                            },
                            started_at: at,
                            business_number: number.clone(),
                            first_message: Some(format!("Hello! Is it in stock? {}", session.code)),
                            match_kind,
                            session_id: Some(session.session_id),
                            click_id: Some(click.click_id),
                            tags: tags(&mut rng),
                        });
                        stats.dialogs += 1;
                    }
                    batch.clicks.push(click);
                }
            }
            batch.sessions.push(session);
        }
        // The last batch tops up with unattributed dialogs (no session, no click).
        if remaining == 0 {
            while stats.dialogs < opts.dialogs {
                let at = random_time(&mut rng);
                let repeat = !contacts.is_empty() && rng.random::<f64>() < 0.2;
                let contact_id = if repeat {
                    contacts[rng.random_range(0..contacts.len())]
                } else {
                    let id = new_contact(&mut rng, contacts.len(), at, &mut batch);
                    contacts.push(id);
                    id
                };
                batch.dialogs.push(SyntheticDialog {
                    dialog_id: uuid(&mut rng),
                    contact_id,
                    kind: if repeat {
                        DialogKind::Repeat
                    } else {
                        DialogKind::New
                    },
                    started_at: at,
                    business_number: number.clone(),
                    first_message: Some("Hi, how much is delivery?".into()),
                    match_kind: MatchKind::None,
                    session_id: None,
                    click_id: None,
                    tags: tags(&mut rng),
                });
                stats.dialogs += 1;
            }
        }
        insert(db, site.id, &batch).await?;
        stats.sessions += batch.sessions.len() as u64;
        stats.clicks += batch.clicks.len() as u64;
        stats.contacts += batch.contacts.len() as u64;
        stats.elapsed = started.elapsed();
        progress(&stats);
    }
    db.analyze().await?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}
