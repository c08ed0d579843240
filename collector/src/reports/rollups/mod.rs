//! Rollups: visits, clicks and dialogs per site, per UTC day (or hour) and per grouping, kept
//! in step with the fact tables by every write, so reports read a few thousand rollup rows
//! instead of every session, click and dialog of the period. Groupings hold up to three keys;
//! a count reads the narrowest one holding its keys and its filters' keys ([`CountQuery::plan`]).
//!
//! Slots are UTC days and hours, never local ones, so a site's time zone can change without
//! a rebuild: a report reads the whole UTC days inside its local range from the rollups and
//! the partial days at either end from the fact tables. Hour slots serve the bucketed
//! reports (busiest hours, dynamics) in zones whose offsets are whole hours; elsewhere they
//! fall back to the fact tables.
//!
//! A row's contribution to the rollups is computed by the same SQL that reports run on the
//! fact tables ([`CountQuery`] restricted to a list of ids), so the two cannot disagree on
//! what a group is. Writes subtract the contributions of the rows they are about to change,
//! change them, and add the new contributions back ([`RollupDelta`]).

pub mod write;

use std::collections::BTreeMap;

use uuid::Uuid;

use super::query::{CountQuery, CountRow, Fact, Key, ReportFilters, COPIED_FROM_SESSION};
use crate::domain::site::SiteId;

/// A UTC day, in ms.
pub const DAY_MS: i64 = 86_400_000;
/// A UTC hour, in ms.
pub const HOUR_MS: i64 = 3_600_000;

/// One rollup grouping: which keys, of which facts, per slot of which width.
#[derive(Debug, Clone, Copy)]
pub struct Dim {
    /// Stored in `report_rollups.dim`.
    pub name: &'static str,
    /// The grouping keys, as reports ask for them.
    pub keys: &'static [Key],
    /// The facts counted.
    pub facts: &'static [Fact],
    /// Slot width: [`DAY_MS`] or [`HOUR_MS`].
    pub slot_ms: i64,
}

const FUNNEL: &[Fact] = &[Fact::Sessions, Fact::Clicks, Fact::Dialogs];

/// Every rollup grouping; `migrations/*/0008_report_attribution.sql` backfills the same
/// ones. A count is read from the grouping with the fewest keys that holds its keys and its
/// filters' keys, so the plain groupings serve unfiltered reports and the wider ones
/// (`landing-source`, `page-source`, third keys) filtered ones.
pub const DIMS: &[Dim] = &[
    Dim {
        name: "channel",
        keys: &[Key::Channel, Key::Number],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "campaign",
        keys: &[Key::Campaign, Key::Channel, Key::Number],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "ad",
        keys: &[Key::Content, Key::Campaign, Key::Channel],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "keyword",
        keys: &[Key::Term, Key::Campaign, Key::Channel],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "landing",
        keys: &[Key::LandingPage],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "landing-source",
        keys: &[Key::LandingPage, Key::Channel, Key::Campaign],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "page",
        keys: &[Key::ClickPage, Key::Number],
        facts: &[Fact::Clicks, Fact::Dialogs],
        slot_ms: DAY_MS,
    },
    Dim {
        name: "page-source",
        keys: &[Key::ClickPage, Key::Channel, Key::Campaign],
        facts: &[Fact::Clicks, Fact::Dialogs],
        slot_ms: DAY_MS,
    },
    Dim {
        name: "kind",
        keys: &[Key::Kind],
        facts: &[Fact::Dialogs],
        slot_ms: DAY_MS,
    },
    Dim {
        name: "match",
        keys: &[Key::MatchKind],
        facts: &[Fact::Dialogs],
        slot_ms: DAY_MS,
    },
    Dim {
        name: "hour",
        keys: &[],
        facts: &[Fact::Dialogs],
        slot_ms: HOUR_MS,
    },
    Dim {
        name: "channel-hour",
        keys: &[Key::Channel, Key::Number],
        facts: &[Fact::Dialogs],
        slot_ms: HOUR_MS,
    },
];

fn column(fact: Fact) -> &'static str {
    match fact {
        Fact::Sessions => "visits",
        Fact::Clicks => "clicks",
        Fact::Dialogs => "dialogs",
    }
}

