//! The storage contract: the same scenarios against SQLite and PostgreSQL, through the
//! `Store` trait the collector uses.

use std::sync::Arc;

use chatrail_collector::domain::inbound::{ContactIdentity, InboundMessage};
use chatrail_collector::domain::provider::{ChatChannel, Provider};
use chatrail_collector::domain::secret::sha256_hex;
use chatrail_collector::domain::site::Site;
use chatrail_collector::domain::token::Role;
use chatrail_collector::domain::visit::{Click, Sender, Visit};
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::storage::{
    self, DialogListQuery, IngestEvent, IngestOutcome, SharedStore, StoreError,
};
use chatrail_core::beacon::{format_id, ClickBeacon, VisitBeacon};
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{create_site, create_token, fresh_database, Backend, TRACKED_DIGITS};
use chatrail_tests::on_both_backends;
use uuid::Uuid;

mod ad_platforms;
mod checkpoint;
mod claims;
mod concurrent_batches;
mod config;
mod deferred;
mod inbound_batches;
mod message_rollups;
mod migrations;
mod owners;
mod rollups;

use ad_platforms::ids_stay_first_and_consent_follows_the_newest_beacon;
use claims::racing_chats_claim_a_session_once;
use concurrent_batches::batches_sharing_sessions_count_each_once;
use config::{rules_and_destinations_reach_every_collector, site_changes_reach_every_collector};
use deferred::{
    deferred_writes_are_read_committed_or_fail_the_transaction,
    deferred_writes_store_every_value_exactly,
};
use inbound_batches::{
    a_batch_meeting_a_held_lock_stores_every_message_once, a_batch_of_messages_ends_as_one_by_one,
    a_batch_sees_what_its_earlier_messages_changed,
    a_tried_lock_held_elsewhere_is_reported_not_waited_for,
};
use message_rollups::message_rollups_follow_statuses_and_erasure;
use migrations::telegram_bots_get_one_spelling;
use owners::{
    the_first_claim_keeps_a_number_two_sites_held, two_sites_racing_for_a_number_leave_one_owner,
};
use rollups::{a_late_visit_racing_a_probable_match, rollups_follow_every_write};

on_both_backends!(
    site_keys_are_unique,
    deferred_writes_are_read_committed_or_fail_the_transaction,
    deferred_writes_store_every_value_exactly,
    tokens_resolve_to_their_site_and_role,
    a_coded_message_joins_its_session_and_click,
    redelivered_messages_are_stored_once,
    simultaneous_redeliveries_make_one_dialog,
    a_new_code_from_a_known_contact_is_a_repeat_dialog,
    a_message_without_code_continues_the_open_dialog,
    unknown_codes_stay_unmatched,
    of_several_codes_the_newest_session_wins,
    one_site_never_sees_another,
    channel_rules_and_enrichment_round_trip,
    statuses_end_the_same_whatever_the_order,
    tags_belong_to_one_dialog_of_one_site,
    rollups_follow_every_write,
    message_rollups_follow_statuses_and_erasure,
    a_late_visit_racing_a_probable_match,
    same_second_messages_make_one_exact_dialog_in_any_order,
    site_changes_reach_every_collector,
    rules_and_destinations_reach_every_collector,
    telegram_bots_get_one_spelling,
    two_sites_racing_for_a_number_leave_one_owner,
    the_first_claim_keeps_a_number_two_sites_held,
    ids_stay_first_and_consent_follows_the_newest_beacon,
    batches_sharing_sessions_count_each_once,
    a_batch_of_messages_ends_as_one_by_one,
    a_batch_sees_what_its_earlier_messages_changed,
    a_tried_lock_held_elsewhere_is_reported_not_waited_for,
    racing_chats_claim_a_session_once,
    a_batch_meeting_a_held_lock_stores_every_message_once,
);

const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

struct Fixture {
    store: SharedStore,
    site: Site,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let (url, dir) = fresh_database(backend).await;
    let store = storage::connect(&url).await.expect("store opens");
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    Fixture {
        store,
        site,
        url,
        _dir: dir,
    }
}

fn random_id() -> String {
    format_id(*Uuid::new_v4().as_bytes())
}

fn random_code() -> SessionCode {
    SessionCode::generate(rand_u32)
}

fn rand_u32() -> u32 {
    (Uuid::new_v4().as_u128() & 0xffff_ffff) as u32
}

