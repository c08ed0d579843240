//! Money in the attribution reports: leads, won dialogs, revenue and conversion per row, and
//! where ad costs meet the row's keys (channels, campaigns, ads) spend, cost per dialog, cost
//! per won dialog and ROAS. One currency per report (`currency=`, default the site's most
//! used): amounts in other currencies are left out, never converted.
//!
//! Revenue is attributed to the matched session (last touch, the default) or to the
//! visitor's first session (`model=first`; a dialog without a session keeps its own
//! attribution; each dialog carries a copy of its first session's keys). Outcomes are read
//! from indexes alone: the partial index `dialogs_money` (dialogs with an outcome and their
//! keys) under last touch, `dialogs_first_touch` under first; costs from `ad_costs`, itself
//! one row per day.

use std::collections::BTreeMap;

use serde_json::Value;

use super::query::Key;
use super::rollups::DAY_MS;
use super::store::Reports;
use super::{ReportError, ReportName, ReportRequest, Table};
use crate::domain::outcome::{parse_currency, StageKind};
use crate::domain::site::SiteId;

/// How a report attributes money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyOptions {
    /// The currency of the money columns (`None`: the site's most used).
    pub currency: Option<String>,
    /// Attribute to the visitor's first session instead of the matched one.
    pub first_touch: bool,
}

impl MoneyOptions {
    /// Parses `currency` and `model` (`last` or `first`).
    pub fn parse(currency: Option<String>, model: Option<String>) -> Result<Self, String> {
        let currency = currency
            .map(|c| parse_currency(&c).map_err(|e| e.to_string()))
            .transpose()?;
        let first_touch = match model.as_deref() {
            None | Some("last") => false,
            Some("first") => true,
            Some(other) => return Err(format!("model must be last or first, got {other:?}")),
        };
        Ok(MoneyOptions {
            currency,
            first_touch,
        })
    }
}

/// The keys of a report with money, and whether ad costs can meet them.
fn keys_of(name: ReportName) -> Option<(&'static [Key], bool)> {
    Some(match name {
        ReportName::Channels => (&[Key::Channel], true),
        ReportName::Campaigns => (&[Key::Campaign, Key::Channel], true),
        ReportName::Ads => (&[Key::Content, Key::Campaign], true),
        ReportName::Keywords => (&[Key::Term, Key::Campaign], false),
        ReportName::LandingPages => (&[Key::LandingPage], false),
        ReportName::Pages => (&[Key::ClickPage], false),
        _ => return None,
    })
}

fn amount(milli: i64) -> Value {
    (milli as f64 / 1000.0).into()
}

fn ratio(part: f64, whole: f64) -> Value {
    if whole == 0.0 {
        Value::Null
    } else {
        ((part / whole * 10_000.0).round() / 10_000.0).into()
    }
}

/// Adds the money columns to `t`, the table of `req` for `[from_ms, to_ms)`.
pub async fn add(
    store: &dyn Reports,
    site_id: SiteId,
    req: &ReportRequest,
    bounds: (i64, i64),
    t: &mut Table,
) -> Result<(), ReportError> {
    let Some((keys, costs)) = keys_of(req.name) else {
        return Ok(());
    };
    // A site that keeps no outcomes and no costs gets no money columns; spend columns come
    // with the first cost.
    let site = store.site_money(site_id).await?;
    if !site.outcomes && !site.costs {
        return Ok(());
    }
    let costs = costs && site.costs;
    let stages = site.stages;
    let currency = req.money.currency.clone().or(site.currency);
    let first = req.money.first_touch;
    let outcomes = store
        .outcomes(site_id, keys, first, bounds, &req.filters)
        .await?;
    // Costs are per UTC day: the days the period's first and last instants fall in. A
    // filter costs know nothing of (number, match, tag) leaves spend out.
    let f = &req.filters;
    let spend_applies = costs && f.number.is_none() && f.match_kind.is_none() && f.tag.is_none();
    let days = (
        bounds.0.div_euclid(DAY_MS),
        (bounds.1 - 1).div_euclid(DAY_MS),
    );
    let spend = match (&currency, spend_applies) {
        (Some(c), true) => store.spend(site_id, keys, days, c, f).await?,
        _ => Vec::new(),
    };
    type K = (Option<String>, Option<String>);
    #[derive(Default)]
    struct Sums {
        dialogs: i64,
        leads: i64,
        won: i64,
        revenue: i64,
        spend: Option<i64>,
    }
    let mut sums: BTreeMap<K, Sums> = BTreeMap::new();
    for r in outcomes {
        let (at, stage) = stages.current(r.stage.as_deref());
        let s = sums.entry((r.k1, r.k2)).or_default();
        s.dialogs += r.n;
        if at > 0 && stage.kind != StageKind::Lost {
            s.leads += r.n;
        }
        if stage.kind == StageKind::Won {
            s.won += r.n;
            if r.currency.is_some() && r.currency == currency {
                s.revenue += r.v;
            }
        }
    }
    for (k1, k2, n) in spend {
        *sums.entry((k1, k2)).or_default().spend.get_or_insert(0) += n;
    }
    let width = keys.len();
    let dialogs_at = t.columns.iter().position(|c| *c == "dialogs");
    // Keys with money but no row (first touch): a row of their own, counts 0.
    let present: std::collections::HashSet<K> = t.rows.iter().map(|r| key_of(r, width)).collect();
    for k in sums.keys().filter(|k| !present.contains(*k)) {
        if k.0.is_none() {
            continue;
        }
        let mut row: Vec<Value> = vec![k.0.clone().into()];
        if width > 1 {
            row.push(k.1.clone().into());
        }
        for c in &t.columns[width..] {
            row.push(if *c == "click_to_chat" {
                Value::Null
            } else {
                0.into()
            });
        }
        t.rows.push(row);
    }
    let mut columns = vec!["currency", "leads", "won", "revenue", "conversion"];
    if costs {
        columns.extend(["spend", "cost_per_dialog", "cost_per_won", "roas"]);
    }
    t.columns.extend(columns);
    for row in &mut t.rows {
        let k = key_of(row, width);
        let empty = Sums::default();
        let s = sums.get(&k).unwrap_or(&empty);
        let dialogs = if first {
            s.dialogs
        } else {
            dialogs_at.and_then(|i| row[i].as_i64()).unwrap_or(0)
        };
        let revenue = currency.as_ref().map(|_| s.revenue);
        row.extend([
            currency.clone().into(),
            s.leads.into(),
            s.won.into(),
            revenue.map_or(Value::Null, amount),
            ratio(s.won as f64, dialogs as f64),
        ]);
        if costs {
            let spend = s.spend.map(|m| m as f64 / 1000.0);
            let per = |n: i64| spend.map_or(Value::Null, |sp| ratio(sp, n as f64));
            row.extend([
                s.spend.map_or(Value::Null, amount),
                per(dialogs),
                per(s.won),
                match (revenue, spend) {
                    (Some(r), Some(sp)) => ratio(r as f64 / 1000.0, sp),
                    _ => Value::Null,
                },
            ]);
        }
    }
    t.rows.truncate(req.limit);
    Ok(())
}

fn key_of(row: &[Value], width: usize) -> (Option<String>, Option<String>) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let k2 = if width > 1 { text(row.get(1)) } else { None };
    (text(row.first()), k2)
}
