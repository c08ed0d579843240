//! The summary's message rollups stay equal to the messages and statuses through
//! out-of-order statuses across midnight, erasure and a rebuild, and the summary reads the
//! same figures from them as from the fact tables.

use chatrail_collector::domain::provider::Provider;
use chatrail_collector::domain::site::Site;
use chatrail_collector::domain::status::{DeliveryStatus, StatusUpdate};
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::reports::query::ReportFilters;
use chatrail_collector::storage::{self, SharedStore};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};

use super::rollups::execute;
use super::{message, permutations, T0};

const DAY: i64 = 86_400_000;

async fn no_drift(store: &SharedStore, site: &Site, after: &str) {
    let drift = store.rollup_drift(site.id).await.expect("drift");
    assert!(drift.is_empty(), "after {after}: {drift:#?}");
}

/// `[received, sent, delivered, read, failed]` of the summary over `[from, to)`.
async fn figures(store: &SharedStore, site: &Site, from: i64, to: i64) -> [i64; 5] {
    let s = store
        .summary(site.id, from, to, &ReportFilters::default())
        .await
        .expect("summary");
    [
        s.messages_received,
        s.messages_sent,
        s.delivered,
        s.read,
        s.failed,
    ]
}

pub async fn message_rollups_follow_statuses_and_erasure(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let store = storage::connect(&url).await.expect("store opens");
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let policy = DialogPolicy::default();
    let day = T0 - T0.rem_euclid(DAY);
    let (ann, bob) = ("5511900000001", "5511900000002");
    for (i, (phone, at)) in [(ann, T0), (ann, T0 + 60_000), (bob, T0 + DAY)]
        .into_iter()
        .enumerate()
    {
        let m = message(&site, &format!("w.in{i}"), phone, "hello", at);
        store.ingest_message(&m, &policy).await.unwrap();
    }
    no_drift(&store, &site, "messages").await;

    // A reply sent a moment before midnight, delivered and read after it: every order of its
    // notifications counts it once, on the day it was sent.
    let midnight = day + DAY;
    let status = |id: &str, to: &str, status, at_ms| StatusUpdate {
        site_id: site.id,
        provider: Provider::WhatsApp,
        provider_message_id: id.into(),
        recipient: Some(to.into()),
        status,
        at_ms,
        errors: None,
        pricing_category: None,
    };
    let events = [
        (DeliveryStatus::Sent, midnight - 500),
        (DeliveryStatus::Delivered, midnight + 1_000),
        (DeliveryStatus::Read, midnight + 2_000),
        (DeliveryStatus::Delivered, midnight + 1_500),
    ];
    let orders = permutations(events.len());
    for (n, order) in orders.iter().enumerate() {
        for &i in order {
            let (s, at) = events[i];
            let e = status(&format!("wamid.out.{n}"), ann, s, at);
            store.record_status(&e).await.unwrap();
        }
    }
    no_drift(&store, &site, "statuses in every order").await;
    // A failed reply to bob on the second day.
    let failed = status("wamid.fail", bob, DeliveryStatus::Failed, T0 + DAY + 5_000);
    store.record_status(&failed).await.unwrap();
    no_drift(&store, &site, "a failed status").await;

    let replies = orders.len() as i64;
    // Whole days (from the rollups), one day, and partial days (from the fact tables).
    assert_eq!(
        figures(&store, &site, day, day + 3 * DAY).await,
        [3, replies + 1, replies, replies, 1]
    );
    assert_eq!(
        figures(&store, &site, day, day + DAY).await,
        [2, replies, replies, replies, 0]
    );
    assert_eq!(
        figures(&store, &site, T0 + 30_000, T0 + DAY + 10_000).await,
        [2, replies + 1, replies, replies, 1]
    );
    assert_eq!(
        figures(&store, &site, day - DAY, T0 + 30_000).await,
        [1, 0, 0, 0, 0]
    );

    // Erasing ann counts her messages and the replies to her out.
    store
        .erase_contact(site.id, Some(ann), None, "test")
        .await
        .unwrap();
    no_drift(&store, &site, "an erasure").await;
    assert_eq!(
        figures(&store, &site, day, day + 3 * DAY).await,
        [1, 1, 0, 0, 1]
    );

    // The check is not vacuous, a rebuild repairs, and the migration's backfill builds the
    // same rollups.
    execute(
        backend,
        &url,
        "UPDATE message_rollups SET received = received + 5",
    )
    .await;
    let found = store.rollup_drift(site.id).await.unwrap();
    assert!(
        found.iter().any(|l| l.starts_with("message rollup")),
        "{found:#?}"
    );
    store.rebuild_rollups(site.id).await.unwrap();
    no_drift(&store, &site, "a rebuild").await;
    let migration = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0041_message_rollups.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0041_message_rollups.sql"),
    };
    let backfill = &migration[migration
        .find("INSERT INTO message_rollups")
        .expect("the backfill")..];
    execute(
        backend,
        &url,
        &format!("DELETE FROM message_rollups; {backfill}"),
    )
    .await;
    no_drift(&store, &site, "the migration's backfill").await;
    assert_eq!(
        figures(&store, &site, day, day + 3 * DAY).await,
        [1, 1, 0, 0, 1]
    );
}

