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
//! A row's contribution to the rollups is read from the columns the report SQL groups by
//! ([`Key::sql`]) and grouped the way it groups them, into the same slots
//! ([`RollupDelta::add_fact_rows`]); `rollup_drift` recomputes the rollups with the report
//! SQL itself ([`CountQuery`]), which the tests compare. Writes subtract the contributions
//! of the rows they are about to change, change them, and add the new contributions back
//! ([`RollupDelta`]).

mod delta;
pub mod messages;
mod plan;
mod sql;
#[cfg(test)]
mod tests;
pub mod write;

pub use delta::{drift, FactRow, RollupDelta, RollupKey, Touched};
pub use plan::{merge, Part, RollupRead};
pub use sql::{copy_attribution_sql, copy_drift_sql, fact_rows_sql};

use std::collections::BTreeMap;

use uuid::Uuid;

use super::query::{CountQuery, CountRow, Fact, Key, COPIED_FROM_SESSION};

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

const FUNNEL: &[Fact] = &[
    Fact::Sessions,
    Fact::Clicks,
    Fact::Dialogs,
    Fact::ChatClicks,
];
const CONTACT: &[Fact] = &[Fact::Clicks, Fact::Dialogs, Fact::ChatClicks];

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
        facts: CONTACT,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "page-source",
        keys: &[Key::ClickPage, Key::Channel, Key::Campaign],
        facts: CONTACT,
        slot_ms: DAY_MS,
    },
    // Regions alone: a year and a half of the wide grouping is too many rows for the
    // unfiltered report to sum within its budget.
    Dim {
        name: "place",
        keys: &[Key::Country, Key::Region],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "region",
        keys: &[Key::Country, Key::Region, Key::Channel],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "device",
        keys: &[Key::Device, Key::Os, Key::Channel],
        facts: FUNNEL,
        slot_ms: DAY_MS,
    },
    Dim {
        name: "browser",
        keys: &[Key::Browser, Key::Channel],
        facts: FUNNEL,
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

/// The counters of a rollup row: `report_rollups`' count columns, one per fact.
pub const COUNTERS: [&str; 4] = ["visits", "clicks", "dialogs", "chats"];

/// A rollup row's counts, in [`COUNTERS`] order.
pub type Counts = [i64; COUNTERS.len()];

fn fact_index(fact: Fact) -> usize {
    match fact {
        Fact::Sessions => 0,
        Fact::Clicks => 1,
        Fact::Dialogs => 2,
        Fact::ChatClicks => 3,
    }
}

fn column(fact: Fact) -> &'static str {
    COUNTERS[fact_index(fact)]
}

/// A key as stored: `''` for NULL, `'='` + the value otherwise (primary keys hold no NULLs,
/// and an empty string stays distinct from a missing value).
pub fn encode(k: Option<&str>) -> String {
    match k {
        None => String::new(),
        Some(v) => format!("={v}"),
    }
}
