//! The funnel report: per channel, its dialogs and how many reached each of the site's
//! stages, in the site's order, one row per channel and stage.
//!
//! A dialog's stage is where it is now (the dialogs keep no path), so "reached" is read from
//! it: every dialog reached the first stage; an open stage is reached by the dialogs now in
//! it or in a later open stage and by the won ones; the won stage by the won dialogs; a lost
//! stage counts the dialogs lost there. A lost dialog thus counts in the first stage and its
//! lost stage only, however far it had gone before.
//!
//! Read from the dialogs' counts and the money columns' outcome groups
//! ([`Reports::outcomes`]), so `model=first` attributes the funnel to first touch too.

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

/// A channel's dialogs and how many are now in each stage.
type Counts = (i64, Vec<i64>);

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
    let width = site.stages.all().len();
    let mut now: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    for r in outcomes {
        let (at, _) = site.stages.current(r.stage.as_deref());
        let e = now.entry(r.k1).or_insert_with(|| (0, vec![0; width]));
        e.1[at] += r.n;
        if first {
            // First touch reads every dialog: their sum is the channel's dialogs.
            e.0 += r.n;
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
            let e = now.entry(r.k1).or_insert_with(|| (0, vec![0; width]));
            e.0 += r.n;
        }
        for (dialogs, stages) in now.values_mut() {
            let moved: i64 = stages[1..].iter().sum();
            stages[0] = (*dialogs - moved).max(0);
        }
    }
    let mut ranked: Vec<(Option<String>, Counts)> = now.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    let mut t = Table::new(&COLUMNS);
    for (channel, (dialogs, stages)) in ranked.into_iter().take(req.limit) {
        for (step, reached) in reached(&site.stages, dialogs, &stages)
            .into_iter()
            .enumerate()
        {
            let stage = &site.stages.all()[step];
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

/// How many of `dialogs` reached each stage, from how many are now in each (see the module).
fn reached(stages: &Stages, dialogs: i64, now: &[i64]) -> Vec<i64> {
    let all = stages.all();
    let won: i64 = all
        .iter()
        .zip(now)
        .filter(|(s, _)| s.kind == StageKind::Won)
        .map(|(_, n)| n)
        .sum();
    all.iter()
        .enumerate()
        .map(|(i, stage)| match stage.kind {
            _ if i == 0 => dialogs,
            StageKind::Won | StageKind::Lost => now[i],
            StageKind::Open => {
                let later_open: i64 = all[i..]
                    .iter()
                    .zip(&now[i..])
                    .filter(|(s, _)| s.kind == StageKind::Open)
                    .map(|(_, n)| n)
                    .sum();
                later_open + won
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
    fn reached_counts_open_stages_past_and_won_but_lost_only_at_the_start() {
        let stages = Stages::default_set(); // new, lead, qualified, won, lost
                                            // 10 dialogs: 3 new, 2 lead, 1 qualified, 2 won, 2 lost.
        assert_eq!(
            reached(&stages, 10, &[3, 2, 1, 2, 2]),
            [10, 5, 3, 2, 2],
            "lead: 2 + 1 + 2 won; qualified: 1 + 2 won"
        );
    }
}