/// A browser session: ids and code, as the snippet would make them.
struct Browsing {
    visitor: String,
    session: String,
    code: SessionCode,
}

impl Browsing {
    fn new() -> Browsing {
        Browsing {
            visitor: random_id(),
            session: random_id(),
            code: random_code(),
        }
    }

    fn visit(&self, site: &Site, url: &str, referrer: Option<&str>, at_ms: i64) -> IngestEvent {
        let beacon = VisitBeacon {
            site: site.key.clone(),
            visitor: self.visitor.clone(),
            session: self.session.clone(),
            code: self.code.to_string(),
            url: url.into(),
            referrer: referrer.map(String::from),
            screen_w: Some(1280),
            screen_h: Some(720),
            language: Some("pt-BR".into()),
            timezone: Some("America/Sao_Paulo".into()),
            ..VisitBeacon::default()
        };
        IngestEvent::Visit(Box::new(
            Visit::parse(site, beacon, Sender::user_agent(CHROME_UA), at_ms).unwrap(),
        ))
    }

    fn click(&self, site: &Site, page: &str, at_ms: i64) -> IngestEvent {
        let beacon = ClickBeacon {
            site: site.key.clone(),
            visitor: self.visitor.clone(),
            session: self.session.clone(),
            code: self.code.to_string(),
            page: page.into(),
            number: TRACKED_DIGITS.into(),
            kind: "wa.me".into(),
            id: None,
            ..ClickBeacon::default()
        };
        IngestEvent::Click(Box::new(Click::parse(site, beacon, at_ms).unwrap()))
    }
}

fn message(site: &Site, id: &str, phone: &str, text: &str, at_ms: i64) -> InboundMessage {
    InboundMessage {
        site_id: site.id,
        provider: Provider::WhatsApp,
        provider_message_id: id.into(),
        business_number: TRACKED_DIGITS.into(),
        contact: ContactIdentity {
            channel: ChatChannel::WhatsApp,
            phone: Some(phone.into()),
            user_id: None,
            name: Some("Ana Souza".into()),
            username: None,
        },
        message_type: "text".into(),
        text: Some(text.into()),
        sent_at_ms: at_ms,
        referral: None,
    }
}

fn stored(outcome: IngestOutcome) -> (Uuid, bool) {
    match outcome {
        IngestOutcome::Stored {
            dialog_id,
            started_dialog,
        } => (dialog_id, started_dialog),
        IngestOutcome::Duplicate => panic!("expected the message to be stored"),
    }
}

const T0: i64 = 1_763_805_600_000;

async fn site_keys_are_unique(backend: Backend) {
    let f = fixture(backend).await;
    let again = chatrail_collector::domain::site::NewSite::parse(
        chatrail_collector::domain::site::SiteInput {
            key: "shop".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let err = f.store.create_site(&again).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("site key")), "{err:?}");
    let found = f.store.site_by_key("shop").await.unwrap().unwrap();
    assert_eq!(found.id, f.site.id);
    assert_eq!(found.numbers[0].number, TRACKED_DIGITS);
    assert!(f.store.site_by_key("nope").await.unwrap().is_none());
}

