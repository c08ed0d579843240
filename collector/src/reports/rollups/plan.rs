//! Planning a count: which whole slots the rollups answer, and what is left for the fact
//! tables.

use super::*;

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
                        .map(|(k, v)| Some((at(*k)?, encode(Some(v)))))
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
