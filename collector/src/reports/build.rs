//! Shapes grouped counts into each report's table.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use serde_json::Value;

use super::query::{CountQuery, CountRow, Fact, Key};
use super::rollups::{DAY_MS, HOUR_MS};
use super::store::Reports;
use super::time::{self, Period};
use super::{ReportError, ReportName, ReportRequest, Table};
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::site::SiteId;

/// Builds the table of `req`; with a comparison period, every report but `dynamics` (which
/// has it as rows) gets its counts and rates in that period beside the current ones, as
/// `<column>_previous`.
pub async fn table(
    store: &dyn Reports,
    site_id: SiteId,
    tz: Tz,
    req: &ReportRequest,
) -> Result<Table, ReportError> {
    let current = period_table(store, site_id, tz, req).await?;
    let earlier = match req.comparison_period() {
        Some(period) if req.name != ReportName::Dynamics => ReportRequest {
            period,
            // Every row, so each current row finds its counterpart.
            limit: usize::MAX,
            ..req.clone()
        },
        _ => return Ok(current),
    };
    let previous = period_table(store, site_id, tz, &earlier).await?;
    if req.name == ReportName::Funnel {
        // Rows are channels × stages: the limit counts channels.
        let mut t = current.beside(&previous, usize::MAX);
        super::funnel::keep_channels(&mut t, req.limit);
        return Ok(t);
    }
    Ok(current.beside(&previous, req.limit))
}

/// The table of `req` for its own period.
async fn period_table(
    store: &dyn Reports,
    site_id: SiteId,
    tz: Tz,
    req: &ReportRequest,
) -> Result<Table, ReportError> {
    let (from_ms, to_ms) = req.period.bounds_ms(tz);
    let q = |fact: Fact, keys: &'static [Key], required: bool| CountQuery {
        site_id,
        fact,
        from_ms,
        to_ms,
        keys,
        first_key_required: required,
        bucket_ms: None,
        offset_ms: 0,
        filters: &req.filters,
    };
    let mut t = match req.name {
        ReportName::NewRepeat => {
            let rows = store.count(&q(Fact::Dialogs, &[Key::Kind], false)).await?;
            shares("kind", &DialogKind::ALL.map(DialogKind::as_str), rows)
        }
        ReportName::MatchQuality => {
            let rows = store
                .count(&q(Fact::Dialogs, &[Key::MatchKind], false))
                .await?;
            shares("match_kind", &MatchKind::ALL.map(MatchKind::as_str), rows)
        }
        ReportName::Channels => funnel(store, req, q, &["channel"], &[Key::Channel], false).await?,
        ReportName::Campaigns => {
            let keys = &[Key::Campaign, Key::Channel];
            funnel(store, req, q, &["campaign", "channel"], keys, true).await?
        }
        ReportName::Ads => {
            let keys = &[Key::Content, Key::Campaign];
            funnel(store, req, q, &["ad", "campaign"], keys, true).await?
        }
        ReportName::Keywords => {
            let keys = &[Key::Term, Key::Campaign];
            funnel(store, req, q, &["keyword", "campaign"], keys, true).await?
        }
        ReportName::LandingPages => {
            let keys = &[Key::LandingPage];
            funnel(store, req, q, &["landing_page"], keys, true).await?
        }
        ReportName::Regions => {
            let keys = &[Key::Country, Key::Region];
            funnel(store, req, q, &["country", "region"], keys, false).await?
        }
        ReportName::Devices => {
            let keys = &[Key::Device, Key::Os];
            funnel(store, req, q, &["device", "os"], keys, false).await?
        }
        ReportName::Browsers => funnel(store, req, q, &["browser"], &[Key::Browser], false).await?,
        ReportName::Pages => {
            // Clicks and dialogs only: a visit has no "page of contact".
            let [cq, dq, xq] = [Fact::Clicks, Fact::Dialogs, Fact::ChatClicks]
                .map(|f| q(f, &[Key::ClickPage], true));
            let contact = tokio::try_join!(store.count(&cq), store.count(&dq), store.count(&xq))?;
            ranked(&["page"], None, contact, req.limit)
        }
        ReportName::Dynamics => dynamics(store, site_id, tz, req).await?,
        ReportName::Funnel => super::funnel::table(store, site_id, req, (from_ms, to_ms)).await?,
        ReportName::Summary => {
            let s = store.summary(site_id, from_ms, to_ms, &req.filters).await?;
            let mut t = Table::new(&[
                "dialogs",
                "contacts",
                "new_contacts",
                "returning_contacts",
                "messages_received",
                "messages_sent",
                "delivered",
                "read",
                "failed",
                "median_first_response_s",
            ]);
            t.rows.push(vec![
                s.dialogs.into(),
                s.contacts.into(),
                s.new_contacts.into(),
                (s.contacts - s.new_contacts).into(),
                s.messages_received.into(),
                s.messages_sent.into(),
                s.delivered.into(),
                s.read.into(),
                s.failed.into(),
                s.median_first_response_s.into(),
            ]);
            t
        }
        ReportName::Hours => {
            let mut grid = [[0i64; 24]; 7];
            for (from_ms, to_ms, offset_ms) in time::offset_segments(tz, from_ms, to_ms) {
                let rows = store
                    .count(&CountQuery {
                        from_ms,
                        to_ms,
                        bucket_ms: Some(HOUR_MS),
                        offset_ms,
                        ..q(Fact::Dialogs, &[], false)
                    })
                    .await?;
                for r in rows {
                    let t = time::wall(r.b * HOUR_MS);
                    grid[t.weekday().num_days_from_monday() as usize][t.hour() as usize] += r.n;
                }
            }
            let mut t = Table::new(&["weekday", "day", "hour", "dialogs"]);
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            for (d, hours) in grid.iter().enumerate() {
                for (h, n) in hours.iter().enumerate() {
                    t.rows
                        .push(vec![(d + 1).into(), DAYS[d].into(), h.into(), (*n).into()]);
                }
            }
            t
        }
    };
    super::money::add(store, site_id, req, (from_ms, to_ms), &mut t).await?;
    Ok(t)
}

