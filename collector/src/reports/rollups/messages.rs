//! Message rollups: per site and UTC day, the messages received and the business's messages
//! sent, delivered, read and failed (from their delivery statuses), so the `summary` report
//! reads a few hundred rows instead of every message and status of its period.
//!
//! Kept in step like `report_rollups`: every write that adds, changes or deletes messages or
//! statuses adds its change to a [`MessageDelta`] and writes it before committing. A status
//! is counted on the day of its first status time ([`STATUS_TIME`]); the status upsert
//! returns what the row counted before it (`counted_at`, `counted_flags`, set from the old
//! row inside the upsert, under its row lock), so a status arriving out of order moves its
//! count without a separate read. Each write adds to one of [`SHARDS`] rows of its day,
//! chosen at random, so concurrent writers on PostgreSQL rarely wait for one another;
//! readers sum the shards. Retention leaves the rollups as they are (reports over expired
//! days answer from them), erasure counts what it deletes out.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::DAY_MS;
use crate::args;
use crate::db::{placeholders, Arg, Conn, ID_CHUNK};

/// `message_rollups`' count columns.
pub const MESSAGE_COUNTERS: [&str; 5] = ["received", "sent", "delivered", "read", "failed"];

/// Counts in the order of [`MESSAGE_COUNTERS`].
pub type MessageCounts = [i64; 5];

/// When the business sent a message, as its statuses tell (`message_statuses` as `ms`;
/// `message_statuses_by_time` indexes it).
pub const STATUS_TIME: &str =
    "COALESCE(ms.sent_at, ms.delivered_at, ms.read_at, ms.played_at, ms.failed_at, ms.status_at)";

/// Rows per site and day that writes spread over.
pub const SHARDS: i64 = 8;

/// A status's flags: delivered (read and played included) 1, read (played included) 2,
/// failed 4; `t` qualifies the status row's columns (`"ms."`, or `""`).
pub fn status_flags_sql(t: &str) -> String {
    format!(
        "CAST(CASE WHEN {t}delivered_at IS NOT NULL OR {t}read_at IS NOT NULL \
         OR {t}played_at IS NOT NULL THEN 1 ELSE 0 END \
         + CASE WHEN {t}read_at IS NOT NULL OR {t}played_at IS NOT NULL THEN 2 ELSE 0 END \
         + CASE WHEN {t}failed_at IS NOT NULL THEN 4 ELSE 0 END AS BIGINT)"
    )
}

/// What one status row counts: one sent, and delivered, read, failed by its flags.
fn status_counts(flags: i64) -> MessageCounts {
    [0, 1, flags & 1, (flags >> 1) & 1, (flags >> 2) & 1]
}

/// The UTC day of an epoch-ms time.
fn slot(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS)
}

/// Changes to the message rollups collected in one transaction, per site and day.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MessageDelta(pub BTreeMap<(Uuid, i64), MessageCounts>);

impl MessageDelta {
    fn add(&mut self, site: Uuid, slot: i64, counts: MessageCounts, sign: i64) {
        let row = self.0.entry((site, slot)).or_default();
        for (r, c) in row.iter_mut().zip(counts) {
            *r += sign * c;
        }
    }

    /// `n` messages received at `at_ms`.
    pub fn received(&mut self, site: Uuid, at_ms: i64, n: i64) {
        self.add(site, slot(at_ms), [1, 0, 0, 0, 0], n);
    }

    /// A status row whose first status time is `at_ms`, with `flags`
    /// ([`status_flags_sql`]), counted in (`sign` 1) or out (-1).
    pub fn status(&mut self, site: Uuid, at_ms: i64, flags: i64, sign: i64) {
        self.add(site, slot(at_ms), status_counts(flags), sign);
    }

    /// The changed days, without the ones that cancelled out.
    pub fn rows(&self) -> impl Iterator<Item = (&(Uuid, i64), &MessageCounts)> {
        self.0.iter().filter(|(_, c)| c.iter().any(|n| *n != 0))
    }

    /// Adds the delta to `message_rollups`, in key order, on one random shard, with the
    /// transaction's next statement or its commit ([`Conn::defer`]).
    pub fn write(&self, conn: &mut Conn) {
        self.write_shard(conn, rand::random_range(0..SHARDS));
    }