async fn tokens_resolve_to_their_site_and_role(backend: Backend) {
    let f = fixture(backend).await;
    let token = create_token(&f.store, &f.site, Role::Analyst).await;
    let grant = f
        .store
        .token_grant(&sha256_hex(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grant.site_id, f.site.id);
    assert_eq!(grant.role, Role::Analyst);
    assert!(f
        .store
        .token_grant(&sha256_hex("crt_wrong"))
        .await
        .unwrap()
        .is_none());
    // Only the hash is stored: the token itself is not a key.
    assert!(f.store.token_grant(&token).await.unwrap().is_none());
}

async fn a_coded_message_joins_its_session_and_click(backend: Backend) {
    let f = fixture(backend).await;
    let b = Browsing::new();
    let landing =
        "https://shop.test/kids?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=Cj0";
    f.store
        .write_batch(&[
            b.visit(&f.site, landing, Some("https://www.google.com/"), T0),
            b.visit(
                &f.site,
                "https://shop.test/prices",
                Some("https://shop.test/kids"),
                T0 + 60_000,
            ),
            b.click(&f.site, "https://shop.test/prices", T0 + 90_000),
        ])
        .await
        .unwrap();
    let text = format!(
        "How much is a kids photo shoot? (ref {})",
        b.code.as_str().to_lowercase()
    );
    let msg = message(&f.site, "wamid.1", "5511987654321", &text, T0 + 120_000);
    let (dialog_id, started) = stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    );
    assert!(started);
    let card = f
        .store
        .source_card(f.site.id, dialog_id)
        .await
        .unwrap()
        .unwrap();
    let json = serde_json::to_value(&card).unwrap();
    assert_eq!(json["kind"], "new");
    assert_eq!(json["match"]["kind"], "exact");
    assert_eq!(json["match"]["code"], b.code.as_str());
    assert_eq!(json["first_message"], text);
    assert_eq!(json["business_number"], TRACKED_DIGITS);
    assert_eq!(json["contact"]["phone"], "5511987654321");
    assert_eq!(json["contact"]["name"], "Ana Souza");
    let s = &json["session"];
    assert_eq!(s["landing_page"], landing);
    assert_eq!(s["utm_source"], "google");
    assert_eq!(s["utm_medium"], "cpc");
    assert_eq!(s["utm_campaign"], "spring");
    assert_eq!(s["click_ids"]["gclid"], "Cj0");
    assert_eq!(s["channel"], "Paid Search");
    assert_eq!(s["referring_domain"], "google.com");
    assert_eq!(s["pageviews"], 2);
    assert_eq!(s["os"], "Windows 10");
    assert_eq!(s["browser"], "Chrome");
    assert_eq!(s["screen_w"], 1280);
    assert_eq!(s["timezone"], "America/Sao_Paulo");
    assert_eq!(json["page_of_contact"], "https://shop.test/prices");
    assert_eq!(json["visitor"]["sessions_before_chat"], 1);
    assert_eq!(json["visitor"]["seconds_to_chat"], 120);
    assert_eq!(json["visitor"]["first_touch"]["utm_campaign"], "spring");
    assert_eq!(json["history"].as_array().unwrap().len(), 0);
}

async fn redelivered_messages_are_stored_once(backend: Backend) {
    let f = fixture(backend).await;
    let msg = message(&f.site, "wamid.dup", "5511987654321", "hello", T0);
    let policy = DialogPolicy::default();
    stored(f.store.ingest_message(&msg, &policy).await.unwrap());
    assert_eq!(
        f.store.ingest_message(&msg, &policy).await.unwrap(),
        IngestOutcome::Duplicate
    );
    let query = DialogListQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        f.store.list_dialogs(f.site.id, &query).await.unwrap().len(),
        1
    );
}

async fn simultaneous_redeliveries_make_one_dialog(backend: Backend) {
    let f = fixture(backend).await;
    let msg = Arc::new(message(&f.site, "wamid.race", "5511987654321", "hello", T0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, msg) = (f.store.clone(), msg.clone());
            tokio::spawn(async move { store.ingest_message(&msg, &DialogPolicy::default()).await })
        })
        .collect();
    let mut stored_count = 0;
    for t in tasks {
        if let IngestOutcome::Stored { .. } = t.await.unwrap().unwrap() {
            stored_count += 1;
        }
    }
    assert_eq!(stored_count, 1);
    let query = DialogListQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        f.store.list_dialogs(f.site.id, &query).await.unwrap().len(),
        1
    );
}

async fn a_new_code_from_a_known_contact_is_a_repeat_dialog(backend: Backend) {
    let f = fixture(backend).await;
    let (first, second) = (Browsing::new(), Browsing::new());
    f.store
        .write_batch(&[
            first.visit(&f.site, "https://shop.test/?utm_source=fb", None, T0),
            second.visit(
                &f.site,
                "https://shop.test/?utm_source=mail",
                None,
                T0 + 1000,
            ),
        ])
        .await
        .unwrap();
    let policy = DialogPolicy::default();
    let m1 = message(
        &f.site,
        "w1",
        "5511987654321",
        &format!("hi {}", first.code),
        T0 + 2000,
    );
    let (d1, _) = stored(f.store.ingest_message(&m1, &policy).await.unwrap());
    let m2 = message(
        &f.site,
        "w2",
        "5511987654321",
        &format!("again {}", second.code),
        T0 + 3000,
    );
    let (d2, started) = stored(f.store.ingest_message(&m2, &policy).await.unwrap());
    assert!(started);
    assert_ne!(d1, d2);
    let card =
        serde_json::to_value(f.store.source_card(f.site.id, d2).await.unwrap().unwrap()).unwrap();
    assert_eq!(card["kind"], "repeat");
    assert_eq!(card["session"]["utm_source"], "mail");
    assert_eq!(card["history"][0]["dialog_id"], d1.to_string());
    assert_eq!(card["history"][0]["utm_source"], "fb");
}

