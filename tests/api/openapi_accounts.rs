//! The account operations of the description driven with each status they document:
//! signing in and out, invites, a site's members; and every token operation refusing a
//! session on a site the account has no role on (the 403 each documents for it).

use chatrail_collector::domain::account::SESSION_COOKIE;
use chatrail_collector::domain::token::Role;
use chatrail_tests::accounts::{account_with_password, session_cookie, PASSWORD};
use chatrail_tests::app::create_site;
use chatrail_tests::openapi::{call, Answer, Call, Driver};
use serde_json::json;

const SESSION: &str = "/api/v1/session";
const EVERYWHERE: &str = "/api/v1/session/all";
const ACCEPT: &str = "/api/v1/invites/accept";
const MEMBERS: &str = "/api/v1/site/members";
const RESET: &str = "/api/v1/site/members/reset";
const MEMBER: &str = "/api/v1/site/members/{id}";
const JSON: &str = "application/json";
const EVIL: &str = "https://evil.example";

/// A call with the session `cookie` naming `site`.
fn as_account<'t>(c: Call<'t>, cookie: &str, site: &str) -> Call<'t> {
    c.header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .header("x-chatrail-site", site)
}

async fn signed_in(d: &Driver<'_>, email: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD}).to_string();
    let answer = d
        .http
        .post(format!("{}{SESSION}", d.app.base))
        .header("content-type", JSON)
        .body(body)
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&answer).expect("a session cookie");
    d.checked("POST", SESSION, Answer::read(answer).await, 200);
    cookie
}

/// Every account operation, with every refusal.
pub async fn accounts(d: &Driver<'_>, admin: &str, operator: &str) {
    let app = d.app;
    let other = create_site(&app.store, "elsewhere", &["+44 7700 900125"]).await;
    account_with_password(
        app,
        "ann@example.com",
        &[(&app.site, Role::Admin)],
        PASSWORD,
    )
    .await;
    let session = || call("POST", SESSION, SESSION);
    let creds =
        |password: &str| json!({"email": "ann@example.com", "password": password}).to_string();
    let cookie = signed_in(d, "ann@example.com").await;
    d.expect(session().body(JSON, "{"), 400).await;
    d.expect(
        session().body(JSON, json!({"email": "x", "password": "p"}).to_string()),
        400,
    )
    .await;
    d.expect(session().body(JSON, creds("wrong password")), 401)
        .await;
    d.expect(
        session().body(JSON, creds(PASSWORD)).header("origin", EVIL),
        403,
    )
    .await;
    d.expect(session().body(JSON, "x".repeat(5000)), 413).await;
    let guess = json!({"email": "guessed@example.com", "password": "guess"}).to_string();
    let mut limited = false;
    for _ in 0..20 {
        let answer = d
            .http
            .post(format!("{}{SESSION}", app.base))
            .header("content-type", JSON)
            .body(guess.clone())
            .send()
            .await
            .unwrap();
        let answer = Answer::read(answer).await;
        if answer.status == 429 {
            d.checked("POST", SESSION, answer, 429);
            limited = true;
            break;
        }
        d.checked("POST", SESSION, answer, 401);
    }
    assert!(limited, "sign-in attempts are limited");

    let who = || call("GET", SESSION, SESSION);
    let me = d
        .expect(as_account(who(), &cookie, "shop"), 200)
        .await
        .json();
    assert_eq!(me["email"], "ann@example.com");
    d.expect(who(), 401).await;
    d.expect(
        as_account(who(), &cookie, "shop").header("origin", EVIL),
        403,
    )
    .await;

    let add = || call("POST", MEMBERS, MEMBERS);
    let bob = json!({"email": "bob@example.com", "role": "operator"}).to_string();
    let added = d
        .expect(
            as_account(add(), &cookie, "shop").body(JSON, bob.clone()),
            201,
        )
        .await
        .json();
    let link = added["invite_link"].as_str().unwrap().to_owned();
    d.expect(
        add()
            .token(admin)
            .body(JSON, json!({"email": "bob"}).to_string()),
        400,
    )
    .await;
    d.expect(add().token(operator).body(JSON, bob.clone()), 403)
        .await;
    d.expect(add().token(admin).body(JSON, "x".repeat(5000)), 413)
        .await;
    d.expect(add().body(JSON, bob.clone()), 401).await;
    let list = || call("GET", MEMBERS, MEMBERS);
    let members = d.expect(list().token(admin), 200).await.json();
    assert_eq!(members["members"].as_array().map(Vec::len), Some(2));
    d.expect(list().token(operator), 403).await;
    d.expect(list(), 401).await;

    let accept = || call("POST", ACCEPT, ACCEPT);
    let token = link.split("#invite=").nth(1).unwrap();
    let with =
        |token: &str, password: &str| json!({"token": token, "password": password}).to_string();
    d.expect(accept().body(JSON, with(token, "short")), 400)
        .await;
    d.expect(
        accept()
            .body(JSON, with(token, PASSWORD))
            .header("origin", EVIL),
        403,
    )
    .await;
    d.expect(accept().body(JSON, with(token, PASSWORD)), 200)
        .await;
    d.expect(accept().body(JSON, with(token, PASSWORD)), 404)
        .await;
    d.expect(accept().body(JSON, "x".repeat(5000)), 413).await;

    let reset = || call("POST", RESET, RESET);
    let bob_email = json!({"email": "bob@example.com"}).to_string();
    let again = d
        .expect(reset().token(admin).body(JSON, bob_email.clone()), 200)
        .await
        .json();
    assert!(again["invite_link"]
        .as_str()
        .unwrap()
        .contains("#invite=cri_"));
    d.expect(
        reset()
            .token(admin)
            .body(JSON, json!({"email": "x"}).to_string()),
        400,
    )
    .await;
    d.expect(reset().token(operator).body(JSON, bob_email.clone()), 403)
        .await;
    let nobody = json!({"email": "nobody@example.com"}).to_string();
    d.expect(reset().token(admin).body(JSON, nobody), 404).await;
    d.expect(reset().token(admin).body(JSON, "x".repeat(5000)), 413)
        .await;
    d.expect(reset().body(JSON, bob_email), 401).await;
    remove_member(d, admin, operator).await;

    no_role_is_refused_everywhere(d, &cookie, &other.key).await;

    let out = || call("DELETE", SESSION, SESSION);
    let all = || call("DELETE", EVERYWHERE, EVERYWHERE);
    d.expect(
        out().header("cookie", format!("{SESSION_COOKIE}={cookie}")),
        403,
    )
    .await;
    d.expect(
        all().header("cookie", format!("{SESSION_COOKIE}={cookie}")),
        403,
    )
    .await;
    d.expect(as_account(out(), &cookie, "shop"), 204).await;
    d.expect(as_account(out(), &cookie, "shop"), 401).await;
    let second = signed_in(d, "ann@example.com").await;
    d.expect(as_account(all(), &second, "shop"), 204).await;
    d.expect(as_account(all(), &second, "shop"), 401).await;
}