/// SQLite's plan for `sql` on a freshly migrated database, its parameters replaced by
/// `values` (`$1` first): each step's detail.
async fn sqlite_plan(sql: &str, values: &[&str]) -> Vec<String> {
    let plan = sqlite_plan_rows(sql, values).await;
    plan.into_iter().map(|r| r.3).collect()
}

/// SQLite's plan for `sql` as [`sqlite_plan`], each step as (id, parent, _, detail).
async fn sqlite_plan_rows(sql: &str, values: &[&str]) -> Vec<(i64, i64, i64, String)> {
    use sqlx::Connection as _;
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    storage::connect(&url).await.expect("migrated");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // From the last, so that `$1` does not match the start of `$10`.
    let sql = values
        .iter()
        .enumerate()
        .rev()
        .fold(sql.to_owned(), |sql, (i, v)| {
            sql.replace(&format!("${}", i + 1), v)
        });
    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// Setting dialogs' first reply reads the contact's statuses by recipient, not every later
/// status of the site in time order (which made a generation of history quadratic on
/// SQLite; PostgreSQL's planner weighs the two itself).
#[tokio::test]
async fn first_replies_read_the_contacts_statuses() {
    let details = sqlite_plan(
        &storage::first_reply_sql(" IN ($2, $3)"),
        &["x'00'", "x'01'", "x'02'"],
    )
    .await;
    let uses = |index: &str| details.iter().any(|d| d.contains(index));
    assert!(uses("message_statuses_by_recipient"), "{details:#?}");
    assert!(!uses("message_statuses_by_time"), "{details:#?}");
}

/// The probable match checks a flooding client once, not once per click of it: the search
/// of a client's clicks runs once per distinct client of the 64 candidates (`flood`), in a
/// list computed once (after a million clicks from a few clients on a number, inbound fell
/// to 58% of its rate when each of the 64 candidates searched its client's clicks, twice a
/// message). The candidates are checked in one place, though the query returns two rows.
#[tokio::test]
async fn the_probable_match_checks_each_client_once() {
    let values = ["x'00'", "'79001234567'", "1", "2"];
    let plan = sqlite_plan_rows(storage::NEWEST_UNCLAIMED_CLICKS, &values).await;
    for index in ["clicks_by_client", "dialogs_by_session"] {
        let places = plan.iter().filter(|r| r.3.contains(index)).count();
        assert_eq!(places, 1, "{index} in {plan:#?}");
    }
    let by_client = plan
        .iter()
        .find(|r| r.3.contains("clicks_by_client"))
        .unwrap_or_else(|| panic!("{plan:#?}"));
    // The steps above it, up to the top.
    let mut above = Vec::new();
    let mut parent = by_client.1;
    while let Some(step) = plan.iter().find(|r| r.0 == parent) {
        above.push(step.3.as_str());
        parent = step.1;
    }
    // In the list of flooding clients, computed once (not correlated with a candidate), not
    // under the walk of the candidates (`c`).
    assert!(
        above.iter().any(|d| d.starts_with("LIST SUBQUERY")),
        "{above:#?} in {plan:#?}"
    );
    assert!(!above.iter().any(|d| d.starts_with("SCAN c")), "{plan:#?}");
}

/// On SQLite a message's claim reads its contact and the contact's dialogs around the send
/// time in one query; each part through an index, so its cost does not grow with the
/// site's contacts or dialogs.
#[tokio::test]
async fn the_claim_reads_contact_and_dialogs_through_indexes() {
    let sql = storage::contact_and_dialogs_sql(storage::FIND_CONTACT);
    let values = ["x'00'", "'whatsapp'", "'5511'", "'5511'", "NULL", "1"];
    let details = sqlite_plan(&sql, &values).await;
    assert!(
        !details
            .iter()
            .any(|d| d.starts_with("SCAN contacts") || d.starts_with("SCAN dialogs")),
        "{details:#?}"
    );
    let uses = |index: &str| details.iter().any(|d| d.contains(index));
    assert!(uses("dialogs_by_contact"), "{details:#?}");
    assert!(uses("contacts_by_phone"), "{details:#?}");
}