async fn a_message_without_code_continues_the_open_dialog(backend: Backend) {
    let f = fixture(backend).await;
    let b = Browsing::new();
    f.store
        .write_batch(&[b.visit(&f.site, "https://shop.test/", None, T0)])
        .await
        .unwrap();
    let policy = DialogPolicy::default();
    let m1 = message(
        &f.site,
        "w1",
        "5511987654321",
        &format!("hi {}", b.code),
        T0,
    );
    let (d1, _) = stored(f.store.ingest_message(&m1, &policy).await.unwrap());
    let m2 = message(
        &f.site,
        "w2",
        "5511987654321",
        "and on Sunday?",
        T0 + 60_000,
    );
    assert_eq!(
        stored(f.store.ingest_message(&m2, &policy).await.unwrap()),
        (d1, false)
    );
    let late = T0 + 60_000 + policy.silence_ms + 1;
    let m3 = message(&f.site, "w3", "5511987654321", "hello again", late);
    let (d3, started) = stored(f.store.ingest_message(&m3, &policy).await.unwrap());
    assert!(started && d3 != d1);
    let card =
        serde_json::to_value(f.store.source_card(f.site.id, d3).await.unwrap().unwrap()).unwrap();
    assert_eq!(card["kind"], "repeat");
    assert_eq!(card["match"]["kind"], "none");
}

/// A tagged link copied into a page (by its owner, or baked into a prerendered copy) keeps
/// its code, and the visitor's is added beside it: the message names both sessions, and the
/// newer is the visitor's, wherever it stands in the text.
async fn of_several_codes_the_newest_session_wins(backend: Backend) {
    let f = fixture(backend).await;
    let (owner, visitor) = (Browsing::new(), Browsing::new());
    f.store
        .write_batch(&[
            owner.visit(&f.site, "https://shop.test/oak", None, T0),
            visitor.visit(
                &f.site,
                "https://shop.test/?utm_source=newsletter",
                None,
                T0 + 3_600_000,
            ),
        ])
        .await
        .unwrap();
    let texts = [
        format!("Oak table? (ref {}) (ref {})", owner.code, visitor.code),
        format!("[{}] [{}] Oak table?", visitor.code, owner.code),
    ];
    for (i, text) in texts.iter().enumerate() {
        let phone = format!("551198765432{i}");
        let msg = message(&f.site, &format!("w{i}"), &phone, text, T0 + 7_200_000);
        let (d, _) = stored(
            f.store
                .ingest_message(&msg, &DialogPolicy::default())
                .await
                .unwrap(),
        );
        let card = serde_json::to_value(f.store.source_card(f.site.id, d).await.unwrap().unwrap())
            .unwrap();
        assert_eq!(card["match"]["code"], visitor.code.as_str(), "{text}");
        assert_eq!(card["session"]["utm_source"], "newsletter", "{text}");
    }
}

async fn unknown_codes_stay_unmatched(backend: Backend) {
    let f = fixture(backend).await;
    let msg = message(
        &f.site,
        "w1",
        "5511987654321",
        &format!("hi {}", random_code()),
        T0,
    );
    let (d, _) = stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    );
    let card =
        serde_json::to_value(f.store.source_card(f.site.id, d).await.unwrap().unwrap()).unwrap();
    assert_eq!(card["match"]["kind"], "none");
    assert!(card["session"].is_null());
    assert_eq!(card["kind"], "new");
}

