//! Every Cloud API shape from `tests/fixtures/whatsapp`, through the real HTTP server.

use chatrail_collector::domain::provider::Provider;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_CODE, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    every_text_bearing_shape_is_matched_by_its_code,
    referrals_attribute_the_dialog_to_the_ad,
    statuses_are_stored_per_message_and_never_move_backwards,
    a_batch_walks_every_entry_change_message_and_status,
    a_thousand_updates_in_one_post_are_all_stored_once,
    a_number_change_moves_the_contact_and_its_dialogs,
    a_user_id_change_moves_a_contact_known_only_by_user_id,
    contacts_without_wa_id_are_found_again_once_the_phone_is_known,
    unsupported_messages_still_start_a_dialog,
    hostile_text_is_stored_safely_and_broken_shapes_get_400,
    a_first_message_delivered_late_still_starts_its_dialog,
);

async fn post(app: &TestApp, body: &str) -> Value {
    let resp = app.post_whatsapp(body).await;
    assert_eq!(resp.status(), 200, "{body}");
    resp.json().await.unwrap()
}

async fn every_text_bearing_shape_is_matched_by_its_code(backend: Backend) {
    let shapes = [
        (
            "text_with_code.json",
            "Hi! I'd like a quote for the oak table (ref k7q2m9va)",
        ),
        ("button.json", "Book Saturday K7Q2M9VA"),
        ("interactive_button_reply.json", "Yes K7Q2M9VA"),
        ("interactive_list_reply.json", "Oak table K7Q2M9VA"),
        ("image_caption.json", "This one please K7Q2M9VA"),
        ("video_caption.json", "Like in this video K7Q2M9VA"),
        ("document_caption.json", "My floor plan K7Q2M9VA"),
        ("bsuid_only.json", "oi! K7Q2M9VA"),
    ];
    for (name, text) in shapes {
        let app = spawn_app(backend).await;
        let b = Browsing::with_code(FIXTURE_CODE);
        app.browse_before_fixtures(&b, "https://shop.test/?utm_source=google&utm_medium=cpc")
            .await;
        let report = post(&app, &fixture(&format!("whatsapp/{name}"))).await;
        assert_eq!(report["stored"], 1, "{name}: {report}");
        let card = app.only_card().await;
        assert_eq!(card["match"]["kind"], "exact", "{name}");
        assert_eq!(card["match"]["code"], FIXTURE_CODE, "{name}");
        assert_eq!(card["match"]["confidence"], 1.0, "{name}");
        assert_eq!(card["first_message"], text, "{name}");
        assert_eq!(card["session"]["utm_source"], "google", "{name}");
        assert_eq!(
            card["page_of_contact"], "https://shop.test/oak-table",
            "{name}"
        );
    }
}