fn fact_index(fact: Fact) -> usize {
    match fact {
        Fact::Sessions => 0,
        Fact::Clicks => 1,
        Fact::Dialogs => 2,
    }
}

/// A key as stored: `''` for NULL, `'='` + the value otherwise (primary keys hold no NULLs,
/// and an empty string stays distinct from a missing value).
pub fn encode(k: &Option<String>) -> String {
    match k {
        None => String::new(),
        Some(v) => format!("={v}"),
    }
}

/// A read of the rollups answering (part of) a [`CountQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRead {
    /// The grouping.
    pub dim: &'static str,
    /// Which count.
    pub fact: Fact,
    /// First slot, inclusive.
    pub from_slot: i64,
    /// Last slot, exclusive.
    pub to_slot: i64,
    /// The query's keys, in order, as positions among the grouping's keys; the grouping's
    /// other keys are summed over.
    pub select: Vec<usize>,
    /// Slot width of the grouping.
    pub slot_ms: i64,
    /// Rows per `(slot start + offset_ms) / bucket_ms`, else summed over slots (`b` = 0).
    pub bucket_ms: Option<i64>,
    /// See [`CountQuery::offset_ms`].
    pub offset_ms: i64,
    /// Leave out rows whose first selected key is NULL.
    pub first_key_required: bool,
    /// Keys (by position among the grouping's keys) that must equal an encoded value: the
    /// query's channel or campaign filter.
    pub equal: Vec<(usize, String)>,
}

impl RollupRead {
    /// The SQL: `$1` site, `$2` first slot, `$3` end slot, then the `equal` values.
    pub fn to_sql(&self) -> String {
        let col = column(self.fact);
        // Grouped on the stored keys first, decoded once per group.
        let stored = |i: usize| {
            self.select
                .get(i)
                .map_or("''".to_owned(), |p| format!("k{}", p + 1))
        };
        let decoded = |i: usize| match self.select.get(i) {
            Some(_) => format!(
                "CASE WHEN g.k{0} = '' THEN NULL ELSE SUBSTR(g.k{0}, 2) END",
                i + 1
            ),
            None => "CAST(NULL AS TEXT)".to_owned(),
        };
        let b = match self.bucket_ms {
            Some(ms) => format!(
                "CAST((slot * {} + {}) / {ms} AS BIGINT)",
                self.slot_ms, self.offset_ms
            ),
            None => "CAST(0 AS BIGINT)".to_owned(),
        };
        let mut required = String::new();
        if let (true, Some(p)) = (self.first_key_required, self.select.first()) {
            required.push_str(&format!(" AND k{} <> ''", p + 1));
        }
        for (i, (key, _)) in self.equal.iter().enumerate() {
            required.push_str(&format!(" AND k{} = ${}", key + 1, i + 4));
        }
        format!(
            "SELECT {} AS k1, {} AS k2, {} AS k3, g.b AS b, CAST(g.n AS BIGINT) AS n FROM (\
             SELECT {} AS k1, {} AS k2, {} AS k3, {b} AS b, SUM({col}) AS n \
             FROM report_rollups WHERE site_id = $1 AND dim = '{}' AND slot >= $2 \
             AND slot < $3{required} GROUP BY 4, 1, 2, 3 HAVING SUM({col}) > 0) AS g",
            decoded(0),
            decoded(1),
            decoded(2),
            stored(0),
            stored(1),
            stored(2),
            self.dim
        )
    }
}

/// How a [`CountQuery`] is answered.
#[derive(Debug, Clone)]
pub enum Part<'a> {
    /// From the fact tables.
    Raw(CountQuery<'a>),
    /// From the rollups.
    Rollup(RollupRead),
}

