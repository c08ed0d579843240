//! The one question reports ask of a database: grouped counts over one fact table.
//!
//! Every report is built from [`CountQuery`]s: "count sessions / clicks / dialogs in a time
//! range, grouped by up to three keys and optionally by a fixed-width time bucket". The SQL is
//! assembled here from whitelisted fragments, so both backends run the same text; bucketing
//! into the site's days and hours happens in Rust (see `crate::reports`), which keeps the SQL
//! free of dialect-specific time-zone functions.

use crate::domain::dialog::MatchKind;
use crate::domain::site::SiteId;

/// The table a count runs over; its time column decides the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// Visits (`sessions.started_at`).
    Sessions,
    /// Chat-link clicks (`clicks.clicked_at`).
    Clicks,
    /// Dialogs (`dialogs.started_at`).
    Dialogs,
    /// Chat-link clicks that led to a dialog (a dialog points at them), by click time: the
    /// numerator of `click_to_chat`, so one click with two dialogs is one, and the rate
    /// never passes 100%.
    ChatClicks,
}

impl Fact {
    /// The table's alias in report SQL.
    pub fn alias(self) -> &'static str {
        match self {
            Fact::Sessions => "s",
            Fact::Clicks | Fact::ChatClicks => "c",
            Fact::Dialogs => "d",
        }
    }

    /// What a row of the fact's table (alias [`Fact::alias`]) must also satisfy to be
    /// counted: a chat click is a click some dialog points at.
    pub fn counted_only(self) -> &'static str {
        match self {
            Fact::ChatClicks => {
                " AND EXISTS (SELECT 1 FROM dialogs x WHERE x.site_id = c.site_id \
                 AND x.click_id = c.click_id)"
            }
            _ => "",
        }
    }

    /// The fact's table, its time column and its id column.
    pub fn table(self) -> (&'static str, &'static str, &'static str) {
        match self.table_fact() {
            Fact::Sessions => ("sessions", "started_at", "session_id"),
            Fact::Dialogs => ("dialogs", "started_at", "dialog_id"),
            _ => ("clicks", "clicked_at", "click_id"),
        }
    }

    /// The fact whose table rows this one counts (a subset of them, for chat clicks).
    pub fn table_fact(self) -> Fact {
        match self {
            Fact::ChatClicks => Fact::Clicks,
            f => f,
        }
    }
}

/// A grouping key. Clicks and dialogs carry copies of their session's attribution (and
/// dialogs of their click's page), so every key is a column of the fact itself and no
/// report joins: see [`COPIED_FROM_SESSION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `new` / `repeat` (dialogs only).
    Kind,
    /// `exact` / … / `none` (dialogs only).
    MatchKind,
    /// The session's channel.
    Channel,
    /// `utm_campaign`.
    Campaign,
    /// `utm_content` (the ad).
    Content,
    /// `utm_term` (the keyword).
    Term,
    /// The session's landing page, as a page key (`domain::page`).
    LandingPage,
    /// The page of the chat-link click, as a page key.
    ClickPage,
    /// The tracked number (clicks' number, dialogs' business number).
    Number,
    /// The session's country (ISO code).
    Country,
    /// The session's region within it.
    Region,
    /// The session's device type (`smartphone`, `pc`, …).
    Device,
    /// The session's operating system.
    Os,
    /// The session's browser.
    Browser,
}

/// The session columns that clicks and dialogs carry copies of, under the same names. They
/// are copied whenever a click or dialog is counted into the rollups (see
/// `storage::sql::rollups::copy_attribution!`), which every write that adds one or changes
/// what it points at does.
pub const COPIED_FROM_SESSION: [&str; 10] = [
    "channel",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "landing_key",
    "country",
    "region",
    "device",
    "os",
    "browser",
];

/// The report columns that hold keys, and their keys.
pub const ROW_KEYS: [(&str, Key); 11] = [
    ("channel", Key::Channel),
    ("campaign", Key::Campaign),
    ("ad", Key::Content),
    ("keyword", Key::Term),
    ("landing_page", Key::LandingPage),
    ("page", Key::ClickPage),
    ("country", Key::Country),
    ("region", Key::Region),
    ("device", Key::Device),
    ("os", Key::Os),
    ("browser", Key::Browser),
];

impl Key {
    /// Every key.
    pub const ALL: [Key; 14] = [
        Key::Kind,
        Key::MatchKind,
        Key::Channel,
        Key::Campaign,
        Key::Content,
        Key::Term,
        Key::LandingPage,
        Key::ClickPage,
        Key::Number,
        Key::Country,
        Key::Region,
        Key::Device,
        Key::Os,
        Key::Browser,
    ];

    /// The key's place in [`Key::ALL`].
    pub fn position(self) -> usize {
        Key::ALL
            .iter()
            .position(|k| *k == self)
            .expect("every key is in Key::ALL")
    }