    fn write_shard(&self, conn: &mut Conn, shard: i64) {
        let add: Vec<String> = MESSAGE_COUNTERS
            .iter()
            .map(|c| format!("{c} = message_rollups.{c} + excluded.{c}"))
            .collect();
        let statements = conn.rows_statements(
            &format!(
                "INSERT INTO message_rollups (site_id, slot, shard, {})",
                MESSAGE_COUNTERS.join(", ")
            ),
            &format!(
                "ON CONFLICT (site_id, slot, shard) DO UPDATE SET {}",
                add.join(", ")
            ),
            self.rows().map(|((site, slot), counts)| {
                let mut row = args![*site, *slot, shard];
                row.extend(counts.iter().map(|n| Arg::from(*n)));
                row
            }),
        );
        conn.defer_all(statements);
    }

    /// Adds `sign` × the messages and statuses of `site` that the conditions select
    /// (`messages m` and `message_statuses ms`; `None` leaves that table out; `$1` is the
    /// site, then `args`), from the fact tables.
    pub async fn collect(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        messages: Option<&str>,
        statuses: Option<&str>,
        args: &[Arg<'_>],
        sign: i64,
    ) -> Result<(), sqlx::Error> {
        let with = |sql: String| {
            let mut a = args![site];
            a.extend(args.iter().cloned());
            (sql, a)
        };
        if let Some(cond) = messages {
            let (sql, a) = with(format!(
                "SELECT CAST(m.sent_at / {DAY_MS} AS BIGINT), CAST(COUNT(*) AS BIGINT) \
                 FROM messages m WHERE m.site_id = $1 AND {cond} GROUP BY 1"
            ));
            for (slot, n) in conn.fetch_all::<(i64, i64)>(&sql, a).await? {
                self.add(site, slot, [n, 0, 0, 0, 0], sign);
            }
        }
        if let Some(cond) = statuses {
            let (sql, a) = with(format!(
                "SELECT CAST({STATUS_TIME} / {DAY_MS} AS BIGINT), {} AS f, \
                 CAST(COUNT(*) AS BIGINT) FROM message_statuses ms \
                 WHERE ms.site_id = $1 AND {cond} GROUP BY 1, 2",
                status_flags_sql("ms.")
            ));
            for (slot, flags, n) in conn.fetch_all::<(i64, i64, i64)>(&sql, a).await? {
                self.add(site, slot, status_counts(flags), sign * n);
            }
        }
        Ok(())
    }

    /// Counts out the messages of `site` whose `column` is one of `ids` (and that were sent
    /// at or after `since`, when given), before they are deleted.
    pub async fn messages_out(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        column: &str,
        ids: &[Uuid],
        since: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        for chunk in ids.chunks(ID_CHUNK) {
            let mut args = vec![Arg::from(since.unwrap_or(i64::MIN))];
            args.extend(chunk.iter().map(|id| Arg::from(*id)));
            let cond = format!(
                "m.sent_at >= $2 AND m.{column} IN ({})",
                placeholders(3, chunk.len())
            );
            self.collect(conn, site, Some(&cond), None, &args, -1)
                .await?;
        }
        Ok(())
    }

    /// The site's stored rollups, shards summed.
    pub async fn stored(conn: &mut Conn, site: Uuid) -> Result<MessageDelta, sqlx::Error> {
        let sums: Vec<String> = MESSAGE_COUNTERS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
            .collect();
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = conn
            .fetch_all(
                &format!(
                    "SELECT slot, {} FROM message_rollups WHERE site_id = $1 GROUP BY slot",
                    sums.join(", ")
                ),
                args![site],
            )
            .await?;
        let mut out = MessageDelta::default();
        for (slot, a, b, c, d, e) in rows {
            out.add(site, slot, [a, b, c, d, e], 1);
        }
        Ok(out)
    }

    /// The site's rollups recomputed from the fact tables from the UTC day `horizon` on (the
    /// dialogs' retention horizon), and taken as stored before it.
    pub async fn recompute(
        conn: &mut Conn,
        site: Uuid,
        horizon: Option<i64>,
    ) -> Result<MessageDelta, sqlx::Error> {
        let mut out = MessageDelta::default();
        let from = horizon.unwrap_or(i64::MIN);
        let since = [Arg::from(from)];
        out.collect(
            conn,
            site,
            Some("m.sent_at >= $2"),
            Some(&format!("{STATUS_TIME} >= $2")),
            &since,
            1,
        )
        .await?;
        if let Some(h) = horizon {
            let stored = MessageDelta::stored(conn, site).await?;
            for ((s, day), counts) in stored.0 {
                if day < slot(h) {
                    out.add(s, day, counts, 1);
                }
            }
        }
        out.0.retain(|_, c| c.iter().any(|n| *n != 0));
        Ok(out)
    }

    /// Replaces the site's stored rollups with `self` (a recomputation).
    pub async fn replace(&self, conn: &mut Conn, site: Uuid) -> Result<(), sqlx::Error> {
        conn.execute(
            "DELETE FROM message_rollups WHERE site_id = $1",
            args![site],
        )
        .await?;
        self.write_shard(conn, 0);
        Ok(())
    }

    /// Days where `self` (stored) and `recomputed` differ, one line each.
    pub fn drift(&self, recomputed: &MessageDelta) -> Vec<String> {
        let a: BTreeMap<_, _> = self.rows().collect();
        let b: BTreeMap<_, _> = recomputed.rows().collect();
        let zero = [0; 5];
        a.keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|k| {
                let (x, y) = (a.get(k).copied(), b.get(k).copied());
                (x.unwrap_or(&zero) != y.unwrap_or(&zero))
                    .then(|| format!("message rollup {k:?}: stored {x:?}, recomputed {y:?}"))
            })
            .collect()
    }
}