impl<'a> CountQuery<'a> {
    /// Splits the query into fact-table and rollup reads whose rows, summed per group, are
    /// its answer. Filtered queries read the fact tables (through their indexes).
    pub fn plan(&self) -> Vec<Part<'a>> {
        let raw = |from_ms: i64, to_ms: i64| {
            Part::Raw(CountQuery {
                from_ms,
                to_ms,
                ..self.clone()
            })
        };
        if self.from_ms >= self.to_ms {
            return vec![raw(self.from_ms, self.to_ms)];
        }
        // A grouping answers the query if it holds the query's keys and the keys of its
        // filters that apply to the fact, which select rollup rows; a tag filter needs the
        // fact rows. The grouping with the fewest keys has the fewest rows to sum.
        if self.fact == Fact::Dialogs && self.filters.tag.is_some() {
            return vec![raw(self.from_ms, self.to_ms)];
        }
        let filters = Key::filters(self.fact, self.filters);
        let find = |slot_ms: i64| {
            DIMS.iter()
                .filter(|d| d.slot_ms == slot_ms && d.facts.contains(&self.fact))
                .filter_map(|d| {
                    let at = |key: Key| d.keys.iter().position(|k| *k == key);
                    let select = self
                        .keys
                        .iter()
                        .map(|k| at(*k))
                        .collect::<Option<Vec<_>>>()?;
                    let equal = filters
                        .iter()
                        .map(|(k, v)| Some((at(*k)?, encode(&Some((*v).to_owned())))))
                        .collect::<Option<Vec<_>>>()?;
                    Some((d, select, equal))
                })
                .min_by_key(|(d, _, _)| d.keys.len())
        };
        // Hour slots fall wholly inside one bucket when bucket, offset and range are whole
        // hours (zones with half-hour offsets read the fact tables).
        let whole_hours = |ms: i64| ms % HOUR_MS == 0;
        match self.bucket_ms {
            Some(bucket)
                if [bucket, self.offset_ms, self.from_ms, self.to_ms]
                    .into_iter()
                    .all(whole_hours) =>
            {
                match find(HOUR_MS) {
                    Some((dim, select, equal)) => vec![Part::Rollup(RollupRead {
                        dim: dim.name,
                        fact: self.fact,
                        from_slot: self.from_ms / HOUR_MS,
                        to_slot: self.to_ms / HOUR_MS,
                        select,
                        slot_ms: HOUR_MS,
                        bucket_ms: Some(bucket),
                        offset_ms: self.offset_ms,
                        first_key_required: self.first_key_required,
                        equal,
                    })],
                    None => vec![raw(self.from_ms, self.to_ms)],
                }
            }
            None => {
                let dim = find(DAY_MS);
                let first = self.from_ms.div_euclid(DAY_MS)
                    + i64::from(self.from_ms.rem_euclid(DAY_MS) != 0);
                let last = self.to_ms.div_euclid(DAY_MS);
                let Some((dim, select, equal)) = dim.filter(|_| first < last) else {
                    return vec![raw(self.from_ms, self.to_ms)];
                };
                let mut parts = Vec::new();
                if self.from_ms < first * DAY_MS {
                    parts.push(raw(self.from_ms, first * DAY_MS));
                }
                parts.push(Part::Rollup(RollupRead {
                    dim: dim.name,
                    fact: self.fact,
                    from_slot: first,
                    to_slot: last,
                    select,
                    slot_ms: DAY_MS,
                    bucket_ms: None,
                    offset_ms: 0,
                    first_key_required: self.first_key_required,
                    equal,
                }));
                if last * DAY_MS < self.to_ms {
                    parts.push(raw(last * DAY_MS, self.to_ms));
                }
                parts
            }
            Some(_) => vec![raw(self.from_ms, self.to_ms)],
        }
    }
}

/// Sums rows of the same group (the parts of a planned query).
pub fn merge(rows: Vec<CountRow>) -> Vec<CountRow> {
    type Group = (Option<String>, Option<String>, Option<String>, i64);
    let mut sums: BTreeMap<Group, i64> = BTreeMap::new();
    for r in rows {
        *sums.entry((r.k1, r.k2, r.k3, r.b)).or_default() += r.n;
    }
    sums.into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((k1, k2, k3, b), n)| CountRow { k1, k2, k3, b, n })
        .collect()
}

/// The SQL computing the rollup contributions of `ids` rows of `fact`: `$1` site, then the
/// ids; rows are `(dim, k1, k2, k3, slot, n)`. Each grouping's part is the report SQL itself.
pub fn contribution_sql(fact: Fact, ids: usize) -> String {
    let none = ReportFilters::default();
    let parts: Vec<String> = DIMS
        .iter()
        .filter(|d| d.facts.contains(&fact))
        .enumerate()
        .map(|(i, d)| {
            let q = CountQuery {
                site_id: SiteId(Uuid::nil()),
                fact,
                from_ms: 0,
                to_ms: 0,
                keys: d.keys,
                first_key_required: false,
                bucket_ms: Some(d.slot_ms),
                offset_ms: 0,
                filters: &none,
            };
            format!(
                "SELECT '{}' AS dim, x{i}.k1, x{i}.k2, x{i}.k3, x{i}.b, x{i}.n FROM ({}) AS x{i}",
                d.name,
                q.sql_for_ids(ids)
            )
        })
        .collect();
    parts.join(" UNION ALL ")
}