    fn column(self) -> &'static str {
        match self {
            Key::Kind => "kind",
            Key::MatchKind => "match_kind",
            Key::Channel => "channel",
            Key::Campaign => "utm_campaign",
            Key::Content => "utm_content",
            Key::Term => "utm_term",
            Key::LandingPage => "landing_key",
            Key::ClickPage => "page_key",
            Key::Number => "number",
            Key::Country => "country",
            Key::Region => "region",
            Key::Device => "device",
            Key::Os => "os",
            Key::Browser => "browser",
        }
    }

    /// The key's SQL on `fact`'s table; NULL where the fact has no such value (a visit has
    /// no page of contact, tracked number or match kind).
    pub fn sql(self, fact: Fact) -> String {
        let column = match (self, fact) {
            (Key::Kind | Key::MatchKind, Fact::Dialogs) => self.column(),
            (Key::Kind | Key::MatchKind, _) => return "CAST(NULL AS TEXT)".to_owned(),
            (Key::ClickPage | Key::Number, Fact::Sessions) => {
                return "CAST(NULL AS TEXT)".to_owned()
            }
            (Key::Number, Fact::Dialogs) => "business_number",
            _ => self.column(),
        };
        format!("{}.{column}", fact.alias())
    }

    /// The key's column on dialogs aliased `d`.
    pub fn dialog_column(self) -> String {
        self.sql(Fact::Dialogs)
    }

    /// The key a report column names (`campaign`, `ad`, `landing_page`, …), for filtering
    /// the dialogs behind a report row by the row's keys.
    pub fn of_report_column(name: &str) -> Option<Key> {
        ROW_KEYS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    /// The filters in `f` that apply to `fact` (see [`ReportFilters`]) and are keys, with
    /// their values: all but the tag.
    pub fn filters(fact: Fact, f: &ReportFilters) -> Vec<(Key, &str)> {
        let mut keys = vec![
            (Key::Channel, f.channel.as_deref()),
            (Key::Campaign, f.campaign.as_deref()),
        ];
        if fact != Fact::Sessions {
            keys.push((Key::Number, f.number.as_deref()));
        }
        if fact == Fact::Dialogs {
            keys.push((Key::MatchKind, f.match_kind.map(MatchKind::as_str)));
        }
        keys.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }
}

/// Optional filters shared by every report; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilters {
    /// Session channel.
    pub channel: Option<String>,
    /// Session `utm_campaign`.
    pub campaign: Option<String>,
    /// Tracked number (clicks' number, dialogs' business number); visits are not filtered.
    pub number: Option<String>,
    /// Dialog match kind; visits and clicks are not filtered.
    pub match_kind: Option<MatchKind>,
    /// An operator's tag on the dialog; visits and clicks are not filtered.
    pub tag: Option<String>,
}

/// One grouped count.
#[derive(Debug, Clone)]
pub struct CountQuery<'a> {
    /// The site.
    pub site_id: SiteId,
    /// What to count.
    pub fact: Fact,
    /// Start of the range, epoch ms, inclusive.
    pub from_ms: i64,
    /// End of the range, epoch ms, exclusive.
    pub to_ms: i64,
    /// Up to three grouping keys (reports ask for two at most; rollup groupings hold three).
    pub keys: &'a [Key],
    /// Rows whose first key is NULL are left out (e.g. sessions without a campaign).
    pub first_key_required: bool,
    /// Also group by `(time + offset_ms) / bucket_ms`.
    pub bucket_ms: Option<i64>,
    /// Added to times before bucketing: a UTC offset makes buckets local days or hours.
    pub offset_ms: i64,
    /// Filters.
    pub filters: &'a ReportFilters,
}

/// One group of a [`CountQuery`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountRow {
    /// First key, if any.
    pub k1: Option<String>,
    /// Second key, if any.
    pub k2: Option<String>,
    /// Third key, if any.
    pub k3: Option<String>,
    /// Time bucket number (`(time + offset_ms) / bucket_ms`), 0 without bucketing.
    pub b: i64,
    /// How many.
    pub n: i64,
}

/// The conditions `f` puts on dialogs aliased `d`, as ` AND …` with numbered parameters
/// from `$first` on, and their values (the tag as an `EXISTS`).
pub fn dialog_conditions(f: &ReportFilters, first: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    for (key, value) in Key::filters(Fact::Dialogs, f) {
        binds.push(value.to_owned());
        let n = first + binds.len() - 1;
        sql.push_str(&format!(" AND {} = ${n}", key.sql(Fact::Dialogs)));
    }
    if let Some(tag) = &f.tag {
        binds.push(tag.clone());
        let n = first + binds.len() - 1;
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM dialog_tags t WHERE t.site_id = d.site_id \
             AND t.dialog_id = d.dialog_id AND t.tag = ${n})"
        ));
    }
    (sql, binds)
}

