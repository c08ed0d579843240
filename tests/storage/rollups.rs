//! Report rollups stay equal to a recomputation from the fact tables through every kind of
//! write, and the migration's backfill builds the same rollups from existing rows.

use chatrail_collector::domain::dialog::MatchKind;
use chatrail_collector::domain::site::Site;
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::reports::query::ReportFilters;
use chatrail_collector::storage::{self, SharedStore};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};
use chatrail_tests::plan;

use super::{message, stored, Browsing, T0};

const HOUR: i64 = 3_600_000;

pub(crate) async fn no_drift(store: &SharedStore, site: &Site, after: &str) {
    let drift = store.rollup_drift(site.id).await.expect("drift");
    assert!(drift.is_empty(), "after {after}: {drift:#?}");
}

/// Every grouping over two UTC days and a bit, unfiltered and filtered by channel, campaign,
/// number and match, from the plan (rollups where they serve) and from the fact tables.
async fn counts_agree(store: &SharedStore, site: &Site) {
    let filters = [
        ReportFilters::default(),
        ReportFilters {
            channel: Some("Paid Search".into()),
            ..ReportFilters::default()
        },
        ReportFilters {
            campaign: Some("spring".into()),
            ..ReportFilters::default()
        },
        ReportFilters {
            number: Some(TRACKED_DIGITS.into()),
            ..ReportFilters::default()
        },
        ReportFilters {
            match_kind: Some(MatchKind::Exact),
            channel: Some("Paid Search".into()),
            ..ReportFilters::default()
        },
    ];
    let seen = plan::counts_agree(store, site.id, T0 - 30 * HOUR, T0 + 40 * HOUR, &filters).await;
    assert!(
        seen.from_rollups > 40,
        "only {} reads from rollups",
        seen.from_rollups
    );
    assert!(
        seen.filtered_found > 40,
        "only {} filtered counts found rows",
        seen.filtered_found
    );
}

pub async fn rollups_follow_every_write(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let store = storage::connect(&url).await.expect("store opens");
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let policy = DialogPolicy::default();
    let paid = "https://shop.test/a?utm_source=google&utm_medium=cpc&utm_campaign=spring";
    let google = Some("https://www.google.com/");

    // A click whose session arrives only later (its first page view was lost).
    let a = Browsing::new();
    store
        .write_batch(&[a.click(&site, "https://shop.test/a", T0 + 90_000)])
        .await
        .unwrap();
    no_drift(&store, &site, "a click without its session").await;
    store
        .write_batch(&[
            a.visit(&site, paid, google, T0),
            a.visit(&site, "https://shop.test/b", None, T0 + 60_000),
        ])
        .await
        .unwrap();
    no_drift(&store, &site, "the session arriving").await;

    // A probable match, later taken over by the contact whose code it is.
    let b = Browsing::new();
    let t = T0 + 5 * HOUR;
    store
        .write_batch(&[
            b.visit(&site, paid, google, t),
            b.click(&site, "https://shop.test/a", t + 60_000),
        ])
        .await
        .unwrap();
    let x = message(&site, "w.x1", "5511900000001", "hello", t + 120_000);
    store.ingest_message(&x, &policy).await.unwrap();
    no_drift(&store, &site, "a probable match").await;
    let text = format!("price? {}", b.code.as_str());
    let y = message(&site, "w.y1", "5511900000002", &text, t + 180_000);
    store.ingest_message(&y, &policy).await.unwrap();
    no_drift(&store, &site, "an exact match undoing a probable one").await;

    // A late first message joins the dialog it opened (prepend).
    let z = message(
        &site,
        "w.z1",
        "5511900000003",
        &format!("hi {}", a.code.as_str()),
        T0 + 2 * HOUR,
    );
    let (dialog, started) = stored(store.ingest_message(&z, &policy).await.unwrap());
    assert!(started);
    // Tagged before the dialog's start moves: the tag's copy of it must follow.
    let hot = chatrail_collector::domain::tag::Tag::parse("hot").unwrap();
    store.add_tag(site.id, dialog, &hot).await.unwrap();
    no_drift(&store, &site, "a tag").await;
    let early = message(
        &site,
        "w.z0",
        "5511900000003",
        "first",
        T0 + 2 * HOUR - 600_000,
    );
    let (same, started) = stored(store.ingest_message(&early, &policy).await.unwrap());
    assert_eq!((same, started), (dialog, false));
    no_drift(&store, &site, "a prepended message").await;

    // A late message a day earlier starts the contact's first dialog: the later one is a
    // repeat now.
    let w = message(&site, "w.w1", "5511900000004", "again", T0 + 30 * HOUR);
    store.ingest_message(&w, &policy).await.unwrap();
    let w0 = message(&site, "w.w0", "5511900000004", "first", T0 + 3 * HOUR);
    let (_, started) = stored(store.ingest_message(&w0, &policy).await.unwrap());
    assert!(started);
    no_drift(&store, &site, "a late first dialog").await;

    // The contact's own code confirms its probable match.
    let c = Browsing::new();
    let t = T0 + 8 * HOUR;
    store
        .write_batch(&[
            c.visit(&site, "https://shop.test/c", None, t),
            c.click(&site, "https://shop.test/c", t + 60_000),
        ])
        .await
        .unwrap();
    let v = message(&site, "w.v1", "5511900000005", "hello", t + 120_000);
    store.ingest_message(&v, &policy).await.unwrap();
    let v2 = message(&site, "w.v2", "5511900000005", c.code.as_str(), t + 180_000);
    store.ingest_message(&v2, &policy).await.unwrap();
    no_drift(&store, &site, "a confirmed probable match").await;
    counts_agree(&store, &site).await;

    let copies = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0008_report_attribution.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0008_report_attribution.sql"),
    };
    let copy = &copies[copies.find("UPDATE clicks").expect("the copying part")
        ..copies
            .find("\n-- The rollups are rebuilt")
            .expect("the rollups part")];
    let backfill = &copies[copies
        .find("DROP TABLE report_rollups")
        .expect("the rollups part")
        ..copies
            .find("\n-- The reports' covering")
            .expect("the indexes part")];
    // The migration's backfill (0008) rebuilds the rollups from the rows as they were then
    // (pages by full URL); rows without page keys (0015) get theirs at start-up, which
    // rebuilds them again: the same rollups as the writes kept.
    let before = store.rollup_drift(site.id).await.unwrap();
    assert!(before.is_empty());
    execute(backend, &url, backfill).await;
    // The backfill's table predates the chat-click count (0019), which start-up fills in.
    let chats = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0019_chat_clicks.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0019_chat_clicks.sql"),
    };
    let add = chats
        .lines()
        .find(|l| l.starts_with("ALTER TABLE report_rollups"))
        .expect("the count's column");
    execute(backend, &url, add).await;
    execute(
        backend,
        &url,
        "UPDATE sessions SET landing_key = NULL; UPDATE clicks SET page_key = NULL",
    )
    .await;
    let db = storage::Db::connect(&url).await.unwrap();
    assert!(storage::catch_up(&db).await.unwrap() > 0);
    no_drift(&store, &site, "the backfill").await;
    counts_agree(&store, &site).await;

    // So does the copy of the sessions' attribution onto clicks and dialogs, and the check
    // sees a stale copy.
    execute(
        backend,
        &url,
        "UPDATE clicks SET channel = NULL; UPDATE dialogs SET page_url = 'https://x.test/'; \
         UPDATE dialog_tags SET dialog_started_at = 0",
    )
    .await;
    let stale = store.rollup_drift(site.id).await.unwrap();
    for what in ["click ", "dialog ", "tag of dialog "] {
        assert!(
            stale.iter().any(|l| l.starts_with(what)),
            "{what}: {stale:#?}"
        );
    }
    execute(backend, &url, copy).await;
    no_drift(&store, &site, "the attribution backfill").await;

    // And the check is not vacuous; a rebuild repairs what it finds.
    execute(
        backend,
        &url,
        "UPDATE dialogs SET kind = 'tampered'; UPDATE clicks SET utm_campaign = 'x'; \
         UPDATE dialog_tags SET dialog_started_at = 1",
    )
    .await;
    let found = store.rollup_drift(site.id).await.unwrap();
    assert!(found.len() > 3, "{found:#?}");
    let rows = store.rebuild_rollups(site.id).await.unwrap();
    assert!(rows > 0);
    no_drift(&store, &site, "a rebuild").await;
    counts_agree(&store, &site).await;
}

