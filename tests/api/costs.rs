//! Ad spend: CSV imports over the API and the CLI, with a column mapping; a day imported
//! again is replaced, not added; one site's tokens see and change nothing of another's.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    costs_imported_twice_give_the_same_totals,
    cost_files_are_validated_and_site_isolated,
);

/// A Google Ads campaign report as exported: its own headers, no source or medium, a
/// thousands separator, a total line.
const GOOGLE: &str = "Day,Campaign,Ad,Cost,Currency code\n\
    2025-11-01,Winter sale,Oak table,\"1,200.50\",USD\n\
    2025-11-01,Winter sale,Pine chair,99.50,USD\n\
    2025-11-02,Winter sale,Oak table,300,USD\n\
    2025-11-02,Brand,,50.25,USD\n\
    Total,,,\"1,650.25\",\n";
const GOOGLE_MAP: &str =
    "date=Day;campaign=Campaign;ad=Ad;currency=Currency code;source:=google;medium:=cpc";

async fn post(app: &TestApp, token: &str, map: &str, body: &str) -> (u16, Value) {
    let resp = app
        .http
        .post(format!("{}/api/v1/costs", app.base))
        .query(&[("map", map)])
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn totals(app: &TestApp, token: &str) -> (u16, Value) {
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/costs?from=2025-10-01&to=2025-11-30",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// `(source, campaign, currency, cost)` of each total.
fn spend(totals: &Value) -> Vec<(String, String, String, String)> {
    totals
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap().to_owned();
            (s("source"), s("campaign"), s("currency"), s("cost"))
        })
        .collect()
}

async fn costs_imported_twice_give_the_same_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let (status, first) = post(&app, &admin, GOOGLE_MAP, GOOGLE).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["rows"], 4);
    assert_eq!(first["days"], 2);
    assert_eq!(first["replaced"], 0);
    assert_eq!(first["totals"], json!({"USD": "1650.25"}));
    let (status, once) = totals(&app, &analyst).await;
    assert_eq!(status, 200, "{once}");
    assert_eq!(
        spend(&once),
        [
            (
                "google".into(),
                "Winter sale".into(),
                "USD".into(),
                "1600.00".into()
            ),
            (
                "google".into(),
                "Brand".into(),
                "USD".into(),
                "50.25".into()
            ),
        ]
    );
    assert_eq!(
        once[0]["channel"], "Paid Search",
        "google / cpc is a search ad"
    );

    // Meta's export on one of the same days, another source and currency: kept beside.
    let meta = "date;source;medium;campaign;cost;currency\n2025-11-02;facebook;paid_social;Retargeting;12,30;EUR\n";
    let (status, answer) = post(&app, &admin, "", meta).await;
    assert_eq!(status, 200, "{answer}");
    let (status, again) = post(&app, &admin, GOOGLE_MAP, GOOGLE).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["replaced"], 4,
        "the same days of the same source are replaced"
    );
    let (_, twice) = totals(&app, &analyst).await;
    assert_eq!(spend(&twice).len(), 3);
    assert_eq!(
        spend(&twice)[..2],
        spend(&once)[..],
        "importing again adds nothing"
    );
    assert_eq!(
        spend(&twice)[2],
        (
            "facebook".into(),
            "Retargeting".into(),
            "EUR".into(),
            "12.30".into()
        ),
        "another source's day is left alone; currencies as given"
    );

    // A corrected day replaces that day only; the CLI imports the same way.
    let corrected = "Day,Campaign,Cost,Currency code\n2025-11-02,Brand,70,USD\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("google.csv");
    std::fs::write(&file, corrected).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatrail-for-tests"))
        .args([
            "costs",
            "import",
            "--site",
            "shop",
            "--database-url",
            &app.database_url,
        ])
        .args([
            "--map",
            "date=Day",
            "--map",
            "campaign=Campaign",
            "--map",
            "currency=Currency code",
        ])
        .args(["--map", "source:=google", "--map", "medium:=cpc"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["replaced"], 2, "2025-11-02 of google held two rows");
    let (_, now) = totals(&app, &analyst).await;
    assert_eq!(
        spend(&now),
        [
            (
                "google".into(),
                "Winter sale".into(),
                "USD".into(),
                "1300.00".into()
            ),
            (
                "google".into(),
                "Brand".into(),
                "USD".into(),
                "70.00".into()
            ),
            (
                "facebook".into(),
                "Retargeting".into(),
                "EUR".into(),
                "12.30".into()
            ),
        ]
    );
}

async fn cost_files_are_validated_and_site_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let refused = [
        ("price=Cost", GOOGLE, "mapping"),
        ("", GOOGLE, "no column \"date\""),
        (
            GOOGLE_MAP,
            "Day,Campaign,Ad,Cost,Currency code\n2025-13-01,x,,1,USD\n",
            "line 2",
        ),
        (
            GOOGLE_MAP,
            "Day,Campaign,Ad,Cost,Currency code\n2025-11-01,x,,-1,USD\n",
            "line 2",
        ),
        (
            GOOGLE_MAP,
            "Day,Campaign,Ad,Cost,Currency code\n2025-11-01,x,,1,$\n",
            "currency",
        ),
        (
            GOOGLE_MAP,
            "Day,Campaign,Ad,Cost,Currency code\n",
            "no cost rows",
        ),
        (GOOGLE_MAP, "", "no"),
    ];
    for (map, body, says) in refused {
        let (status, answer) = post(&app, &admin, map, body).await;
        assert_eq!(status, 400, "{map} {body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(says), "{error} should say {says}");
    }
    let (status, _) = post(&app, &app.token, GOOGLE_MAP, GOOGLE).await;
    assert_eq!(status, 403, "operators do not upload costs");
    let (status, _) = totals(&app, &app.token).await;
    assert_eq!(status, 403, "nor read them");
    let (_, none) = totals(&app, &admin).await;
    assert_eq!(none, json!([]), "nothing refused was stored");

    post(&app, &admin, GOOGLE_MAP, GOOGLE).await;
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    let (_, theirs) = totals(&app, &outsider).await;
    assert_eq!(theirs, json!([]), "another site's costs are not visible");
    let replace = "Day,Campaign,Ad,Cost,Currency code\n2025-11-01,Winter sale,,1,USD\n";
    let (status, _) = post(&app, &outsider, GOOGLE_MAP, replace).await;
    assert_eq!(status, 200);
    let (_, ours) = totals(&app, &admin).await;
    assert_eq!(
        ours[0]["cost"], "1600.00",
        "another site's import replaces nothing of ours"
    );
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/costs?from=2025-11-31&to=2025-11-01",
            app.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}
