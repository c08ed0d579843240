//! Changes to the rollups, collected in a transaction and written at its end.

use std::collections::BTreeMap;

use super::*;

/// A stored rollup row's key: site, grouping, slot, encoded keys.
pub type RollupKey = (Uuid, String, i64, String, String, String);

/// Changes to the rollups collected during one transaction and written at its end, in key
/// order, so concurrent writers lock rollup rows in the same order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupDelta(pub BTreeMap<RollupKey, Counts>);

impl RollupDelta {
    /// Adds `n` of `fact` to a group (`keys`: the grouping's keys, missing ones `None`).
    pub fn add(
        &mut self,
        site: Uuid,
        dim: String,
        slot: i64,
        keys: [&Option<String>; 3],
        fact: Fact,
        n: i64,
    ) {
        let [k1, k2, k3] = keys.map(encode);
        self.0.entry((site, dim, slot, k1, k2, k3)).or_default()[fact_index(fact)] += n;
    }

    /// Adds `other`'s changes to these.
    pub fn merge(&mut self, other: RollupDelta) {
        for (key, counts) in other.0 {
            let row = self.0.entry(key).or_default();
            for (r, c) in row.iter_mut().zip(counts) {
                *r += c;
            }
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
