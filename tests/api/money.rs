//! Money in the reports: leads, won, revenue, conversion, spend, cost per dialog and won, and
//! ROAS per channel and campaign, for a known data set, under last and first touch, in one
//! currency at a time.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{Browsing, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(revenue_and_roas_per_channel_and_campaign_under_both_models);

pub(crate) const T: i64 = FIXTURE_T * 1000;
pub(crate) const GOOGLE: &str = "https://shop.test/?utm_source=google&utm_medium=cpc&utm_campaign=";
pub(crate) const META: &str =
    "https://shop.test/?utm_source=facebook&utm_medium=paid_social&utm_campaign=";

/// A visit of `b` landing on `landing`, a click, and a chat from `phone` with its code; the
/// dialog's id.
pub(crate) async fn chat(
    app: &TestApp,
    b: &Browsing,
    landing: &str,
    phone: &str,
    at: i64,
) -> String {
    app.visit(b, landing, at - 120_000).await;
    app.click(b, at - 60_000).await;
    let text = format!("Is the oak table in stock? (ref {})", b.code);
    let body = whatsapp_text(&format!("wamid.{phone}"), phone, "Ana", &text, at / 1000);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    report["dialogs"][0].as_str().unwrap().to_owned()
}

pub(crate) async fn set(app: &TestApp, id: &str, outcome: Value) {
    let resp = app
        .http
        .put(format!("{}/api/v1/dialogs/{id}/outcome", app.base))
        .bearer_auth(&app.token)
        .json(&outcome)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

pub(crate) async fn report(app: &TestApp, token: &str, name: &str, extra: &str) -> Vec<Value> {
    let url = format!(
        "{}/api/v1/reports/{name}?from=2025-11-01&to=2025-11-30{extra}",
        app.base
    );
    let resp = app.http.get(url).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{name}{extra}: {body}");
    body["rows"].as_array().unwrap().clone()
}

/// Report `name` over November as CSV.
pub(crate) async fn report_csv(app: &TestApp, token: &str, name: &str) -> String {
    let url = format!(
        "{}/api/v1/reports/{name}?from=2025-11-01&to=2025-11-30&format=csv",
        app.base
    );
    let resp = app.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// The row whose key columns hold `keys`, as `[leads, won, revenue, conversion, spend,
/// cost_per_won, roas]`.
fn money(rows: &[Value], keys: &[(&str, &str)]) -> Value {
    let row = rows
        .iter()
        .find(|r| keys.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {keys:?} in {rows:?}"));
    json!([
        row["leads"],
        row["won"],
        row["revenue"],
        row["conversion"],
        row["spend"],
        row["cost_per_won"],
        row["roas"]
    ])
}

async fn revenue_and_roas_per_channel_and_campaign_under_both_models(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    // Ana first came from a Meta retargeting ad three days before, then chatted from a
    // Google search ad; Ben and Dan from Google, Cy from Meta.
    let ana_first = Browsing::random();
    app.visit(&ana_first, &format!("{META}retarget"), T - 3 * 86_400_000)
        .await;
    let ana = Browsing {
        visitor: ana_first.visitor.clone(),
        ..Browsing::random()
    };
    let a = chat(&app, &ana, &format!("{GOOGLE}sale"), "5511900000001", T).await;
    let b = chat(
        &app,
        &Browsing::random(),
        &format!("{GOOGLE}sale"),
        "5511900000002",
        T,
    )
    .await;
    let c = chat(
        &app,
        &Browsing::random(),
        &format!("{META}retarget"),
        "5511900000003",
        T,
    )
    .await;
    let d = chat(
        &app,
        &Browsing::random(),
        &format!("{GOOGLE}brand"),
        "5511900000004",
        T,
    )
    .await;
    set(
        &app,
        &a,
        json!({"stage": "won", "value": "1000", "currency": "USD"}),
    )
    .await;
    set(
        &app,
        &b,
        json!({"stage": "won", "value": "500", "currency": "USD"}),
    )
    .await;
    set(&app, &c, json!({"stage": "lead"})).await;
    set(
        &app,
        &d,
        json!({"stage": "won", "value": "200", "currency": "EUR"}),
    )
    .await;
    let costs = "date,source,medium,campaign,cost,currency\n\
        2025-11-22,google,cpc,sale,300,USD\n2025-11-22,google,cpc,brand,100,USD\n\
        2025-11-22,facebook,paid_social,retarget,50,USD\n2025-12-01,google,cpc,sale,999,USD\n";
    let resp = app
        .http
        .post(format!("{}/api/v1/costs", app.base))
        .bearer_auth(&admin)
        .body(costs)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Last touch (the default), in the site's most used currency (USD).
    let channels = report(&app, &analyst, "channels", "").await;
    assert_eq!(channels[0]["currency"], "USD");
    assert_eq!(
        money(&channels, &[("channel", "Paid Search")]),
        json!([3, 3, 1500.0, 1.0, 400.0, 133.3333, 3.75]),
        "Ana's and Ben's USD; Dan's EUR sale is not converted"
    );
    assert_eq!(
        money(&channels, &[("channel", "Paid Social")]),
        json!([1, 0, 0.0, 0.0, 50.0, null, 0.0])
    );
    let campaigns = report(&app, &analyst, "campaigns", "").await;
    assert_eq!(
        money(
            &campaigns,
            &[("campaign", "sale"), ("channel", "Paid Search")]
        ),
        json!([2, 2, 1500.0, 1.0, 300.0, 150.0, 5.0])
    );
    assert_eq!(
        money(&campaigns, &[("campaign", "brand")]),
        json!([1, 1, 0.0, 1.0, 100.0, 100.0, 0.0])
    );
    let euros = report(&app, &analyst, "channels", "&currency=eur").await;
    assert_eq!(
        money(&euros, &[("channel", "Paid Search")]),
        json!([3, 3, 200.0, 1.0, null, null, null]),
        "no costs in EUR"
    );

    // First touch: Ana's sale goes to the Meta ad that first brought her.
    let first = report(&app, &analyst, "channels", "&model=first").await;
    assert_eq!(
        money(&first, &[("channel", "Paid Search")]),
        json!([2, 2, 500.0, 1.0, 400.0, 200.0, 1.25])
    );
    assert_eq!(
        money(&first, &[("channel", "Paid Social")]),
        json!([2, 1, 1000.0, 0.5, 50.0, 50.0, 20.0])
    );
    let first = report(&app, &analyst, "campaigns", "&model=first").await;
    assert_eq!(
        money(&first, &[("campaign", "retarget")]),
        json!([2, 1, 1000.0, 0.5, 50.0, 50.0, 20.0])
    );
    assert_eq!(money(&first, &[("campaign", "sale")])[2], json!(500.0));

    // Compared with the month before: nothing then.
    let compared = report(&app, &analyst, "channels", "&compare=previous").await;
    let search = compared
        .iter()
        .find(|r| r["channel"] == "Paid Search")
        .unwrap();
    assert_eq!(search["revenue_previous"], json!(0));
    assert_eq!(search["roas_previous"], Value::Null);
    assert_eq!(search["revenue"], json!(1500.0));
    // Keywords and pages carry outcomes without spend.
    let pages = report(&app, &analyst, "pages", "").await;
    assert_eq!(pages[0]["won"], 3);
    assert!(pages[0].get("spend").is_none());
    let csv = report_csv(&app, &analyst, "channels").await;
    assert!(csv.lines().next().unwrap().ends_with(
        "currency,leads,won,revenue,conversion,spend,cost_per_dialog,cost_per_won,roas"
    ));
    let bad = app
        .http
        .get(format!(
            "{}/api/v1/reports/channels?from=2025-11-01&to=2025-11-30&model=middle",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Another site's analyst sees none of it.
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other, Role::Analyst).await;
    let theirs = report(&app, &outsider, "channels", "").await;
    assert!(
        theirs.iter().all(|r| r["won"] == 0 && r["spend"].is_null()),
        "{theirs:?}"
    );
}