async fn one_site_never_sees_another(backend: Backend) {
    let f = fixture(backend).await;
    let other = create_site(&f.store, "other", &["+44 7700 900123"]).await;
    let b = Browsing::new();
    f.store
        .write_batch(&[b.visit(&f.site, "https://shop.test/", None, T0)])
        .await
        .unwrap();
    // The other site receives a message carrying this site's code: it must not match.
    let mut msg = message(&other, "w1", "5511987654321", &format!("hi {}", b.code), T0);
    msg.business_number = "447700900123".into();
    let (d, _) = stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    );
    let card =
        serde_json::to_value(f.store.source_card(other.id, d).await.unwrap().unwrap()).unwrap();
    assert_eq!(card["match"]["kind"], "none");
    assert!(f.store.source_card(f.site.id, d).await.unwrap().is_none());
    let query = DialogListQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(f
        .store
        .list_dialogs(f.site.id, &query)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        f.store.list_dialogs(other.id, &query).await.unwrap().len(),
        1
    );
}

async fn channel_rules_and_enrichment_round_trip(backend: Backend) {
    use chatrail_collector::domain::site::{NewSite, SiteInput};
    use chatrail_collector::enrich::geo::Region;

    let f = fixture(backend).await;
    let partner = NewSite::parse(SiteInput {
        key: "partner".into(),
        domains: vec!["partner.test".into()],
        channel_rules: vec![
            "source=partner-* & medium=cpa -> Affiliates".into(),
            "referrer=*.forum.example -> Community".into(),
        ],
        ..SiteInput::default()
    })
    .unwrap();
    f.store.create_site(&partner).await.unwrap();
    let site = f.store.site_by_key("partner").await.unwrap().unwrap();
    assert_eq!(site.channel_rules, partner.channel_rules);
    assert_eq!(
        serde_json::to_value(&site).unwrap()["channel_rules"],
        serde_json::json!([
            "source=partner-* & medium=cpa -> Affiliates",
            "referrer=*.forum.example -> Community"
        ])
    );
    assert!(f
        .store
        .site_by_key("shop")
        .await
        .unwrap()
        .unwrap()
        .channel_rules
        .is_empty());

    // A visit of the shop: normalised source, keyword and region reach the card.
    let b = Browsing::new();
    let IngestEvent::Visit(mut visit) = b.visit(
        &f.site,
        "https://shop.test/?utm_source=Yandex&utm_medium=CPC&utm_term=oak%20table",
        None,
        T0,
    ) else {
        unreachable!("a visit")
    };
    visit.region = Region {
        country: Some("RU".into()),
        region: Some("Moscow".into()),
        city: Some("Moscow".into()),
    };
    f.store
        .write_batch(&[IngestEvent::Visit(visit)])
        .await
        .unwrap();
    let text = format!("Hello (ref {})", b.code);
    let msg = message(&f.site, "wamid.enrich", "5511987654321", &text, T0 + 60_000);
    let (dialog_id, _) = stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    );
    let card = f
        .store
        .source_card(f.site.id, dialog_id)
        .await
        .unwrap()
        .unwrap();
    let s = serde_json::to_value(&card).unwrap()["session"].clone();
    assert_eq!(s["channel"], "Paid Search");
    assert_eq!(s["source"], "yandex");
    assert_eq!(s["utm_source"], "Yandex");
    assert_eq!(s["keyword"], "oak table");
    assert_eq!(
        (&s["country"], &s["region"], &s["city"]),
        (
            &serde_json::json!("RU"),
            &serde_json::json!("Moscow"),
            &serde_json::json!("Moscow")
        )
    );
}