/// Counts per value with their share of the total; `fixed` values always get a row.
fn shares(column: &'static str, fixed: &[&str], rows: Vec<CountRow>) -> Table {
    let mut counts: BTreeMap<String, i64> = fixed.iter().map(|k| (k.to_string(), 0)).collect();
    for r in rows {
        *counts.entry(r.k1.unwrap_or_default()).or_default() += r.n;
    }
    let total: i64 = counts.values().sum();
    let mut order: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    order.extend(
        counts
            .keys()
            .filter(|k| !fixed.contains(&k.as_str()))
            .cloned(),
    );
    let mut t = Table::new(&[column, "dialogs", "share"]);
    for k in order {
        let n = counts[&k];
        t.rows.push(vec![k.into(), n.into(), ratio(n, total)]);
    }
    t
}

fn ratio(part: i64, whole: i64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        let r = part as f64 / whole as f64;
        ((r * 10_000.0).round() / 10_000.0).into()
    }
}

/// Visits, clicks, dialogs and the click → chat rate per key.
async fn funnel<'a>(
    store: &dyn Reports,
    req: &ReportRequest,
    q: impl Fn(Fact, &'static [Key], bool) -> CountQuery<'a>,
    columns: &[&'static str],
    keys: &'static [Key],
    required: bool,
) -> Result<Table, ReportError> {
    let [vq, cq, dq, xq] = [
        Fact::Sessions,
        Fact::Clicks,
        Fact::Dialogs,
        Fact::ChatClicks,
    ]
    .map(|f| q(f, keys, required));
    let (visits, clicks, dialogs, chats) = tokio::try_join!(
        store.count(&vq),
        store.count(&cq),
        store.count(&dq),
        store.count(&xq)
    )?;
    Ok(ranked(
        columns,
        Some(visits),
        (clicks, dialogs, chats),
        req.limit,
    ))
}

/// Merges counts by key and ranks by dialogs, then clicks, then visits; `click_to_chat` is
/// the share of clicks some dialog points at (`contact`: clicks, dialogs, chat clicks).
fn ranked(
    columns: &[&'static str],
    visits: Option<Vec<CountRow>>,
    (clicks, dialogs, chats): (Vec<CountRow>, Vec<CountRow>, Vec<CountRow>),
    limit: usize,
) -> Table {
    type K = (Option<String>, Option<String>);
    let mut merged: BTreeMap<K, [i64; 4]> = BTreeMap::new();
    let with_visits = visits.is_some();
    for (i, rows) in [visits.unwrap_or_default(), clicks, dialogs, chats]
        .into_iter()
        .enumerate()
    {
        for r in rows {
            merged.entry((r.k1, r.k2)).or_default()[i] += r.n;
        }
    }
    let mut rows: Vec<(K, [i64; 4])> = merged.into_iter().collect();
    rows.sort_by(|a, b| (b.1[2], b.1[1], b.1[0]).cmp(&(a.1[2], a.1[1], a.1[0])));
    let mut header = columns.to_vec();
    if with_visits {
        header.push("visits");
    }
    header.extend(["clicks", "dialogs", "click_to_chat"]);
    let mut t = Table::new(&header);
    for ((k1, k2), [v, c, d, x]) in rows.into_iter().take(limit) {
        let mut row: Vec<Value> = vec![k1.into()];
        if columns.len() > 1 {
            row.push(k2.into());
        }
        if with_visits {
            row.push(v.into());
        }
        row.extend([c.into(), d.into(), ratio(x, c)]);
        t.rows.push(row);
    }
    t
}

/// Dialogs per channel per bucket, for the period and the comparison period, as a full grid.
async fn dynamics(
    store: &dyn Reports,
    site_id: SiteId,
    tz: Tz,
    req: &ReportRequest,
) -> Result<Table, ReportError> {
    let series = |period: Period| async move {
        let (from_ms, to_ms) = period.bounds_ms(tz);
        let starts = req.granularity.buckets(period);
        let mut counts: BTreeMap<(Option<String>, usize), i64> = BTreeMap::new();
        // The pieces of constant offset are independent: read them at once.
        let pieces = time::offset_segments(tz, from_ms, to_ms);
        let queries: Vec<CountQuery> = pieces
            .into_iter()
            .map(|(from_ms, to_ms, offset_ms)| CountQuery {
                site_id,
                fact: Fact::Dialogs,
                from_ms,
                to_ms,
                keys: &[Key::Channel],
                first_key_required: false,
                bucket_ms: Some(DAY_MS),
                offset_ms,
                filters: &req.filters,
            })
            .collect();
        let results =
            futures_util::future::try_join_all(queries.iter().map(|q| store.count(q))).await?;
        for r in results.into_iter().flatten() {
            let start = req.granularity.start(time::wall(r.b * DAY_MS).date());
            if let Ok(i) = starts.binary_search(&start) {
                *counts.entry((r.k1, i)).or_default() += r.n;
            }
        }
        Ok::<_, ReportError>((starts, counts))
    };
    let (main, comparison) = match req.comparison_period() {
        Some(p) => {
            let (main, comparison) = tokio::try_join!(series(req.period), series(p))?;
            (main, Some(comparison))
        }
        None => (series(req.period).await?, None),
    };
    let channels: BTreeSet<Option<String>> = main
        .1
        .keys()
        .chain(comparison.iter().flat_map(|c| c.1.keys()))
        .map(|(ch, _)| ch.clone())
        .collect();
    // A bucket of the current period that has not ended yet (today is in it, or it is
    // still to come) is partial: its counts are not a fall.
    let today = time::local(tz, crate::domain::now_ms()).date();
    let ends = |starts: &[NaiveDate], i: usize| {
        starts
            .get(i + 1)
            .and_then(|next| next.pred_opt())
            .unwrap_or(req.period.to)
    };
    let mut t = Table::new(&["period", "index", "bucket", "channel", "dialogs", "partial"]);
    let mut emit = |label: &str, (starts, counts): &(Vec<NaiveDate>, BTreeMap<_, i64>)| {
        for (i, start) in starts.iter().enumerate() {
            let partial = label == "current" && ends(starts, i) >= today;
            for ch in &channels {
                let n = counts.get(&(ch.clone(), i)).copied().unwrap_or(0);
                t.rows.push(vec![
                    label.into(),
                    i.into(),
                    start.to_string().into(),
                    ch.clone().into(),
                    n.into(),
                    partial.into(),
                ]);
            }
        }
    };
    emit("current", &main);
    if let Some(c) = &comparison {
        emit("comparison", c);
    }
    Ok(t)
}
