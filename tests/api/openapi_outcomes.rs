//! The outcome operations driven for the conformance test (`openapi_conformance.rs`), each
//! documented status produced.

use chatrail_tests::openapi::{call, Driver};
use serde_json::json;

const OUTCOME: &str = "/api/v1/dialogs/{id}/outcome";
const SETTINGS: &str = "/api/v1/site/outcomes";
const JSON: &str = "application/json";

/// Outcomes of dialog `id`, and the site's stages and rules.
pub async fn outcomes(d: &Driver<'_>, id: &str, operator: &str, analyst: &str, admin: &str) {
    let at = |id: &str| format!("/api/v1/dialogs/{id}/outcome");
    let unknown = uuid::Uuid::now_v7().to_string();
    let put = |path: String, body: serde_json::Value| {
        call("PUT", OUTCOME, path).body(JSON, body.to_string())
    };
    let won = json!({"stage": "won", "value": "99.90", "currency": "EUR", "source": "card"});
    let set = d
        .expect(put(at(id), won.clone()).token(operator), 200)
        .await;
    assert_eq!(set.json()["changed"], true);
    let again = d
        .expect(put(at(id), won.clone()).token(operator), 200)
        .await;
    assert_eq!(again.json()["changed"], false);
    d.expect(
        put(at(id), json!({"stage": "nowhere"})).token(operator),
        400,
    )
    .await;
    d.expect(put(at("nope"), won.clone()).token(operator), 400)
        .await;
    d.expect(put(at(&unknown), won.clone()).token(operator), 404)
        .await;
    d.expect(put(at(id), won.clone()), 401).await;
    d.expect(put(at(id), won.clone()).token(analyst), 403).await;
    let get = |path: String| call("GET", OUTCOME, path);
    let shown = d.expect(get(at(id)).token(operator), 200).await;
    assert_eq!(shown.json()["value"], "99.90");
    d.expect(get(at("nope")).token(operator), 400).await;
    d.expect(get(at(&unknown)).token(operator), 404).await;
    d.expect(get(at(id)), 401).await;
    d.expect(get(at(id)).token(analyst), 403).await;

    let settings = d
        .expect(call("GET", SETTINGS, SETTINGS).token(analyst), 200)
        .await
        .json();
    d.expect(call("GET", SETTINGS, SETTINGS), 401).await;
    let save =
        |body: serde_json::Value| call("PUT", SETTINGS, SETTINGS).body(JSON, body.to_string());
    let mut body = json!({"stages": settings["stages"], "rules": ["tag:paid -> won"]});
    d.expect(save(body.clone()).token(admin), 200).await;
    d.expect(save(body.clone()).token(operator), 403).await;
    d.expect(save(body.clone()), 401).await;
    d.expect(save(json!({"stages": []})).token(admin), 400)
        .await;
    // The dialog is won: a set without `won` would strand it.
    body["stages"] = json!([{"name": "new", "kind": "open"}, {"name": "sold", "kind": "won"}]);
    body["rules"] = json!([]);
    d.expect(save(body).token(admin), 409).await;
}

/// Ad spend: an upload and the totals, and their refusals.
pub async fn costs(d: &Driver<'_>, operator: &str, analyst: &str, admin: &str) {
    const COSTS: &str = "/api/v1/costs";
    let file = "date,source,medium,campaign,cost,currency\n2025-11-01,google,cpc,Sale,12.50,USD\n";
    let upload = |query: &str| {
        call("POST", COSTS, format!("{COSTS}{query}")).body("text/csv", file.to_owned())
    };
    let stored = d.expect(upload("").token(admin), 200).await;
    assert_eq!(stored.json()["rows"], 1);
    d.expect(upload("?map=price%3DCost").token(admin), 400)
        .await;
    d.expect(upload("").token(operator), 403).await;
    d.expect(upload(""), 401).await;
    let totals = |query: &str| call("GET", COSTS, format!("{COSTS}{query}"));
    let shown = d
        .expect(totals("?from=2025-11-01&to=2025-11-30").token(analyst), 200)
        .await;
    assert_eq!(shown.json()[0]["cost"], "12.50");
    d.expect(totals("?from=2025-11-01").token(analyst), 400)
        .await;
    d.expect(
        totals("?from=2025-11-01&to=2025-11-30").token(operator),
        403,
    )
    .await;
    d.expect(totals("?from=2025-11-01&to=2025-11-30"), 401)
        .await;
}
