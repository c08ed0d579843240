//! The benchmark at a small size: generated traffic, every report, totals that must agree,
//! rollups equal to the fact tables; then the benchmark table, printed (speed is reported
//! here, not asserted: CI machines vary too much).

use chatrail_collector::generate::GenerateOptions;
use chatrail_collector::reports::query::ReportFilters;
use chatrail_collector::storage::Db;
use chatrail_tests::app::Backend;
use chatrail_tests::bench::{filled, markdown_table, report, time_suite, Filled};
use chatrail_tests::plan;

pub async fn generated_data_gives_consistent_totals(backend: Backend) {
    let opts = GenerateOptions {
        sessions: 20_000,
        dialogs: 2_000,
        months: 6,
        end_ms: 1_750_000_000_000,
        ..GenerateOptions::default()
    };
    let f = filled(backend, "America/New_York", &opts).await;
    assert_eq!(f.stats.sessions, 20_000);
    assert_eq!(f.stats.dialogs, 2_000);
    let (from, to) = (f.from.clone(), f.to.clone());
    let dialogs = f.stats.dialogs as i64;
    let sum = |name: &'static str, column: &'static str, extra: &'static str| {
        let (f, from, to) = (&f, &from, &to);
        async move { report(f, name, from, to, extra).await.table.sum(column) }
    };
    assert_eq!(sum("new-repeat", "dialogs", "").await, dialogs);
    assert_eq!(sum("match-quality", "dialogs", "").await, dialogs);
    assert_eq!(sum("hours", "dialogs", "").await, dialogs);
    assert_eq!(sum("channels", "dialogs", "").await, dialogs);
    assert_eq!(sum("channels", "visits", "").await, f.stats.sessions as i64);
    assert_eq!(sum("channels", "clicks", "").await, f.stats.clicks as i64);
    assert_eq!(
        sum("landing-pages", "visits", "").await,
        f.stats.sessions as i64
    );
    assert_eq!(sum("pages", "clicks", "").await, f.stats.clicks as i64);
    let unattributed = report(&f, "match-quality", &from, &to, "match=none")
        .await
        .table
        .sum("dialogs");
    assert!(unattributed > 0 && unattributed < dialogs / 2);
    // Click-to-WhatsApp ad chats have no click, so no page of contact.
    let from_ads = report(&f, "match-quality", &from, &to, "match=referral")
        .await
        .table
        .sum("dialogs");
    assert!(from_ads > 0 && from_ads < dialogs / 5, "{from_ads}");
    assert_eq!(
        sum("pages", "dialogs", "").await,
        dialogs - unattributed - from_ads
    );
    for granularity in ["day", "week", "month", "quarter"] {
        let dynamics = report(
            &f,
            "dynamics",
            &from,
            &to,
            &format!("granularity={granularity}&compare=previous"),
        )
        .await;
        let current: i64 = dynamics
            .table
            .rows
            .iter()
            .filter(|r| r[0] == "current")
            .filter_map(|r| r[4].as_i64())
            .sum();
        assert_eq!(current, dialogs, "{granularity}");
    }
    // The display campaign brings clicks but never chats.
    let campaigns = report(&f, "campaigns", &from, &to, "").await.table;
    let banners = campaigns
        .rows
        .iter()
        .find(|r| r[0] == "awareness-banners")
        .expect("the display campaign is listed");
    assert!(banners[3].as_i64().unwrap() > 0, "clicks: {banners:?}");
    assert_eq!(banners[4], 0, "dialogs: {banners:?}");

    // Every channel's rate is a share of its clicks, and Click-to-WhatsApp (one spelling)
    // has its chats without a visit.
    let channels = report(&f, "channels", &from, &to, "").await.table;
    for row in channels.json_rows() {
        let rate = row["click_to_chat"].as_f64().unwrap_or(0.0);
        assert!((0.0..=1.0).contains(&rate), "{row}");
    }
    let ctwa = channels
        .json_rows()
        .into_iter()
        .find(|r| r["channel"] == "Click-to-WhatsApp")
        .expect("the Click-to-WhatsApp row");
    assert!(ctwa["dialogs"].as_i64().unwrap() > 0, "{ctwa}");

    // Tagged dialogs are a part of all.
    let hot = sum("new-repeat", "dialogs", "tag=Hot Lead").await;
    assert!(hot > 0 && hot < dialogs / 4, "{hot}");
    assert_eq!(sum("channels", "dialogs", "tag=hot lead").await, hot);

    // Rollups equal a recomputation, and every grouping read through them over the local
    // period (partial UTC days at both ends) equals the fact tables.
    let drift = f.store.rollup_drift(f.site.id).await.unwrap();
    assert!(drift.is_empty(), "{drift:#?}");
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let period = chatrail_collector::reports::time::Period {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
    };
    let (from_ms, to_ms) = period.bounds_ms(tz);
    let filters = [
        ReportFilters::default(),
        ReportFilters {
            channel: Some("Paid Search".into()),
            ..ReportFilters::default()
        },
        ReportFilters {
            campaign: Some("spring-sale".into()),
            ..ReportFilters::default()
        },
    ];
    let seen = plan::counts_agree(&f.store, f.site.id, from_ms, to_ms, &filters).await;
    assert!(seen.from_rollups > 0 && seen.filtered_found > 0, "{seen:?}");
    let db = Db::connect(&f.url).await.unwrap();
    summary_agrees(&f, &db, from_ms, to_ms).await;
    nothing_after_the_end(&f, &db, opts.end_ms).await;

    let times = time_suite(&f, &from, &to, 1).await;
    let table = format!(
        "{} sessions, {} dialogs, {} months, {backend:?}, one run each, ms:\n\n{}",
        opts.sessions,
        opts.dialogs,
        opts.months,
        markdown_table(&[format!("{backend:?} all")], &[times])
    );
    // Shown with --nocapture; kept under target/ for CI, where test output is captured.
    println!("\n{table}");
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("report-bench");
    std::fs::create_dir_all(&dir).expect("target dir");
    std::fs::write(dir.join(format!("{backend:?}.md").to_lowercase()), table).expect("written");
}