pub async fn execute(backend: Backend, url: &str, sql: &str) {
    use sqlx::Connection as _;
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
    }
}

/// A visit arriving after its click, at the moment a chat is matched to that click as
/// probable: whichever commits first, the dialog ends with the session's channel and the
/// rollups count it there (on PostgreSQL the two writers wait for each other on the session).
/// A click whose visit is still being written when its chat arrives.
pub async fn a_late_visit_racing_a_probable_match(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let store = storage::connect(&url).await.expect("store opens");
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let policy = DialogPolicy::default();
    let paid = "https://shop.test/a?utm_source=google&utm_medium=cpc&utm_campaign=spring";
    let mut tasks = Vec::new();
    for i in 0..24 {
        let b = Browsing::new();
        let t = T0 + i * 3 * HOUR;
        store
            .write_batch(&[b.click(&site, "https://shop.test/a", t)])
            .await
            .unwrap();
        let visit = b.visit(&site, paid, Some("https://www.google.com/"), t - 60_000);
        let chat = message(
            &site,
            &format!("w.race{i}"),
            &format!("55119000{i:05}"),
            "hello",
            t + 60_000,
        );
        let (s1, s2, policy) = (store.clone(), store.clone(), policy.clone());
        tasks.push(tokio::spawn(async move { s1.write_batch(&[visit]).await }));
        tasks.push(tokio::spawn(async move {
            s2.ingest_message(&chat, &policy).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let list = store
        .list_dialogs(
            site.id,
            &storage::DialogListQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.len(), 24);
    // A click counts for a probable match only with its session's visit: whichever commits
    // first decides, and a probable dialog always carries the visit's attribution.
    for d in &list {
        match d.match_kind {
            MatchKind::Probable => assert_eq!(d.channel.as_deref(), Some("Paid Search"), "{d:#?}"),
            MatchKind::None => assert_eq!(d.channel, None, "{d:#?}"),
            _ => panic!("{d:#?}"),
        }
    }
    no_drift(&store, &site, "late visits racing probable matches").await;
}
