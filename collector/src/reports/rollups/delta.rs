//! Changes to the rollups, collected in a transaction and written at its end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::*;

/// A stored rollup row's key: site, grouping, slot, encoded keys.
pub type RollupKey = (Uuid, String, i64, String, String, String);

/// Changes to the rollups collected during one transaction and written at its end, in key
/// order, so concurrent writers lock rollup rows in the same order; with the rows still to
/// be counted in ([`Open`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupDelta(pub BTreeMap<RollupKey, Counts>, pub(super) Open);

/// Fact rows whose contributions as they stand at the end of the transaction are still to
/// be added: rows counted out before a change (their contributions before it are taken out
/// once, however many changes follow) and rows a write adds. Counting them in once, before
/// the delta is written ([`RollupDelta::settle`]), reads each row's contributions once per
/// transaction, not once per change.
pub(super) type Open = BTreeMap<(Uuid, FactOrder), BTreeSet<Uuid>>;

/// A fact, in the order rows are counted in: sessions first, whose attribution clicks and
/// dialogs copy, then clicks, chat clicks and dialogs, which copy a click's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct FactOrder(pub u8);

impl FactOrder {
    pub(super) const ALL: [Fact; 4] = [
        Fact::Sessions,
        Fact::Clicks,
        Fact::ChatClicks,
        Fact::Dialogs,
    ];

    pub(super) fn of(fact: Fact) -> FactOrder {
        FactOrder(Self::ALL.iter().position(|f| *f == fact).unwrap_or(0) as u8)
    }

    pub(super) fn fact(self) -> Fact {
        Self::ALL[usize::from(self.0)]
    }
}

impl RollupDelta {
    /// Adds `n` of `fact` to a group (`keys`: the grouping's keys, missing ones `None`).
    pub fn add(
        &mut self,
        site: Uuid,
        dim: String,
        slot: i64,
        keys: [Option<&str>; 3],
        fact: Fact,
        n: i64,
    ) {
        let [k1, k2, k3] = keys.map(encode);
        self.0.entry((site, dim, slot, k1, k2, k3)).or_default()[fact_index(fact)] += n;
    }

    /// Adds `n` × the contributions of the `fact` rows `rows` of `site`: in each grouping
    /// counting the fact, one per row in the group of its keys and the slot of its time, as
    /// the report SQL groups them (`CAST(time / slot AS BIGINT)`, which truncates as `/`
    /// does). Summed per group before they are added: a batch's rows mostly share their keys.
    pub fn add_fact_rows(&mut self, site: Uuid, fact: Fact, rows: &[FactRow], n: i64) {
        let mut groups: HashMap<(usize, i64, [Option<&str>; 3]), i64> = HashMap::new();
        for (i, d) in DIMS.iter().enumerate() {
            if !d.facts.contains(&fact) {
                continue;
            }
            let at: Vec<usize> = d.keys.iter().map(|k| k.position()).collect();
            for r in rows {
                let key = |j: usize| at.get(j).and_then(|p| r.keys[*p].as_deref());
                let group = (i, r.at_ms / d.slot_ms, [key(0), key(1), key(2)]);
                *groups.entry(group).or_default() += n;
            }
        }
        for ((i, slot, keys), n) in groups {
            self.add(site, DIMS[i].name.to_owned(), slot, keys, fact, n);
        }
    }

    /// The changed rows, in key order, without the ones that cancelled out.
    pub fn rows(&self) -> Vec<(&RollupKey, Counts)> {
        self.0
            .iter()
            .filter(|(_, v)| v.iter().any(|n| *n != 0))
            .map(|(k, v)| (k, *v))
            .collect()
    }
}

/// A fact row as the rollups group it ([`fact_rows_sql`](super::fact_rows_sql)): its time
/// and its value of each key of [`Key::ALL`], in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactRow {
    /// The fact's time (a session's or dialog's start, a click's time).
    pub at_ms: i64,
    /// The keys, by position in [`Key::ALL`].
    pub keys: [Option<String>; Key::ALL.len()],
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for FactRow
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let mut out = FactRow {
            at_ms: row.try_get(0)?,
            ..FactRow::default()
        };
        for (i, key) in out.keys.iter_mut().enumerate() {
            *key = row.try_get(i + 1)?;
        }
        Ok(out)
    }
}

/// What a write of sessions and clicks changes: the sessions and clicks it adds, and the
/// existing clicks and dialogs of sessions that arrive only now (their session's keys were
/// missing when they were counted).
#[derive(Debug, Default, Clone)]
pub struct Touched {
    /// Sessions the write adds.
    pub sessions: Vec<Uuid>,
    /// Clicks the write adds, and existing clicks of added sessions.
    pub clicks: Vec<Uuid>,
    /// Existing dialogs of added sessions (and dialogs the write adds).
    pub dialogs: Vec<Uuid>,
}

/// Differences between two rollup states, for [`Reports::rollup_drift`](super::query::Reports::rollup_drift).
pub fn drift(stored: &RollupDelta, recomputed: &RollupDelta) -> Vec<String> {
    let (a, b) = (stored.rows(), recomputed.rows());
    let a: BTreeMap<_, _> = a.into_iter().collect();
    let b: BTreeMap<_, _> = b.into_iter().collect();
    let mut out = Vec::new();
    for k in a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (x, y) = (a.get(k).copied(), b.get(k).copied());
        if x.unwrap_or_default() != y.unwrap_or_default() {
            out.push(format!("{k:?}: stored {x:?}, recomputed {y:?}"));
        }
    }
    out
}
