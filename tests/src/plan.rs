//! The report planner checked against the fact tables: every count read through the plan
//! (rollups where they serve) must equal the same count on the fact tables. Used by the
//! storage tests (after every kind of write) and the reports test (on generated traffic).

use chatrail_collector::domain::site::SiteId;
use chatrail_collector::reports::query::{CountQuery, CountRow, Key, ReportFilters};
use chatrail_collector::reports::rollups::{Part, DIMS, HOUR_MS};
use chatrail_collector::storage::SharedStore;

/// What [`counts_agree`] read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agreement {
    /// Reads the plan sent to the rollups.
    pub from_rollups: usize,
    /// Filtered counts (any but the first of the filters) that found rows.
    pub filtered_found: usize,
}

/// For every rollup grouping — its keys, and (as reports ask) every key alone and every
/// ordered pair — each fact it counts and each of `filters`, over `from_ms..to_ms` (hour
/// buckets for hour groupings): asserts that the planned count equals the fact tables'.
pub async fn counts_agree(
    store: &SharedStore,
    site_id: SiteId,
    from_ms: i64,
    to_ms: i64,
    filters: &[ReportFilters],
) -> Agreement {
    let mut seen = Agreement::default();
    for dim in DIMS {
        let mut subsets: Vec<Vec<Key>> = vec![Vec::new(), dim.keys.to_vec()];
        for a in dim.keys {
            subsets.push(vec![*a]);
            for b in dim.keys.iter().filter(|b| *b != a) {
                subsets.push(vec![*a, *b]);
            }
        }
        subsets.dedup();
        for keys in &subsets {
            for fact in dim.facts {
                for (i, f) in filters.iter().enumerate() {
                    let q = CountQuery {
                        site_id,
                        fact: *fact,
                        from_ms,
                        to_ms,
                        keys,
                        first_key_required: false,
                        bucket_ms: (dim.slot_ms == HOUR_MS).then_some(HOUR_MS),
                        offset_ms: 0,
                        filters: f,
                    };
                    seen.from_rollups += q
                        .plan()
                        .iter()
                        .filter(|p| matches!(p, Part::Rollup(_)))
                        .count();
                    let order = |r: &CountRow| (r.k1.clone(), r.k2.clone(), r.k3.clone(), r.b);
                    let mut planned = store.count(&q).await.unwrap();
                    let mut raw = store.count_raw(&q).await.unwrap();
                    planned.sort_by_key(order);
                    raw.sort_by_key(order);
                    assert_eq!(planned, raw, "{} {keys:?} {fact:?} {f:?}", dim.name);
                    if i > 0 && !raw.is_empty() {
                        seen.filtered_found += 1;
                    }
                }
            }
        }
    }
    seen
}
