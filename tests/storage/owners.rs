//! One owner per number: a tracked number and a Cloud API phone-number id belong to at most
//! one site, whoever races for them, and a claim on another site's number changes nothing.

use chatrail_collector::db::Db;
use chatrail_collector::domain::site::{NewSite, SiteInput};
use chatrail_collector::storage::{self, SharedStore, StoreError};
use chatrail_tests::app::{fresh_database, Backend};

use super::migrations::migration;

const NUMBER: &str = "+44 7700 900777";
const DIGITS: &str = "447700900777";

fn site(key: &str, numbers: &[&str]) -> NewSite {
    NewSite::parse(SiteInput {
        key: key.into(),
        numbers: numbers.iter().map(|n| n.to_string()).collect(),
        ..SiteInput::default()
    })
    .expect("valid site")
}

fn is_number_conflict(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict(what) if what.starts_with("tracked number"))
}

pub async fn two_sites_racing_for_a_number_leave_one_owner(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let store = storage::connect(&url).await.expect("store");
    // Eight sites claim one number (bound to a phone-number id) at the same moment.
    let claims = (0..8).map(|i| {
        let store = store.clone();
        let s = site(&format!("racer-{i}"), &[&format!("{NUMBER}=1077{i}")]);
        tokio::spawn(async move { store.create_site(&s).await })
    });
    let mut won = Vec::new();
    for claim in claims {
        match claim.await.unwrap() {
            Ok(site) => won.push(site),
            Err(e) => assert!(is_number_conflict(&e), "{e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one site owns the number");

    // Another site may not take it in its settings, nor its phone-number id; the failed
    // claim leaves that site's own numbers as they were.
    let other = store
        .create_site(&site("other", &["+1 202 555 0100=555"]))
        .await
        .unwrap();
    for numbers in [
        vec![NUMBER.to_owned()],
        vec![format!(
            "+1 202 555 0100={}",
            won[0].numbers[0].wa_phone_number_id.as_deref().unwrap()
        )],
    ] {
        let claim = site(
            "other",
            &numbers.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let err = store.update_site(other.id, &claim).await.unwrap_err();
        assert!(is_number_conflict(&err), "{err:?}");
    }
    let kept = store.site_by_key("other").await.unwrap().unwrap();
    assert_eq!(kept.numbers[0].number, "12025550100");
    assert_eq!(kept.numbers[0].wa_phone_number_id.as_deref(), Some("555"));

    // Given up by its owner, the number can be claimed.
    let owner = won[0].clone();
    assert!(store
        .update_site(owner.id, &site(&owner.key, &[]))
        .await
        .unwrap());
    let moved = site("other", &[NUMBER, "+1 202 555 0100=555"]);
    assert!(store.update_site(other.id, &moved).await.unwrap());
    let other = store.site_by_key("other").await.unwrap().unwrap();
    assert!(other.numbers.iter().any(|n| n.number == DIGITS));
}

/// Where an earlier version let two sites claim one number, the site created first keeps
/// it (and its phone-number id), as inbound routing picked it.
pub async fn the_first_claim_keeps_a_number_two_sites_held(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let store: SharedStore = std::sync::Arc::new(db.clone());
    let first = store.create_site(&site("first", &[])).await.unwrap();
    let later = store
        .create_site(&site("later", &["+1 202 555 0199"]))
        .await
        .unwrap();
    db.execute("DROP INDEX tracked_numbers_one_owner", vec![])
        .await
        .unwrap();
    db.execute("DROP INDEX phone_number_ids_one_owner", vec![])
        .await
        .unwrap();
    db.execute(
        "UPDATE sites SET created_at = created_at - 1000 WHERE site_key = 'first'",
        vec![],
    )
    .await
    .unwrap();
    for (owner, id) in [(first.id.0, "9001"), (later.id.0, "9001")] {
        db.execute(
            "INSERT INTO tracked_numbers (site_id, number, wa_phone_number_id) \
             VALUES ($1, $2, $3)",
            chatrail_collector::args![owner, DIGITS, id],
        )
        .await
        .unwrap();
    }
    for statement in migration(backend, "0012_one_owner_per_number.sql") {
        db.execute(&statement, vec![]).await.expect(&statement);
    }
    db.config_changed();
    let first = store.site_by_key("first").await.unwrap().unwrap();
    let later = store.site_by_key("later").await.unwrap().unwrap();
    let numbers = |s: &chatrail_collector::domain::site::Site| {
        s.numbers
            .iter()
            .map(|n| n.number.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(&first), vec![DIGITS]);
    assert_eq!(first.numbers[0].wa_phone_number_id.as_deref(), Some("9001"));
    assert_eq!(numbers(&later), vec!["12025550199"], "its own number stays");
}