impl CountQuery<'_> {
    /// The SQL text and the string parameters after `$1` site, `$2` from, `$3` to.
    pub fn to_sql(&self) -> (String, Vec<String>) {
        let (table, time, _) = self.fact.table();
        let chatted = self.fact.counted_only();
        let a = self.fact.alias();
        let key = |i: usize| {
            self.keys
                .get(i)
                .map_or("CAST(NULL AS TEXT)".to_owned(), |k| k.sql(self.fact))
        };
        let bucket = match self.bucket_ms {
            Some(ms) => format!(
                "CAST(({a}.{time} + {}) / {} AS BIGINT)",
                self.offset_ms,
                ms.max(1)
            ),
            None => "CAST(0 AS BIGINT)".to_owned(),
        };
        // A tag filter starts from the tag's rows of the period (one per dialog, holding its
        // start), and `CROSS JOIN` keeps SQLite from scanning every dialog of the period.
        let tagged = match (&self.filters.tag, self.fact) {
            (Some(_), Fact::Dialogs) => "dialog_tags t CROSS JOIN ",
            _ => "",
        };
        let mut sql = format!(
            "SELECT {} AS k1, {} AS k2, {} AS k3, {bucket} AS b, COUNT(*) AS n \
             FROM {tagged}{table} {a}",
            key(0),
            key(1),
            key(2)
        );
        sql.push_str(&format!(
            " WHERE {a}.site_id = $1 AND {a}.{time} >= $2 AND {a}.{time} < $3{chatted}"
        ));
        let f = self.filters;
        let mut binds = Vec::new();
        for (key, value) in Key::filters(self.fact, f) {
            binds.push(value.to_owned());
            sql.push_str(&format!(
                " AND {} = ${}",
                key.sql(self.fact),
                binds.len() + 3
            ));
        }
        if let (Some(tag), Fact::Dialogs) = (&f.tag, self.fact) {
            binds.push(tag.clone());
            sql.push_str(&format!(
                " AND t.site_id = $1 AND t.tag = ${} AND t.dialog_started_at >= $2 \
                 AND t.dialog_started_at < $3 AND t.dialog_id = d.dialog_id",
                binds.len() + 3
            ));
        }
        if self.first_key_required {
            if let Some(k) = self.keys.first() {
                sql.push_str(&format!(" AND {} IS NOT NULL", k.sql(self.fact)));
            }
        }
        sql.push_str(" GROUP BY 1, 2, 3, 4");
        (sql, binds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn filters_become_numbered_parameters_on_the_fact_alone() {
        let filters = ReportFilters {
            channel: Some("Paid Search".into()),
            match_kind: Some(MatchKind::Exact),
            ..ReportFilters::default()
        };
        let q = CountQuery {
            site_id: SiteId(Uuid::nil()),
            fact: Fact::Dialogs,
            from_ms: 0,
            to_ms: 1,
            keys: &[Key::Kind],
            first_key_required: false,
            bucket_ms: None,
            offset_ms: 0,
            filters: &filters,
        };
        let (sql, binds) = q.to_sql();
        assert!(
            !sql.contains("JOIN"),
            "dialogs carry their session's keys: {sql}"
        );
        assert!(sql.contains("d.channel = $4") && sql.contains("d.match_kind = $5"));
        let numbered = ReportFilters {
            number: Some("79001234567".into()),
            ..ReportFilters::default()
        };
        let (sql, _) = CountQuery {
            filters: &numbered,
            ..q.clone()
        }
        .to_sql();
        assert!(sql.contains("d.business_number = $4"), "{sql}");
        assert_eq!(binds, ["Paid Search", "exact"]);
        let tagged = ReportFilters {
            tag: Some("hot lead".into()),
            ..ReportFilters::default()
        };
        let (sql, binds) = CountQuery {
            filters: &tagged,
            ..q.clone()
        }
        .to_sql();
        assert!(
            sql.contains("FROM dialog_tags t CROSS JOIN dialogs d"),
            "{sql}"
        );
        assert!(sql.contains("t.tag = $4"), "{sql}");
        assert_eq!(binds, ["hot lead"]);
        let (sql, binds) = CountQuery {
            fact: Fact::Clicks,
            filters: &tagged,
            keys: &[],
            ..q.clone()
        }
        .to_sql();
        assert!(
            !sql.contains("dialog_tags") && binds.is_empty(),
            "clicks have no tags"
        );
        let pages = CountQuery {
            keys: &[Key::ClickPage, Key::MatchKind],
            ..q.clone()
        };
        assert!(pages
            .to_sql()
            .0
            .starts_with("SELECT d.page_key AS k1, d.match_kind AS k2"));
        let visits = CountQuery {
            fact: Fact::Sessions,
            ..pages
        };
        let (sql, binds) = visits.to_sql();
        assert!(
            sql.starts_with("SELECT CAST(NULL AS TEXT) AS k1, CAST(NULL AS TEXT) AS k2"),
            "{sql}"
        );
        assert!(!sql.contains("match_kind ="), "visits have no match: {sql}");
        assert_eq!(binds, ["Paid Search"]);
    }
}