async fn referrals_attribute_the_dialog_to_the_ad(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = fixture("whatsapp/referral.json");
    let report = post(&app, &body).await;
    assert_eq!(report["stored"], 1);
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "referral");
    assert_eq!(card["match"]["confidence"], 1.0);
    assert!(card["session"].is_null());
    let r = &card["referral"];
    assert_eq!(r["source_id"], "120219876543210987");
    assert_eq!(r["source_url"], "https://fb.me/8xQpLm2Rt");
    assert_eq!(r["source_type"], "ad");
    assert_eq!(r["headline"], "Chat with us");
    assert_eq!(r["body"], "Oak tables, 20% off this week");
    assert_eq!(r["media_type"], "video");
    assert_eq!(r["video_url"], "https://scontent.xx.fbcdn.net/v/t45.2...");
    assert_eq!(
        r["thumbnail_url"],
        "https://scontent.xx.fbcdn.net/v/t45.3..."
    );
    assert_eq!(
        r["ctwa_clid"],
        "ARAkLgQ3zV9pXb8Yc1Hn0Tq7Ws5Ue2Rd4Fg6Jh8Kk0Lm2Np4Qr6St8Uv0Wx2Yz4Ab6Cd8Ef0"
    );
    assert_eq!(r["welcome_message"], "Hi! How can we help?");
    assert_eq!(post(&app, &body).await["duplicates"], 1);

    // Status placements carry no ctwa_clid, and referrals come on media messages too.
    let report = post(
        &app,
        &fixture("whatsapp/referral_image_status_placement.json"),
    )
    .await;
    assert_eq!(report["stored"], 1);
    let id = report["dialogs"][0].as_str().unwrap().to_owned();
    let card = app.card(&id).await;
    assert_eq!(card["match"]["kind"], "referral");
    assert!(card["first_message"].is_null());
    assert!(card["referral"]["ctwa_clid"].is_null());
    assert_eq!(
        card["referral"]["image_url"],
        "https://scontent.xx.fbcdn.net/v/t45.1..."
    );

    // Tom writes again without the ad: same dialog. Clicking another ad starts a new one,
    // whose history names the first ad.
    let again = whatsapp_text(
        "wamid.tom2",
        "447911123456",
        "Tom Reid",
        "and chairs?",
        1_763_806_300,
    );
    assert_eq!(
        post(&app, &again).await["dialogs"][0],
        report_dialog(&app, "Tom Reid").await
    );
    let other_ad = fixture("whatsapp/referral.json")
        .replace("120219876543210987", "120219876543211111")
        .replace("wamid.HBgMNDQ3", "wamid.second-ad.HBgMNDQ3")
        .replace("1763806200", "1763806400");
    let report = post(&app, &other_ad).await;
    let card = app.card(report["dialogs"][0].as_str().unwrap()).await;
    assert_eq!(card["kind"], "repeat");
    assert_eq!(card["referral"]["source_id"], "120219876543211111");
    assert_eq!(card["history"][0]["ad_source_id"], "120219876543210987");
    assert_eq!(card["history"][0]["ad_headline"], "Chat with us");
    let kinds: Vec<Value> = app
        .dialogs()
        .await
        .iter()
        .map(|d| d["match_kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("referral"); 3]);
}

/// The id of the newest dialog of the contact called `name`.
async fn report_dialog(app: &TestApp, name: &str) -> Value {
    app.dialogs()
        .await
        .into_iter()
        .find(|d| d["contact_name"] == name)
        .map(|d| d["dialog_id"].clone())
        .unwrap()
}

async fn statuses_are_stored_per_message_and_never_move_backwards(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = post(&app, &fixture("whatsapp/statuses_out_of_order.json")).await;
    assert_eq!(report["statuses"], 5);
    assert_eq!(report["skipped"], 1, "the unknown 'deleted' status");
    // `delivered` arrives last, after `read`: it fills its time but does not win.
    let report = post(&app, &fixture("whatsapp/status_delivered.json")).await;
    assert_eq!(report["statuses"], 1);
    let status = |id: &'static str| {
        let store = app.store.clone();
        let site = app.site.id;
        async move {
            serde_json::to_value(
                store
                    .message_status(site, Provider::WhatsApp, id)
                    .await
                    .unwrap()
                    .unwrap(),
            )
            .unwrap()
        }
    };
    let first = status("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkI3RjVDMkExRDBFOUY4QjZDNAA=").await;
    assert_eq!(first["status"], "read");
    assert_eq!(first["status_at"], "2025-11-22T10:16:00.000Z");
    assert_eq!(first["sent_at"], "2025-11-22T10:14:00.000Z");
    assert_eq!(first["delivered_at"], "2025-11-22T10:15:00.000Z");
    assert_eq!(first["read_at"], "2025-11-22T10:16:00.000Z");
    assert_eq!(first["pricing_category"], "service");
    assert_eq!(first["recipient"], "5511987654321");
    let failed = status("wamid.HBgMNDQ3OTExMTIzNDU2FQIAERgSRkFJTEVEMDEA").await;
    assert_eq!(
        failed["status"], "failed",
        "a late `sent` never hides a failure"
    );
    assert_eq!(failed["errors"][0]["code"], 131047);
    assert!(!failed["sent_at"].is_null());
    assert_eq!(
        status("wamid.HBgMNDQ3OTExMTIzNDU2FQIAERgSVk9JQ0UwMQA=").await["status"],
        "played"
    );
    // Redelivering everything changes nothing.
    post(&app, &fixture("whatsapp/statuses_out_of_order.json")).await;
    let again = status("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkI3RjVDMkExRDBFOUY4QjZDNAA=").await;
    assert_eq!(again["status"], first["status"]);
    assert_eq!(again["status_at"], first["status_at"]);
    assert_eq!(again["delivered_at"], first["delivered_at"]);
    assert!(app.dialogs().await.is_empty(), "statuses are not chats");
}