/// `DELETE /site/members/{id}`: Bob (an operator of the site) goes, Ann (its only admin
/// account) stays.
async fn remove_member(d: &Driver<'_>, admin: &str, operator: &str) {
    let listed = d
        .expect(call("GET", MEMBERS, MEMBERS).token(admin), 200)
        .await
        .json();
    let id_of = |email: &str| {
        let members = listed["members"].as_array().unwrap();
        let member = members.iter().find(|m| m["email"] == email).unwrap();
        member["account_id"].as_str().unwrap().to_owned()
    };
    let (bob, ann) = (id_of("bob@example.com"), id_of("ann@example.com"));
    let remove = |id: &str| call("DELETE", MEMBER, format!("{MEMBERS}/{id}"));
    d.expect(remove(&bob).token(operator), 403).await;
    d.expect(remove("not-a-uuid").token(admin), 400).await;
    d.expect(remove(&bob), 401).await;
    d.expect(remove(&bob).token(admin), 204).await;
    d.expect(remove(&bob).token(admin), 404).await;
    let refused = d.expect(remove(&ann).token(admin), 409).await.json();
    assert!(refused["error"].as_str().unwrap().contains("last admin"));
}

/// Every operation that takes a token answers a valid session naming a site the account
/// has no role on with 403, before anything else of the request is looked at.
async fn no_role_is_refused_everywhere(d: &Driver<'_>, cookie: &str, site: &str) {
    for (method, template) in d.spec.operations() {
        let op = d.spec.operation(&method, &template).unwrap();
        let takes_token = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("token").is_some()));
        if !takes_token {
            continue;
        }
        let path = format!("{}{}", template.replace(['{', '}'], ""), required_query(op));
        let answer = d
            .http
            .request(method.parse().unwrap(), format!("{}{path}", d.app.base))
            .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
            .header("x-chatrail-site", site)
            .send()
            .await
            .unwrap();
        d.checked(&method, &template, Answer::read(answer).await, 403);
    }
}

/// The operation's required query parameters with plausible values (a query is parsed as
/// soon as the request comes, so a missing one would be answered before the session is).
fn required_query(op: &serde_json::Value) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != "query" || p["required"] != true {
            continue;
        }
        let schema = &p["schema"];
        let value = match (schema["format"].as_str(), schema["type"].as_str()) {
            (Some("date"), _) => "2025-11-01".to_owned(),
            (_, Some("integer")) => "1".to_owned(),
            _ => match schema["enum"].get(0).and_then(|v| v.as_str()) {
                Some(first) => first.to_owned(),
                None => "x".to_owned(),
            },
        };
        q.append_pair(p["name"].as_str().unwrap_or_default(), &value);
    }
    let q = q.finish();
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}