/// The summary reads a long period in index order (SQLite) and a short one by collecting
/// its dialogs, its message figures from the rollups: both ways give the figures the fact
/// tables give.
async fn summary_agrees(f: &Filled, db: &Db, from_ms: i64, to_ms: i64) {
    use std::sync::atomic::Ordering;
    let in_order = &chatrail_collector::reports::summary_sql::IN_INDEX_ORDER;
    let none = ReportFilters::default();
    let summary = || f.store.summary(f.site.id, from_ms, to_ms, &none);
    let usual = in_order.load(Ordering::Relaxed);
    in_order.store(0, Ordering::Relaxed);
    let indexed = summary().await.unwrap();
    in_order.store(i64::MAX, Ordering::Relaxed);
    let collected = summary().await.unwrap();
    in_order.store(usual, Ordering::Relaxed);
    assert_eq!(indexed, collected);
    let time = "COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, status_at)";
    let mut facts = Vec::new();
    for sql in [
        "SELECT COUNT(DISTINCT contact_id) FROM dialogs WHERE site_id = $1 \
         AND started_at >= $2 AND started_at < $3"
            .to_owned(),
        "SELECT COUNT(*) FROM messages WHERE site_id = $1 AND sent_at >= $2 AND sent_at < $3"
            .to_owned(),
        format!(
            "SELECT COUNT(*) FROM message_statuses WHERE site_id = $1 \
             AND {time} >= $2 AND {time} < $3"
        ),
        format!(
            "SELECT COUNT(*) FROM message_statuses WHERE site_id = $1 AND read_at IS NOT NULL \
             AND {time} >= $2 AND {time} < $3"
        ),
    ] {
        let sql = format!("SELECT CAST(({sql}) AS BIGINT)");
        let args = chatrail_collector::args![f.site.id.0, from_ms, to_ms];
        let (n,): (i64,) = db.fetch_optional(&sql, args).await.unwrap().unwrap();
        facts.push(n);
    }
    let got = [
        indexed.contacts,
        indexed.messages_received,
        indexed.messages_sent,
        indexed.read,
    ];
    assert_eq!(got, facts[..], "{indexed:?}");
    assert!(indexed.contacts > 0 && indexed.read > 0 && indexed.failed > 0);
    assert!(indexed.median_first_response_s.is_some());
}

/// A generated history ends at its end: no chat, reply, status or click comes after it (a
/// live dashboard over a history ending now would get them as they came due), and no chat
/// before its click.
async fn nothing_after_the_end(f: &Filled, db: &Db, end_ms: i64) {
    for (table, column) in [
        ("dialogs", "started_at"),
        ("messages", "received_at"),
        ("referrals", "received_at"),
        ("message_statuses", "sent_at"),
        ("message_statuses", "delivered_at"),
        ("message_statuses", "read_at"),
        ("message_statuses", "failed_at"),
        ("clicks", "clicked_at"),
        ("sessions", "started_at"),
    ] {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE site_id = $1 AND {column} > $2"
        );
        let args = chatrail_collector::args![f.site.id.0, end_ms];
        let (n,): (i64,) = db.fetch_optional(&sql, args).await.unwrap().unwrap();
        assert_eq!(n, 0, "{table}.{column} after the end");
    }
    // Nor does a chat come before the click it came from.
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM dialogs d JOIN clicks c \
               ON c.site_id = d.site_id AND c.click_id = d.click_id \
               WHERE d.site_id = $1 AND d.started_at < c.clicked_at";
    let args = chatrail_collector::args![f.site.id.0];
    let (n,): (i64,) = db.fetch_optional(sql, args).await.unwrap().unwrap();
    assert_eq!(n, 0, "dialogs before their click");
}