/// The `UPDATE`s refreshing the copied attribution of `ids` rows of `fact` (`$1` site, then
/// the ids; every row of the site without ids), and for dialogs their start copied onto
/// their tags; none for sessions, which hold the originals.
pub fn copy_attribution_sql(fact: Fact, ids: Option<usize>) -> Vec<String> {
    let (table, id) = match fact {
        Fact::Sessions => return Vec::new(),
        Fact::Clicks => ("clicks", "click_id"),
        Fact::Dialogs => ("dialogs", "dialog_id"),
    };
    let columns = COPIED_FROM_SESSION.join(", ");
    let from: Vec<String> = COPIED_FROM_SESSION
        .iter()
        .map(|c| format!("s.{c}"))
        .collect();
    let mut set = format!(
        "({columns}) = (SELECT {} FROM sessions s WHERE s.site_id = {table}.site_id \
         AND s.session_id = {table}.session_id)",
        from.join(", ")
    );
    if fact == Fact::Dialogs {
        set.push_str(
            ", page_url = (SELECT c.page_url FROM clicks c WHERE c.site_id = dialogs.site_id \
             AND c.click_id = dialogs.click_id)",
        );
    }
    let only = |id: &str| match ids {
        Some(n) => {
            let list: Vec<String> = (2..n + 2).map(|i| format!("${i}")).collect();
            format!(" AND {id} IN ({})", list.join(", "))
        }
        None => String::new(),
    };
    let mut out = vec![format!(
        "UPDATE {table} SET {set} WHERE site_id = $1{}",
        only(id)
    )];
    if fact == Fact::Dialogs {
        out.push(format!(
            "UPDATE dialog_tags SET dialog_started_at = (SELECT d.started_at FROM dialogs d \
             WHERE d.site_id = dialog_tags.site_id AND d.dialog_id = dialog_tags.dialog_id) \
             WHERE site_id = $1{}",
            only("dialog_id")
        ));
    }
    out
}