async fn a_batch_walks_every_entry_change_message_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/").await;
    let report = post(&app, &fixture("whatsapp/batch.json")).await;
    assert_eq!(report["stored"], 4, "{report}");
    assert_eq!(report["statuses"], 1, "{report}");
    assert_eq!(report["skipped"], 1, "the untracked number: {report}");
    let dialogs = app.dialogs().await;
    assert_eq!(dialogs.len(), 3, "Ana's sticker continues her dialog");
    let ana = dialogs
        .iter()
        .find(|d| d["contact_name"] == "Ana Souza")
        .unwrap();
    assert_eq!(ana["match_kind"], "exact");
}

async fn a_thousand_updates_in_one_post_are_all_stored_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut messages = Vec::new();
    let mut contacts = Vec::new();
    for i in 0..500 {
        let from = format!("5511900{:06}", i / 2);
        if i % 2 == 0 {
            contacts.push(json!({"profile": {"name": format!("Sender {}", i / 2)}, "wa_id": from}));
        }
        messages.push(json!({"from": from, "id": format!("wamid.bulk.{i}"),
            "timestamp": (FIXTURE_T + i).to_string(), "type": "text", "text": {"body": format!("message {i}")}}));
    }
    let statuses: Vec<Value> = (0..500)
        .map(|i| {
            json!({"id": format!("wamid.out.{i}"), "status": "delivered",
            "timestamp": FIXTURE_T.to_string(), "recipient_id": "5511900000001"})
        })
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "79001234567", "phone_number_id": "221133445566778"},
            "contacts": contacts, "messages": messages, "statuses": statuses}}]}]})
    .to_string();
    let report = post(&app, &body).await;
    assert_eq!(
        (report["stored"].as_u64(), report["statuses"].as_u64()),
        (Some(500), Some(500))
    );
    let report = post(&app, &body).await;
    assert_eq!(report["duplicates"], 500);
    assert_eq!(report["stored"], 0);
    let list: Value = app
        .api_get("/api/v1/dialogs?limit=500")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["dialogs"].as_array().unwrap().len(), 250);
}

async fn a_number_change_moves_the_contact_and_its_dialogs(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/").await;
    post(&app, &fixture("whatsapp/text_with_code.json")).await;
    let system = fixture("whatsapp/system_user_changed_number.json");
    assert_eq!(post(&app, &system).await["identity_changes"], 1);
    assert_eq!(post(&app, &system).await["duplicates"], 1);
    // The next message comes from the new number, still inside the dialog's silence window.
    let next = whatsapp_text(
        "wamid.new-number",
        "5511912345678",
        "Ana Souza",
        "me again",
        1_763_805_900,
    );
    let report = post(&app, &next).await;
    let card = app.only_card().await;
    assert_eq!(report["dialogs"][0], card["dialog_id"]);
    assert_eq!(card["contact"]["phone"], "5511912345678");
    assert_eq!(card["match"]["kind"], "exact");
}

async fn a_user_id_change_moves_a_contact_known_only_by_user_id(backend: Backend) {
    let app = spawn_app(backend).await;
    post(&app, &fixture("whatsapp/bsuid_only.json")).await;
    let report = post(&app, &fixture("whatsapp/system_user_changed_user_id.json")).await;
    assert_eq!(report["identity_changes"], 1, "{report}");
    let next = fixture("whatsapp/bsuid_only.json")
        .replace("BR.1A2B3C4D5E6F", "BR.9Z8Y7X6W5V4U")
        .replace("wamid.BSUID.01", "wamid.BSUID.02")
        .replace("oi! K7Q2M9VA", "tudo bem?");
    post(&app, &next).await;
    let card = app.only_card().await;
    assert_eq!(card["contact"]["provider_user_id"], "BR.9Z8Y7X6W5V4U");
    assert!(card["contact"]["phone"].is_null());
}

