//! The SQL that keeps rollups and copied attribution in step, built from the report SQL.

use super::*;

/// The `fact` rows of site `$1` whose id matches `ids` (what follows the column:
/// [`in_ids`](crate::db::in_ids)) as [`FactRow`]s: each row's time and every key of
/// [`Key::ALL`] as the report SQL reads it ([`Key::sql`]), of the rows it counts
/// ([`Fact::counted_only`]). Grouped in Rust ([`RollupDelta::add_fact_rows`]): as one
/// `GROUP BY` per grouping, SQLite sorted each, which cost a batch of dialogs four times the
/// read.
pub fn fact_rows_sql(fact: Fact, ids: &str) -> String {
    let (table, time, id) = fact.table();
    let a = fact.alias();
    let keys: Vec<String> = Key::ALL.iter().map(|k| k.sql(fact)).collect();
    format!(
        "SELECT {a}.{time}, {} FROM {table} {a} WHERE {a}.site_id = $1 AND {a}.{id}{ids}{}",
        keys.join(", "),
        fact.counted_only()
    )
}

/// What a dialog's copy of attribution column `column` should hold, with its session as `s`
/// and its ad referral as `r` (both joined, possibly empty): the session's value; for a
/// dialog from a Click-to-WhatsApp ad without a session, the ad's: the channel
/// `Click-to-WhatsApp` and the ad (`utm_content`) as `headline (ad id)`.
fn dialog_attribution(column: &str) -> String {
    let from_ad = match column {
        "channel" => "'Click-to-WhatsApp'",
        "utm_content" => {
            "CASE WHEN r.headline IS NOT NULL AND r.source_id IS NOT NULL \
             THEN r.headline || ' (' || r.source_id || ')' ELSE COALESCE(r.headline, r.source_id) END"
        }
        _ => "NULL",
    };
    format!(
        "CASE WHEN s.session_id IS NULL AND r.referral_id IS NOT NULL THEN {from_ad} \
         ELSE s.{column} END"
    )
}

/// The keys a dialog also carries as its visitor's first session has them, as
/// `first_<key>`: what first-touch money reports group by (see `reports::money_sql`).
pub const FIRST_TOUCH: [&str; 5] = [
    "channel",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "landing_key",
];

/// What a dialog (`d`: its table or alias) is joined to for its copies: its session `s`, its
/// ad referral `r`, and its visitor `v`'s first session `f` (each possibly empty).
fn dialog_joins(d: &str) -> String {
    format!(
        "LEFT JOIN sessions s ON s.site_id = {d}.site_id AND s.session_id = {d}.session_id \
         LEFT JOIN referrals r ON r.site_id = {d}.site_id AND r.referral_id = {d}.referral_id \
         LEFT JOIN visitors v ON v.site_id = s.site_id AND v.visitor_id = s.visitor_id \
         LEFT JOIN sessions f ON f.site_id = v.site_id AND f.session_id = v.first_session_id"
    )
}

/// What a dialog's `first_<column>` should hold (sources as in [`dialog_joins`]): its
/// visitor's first session's value; without one, the dialog's own attribution.
fn first_touch(column: &str) -> String {
    format!(
        "CASE WHEN f.session_id IS NULL THEN {} ELSE f.{column} END",
        dialog_attribution(column)
    )
}

/// The `UPDATE`s refreshing the copied attribution of the `fact` rows of site `$1` whose id
/// matches `ids` (what follows the column: [`in_ids`](crate::db::in_ids); every row of the
/// site without), and for dialogs their start copied onto their tags; none for sessions,
/// which hold the originals.
pub fn copy_attribution_sql(fact: Fact, ids: Option<&str>) -> Vec<String> {
    let (table, id) = match fact.table_fact() {
        Fact::Dialogs => ("dialogs", "dialog_id"),
        Fact::Clicks => ("clicks", "click_id"),
        _ => return Vec::new(),
    };
    let columns = COPIED_FROM_SESSION.join(", ");
    let mut set = if fact == Fact::Dialogs {
        let mut values: Vec<String> = COPIED_FROM_SESSION
            .iter()
            .map(|c| dialog_attribution(c))
            .collect();
        values.extend(FIRST_TOUCH.iter().map(|c| first_touch(c)));
        let firsts: Vec<String> = FIRST_TOUCH.iter().map(|c| format!("first_{c}")).collect();
        format!(
            "({columns}, {}) = (SELECT {} FROM (SELECT 1 AS one) one {})",
            firsts.join(", "),
            values.join(", "),
            dialog_joins("dialogs")
        )
    } else {
        let from: Vec<String> = COPIED_FROM_SESSION
            .iter()
            .map(|c| format!("s.{c}"))
            .collect();
        format!(
            "({columns}) = (SELECT {} FROM sessions s WHERE s.site_id = {table}.site_id \
             AND s.session_id = {table}.session_id)",
            from.join(", ")
        )
    };
    if fact == Fact::Dialogs {
        set.push_str(
            ", (page_url, page_key) = (SELECT c.page_url, c.page_key FROM clicks c \
             WHERE c.site_id = dialogs.site_id AND c.click_id = dialogs.click_id)",
        );
    }
    let only = |id: &str| match ids {
        Some(ids) => format!(" AND {id}{ids}"),
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
        let mut checks: Vec<String> = COPIED_FROM_SESSION
            .iter()
            .map(|c| match alias {
                "d" => format!("d.{c} IS DISTINCT FROM ({})", dialog_attribution(c)),
                _ => format!("{alias}.{c} IS DISTINCT FROM s.{c}"),
            })
            .collect();
        if alias == "d" {
            checks.extend(
                FIRST_TOUCH
                    .iter()
                    .map(|c| format!("d.first_{c} IS DISTINCT FROM ({})", first_touch(c))),
            );
        }
        checks.join(" OR ")
    };
    format!(
        "SELECT 'click' AS t, c.click_id AS id FROM clicks c LEFT JOIN sessions s \
         ON s.site_id = c.site_id AND s.session_id = c.session_id \
         WHERE c.site_id = $1 AND ({}) \
         UNION ALL SELECT 'dialog', d.dialog_id FROM dialogs d {} LEFT JOIN clicks c \
         ON c.site_id = d.site_id AND c.click_id = d.click_id \
         WHERE d.site_id = $1 AND ({} OR d.page_url IS DISTINCT FROM c.page_url \
         OR d.page_key IS DISTINCT FROM c.page_key) \
         UNION ALL SELECT 'tag of dialog', t.dialog_id FROM dialog_tags t LEFT JOIN dialogs d \
         ON d.site_id = t.site_id AND d.dialog_id = t.dialog_id \
         WHERE t.site_id = $1 AND t.dialog_started_at IS DISTINCT FROM d.started_at",
        differs("c"),
        dialog_joins("d"),
        differs("d")
    )
}
