//! Accounts for tests: a person with a password and roles on sites (made as an admin would:
//! an invite, then its link used over HTTP), signing in, and requests with the session.

use chatrail_collector::domain::account::{new_invite, Email, SESSION_COOKIE};
use chatrail_collector::domain::site::Site;
use chatrail_collector::domain::token::Role;
use chatrail_collector::storage::accounts::Invited;

use crate::app::TestApp;

/// A password the tests' accounts set.
pub const PASSWORD: &str = "a long enough password";

/// The status of the answer to `request`.
pub async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// Gives `email` each role on its site and sets `password` with the invite's link.
pub async fn account_with_password(
    app: &TestApp,
    email: &str,
    sites: &[(&Site, Role)],
    password: &str,
) {
    let parsed = Email::parse(email).expect("a valid e-mail");
    let mut link = None;
    for (site, role) in sites {
        let (token, hash, expires_at) = new_invite();
        let invited = app
            .store
            .add_member(&parsed, site.id, *role, (&hash, expires_at), None)
            .await
            .expect("member added");
        if invited == Invited::Link {
            link = Some(token);
        }
    }
    let token = link.expect("a new account gets a link");
    let accepted = app
        .http
        .post(format!("{}/api/v1/invites/accept", app.base))
        .json(&serde_json::json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());
}

/// The token of the invite link in an answer (`invite_link`: `…/dashboard/#invite=TOKEN`).
pub fn invite_token(answer: &serde_json::Value) -> String {
    let link = answer["invite_link"].as_str().expect("an invite link");
    link.split("#invite=").nth(1).expect("a token").to_owned()
}

/// `POST /api/v1/session`.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/session", app.base))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// The session cookie an answer sets (`None`: none, or one that ends the session).
pub fn session_cookie(answer: &reqwest::Response) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
}

/// Signs in (asserting it works); the session cookie's value.
pub async fn signed_in(app: &TestApp, email: &str, password: &str) -> String {
    let answer = sign_in(app, email, password).await;
    assert_eq!(answer.status(), 200);
    session_cookie(&answer).expect("a session cookie")
}

/// A request to `path` with the session `cookie`, naming `site` (when given) in
/// `X-Chatrail-Site`.
pub fn with_session(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    site: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.base))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"));
    if let Some(site) = site {
        request = request.header("x-chatrail-site", site);
    }
    request
}