async fn contacts_without_wa_id_are_found_again_once_the_phone_is_known(backend: Backend) {
    let app = spawn_app(backend).await;
    post(&app, &fixture("whatsapp/bsuid_only.json")).await;
    let card = app.only_card().await;
    assert!(card["contact"]["phone"].is_null());
    assert_eq!(card["contact"]["provider_user_id"], "BR.1A2B3C4D5E6F");
    assert_eq!(card["contact"]["username"], "bia.designs");
    assert_eq!(card["contact"]["name"], "Bia");
    // Later both the phone and the user id are given; then only the phone.
    let both = fixture("whatsapp/bsuid_only.json")
        .replace(r#""wa_id":"""#, r#""wa_id":"5511955554444""#)
        .replace(r#""from":"""#, r#""from":"5511955554444""#)
        .replace("wamid.BSUID.01", "wamid.BSUID.03");
    post(&app, &both).await;
    let phone_only = whatsapp_text(
        "wamid.BSUID.04",
        "5511955554444",
        "Bia",
        "ok",
        FIXTURE_T + 60,
    );
    post(&app, &phone_only).await;
    let card = app.only_card().await;
    assert_eq!(card["contact"]["phone"], "5511955554444");
    assert_eq!(card["contact"]["provider_user_id"], "BR.1A2B3C4D5E6F");
}

async fn unsupported_messages_still_start_a_dialog(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = post(&app, &fixture("whatsapp/unsupported.json")).await;
    assert_eq!(report["stored"], 1);
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "none");
    assert!(card["first_message"].is_null());
    assert_eq!(card["contact"]["name"], "Ana Souza");
}

async fn hostile_text_is_stored_safely_and_broken_shapes_get_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let huge = "é".repeat(50_000);
    for (id, text) in [
        ("wamid.nul", "nul \u{0} inside <script>alert(1)</script>"),
        ("wamid.huge", huge.as_str()),
        ("wamid.emoji", "🙂👍🏽 (ref\u{200b}K7Q2M9VA)"),
    ] {
        let body = whatsapp_text(id, "5511987654321", "Ana\u{0}", text, FIXTURE_T);
        let resp = app.post_whatsapp(&body).await;
        assert_eq!(resp.status(), 200, "{id}");
    }
    let card = app.only_card().await;
    assert_eq!(
        card["first_message"],
        "nul  inside <script>alert(1)</script>"
    );
    assert_eq!(card["contact"]["name"], "Ana");
    let broken = [
        (
            "timestamp",
            whatsapp_text("wamid.t", "5511987654321", "A", "hi", FIXTURE_T)
                .replace("\"1763805600\"", "\"soon\""),
        ),
        (
            "id",
            whatsapp_text("", "5511987654321", "A", "hi", FIXTURE_T),
        ),
        (
            "statuses",
            fixture("whatsapp/status_delivered.json").replace("\"1763806500\"", "\"-1\""),
        ),
    ];
    for (what, body) in broken {
        let resp = app.post_whatsapp(&body).await;
        assert_eq!(resp.status(), 400, "{what}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"].as_str().unwrap().contains(what),
            "{what}: {err}"
        );
    }
    assert_eq!(
        app.dialogs().await.len(),
        1,
        "nothing of a refused delivery is stored"
    );
}

async fn a_first_message_delivered_late_still_starts_its_dialog(backend: Backend) {
    // Meta retries a failed delivery later, so the second message can arrive first.
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/?utm_source=google")
        .await;
    let second = whatsapp_text(
        "wamid.second",
        "5511987654321",
        "Ana Souza",
        "and the chairs?",
        FIXTURE_T + 40,
    );
    post(&app, &second).await;
    let early = app.only_card().await;
    assert_eq!(early["match"]["kind"], "probable", "the only recent click");
    post(&app, &fixture("whatsapp/text_with_code.json")).await;
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["started_at"], "2025-11-22T10:00:00.000Z");
    assert_eq!(
        card["first_message"],
        "Hi! I'd like a quote for the oak table (ref k7q2m9va)"
    );
    assert_eq!(card["session"]["utm_source"], "google");
    assert_eq!(card["kind"], "new");

    // A late first message a day before the contact's next dialog is its own, earlier dialog.
    let old = whatsapp_text(
        "wamid.old",
        "5511987654321",
        "Ana Souza",
        "hello?",
        FIXTURE_T - 2 * 86_400,
    );
    post(&app, &old).await;
    let dialogs = app.dialogs().await;
    assert_eq!(dialogs.len(), 2);
    assert_eq!(
        dialogs[0]["kind"], "repeat",
        "the later dialog is now a repeat"
    );
    assert_eq!(dialogs[1]["kind"], "new");
}
