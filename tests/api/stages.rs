//! Stages across dialogs: the dialogs list by stage (with each dialog's stage and value),
//! and the funnel report per channel, for a known data set on both databases; another
//! site's tokens see none of it.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, Backend, TestApp};
use chatrail_tests::inbound::Browsing;
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

use crate::money::{chat, report, report_csv, set, GOOGLE, META, T};

on_both_backends!(dialogs_are_listed_by_stage_and_counted_in_the_funnel);

/// The dialogs list with `query`, as `token`: its status and body.
async fn list(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    let resp = app
        .http
        .get(format!("{}/api/v1/dialogs?{query}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// The ids of the dialogs the list shows for `stage`, sorted.
async fn ids(app: &TestApp, token: &str, stage: &str) -> Vec<String> {
    let (status, body) = list(app, token, &format!("stage={stage}")).await;
    assert_eq!(status, 200, "{stage}: {body}");
    let mut ids: Vec<String> = body["dialogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dialog_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The funnel's rows of `channel` as `[stage, dialogs, share]`.
fn steps(rows: &[Value], channel: &str) -> Value {
    rows.iter()
        .filter(|r| r["channel"] == channel)
        .map(|r| json!([r["stage"], r["dialogs"], r["share"]]))
        .collect()
}

async fn dialogs_are_listed_by_stage_and_counted_in_the_funnel(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    // Five chats from Google search ads, two from Meta ads; the first Google one's visitor
    // had first come from a Meta ad three days before.
    let first_visit = Browsing::random();
    app.visit(&first_visit, &format!("{META}retarget"), T - 3 * 86_400_000)
        .await;
    let mut google = Vec::new();
    for i in 1..=5 {
        let phone = format!("551190000001{i}");
        let b = match i {
            1 => Browsing {
                visitor: first_visit.visitor.clone(),
                ..Browsing::random()
            },
            _ => Browsing::random(),
        };
        google.push(chat(&app, &b, &format!("{GOOGLE}sale"), &phone, T).await);
    }
    let mut meta = Vec::new();
    for i in 1..=2 {
        let phone = format!("551190000002{i}");
        let b = Browsing::random();
        meta.push(chat(&app, &b, &format!("{META}retarget"), &phone, T).await);
    }
    let won = |v: &str, c: &str| json!({"stage": "won", "value": v, "currency": c});
    set(&app, &google[0], won("1000", "USD")).await;
    set(&app, &google[1], json!({"stage": "qualified"})).await;
    set(&app, &google[2], json!({"stage": "lead"})).await;
    // google[3] got as far as qualified before it was lost.
    set(&app, &google[3], json!({"stage": "qualified"})).await;
    set(&app, &google[3], json!({"stage": "lost"})).await;
    // google[4] is never moved: it is new without a stored stage.
    set(&app, &meta[0], won("200.5", "EUR")).await;
    // meta[1] moved and back: new with a stored stage.
    set(&app, &meta[1], json!({"stage": "lead"})).await;
    set(&app, &meta[1], json!({"stage": "new"})).await;

    // The list by stage, any case; each dialog with its stage and value.
    assert_eq!(
        ids(&app, &app.token, "won").await,
        sorted(&[&google[0], &meta[0]])
    );
    assert_eq!(
        ids(&app, &app.token, "New").await,
        sorted(&[&google[4], &meta[1]]),
        "the first stage holds the dialogs never moved too"
    );
    assert_eq!(
        ids(&app, &app.token, "qualified").await,
        sorted(&[&google[1]])
    );
    assert_eq!(ids(&app, &app.token, "lost").await, sorted(&[&google[3]]));
    let (_, page) = list(&app, &app.token, "stage=won&channel=Paid+Social").await;
    let dialogs = page["dialogs"].as_array().unwrap();
    assert_eq!(dialogs.len(), 1, "{page}");
    assert_eq!(dialogs[0]["stage"], "won");
    assert_eq!(dialogs[0]["value"], "200.50");
    assert_eq!(dialogs[0]["currency"], "EUR");
    let (_, all) = list(&app, &app.token, "").await;
    let all = all["dialogs"].as_array().unwrap();
    assert_eq!(all.len(), 7);
    let of = |id: &str| all.iter().find(|d| d["dialog_id"] == id).unwrap().clone();
    assert_eq!(
        of(&google[4])["stage"],
        "new",
        "never moved: the first stage"
    );
    assert_eq!(of(&google[4])["value"], Value::Null);
    assert_eq!(of(&google[2])["stage"], "lead");
    for bad in ["paid", "won%20please"] {
        let (status, body) = list(&app, &app.token, &format!("stage={bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("new, lead"),
            "the error names the site's stages: {body}"
        );
    }
    let csv = app
        .http
        .get(format!("{}/api/v1/dialogs?stage=won&format=csv", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",dialog_id,stage,value,currency"),
        "{csv}"
    );
    assert_eq!(lines.count(), 2, "{csv}");

    // The funnel: every dialog reached the first stage; an open stage counts those in it or
    // past it (won included), and the lost ones that had got that far.
    let funnel = report(&app, &analyst, "funnel", "").await;
    assert_eq!(
        steps(&funnel, "Paid Search"),
        json!([
            ["new", 5, 1.0],
            ["lead", 4, 0.8],
            ["qualified", 3, 0.6],
            ["won", 1, 0.2],
            ["lost", 1, 0.2]
        ])
    );
    assert_eq!(
        steps(&funnel, "Paid Social"),
        json!([
            ["new", 2, 1.0],
            ["lead", 1, 0.5],
            ["qualified", 1, 0.5],
            ["won", 1, 0.5],
            ["lost", 0, 0.0]
        ])
    );
    assert_eq!(funnel.len(), 10, "two channels × five stages");
    assert_eq!(funnel[0]["channel"], "Paid Search", "most dialogs first");
    assert_eq!(funnel[3]["kind"], "won");
    assert_eq!(funnel[3]["step"], 3);
    // The comparison period (October): nothing then.
    let compared = report(&app, &analyst, "funnel", "&compare=previous").await;
    assert_eq!(compared.len(), 10);
    assert_eq!(compared[1]["dialogs"], 4);
    assert_eq!(compared[1]["dialogs_previous"], 0);
    assert_eq!(compared[1]["share_previous"], Value::Null);
    // Last month's dialogs against an empty one: the earlier period's counts beside.
    let back = report(
        &app,
        &analyst,
        "funnel",
        "&compare=custom&compare_from=2025-11-01&compare_to=2025-11-30",
    )
    .await;
    assert_eq!(back[1]["dialogs_previous"], 4);
    // First touch: the won Google chat counts where its visitor first came from.
    let first = report(&app, &analyst, "funnel", "&model=first").await;
    assert_eq!(
        steps(&first, "Paid Search"),
        json!([
            ["new", 4, 1.0],
            ["lead", 3, 0.75],
            ["qualified", 2, 0.5],
            ["won", 0, 0.0],
            ["lost", 1, 0.25]
        ])
    );
    assert_eq!(
        steps(&first, "Paid Social"),
        json!([
            ["new", 3, 1.0],
            ["lead", 2, 0.6667],
            ["qualified", 2, 0.6667],
            ["won", 2, 0.6667],
            ["lost", 0, 0.0]
        ])
    );
    // Filters and the limit (channels).
    let search = report(&app, &analyst, "funnel", "&channel=Paid+Search").await;
    assert_eq!(search.len(), 5);
    let one = report(&app, &analyst, "funnel", "&limit=1").await;
    assert_eq!(one.len(), 5, "the limit counts channels");
    let csv = report_csv(&app, &analyst, "funnel").await;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("channel,step,stage,kind,dialogs,share"));
    assert_eq!(lines.next(), Some("Paid Search,0,new,open,5,1.0"));

    // Another site's tokens: no dialogs in any stage, an empty funnel.
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let operator = create_token(&app.store, &other, Role::Operator).await;
    let outsider = create_token(&app.store, &other, Role::Analyst).await;
    for stage in ["won", "new", "lead"] {
        assert_eq!(ids(&app, &operator, stage).await, Vec::<String>::new());
    }
    assert_eq!(
        report(&app, &outsider, "funnel", "").await,
        Vec::<Value>::new()
    );
}
