//! The privacy operations of the description driven with each status they document:
//! erasing a contact and the site's retention (admin only).

use chatrail_tests::openapi::{call, Driver};
use serde_json::json;

const ERASE: &str = "/api/v1/contacts/erase";
const RETENTION: &str = "/api/v1/site/retention";
const JSON: &str = "application/json";

/// `POST /contacts/erase`, `GET` and `PUT /site/retention`, with every refusal.
pub async fn privacy(d: &Driver<'_>, admin: &str, operator: &str) {
    let erase = || call("POST", ERASE, ERASE);
    let nobody = json!({"phone": "+44 7700 900999"}).to_string();
    let erased = d
        .expect(erase().token(admin).body(JSON, nobody.clone()), 200)
        .await
        .json();
    assert_eq!(erased["contacts"], 0, "{erased}");
    for bad in [
        json!({"phone": "12"}),
        json!({}),
        json!({"phone": "+44 7700 900999", "name": "x"}),
        json!(["+44 7700 900999"]),
    ] {
        d.expect(erase().token(admin).body(JSON, bad.to_string()), 400)
            .await;
    }
    d.expect(erase().token(operator).body(JSON, nobody.clone()), 403)
        .await;
    d.expect(erase().token(admin).body(JSON, "x".repeat(5000)), 413)
        .await;
    d.expect(erase().body(JSON, nobody), 401).await;

    let get = || call("GET", RETENTION, RETENTION);
    let put = || call("PUT", RETENTION, RETENTION);
    let shown = d.expect(get().token(admin), 200).await.json();
    assert_eq!(shown, json!({"visits_days": null, "dialogs_days": null}));
    d.expect(get().token(operator), 403).await;
    d.expect(get(), 401).await;
    let body = json!({"visits_days": 400, "dialogs_days": null}).to_string();
    let saved = d
        .expect(put().token(admin).body(JSON, body.clone()), 200)
        .await
        .json();
    assert_eq!(saved["visits_days"], 400);
    assert_eq!(
        d.expect(get().token(admin), 200).await.json()["visits_days"],
        400
    );
    for bad in [
        json!({"visits_days": 0}),
        json!({"dialogs_days": 36501}),
        json!({"days": 3}),
        json!([null, null]),
    ] {
        d.expect(put().token(admin).body(JSON, bad.to_string()), 400)
            .await;
    }
    d.expect(put().token(operator).body(JSON, body.clone()), 403)
        .await;
    d.expect(put().token(admin).body(JSON, "x".repeat(5000)), 413)
        .await;
    d.expect(put().body(JSON, body), 401).await;
}
