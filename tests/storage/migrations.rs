//! Data migrations, run on rows written the old way.

use chatrail_collector::db::Db;
use chatrail_collector::storage::SharedStore;
use chatrail_tests::app::{create_site, fresh_database, Backend, TELEGRAM_BOT, TRACKED_DIGITS};
use uuid::Uuid;

/// The statements of migration `name` of `backend`.
pub fn migration(backend: Backend, name: &str) -> Vec<String> {
    let dir = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let path = format!("{}/../migrations/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // Statements end a line with `;` (a comment may hold one mid-line).
    sql.split(";\n")
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .map(str::to_owned)
        .collect()
}

/// Clicks stored a Telegram bot without `@`, dialogs with: 0011 gives clicks and their
/// rollup keys the dialogs' spelling, merging rollup rows, and leaves phone numbers alone.
pub async fn telegram_bots_get_one_spelling(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let store: SharedStore = std::sync::Arc::new(db.clone());
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let s = site.id.0;
    let old_bot = TELEGRAM_BOT;
    let (bot_click, phone_click) = (Uuid::now_v7(), Uuid::now_v7());
    for (click, number, kind) in [
        (bot_click, old_bot, "t.me"),
        (phone_click, TRACKED_DIGITS, "wa.me"),
    ] {
        db.execute(
            "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, kind, \
             page_url, clicked_at) VALUES ($1, $2, $3, $4, 'K7Q2M9VA', $5, $6, '/p', 1)",
            chatrail_collector::args![s, click, Uuid::now_v7(), Uuid::now_v7(), number, kind],
        )
        .await
        .expect("old click");
    }
    let bot_key = format!("={old_bot}");
    let new_key = format!("=@{old_bot}");
    let phone_key = format!("={TRACKED_DIGITS}");
    // (dim, k1, k2, k3, clicks, dialogs): the old click rows, the dialogs' row they join,
    // and a phone number's row.
    let rows = [
        ("channel", "=Paid Search", bot_key.as_str(), "", 3, 0),
        ("channel", "=Paid Search", new_key.as_str(), "", 0, 2),
        ("page", "=/p", bot_key.as_str(), "", 1, 0),
        (
            "campaign",
            "=spring",
            "=Paid Search",
            bot_key.as_str(),
            4,
            0,
        ),
        ("channel", "=Paid Search", phone_key.as_str(), "", 5, 1),
    ];
    for (dim, k1, k2, k3, clicks, dialogs) in rows {
        db.execute(
            "INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, visits, clicks, \
             dialogs) VALUES ($1, $2, 20000, $3, $4, $5, 0, $6, $7)",
            chatrail_collector::args![s, dim, k1, k2, k3, clicks as i64, dialogs as i64],
        )
        .await
        .expect("old rollup row");
    }

    for statement in migration(backend, "0011_telegram_bot_spelling.sql") {
        db.execute(&statement, vec![]).await.expect(&statement);
    }

    let numbers: Vec<(Uuid, String)> = db
        .fetch_all(
            "SELECT click_id, number FROM clicks WHERE site_id = $1 ORDER BY number",
            chatrail_collector::args![s],
        )
        .await
        .unwrap();
    assert!(
        numbers.contains(&(bot_click, format!("@{old_bot}"))),
        "{numbers:?}"
    );
    assert!(
        numbers.contains(&(phone_click, TRACKED_DIGITS.to_owned())),
        "{numbers:?}"
    );
    let mut rollups: Vec<(String, String, String, i64, i64)> = db
        .fetch_all(
            "SELECT dim, k2, k3, clicks, dialogs FROM report_rollups WHERE site_id = $1",
            chatrail_collector::args![s],
        )
        .await
        .unwrap();
    rollups.sort();
    let row = |dim: &str, k2: &str, k3: &str, c: i64, d: i64| {
        (dim.to_owned(), k2.to_owned(), k3.to_owned(), c, d)
    };
    let mut expected = vec![
        row("campaign", "=Paid Search", &new_key, 4, 0),
        row("channel", &new_key, "", 3, 2),
        row("channel", &phone_key, "", 5, 1),
        row("page", &new_key, "", 1, 0),
    ];
    expected.sort();
    assert_eq!(rollups, expected);
}
