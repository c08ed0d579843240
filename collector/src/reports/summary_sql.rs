//! The `summary` report's SQL (see [`Summary`]).
//!
//! Message figures come from the message rollups ([`messages::counts`]), dialogs by kind
//! from the report rollups (a contact's first dialog ever is its only `new` one, so new
//! people are counted as such dialogs). The rest reads the dialogs of the period through
//! indexes: answered ones and their median wait in wait order (`dialogs_by_wait` on the
//! generated `wait_ms`, migration 0041), the people behind them in contact order
//! (`dialogs_by_contact`), so a long period's dialogs are neither collected nor sorted.

use std::sync::atomic::{AtomicI64, Ordering};

use super::query::{dialog_conditions, CountRow, ReportFilters};
use super::rollups::messages;
use crate::args;
use crate::db::{Arg, Backend, Db, StoreError};
use crate::domain::dialog::DialogKind;
use crate::domain::site::SiteId;

/// Above this many dialogs, SQLite reads them in an index's order rather than collecting
/// and sorting them (PostgreSQL's planner chooses itself). Tests lower it to drive both ways
/// on small data (both give the same figures).
pub static IN_INDEX_ORDER: AtomicI64 = AtomicI64::new(10_000);

/// The figures of the `summary` report. Dialog figures are over the dialogs started in the
/// period that match the filters; message figures over the messages of the period, and
/// with a filter, only of contacts with such a dialog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Dialogs started.
    pub dialogs: i64,
    /// People behind them.
    pub contacts: i64,
    /// Of those, people whose first dialog ever is in the period.
    pub new_contacts: i64,
    /// Messages from contacts.
    pub messages_received: i64,
    /// Messages the business sent (known from their delivery statuses).
    pub messages_sent: i64,
    /// Of those, delivered (read and played included).
    pub delivered: i64,
    /// Of those, read (played included).
    pub read: i64,
    /// Failed.
    pub failed: i64,
    /// Median seconds from a dialog's first message to the business's first message to that
    /// contact after it, over the dialogs answered.
    pub median_first_response_s: Option<i64>,
}

/// The figures of `[from_ms, to_ms)`, given the period's dialogs by kind (`kinds`).
pub async fn summary(
    db: &Db,
    site_id: SiteId,
    (from_ms, to_ms): (i64, i64),
    filters: &ReportFilters,
    kinds: &[CountRow],
) -> Result<Summary, StoreError> {
    let (conditions, binds) = dialog_conditions(filters, 4);
    let args = || {
        let mut a = args![site_id.0, from_ms, to_ms];
        a.extend(binds.iter().map(Arg::from));
        a
    };
    let filtered = filters != &ReportFilters::default();
    let period = format!("d.site_id = $1 AND d.started_at >= $2 AND d.started_at < $3{conditions}");
    let mut conn = db.read().await?;
    let (mut dialogs, mut new_contacts) = (0, 0);
    for row in kinds {
        dialogs += row.n;
        if row.k1.as_deref() == Some(DialogKind::New.as_str()) {
            new_contacts += row.n;
        }
    }
    // Answered dialogs, from `dialogs_by_wait`.
    let (answered,): (i64,) = conn
        .fetch_one(
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM dialogs d \
                 WHERE {period} AND d.wait_ms IS NOT NULL"
            ),
            args(),
        )
        .await?;
    // SQLite reads a long unfiltered period in an index's order (`INDEXED BY`).
    let by = |index: &str, n: i64| match db.backend() {
        Backend::Sqlite if !filtered && n > IN_INDEX_ORDER.load(Ordering::Relaxed) => {
            format!(" INDEXED BY {index}")
        }
        _ => String::new(),
    };
    let (contacts,): (i64,) = conn
        .fetch_one(
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT DISTINCT d.contact_id \
                 FROM dialogs d{} WHERE {period}) people",
                by("dialogs_by_contact", dialogs)
            ),
            args(),
        )
        .await?;
    let mut s = Summary {
        dialogs,
        contacts,
        new_contacts,
        ..Summary::default()
    };
    // The median wait: the middle one or two of the answered dialogs' waits, in seconds.
    if answered > 0 {
        let mut a = args();
        a.push(Arg::from((answered - 1) / 2));
        let offset = binds.len() + 4;
        let middle: Vec<(i64,)> = conn
            .fetch_all(
                &format!(
                    "SELECT CAST(d.wait_ms / 1000 AS BIGINT) FROM dialogs d{} \
                     WHERE {period} AND d.wait_ms IS NOT NULL \
                     ORDER BY d.wait_ms LIMIT 2 OFFSET ${offset}",
                    by("dialogs_by_wait", answered)
                ),
                a,
            )
            .await?;
        let w: Vec<i64> = middle.into_iter().map(|(w,)| w.max(0)).collect();
        s.median_first_response_s = match (answered % 2, &w[..]) {
            (1, [m, ..]) => Some(*m),
            (0, [a, b]) => Some((a + b) / 2),
            _ => None,
        };
    }
    // Messages of the period; with a filter, of the contacts it leaves.
    let only = |column: &str, of: &str| {
        format!(
            " AND {column} IN (SELECT {of} FROM dialogs d JOIN contacts c \
             ON c.site_id = d.site_id AND c.contact_id = d.contact_id WHERE {period})"
        )
    };
    let (only_m, only_ms) = (
        only("m.contact_id", "c.contact_id"),
        only("ms.recipient", "c.phone"),
    );
    let extra: Vec<Arg> = binds.iter().map(Arg::from).collect();
    let [received, sent, delivered, read, failed] = messages::counts(
        &mut conn,
        site_id.0,
        (from_ms, to_ms),
        filtered.then_some((only_m.as_str(), only_ms.as_str())),
        &extra,
    )
    .await?;
    s.messages_received = received;
    (s.messages_sent, s.delivered, s.read, s.failed) = (sent, delivered, read, failed);
    Ok(s)
}