/// The message figures of `[from_ms, to_ms)`: the whole UTC days inside it from the rollups,
/// the partial days at either end from the fact tables (`only_m`, `only_ms`: further
/// conditions on `messages m` and `message_statuses ms`, which make it read the fact tables
/// alone, with `extra` as `$4…`).
pub async fn counts(
    conn: &mut Conn,
    site: Uuid,
    (from_ms, to_ms): (i64, i64),
    only: Option<(&str, &str)>,
    extra: &[Arg<'_>],
) -> Result<MessageCounts, sqlx::Error> {
    let first = from_ms.div_euclid(DAY_MS) + i64::from(from_ms.rem_euclid(DAY_MS) != 0);
    let last = to_ms.div_euclid(DAY_MS);
    if only.is_some() || first >= last {
        return raw(
            conn,
            site,
            (from_ms, to_ms),
            only.unwrap_or(("", "")),
            extra,
        )
        .await;
    }
    let mut total = raw(conn, site, (from_ms, first * DAY_MS), ("", ""), extra).await?;
    let tail = raw(conn, site, (last * DAY_MS, to_ms), ("", ""), extra).await?;
    let sums: Vec<String> = MESSAGE_COUNTERS
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
        .collect();
    let (a, b, c, d, e): (i64, i64, i64, i64, i64) = conn
        .fetch_one(
            &format!(
                "SELECT {} FROM message_rollups WHERE site_id = $1 AND slot >= $2 \
                 AND slot < $3",
                sums.join(", ")
            ),
            args![site, first, last],
        )
        .await?;
    for (t, n) in total.iter_mut().zip(tail) {
        *t += n;
    }
    for (t, n) in total.iter_mut().zip([a, b, c, d, e]) {
        *t += n;
    }
    Ok(total)
}

/// [`counts`] from the fact tables.
async fn raw(
    conn: &mut Conn,
    site: Uuid,
    (from_ms, to_ms): (i64, i64),
    (only_m, only_ms): (&str, &str),
    extra: &[Arg<'_>],
) -> Result<MessageCounts, sqlx::Error> {
    if from_ms >= to_ms {
        return Ok([0; 5]);
    }
    let args = || {
        let mut a = args![site, from_ms, to_ms];
        a.extend(extra.iter().cloned());
        a
    };
    let (received,): (i64,) = conn
        .fetch_one(
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM messages m WHERE m.site_id = $1 \
                 AND m.sent_at >= $2 AND m.sent_at < $3{only_m}"
            ),
            args(),
        )
        .await?;
    let (sent, delivered, read, failed): (i64, i64, i64, i64) = conn
        .fetch_one(
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN ms.delivered_at IS NOT NULL \
                   OR ms.read_at IS NOT NULL OR ms.played_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
                   AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN ms.read_at IS NOT NULL OR ms.played_at IS NOT NULL \
                   THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN ms.failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
                   AS BIGINT) \
                 FROM message_statuses ms WHERE ms.site_id = $1 \
                 AND {STATUS_TIME} >= $2 AND {STATUS_TIME} < $3{only_ms}"
            ),
            args(),
        )
        .await?;
    Ok([received, sent, delivered, read, failed])
}
