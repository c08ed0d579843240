//! The platforms' ids and the advertising consent of a session, as the batch writer folds
//! its beacons: the first ids a session's beacons carried stay, the newest beacon's consent
//! (a click's too) holds, within one batch and over several.

use chatrail_collector::domain::site::Site;
use chatrail_collector::domain::visit::{Click, Sender, Visit};
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::storage::IngestEvent;
use chatrail_core::beacon::{ClickBeacon, VisitBeacon};
use chatrail_tests::app::{Backend, TRACKED_DIGITS};
use serde_json::Value;
use uuid::Uuid;

use super::{fixture, message, stored, Browsing, Fixture, CHROME_UA, T0};

/// A page view of `b` carrying GA4 ids `ga` (client id; the session id is its first run)
/// and Metrica's `ym`, and `ads` as the beacon's consent field.
fn visit(
    site: &Site,
    b: &Browsing,
    ids: Option<(&str, &str)>,
    ads: Option<bool>,
    at: i64,
) -> IngestEvent {
    let beacon = VisitBeacon {
        site: site.key.clone(),
        visitor: b.visitor.clone(),
        session: b.session.clone(),
        code: b.code.to_string(),
        url: "https://shop.test/oak".into(),
        ga_client_id: ids.map(|(ga, _)| ga.into()),
        ga_session_id: ids.map(|(ga, _)| ga.split('.').next().unwrap_or_default().into()),
        ym_client_id: ids.map(|(_, ym)| ym.into()),
        ads,
        ..VisitBeacon::default()
    };
    let visit = Visit::parse(site, beacon, Sender::user_agent(CHROME_UA), at).unwrap();
    IngestEvent::Visit(Box::new(visit))
}

fn click(site: &Site, b: &Browsing, ads: Option<bool>, at: i64) -> IngestEvent {
    let beacon = ClickBeacon {
        site: site.key.clone(),
        visitor: b.visitor.clone(),
        session: b.session.clone(),
        code: b.code.to_string(),
        page: "https://shop.test/oak".into(),
        number: TRACKED_DIGITS.into(),
        kind: "wa.me".into(),
        ads,
        ..ClickBeacon::default()
    };
    IngestEvent::Click(Box::new(Click::parse(site, beacon, at).unwrap()))
}

/// A chat from `b`'s code, so that its session has a source card.
async fn chat(f: &Fixture, b: &Browsing, id: &str, phone: &str) -> Uuid {
    let text = format!("Hello (ref {})", b.code.as_str());
    let msg = message(&f.site, id, phone, &text, T0 + 600_000);
    stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    )
    .0
}

/// The card's session: (ga_client_id, ga_session_id, ym_client_id, ads_consent).
async fn session(f: &Fixture, dialog: Uuid) -> (Value, Value, Value, Value) {
    let card = f
        .store
        .source_card(f.site.id, dialog)
        .await
        .unwrap()
        .unwrap();
    let s = serde_json::to_value(&card).unwrap()["session"].clone();
    (
        s["ga_client_id"].clone(),
        s["ga_session_id"].clone(),
        s["ym_client_id"].clone(),
        s["ads_consent"].clone(),
    )
}

pub async fn ids_stay_first_and_consent_follows_the_newest_beacon(backend: Backend) {
    let f = fixture(backend).await;
    let (first, later) = (
        ("111.1700000000", "17000000001"),
        ("222.1700000999", "17000009999"),
    );
    let want = |consent: bool| {
        (
            Value::from("111.1700000000"),
            Value::from("111"),
            Value::from("17000000001"),
            Value::from(consent),
        )
    };

    // One batch: a page view without ids, one with, one with others and ads denied.
    let a = Browsing::new();
    f.store
        .write_batch(&[
            visit(&f.site, &a, None, None, T0),
            visit(&f.site, &a, Some(first), None, T0 + 1_000),
            visit(&f.site, &a, Some(later), Some(false), T0 + 2_000),
        ])
        .await
        .unwrap();
    let dialog = chat(&f, &a, "wamid.a", "5511900000001").await;
    assert_eq!(session(&f, dialog).await, want(false));
    // Later batches: granted again on the next page (other ids: the first stay), then
    // withdrawn by a click alone, granted by a click, and a click and a page view in one
    // batch, the click newer.
    f.store
        .write_batch(&[visit(&f.site, &a, Some(later), None, T0 + 3_000)])
        .await
        .unwrap();
    assert_eq!(session(&f, dialog).await, want(true));
    f.store
        .write_batch(&[click(&f.site, &a, Some(false), T0 + 4_000)])
        .await
        .unwrap();
    assert_eq!(session(&f, dialog).await, want(false));
    f.store
        .write_batch(&[click(&f.site, &a, None, T0 + 5_000)])
        .await
        .unwrap();
    assert_eq!(session(&f, dialog).await, want(true));
    f.store
        .write_batch(&[
            click(&f.site, &a, Some(false), T0 + 7_000),
            visit(&f.site, &a, None, None, T0 + 6_000),
        ])
        .await
        .unwrap();
    assert_eq!(session(&f, dialog).await, want(false));

    // A session whose first page view is denied and carries no ids: the ids of a later one
    // are its first; a click in the same batch as its first page view, granted, newest.
    let b = Browsing::new();
    f.store
        .write_batch(&[
            click(&f.site, &b, None, T0 + 1_500),
            visit(&f.site, &b, None, Some(false), T0 + 1_000),
        ])
        .await
        .unwrap();
    let dialog = chat(&f, &b, "wamid.b", "5511900000002").await;
    let none = (Value::Null, Value::Null, Value::Null, Value::from(true));
    assert_eq!(session(&f, dialog).await, none);
    f.store
        .write_batch(&[visit(&f.site, &b, Some(first), Some(false), T0 + 2_000)])
        .await
        .unwrap();
    assert_eq!(session(&f, dialog).await, want(false));
}
