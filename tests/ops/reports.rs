//! Report counts as the reports read them (from the rollups where they can answer), for
//! comparing before and after a deletion.

use chatrail_collector::reports::query::{CountQuery, Fact, Key, ReportFilters};
use chatrail_tests::app::TestApp;

/// Visits, clicks and dialogs per channel over a period: `(fact, channel, n)`, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<(usize, Option<String>, i64)>);

const FACTS: [Fact; 3] = [Fact::Sessions, Fact::Clicks, Fact::Dialogs];

impl Counts {
    /// The total of `fact`.
    pub fn total(&self, fact: Fact) -> i64 {
        let i = FACTS.iter().position(|f| *f == fact).unwrap();
        self.0.iter().filter(|r| r.0 == i).map(|r| r.2).sum()
    }
}

/// The counts per channel of `[from_ms, to_ms)`; the same from the fact tables alone is
/// checked too when `raw_too` (it no longer holds for expired days).
pub async fn counts(app: &TestApp, from_ms: i64, to_ms: i64, raw_too: bool) -> Counts {
    let none = ReportFilters::default();
    let mut out = Vec::new();
    for (i, fact) in FACTS.into_iter().enumerate() {
        let q = CountQuery {
            site_id: app.site.id,
            fact,
            from_ms,
            to_ms,
            keys: &[Key::Channel],
            first_key_required: false,
            bucket_ms: None,
            offset_ms: 0,
            filters: &none,
        };
        let rows = app.store.count(&q).await.unwrap();
        if raw_too {
            let mut raw = app.store.count_raw(&q).await.unwrap();
            let mut read = rows.clone();
            raw.sort_by(|a, b| a.k1.cmp(&b.k1));
            read.sort_by(|a, b| a.k1.cmp(&b.k1));
            assert_eq!(read, raw, "{fact:?}: rollups and rows differ");
        }
        out.extend(
            rows.into_iter()
                .filter(|r| r.n != 0)
                .map(|r| (i, r.k1, r.n)),
        );
    }
    out.sort();
    Counts(out)
}

/// [`counts`], checked against the fact tables.
pub async fn channel_counts(app: &TestApp, from_ms: i64, to_ms: i64) -> Counts {
    counts(app, from_ms, to_ms, true).await
}
