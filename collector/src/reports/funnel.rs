//! The funnel report: per channel, its dialogs and how many reached each of the site's
//! stages, in the site's order, one row per channel and stage.
//!
//! A dialog's stage is where it is now; "reached" is read from it: every dialog reached the
//! first stage; an open stage is reached by the dialogs now in it or in a later open stage
//! and by the won ones; the won stage by the won dialogs; a lost stage counts the dialogs
//! lost there. A lost dialog also counts in the open stages up to the furthest one its
//! outcome history holds (where it was lost), and no further.
//!
//! Read from the dialogs' counts and the money columns' outcome groups
//! ([`Reports::outcomes`]), and the history of the lost dialogs only
//! ([`Reports::lost_steps`]), so `model=first` attributes the funnel to first touch too.

use std::collections::BTreeMap;

use serde_json::Value;

use super::query::{CountQuery, Fact, Key};
use super::store::Reports;
use super::{ReportError, ReportRequest, Table};
use crate::domain::outcome::{StageKind, Stages};
use crate::domain::site::SiteId;

/// The report's columns: `step` is the stage's position (0: the first), `dialogs` those that
/// reached it, `share` their part of the channel's dialogs.
const COLUMNS: [&str; 6] = ["channel", "step", "stage", "kind", "dialogs", "share"];

/// A channel's dialogs, how many are now in each stage, and how many lost ones got as far
/// as each stage before.
#[derive(Debug, Clone)]
struct Counts {
    dialogs: i64,
    now: Vec<i64>,
    lost_at: Vec<i64>,
}

impl Counts {
    fn new(width: usize) -> Counts {
        Counts {
            dialogs: 0,
            now: vec![0; width],
            lost_at: vec![0; width],
        }
    }
}

/// The funnel of `req` for `[from_ms, to_ms)`.
pub async fn table(
    store: &dyn Reports,
    site_id: SiteId,
    req: &ReportRequest,
    (from_ms, to_ms): (i64, i64),
) -> Result<Table, ReportError> {
    const KEYS: &[Key] = &[Key::Channel];
    let first = req.money.first_touch;
    let site = store.site_money(site_id).await?;
    let outcomes = store
        .outcomes(site_id, KEYS, first, (from_ms, to_ms), &req.filters)
        .await?;
    // Per channel: its dialogs, and how many are now in each stage.
    let stages = &site.stages;
    let width = stages.all().len();
    let mut now: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    for r in outcomes {
        let (at, _) = stages.current(r.stage.as_deref());
        let e = now.entry(r.k1).or_insert_with(|| Counts::new(width));
        e.now[at] += r.n;
        if first {
            // First touch reads every dialog: their sum is the channel's dialogs.
            e.dialogs += r.n;
        }
    }
    if !first {
        // Last touch reads the dialogs with a stored stage; the others are in the first.
        let rows = store
            .count(&CountQuery {
                site_id,
                fact: Fact::Dialogs,
                from_ms,
                to_ms,
                keys: KEYS,
                first_key_required: false,
                bucket_ms: None,
                offset_ms: 0,
                filters: &req.filters,
            })
            .await?;
        for r in rows {
            now.entry(r.k1)
                .or_insert_with(|| Counts::new(width))
                .dialogs += r.n;
        }
        for c in now.values_mut() {
            let moved: i64 = c.now[1..].iter().sum();
            c.now[0] = (c.dialogs - moved).max(0);
        }
    }
    // How far each lost dialog had gone: the furthest open stage of its history.
    let steps = store
        .lost_steps(site_id, KEYS, first, (from_ms, to_ms), &req.filters, stages)
        .await?;
    let mut furthest: BTreeMap<uuid::Uuid, (Option<String>, usize)> = BTreeMap::new();
    for step in steps {
        let at = match stages.find(&step.stage) {
            Ok((at, s)) if s.kind == StageKind::Open => at,
            _ => 0,
        };
        let e = furthest.entry(step.dialog_id).or_insert((step.k1, 0));
        e.1 = e.1.max(at);
    }
    for (k1, at) in furthest.into_values() {
        now.entry(k1).or_insert_with(|| Counts::new(width)).lost_at[at] += 1;
    }
    let mut ranked: Vec<(Option<String>, Counts)> = now.into_iter().collect();
    ranked.sort_by(|a, b| b.1.dialogs.cmp(&a.1.dialogs).then_with(|| a.0.cmp(&b.0)));
    let mut t = Table::new(&COLUMNS);
    for (channel, c) in ranked.into_iter().take(req.limit) {
        let dialogs = c.dialogs;
        for (step, reached) in reached(stages, &c).into_iter().enumerate() {
            let stage = &stages.all()[step];
            t.rows.push(vec![
                channel.clone().into(),
                step.into(),
                stage.name.clone().into(),
                stage.kind.as_str().into(),
                reached.into(),
                share(reached, dialogs),
            ]);
        }
    }
    Ok(t)
}

/// How many of a channel's dialogs reached each stage (see the module).
fn reached(stages: &Stages, c: &Counts) -> Vec<i64> {
    let all = stages.all();
    let won: i64 = all
        .iter()
        .zip(&c.now)
        .filter(|(s, _)| s.kind == StageKind::Won)
        .map(|(_, n)| n)
        .sum();
    all.iter()
        .enumerate()
        .map(|(i, stage)| match stage.kind {
            _ if i == 0 => c.dialogs,
            StageKind::Won | StageKind::Lost => c.now[i],
            StageKind::Open => {
                let later_open: i64 = all[i..]
                    .iter()
                    .zip(&c.now[i..])
                    .filter(|(s, _)| s.kind == StageKind::Open)
                    .map(|(_, n)| n)
                    .sum();
                let lost_later: i64 = c.lost_at[i..].iter().sum();
                later_open + won + lost_later
            }
        })
        .collect()
}

fn share(part: i64, whole: i64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        ((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0).into()
    }
}

/// Keeps the rows of the first `limit` channels (a comparison adds the earlier period's
/// channels after the current ones).
pub fn keep_channels(t: &mut Table, limit: usize) {
    let mut seen: Vec<Value> = Vec::new();
    t.rows.retain(|row| {
        let channel = &row[0];
        if seen.contains(channel) {
            return true;
        }
        if seen.len() < limit {
            seen.push(channel.clone());
            true
        } else {
            false
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_counts_open_stages_past_and_won_and_lost_as_far_as_they_went() {
        let stages = Stages::default_set(); // new, lead, qualified, won, lost
                                            // 10 dialogs: 3 new, 2 lead, 1 qualified, 2 won, 2 lost (one after qualified, one
                                            // straight from new).
        let c = Counts {
            dialogs: 10,
            now: vec![3, 2, 1, 2, 2],
            lost_at: vec![1, 0, 1, 0, 0],
        };
        assert_eq!(
            reached(&stages, &c),
            [10, 6, 4, 2, 2],
            "lead: 2 + 1 + 2 won + 1 lost after qualified; qualified: 1 + 2 won + 1 lost"
        );
    }
}