async fn statuses_end_the_same_whatever_the_order(backend: Backend) {
    use chatrail_collector::domain::status::{DeliveryStatus, StatusUpdate};
    let f = fixture(backend).await;
    let event = |status, at_ms| StatusUpdate {
        site_id: f.site.id,
        provider: Provider::WhatsApp,
        provider_message_id: String::new(),
        recipient: Some("5511987654321".into()),
        status,
        at_ms,
        errors: None,
        pricing_category: None,
    };
    let events = [
        event(DeliveryStatus::Sent, T0),
        event(DeliveryStatus::Delivered, T0 + 1000),
        event(DeliveryStatus::Read, T0 + 2000),
        event(DeliveryStatus::Delivered, T0 + 1500),
    ];
    // Every order of the four notifications (one a repeat) gives the same row.
    let mut rows = Vec::new();
    for (n, order) in permutations(events.len()).into_iter().enumerate() {
        let id = format!("wamid.perm.{n}");
        for &i in &order {
            let mut e = events[i].clone();
            e.provider_message_id = id.clone();
            f.store.record_status(&e).await.unwrap();
        }
        let row = f
            .store
            .message_status(f.site.id, Provider::WhatsApp, &id)
            .await
            .unwrap()
            .unwrap();
        let mut json = serde_json::to_value(row).unwrap();
        json["provider_message_id"] = serde_json::Value::Null;
        rows.push(json);
    }
    assert_eq!(rows.len(), 24);
    assert!(rows.windows(2).all(|w| w[0] == w[1]), "{rows:#?}");
    assert_eq!(rows[0]["status"], "read");
    assert_eq!(rows[0]["sent_at"], "2025-11-22T10:00:00.000Z");
    assert_eq!(
        rows[0]["delivered_at"], "2025-11-22T10:00:01.000Z",
        "the earliest report"
    );
    assert_eq!(rows[0]["status_at"], "2025-11-22T10:00:02.000Z");
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

async fn tags_belong_to_one_dialog_of_one_site(backend: Backend) {
    use chatrail_collector::domain::tag::Tag;
    use chatrail_collector::storage::TagChange;
    let f = fixture(backend).await;
    let other = create_site(&f.store, "other", &["+44 7700 900123"]).await;
    let msg = message(&f.site, "w1", "5511987654321", "hello", T0);
    let (d, _) = stored(
        f.store
            .ingest_message(&msg, &DialogPolicy::default())
            .await
            .unwrap(),
    );
    let hot = Tag::parse("Hot").unwrap();
    assert_eq!(
        f.store.add_tag(f.site.id, d, &hot).await.unwrap(),
        TagChange::Tags(vec!["hot".into()])
    );
    assert_eq!(
        f.store.add_tag(other.id, d, &hot).await.unwrap(),
        TagChange::NoDialog
    );
    assert_eq!(
        f.store.remove_tag(other.id, d, &hot).await.unwrap(),
        TagChange::NoDialog
    );
    assert_eq!(f.store.dialog_tags(other.id, d).await.unwrap(), None);
    assert_eq!(
        f.store.remove_tag(f.site.id, d, &hot).await.unwrap(),
        TagChange::Tags(vec![])
    );
}

/// A first message with the code and two code-less follow-ups, all in the same second (as
/// providers' whole-second timestamps make them), delivered in every possible order: one
/// dialog, exact, whose first message is the one with the code. Each order is its own
/// visitor and contact, an hour apart, each having clicked the number, so a follow-up that
/// arrives first is matched as probable until the code comes.
async fn same_second_messages_make_one_exact_dialog_in_any_order(backend: Backend) {
    let f = fixture(backend).await;
    let policy = DialogPolicy::default();
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for (n, order) in orders.iter().enumerate() {
        let b = Browsing::new();
        let at = T0 + n as i64 * 3_600_000;
        f.store
            .write_batch(&[
                b.visit(
                    &f.site,
                    "https://shop.test/kids?gclid=Cj0",
                    None,
                    at - 60_000,
                ),
                b.click(&f.site, "https://shop.test/kids", at - 30_000),
            ])
            .await
            .unwrap();
        let phone = format!("55119876500{n:02}");
        let first = format!("Hi! Is it in stock? (ref {})", b.code);
        let texts = [first.as_str(), "I mean the blue one", "size 3"];
        let mut dialogs = std::collections::BTreeSet::new();
        for i in order {
            let m = message(&f.site, &format!("w{n}.{i}"), &phone, texts[*i], at);
            dialogs.insert(stored(f.store.ingest_message(&m, &policy).await.unwrap()).0);
        }
        assert_eq!(dialogs.len(), 1, "order {order:?} split the dialog");
        let dialog_id = *dialogs.first().unwrap();
        let card = f
            .store
            .source_card(f.site.id, dialog_id)
            .await
            .unwrap()
            .unwrap();
        let card = serde_json::to_value(&card).unwrap();
        assert_eq!(card["match"]["kind"], "exact", "order {order:?}: {card}");
        assert_eq!(card["match"]["code"], b.code.as_str(), "order {order:?}");
        assert_eq!(card["first_message"], first, "order {order:?}");
        assert_eq!(
            card["page_of_contact"], "https://shop.test/kids",
            "order {order:?}"
        );
    }
    let all = f
        .store
        .list_dialogs(
            f.site.id,
            &DialogListQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), orders.len());
    assert!(f.store.rollup_drift(f.site.id).await.unwrap().is_empty());
}