/// The SQL listing the clicks and dialogs of site `$1` whose copied attribution differs from
/// their session's (or click's), and tags whose copied start differs from their dialog's:
/// rows `(what, id)`.
pub fn copy_drift_sql() -> String {
    let differs = |alias: &str| {
        COPIED_FROM_SESSION
            .iter()
            .map(|c| format!("{alias}.{c} IS DISTINCT FROM s.{c}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    format!(
        "SELECT 'click' AS t, c.click_id AS id FROM clicks c LEFT JOIN sessions s \
         ON s.site_id = c.site_id AND s.session_id = c.session_id \
         WHERE c.site_id = $1 AND ({}) \
         UNION ALL SELECT 'dialog', d.dialog_id FROM dialogs d LEFT JOIN sessions s \
         ON s.site_id = d.site_id AND s.session_id = d.session_id LEFT JOIN clicks c \
         ON c.site_id = d.site_id AND c.click_id = d.click_id \
         WHERE d.site_id = $1 AND ({} OR d.page_url IS DISTINCT FROM c.page_url) \
         UNION ALL SELECT 'tag of dialog', t.dialog_id FROM dialog_tags t LEFT JOIN dialogs d \
         ON d.site_id = t.site_id AND d.dialog_id = t.dialog_id \
         WHERE t.site_id = $1 AND t.dialog_started_at IS DISTINCT FROM d.started_at",
        differs("c"),
        differs("d")
    )
}

/// A stored rollup row's key: site, grouping, slot, encoded keys.
pub type RollupKey = (Uuid, String, i64, String, String, String);

/// Changes to the rollups collected during one transaction and written at its end, in key
/// order, so concurrent writers lock rollup rows in the same order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupDelta(pub BTreeMap<RollupKey, [i64; 3]>);

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

    /// The changed rows, in key order, without the ones that cancelled out.
    pub fn rows(&self) -> Vec<(&RollupKey, [i64; 3])> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(
        keys: &'a [Key],
        from_ms: i64,
        to_ms: i64,
        f: &'a ReportFilters,
    ) -> CountQuery<'a> {
        CountQuery {
            site_id: SiteId(Uuid::nil()),
            fact: Fact::Sessions,
            from_ms,
            to_ms,
            keys,
            first_key_required: true,
            bucket_ms: None,
            offset_ms: 0,
            filters: f,
        }
    }

    #[test]
    fn whole_utc_days_come_from_rollups_and_the_edges_from_the_facts() {
        let none = ReportFilters::default();
        // Local days in UTC+1: from 23:00 UTC to 23:00 UTC ten days later.
        let from = 10 * DAY_MS - HOUR_MS;
        let to = 20 * DAY_MS - HOUR_MS;
        let parts = query(&[Key::Campaign, Key::Channel], from, to, &none).plan();
        let shape: Vec<String> = parts
            .iter()
            .map(|p| match p {
                Part::Raw(q) => format!("raw {}..{}", q.from_ms, q.to_ms),
                Part::Rollup(r) => format!("{} {}..{}", r.dim, r.from_slot, r.to_slot),
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                format!("raw {from}..{}", 10 * DAY_MS),
                "campaign 10..19".to_owned(),
                format!("raw {}..{to}", 19 * DAY_MS),
            ]
        );
        // Less than a whole UTC day, a filter, or a grouping without rollup: facts only.
        assert!(matches!(
            query(&[Key::Channel], from, from + DAY_MS, &none).plan()[..],
            [Part::Raw(_)]
        ));
        let filtered = ReportFilters {
            tag: Some("hot".into()),
            ..ReportFilters::default()
        };
        let dialogs = CountQuery {
            fact: Fact::Dialogs,
            ..query(&[Key::Channel], from, to, &filtered)
        };
        assert!(matches!(dialogs.plan()[..], [Part::Raw(_)]));
        // Visits have no tags: the filter does not apply to them.
        assert!(matches!(
            query(&[Key::Channel], from, to, &filtered).plan()[..],
            [Part::Raw(_), Part::Rollup(_), Part::Raw(_)]
        ));
        // A channel filter on campaigns × channel selects rollup rows; on ads, their third key.
        let paid = ReportFilters {
            channel: Some("Paid Search".into()),
            ..ReportFilters::default()
        };
        match &query(&[Key::Campaign, Key::Channel], from, to, &paid).plan()[..] {
            [Part::Raw(edge), Part::Rollup(r), Part::Raw(_)] => {
                assert_eq!(r.equal, vec![(1, "=Paid Search".to_owned())]);
                assert!(r.to_sql().contains("AND k2 = $4"));
                assert_eq!(edge.filters, &paid);
            }
            other => panic!("{other:?}"),
        }
        match &query(&[Key::Content, Key::Campaign], from, to, &paid).plan()[..] {
            [_, Part::Rollup(r), _] => {
                assert_eq!((r.dim, &r.select[..]), ("ad", &[0, 1][..]));
                assert_eq!(r.equal, vec![(2, "=Paid Search".to_owned())]);
                assert!(r.to_sql().contains("AND k3 = $4"), "{}", r.to_sql());
            }
            other => panic!("{other:?}"),
        }
        // Channels of one campaign: campaign × channel, grouped on its second key.
        let sale = ReportFilters {
            campaign: Some("sale".into()),
            ..ReportFilters::default()
        };
        match &query(&[Key::Channel], from, to, &sale).plan()[..] {
            [Part::Raw(_), Part::Rollup(r), Part::Raw(_)] => {
                assert_eq!((r.dim, &r.select[..]), ("campaign", &[1][..]));
                assert_eq!(r.equal, vec![(0, "=sale".to_owned())]);
                let sql = r.to_sql();
                assert!(sql.contains("SELECT k2 AS k1, '' AS k2"), "{sql}");
                assert!(sql.contains("AND k2 <> '' AND k1 = $4"), "{sql}");
            }
            other => panic!("{other:?}"),
        }
        // Pages of contact of one tracked number: page × number; a visit has no number.
        let number = ReportFilters {
            number: Some("79001234567".into()),
            ..ReportFilters::default()
        };
        let clicks = CountQuery {
            fact: Fact::Clicks,
            ..query(&[Key::ClickPage], from, to, &number)
        };
        match &clicks.plan()[..] {
            [_, Part::Rollup(r), _] => {
                assert_eq!((r.dim, &r.select[..]), ("page", &[0][..]));
                assert_eq!(r.equal, vec![(1, "=79001234567".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        match &query(&[Key::Channel], from, to, &number).plan()[..] {
            [_, Part::Rollup(r), _] => assert!(r.equal.is_empty()),
            other => panic!("{other:?}"),
        }
        // Unfiltered, the smallest grouping holding the key answers.
        match &query(&[Key::Channel], from, to, &none).plan()[..] {
            [_, Part::Rollup(r), _] => assert_eq!(r.dim, "channel"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            query(&[Key::LandingPage, Key::Term], from, to, &none).plan()[..],
            [Part::Raw(_)]
        ));
    }

    #[test]
    fn hour_buckets_come_from_hour_rollups_only_when_aligned() {
        let none = ReportFilters::default();
        let q = CountQuery {
            fact: Fact::Dialogs,
            bucket_ms: Some(HOUR_MS),
            offset_ms: 0,
            ..query(&[], 5 * HOUR_MS, 9 * HOUR_MS, &none)
        };
        match &q.plan()[..] {
            [Part::Rollup(r)] => {
                assert_eq!((r.dim, r.from_slot, r.to_slot), ("hour", 5, 9));
                assert!(r.select.is_empty());
                assert!(r.to_sql().contains("CAST(NULL AS TEXT) AS k1"));
                assert!(r
                    .to_sql()
                    .contains("CAST((slot * 3600000 + 0) / 3600000 AS BIGINT)"));
            }
            other => panic!("{other:?}"),
        }
        // A channel's busiest hours: the channel × hour rollup, summed over nothing else.
        let paid = ReportFilters {
            channel: Some("Paid Search".into()),
            ..ReportFilters::default()
        };
        let by_channel = CountQuery {
            filters: &paid,
            ..q.clone()
        };
        match &by_channel.plan()[..] {
            [Part::Rollup(r)] => {
                assert_eq!(
                    (r.dim, r.equal.clone()),
                    ("channel-hour", vec![(0, "=Paid Search".to_owned())])
                );
                assert!(r.to_sql().contains("SELECT '' AS k1, '' AS k2"));
            }
            other => panic!("{other:?}"),
        }
        let half = CountQuery {
            from_ms: 5 * HOUR_MS + 1_800_000,
            ..q.clone()
        };
        assert!(matches!(half.plan()[..], [Part::Raw(_)]));
        let quarter = CountQuery {
            bucket_ms: Some(900_000),
            offset_ms: 0,
            ..q
        };
        assert!(matches!(quarter.plan()[..], [Part::Raw(_)]));
    }

    #[test]
    fn deltas_cancel_and_keys_keep_null_apart_from_empty() {
        let site = Uuid::nil();
        let mut d = RollupDelta::default();
        d.add(
            site,
            "channel".into(),
            1,
            [&Some("Email".into()), &None, &None],
            Fact::Dialogs,
            1,
        );
        d.add(
            site,
            "channel".into(),
            1,
            [&Some("Email".into()), &None, &None],
            Fact::Dialogs,
            -1,
        );
        d.add(
            site,
            "channel".into(),
            1,
            [&Some(String::new()), &None, &None],
            Fact::Clicks,
            1,
        );
        d.add(
            site,
            "channel".into(),
            1,
            [&None, &None, &None],
            Fact::Clicks,
            2,
        );
        let rows = d.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0 .3, "");
        assert_eq!(rows[1].0 .3, "=");
        assert_eq!(
            merge(vec![
                CountRow {
                    k1: None,
                    k2: None,
                    k3: None,
                    b: 0,
                    n: 2
                },
                CountRow {
                    k1: None,
                    k2: None,
                    k3: None,
                    b: 0,
                    n: 3
                },
            ]),
            vec![CountRow {
                k1: None,
                k2: None,
                k3: None,
                b: 0,
                n: 5
            }]
        );
        assert!(contribution_sql(Fact::Sessions, 2).contains("s.session_id IN ($2, $3)"));
    }
}
