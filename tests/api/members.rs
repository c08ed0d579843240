//! Removing a member from a site: the role goes and every session's access to the site with
//! it (an open live stream included), an account left without a site goes whole, the last
//! admin account stays; and the retention task sweeping expired sessions and invite links.

use std::time::Duration;

use chatrail_collector::domain::account::{new_invite, Email};
use chatrail_collector::domain::now_ms;
use chatrail_collector::domain::secret::sha256_hex;
use chatrail_collector::domain::token::Role;
use chatrail_tests::accounts::{
    account_with_password, invite_token, signed_in, status, with_session, PASSWORD,
};
use chatrail_tests::app::{create_site, spawn_app, spawn_app_with, Backend, TestApp};
use chatrail_tests::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    an_admin_removes_a_member_and_their_access_to_the_site_goes,
    the_last_admin_account_cannot_be_removed,
    two_admins_removing_each_other_at_once_leave_one,
    a_removed_members_live_stream_ends,
    expired_sessions_and_invites_are_swept_and_live_ones_stay,
);

const MEMBERS: &str = "/api/v1/site/members";

/// A new account with `role` on the shop, signed in: its session cookie.
async fn member(app: &TestApp, email: &str, role: Role) -> String {
    account_with_password(app, email, &[(&app.site, role)], PASSWORD).await;
    signed_in(app, email, PASSWORD).await
}

/// The JSON answered to `request`.
async fn answered(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The members of `site`, as its admin (by `cookie`) lists them.
async fn members(app: &TestApp, cookie: &str, site: &str) -> Vec<Value> {
    let listed = answered(with_session(app, Method::GET, MEMBERS, cookie, Some(site))).await;
    listed["members"].as_array().unwrap().clone()
}

/// The account id of `email` in the shop's list.
async fn member_id(app: &TestApp, cookie: &str, email: &str) -> String {
    id_on(app, cookie, email, "shop").await
}

/// The account id of `email` in the list of `site`.
async fn id_on(app: &TestApp, cookie: &str, email: &str, site: &str) -> String {
    let list = members(app, cookie, site).await;
    let found = list.iter().find(|m| m["email"] == email).expect("a member");
    found["account_id"].as_str().unwrap().to_owned()
}

/// `DELETE /site/members/{id}` as `cookie` on `shop`: its status and body.
async fn remove(app: &TestApp, cookie: &str, id: &str) -> (u16, Value) {
    let path = format!("{MEMBERS}/{id}");
    let answer = with_session(app, Method::DELETE, &path, cookie, Some("shop"))
        .send()
        .await
        .unwrap();
    let code = answer.status().as_u16();
    (code, answer.json().await.unwrap_or(Value::Null))
}

async fn an_admin_removes_a_member_and_their_access_to_the_site_goes(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let bob_sites = [(&app.site, Role::Operator), (&other, Role::Analyst)];
    account_with_password(&app, "bob@example.com", &bob_sites, PASSWORD).await;
    let ann = member(&app, "ann@example.com", Role::Admin).await;
    let bob = signed_in(&app, "bob@example.com", PASSWORD).await;
    let me = |site: &'static str| with_session(&app, Method::GET, "/api/v1/me", &bob, Some(site));
    assert_eq!(status(me("shop")).await, 200);

    let bob_id = member_id(&app, &ann, "bob@example.com").await;
    let ann_id = member_id(&app, &ann, "ann@example.com").await;
    // Only an admin removes.
    assert_eq!(remove(&app, &bob, &ann_id).await.0, 403);
    assert_eq!(remove(&app, &ann, "not-a-uuid").await.0, 400);
    // The reset's path is not a member's: DELETE is not one of its methods.
    assert_eq!(remove(&app, &ann, "reset").await.0, 405);
    assert_eq!(remove(&app, &ann, &bob_id).await.0, 204);
    // The same session, still valid, has no role left on the site, and keeps the other.
    assert_eq!(status(me("shop")).await, 403);
    assert_eq!(status(me("other")).await, 200);
    let emails: Vec<_> = members(&app, &ann, "shop").await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(remove(&app, &ann, &bob_id).await.0, 404);

    // A member of another site only is not this site's to remove.
    account_with_password(&app, "eve@example.com", &[(&other, Role::Admin)], PASSWORD).await;
    let eve = signed_in(&app, "eve@example.com", PASSWORD).await;
    let eve_id = id_on(&app, &eve, "eve@example.com", "other").await;
    assert_eq!(remove(&app, &ann, &eve_id).await.0, 404);

    // An invited account with no other site goes whole: its link no longer sets a password.
    let carol = json!({"email": "carol@example.com", "role": "analyst"});
    let invited =
        answered(with_session(&app, Method::POST, MEMBERS, &ann, Some("shop")).json(&carol)).await;
    let carol_id = member_id(&app, &ann, "carol@example.com").await;
    assert_eq!(remove(&app, &ann, &carol_id).await.0, 204);
    let accepted = app
        .http
        .post(format!("{}/api/v1/invites/accept", app.base))
        .json(&json!({"token": invite_token(&invited), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 404);
    let carol = Email::parse("carol@example.com").unwrap();
    assert!(app.store.credentials(&carol).await.unwrap().is_none());
}

async fn the_last_admin_account_cannot_be_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = member(&app, "ann@example.com", Role::Admin).await;
    let ann_id = member_id(&app, &ann, "ann@example.com").await;
    let (code, body) = remove(&app, &ann, &ann_id).await;
    assert_eq!(code, 409);
    assert!(
        body["error"].as_str().unwrap().contains("last admin"),
        "{body}"
    );
    // With a second admin, either may go (here the first, by her own hand).
    let dan = member(&app, "dan@example.com", Role::Admin).await;
    assert_eq!(remove(&app, &ann, &ann_id).await.0, 204);
    let dan_id = member_id(&app, &dan, "dan@example.com").await;
    assert_eq!(remove(&app, &dan, &dan_id).await.0, 409);
}

/// Two admins each removing the other at the same moment: one goes, the other stays the
/// site's admin (the second removal waits for the first and then sees the last admin).
async fn two_admins_removing_each_other_at_once_leave_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut survivor: Option<(String, String)> = None;
    for round in 0..8 {
        let (a, b) = (
            format!("a{round}@example.com"),
            format!("b{round}@example.com"),
        );
        let ann = member(&app, &a, Role::Admin).await;
        let bob = member(&app, &b, Role::Admin).await;
        // The last round's survivor leaves, so these two are the site's only admins.
        if let Some((cookie, id)) = survivor.take() {
            assert_eq!(remove(&app, &cookie, &id).await.0, 204);
        }
        let (ann_id, bob_id) = (
            member_id(&app, &ann, &a).await,
            member_id(&app, &ann, &b).await,
        );
        let (x, y) = tokio::join!(remove(&app, &ann, &bob_id), remove(&app, &bob, &ann_id));
        // The slower one is refused: its target is the last admin (409), or its own role
        // went first (403; 401 once its account, left without a site, is gone too).
        let mut codes = [x.0, y.0];
        codes.sort_unstable();
        assert!(
            codes[0] == 204 && [401, 403, 409].contains(&codes[1]),
            "round {round}: {x:?}, {y:?}"
        );
        let kept = if x.0 == 204 {
            (ann, ann_id)
        } else {
            (bob, bob_id)
        };
        assert_eq!(
            members(&app, &kept.0, "shop").await.len(),
            1,
            "round {round}"
        );
        survivor = Some(kept);
    }
}

async fn a_removed_members_live_stream_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = member(&app, "ann@example.com", Role::Admin).await;
    let op = member(&app, "op@example.com", Role::Operator).await;
    let mut stream = with_session(&app, Method::GET, "/api/v1/live", &op, Some("shop"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let op_id = member_id(&app, &ann, "op@example.com").await;
    assert_eq!(remove(&app, &ann, &op_id).await.0, 204);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.ok().flatten().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends once the role is gone");
}

async fn expired_sessions_and_invites_are_swept_and_live_ones_stay(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.retention_every_seconds = 1).await;
    let ann = member(&app, "ann@example.com", Role::Admin).await;
    let email = Email::parse("ann@example.com").unwrap();
    let account = app
        .store
        .credentials(&email)
        .await
        .unwrap()
        .unwrap()
        .account;
    let now = now_ms();
    app.store
        .start_session(&sha256_hex("expired"), account, now - 10_000, now - 1)
        .await
        .unwrap();
    // One link per account: an expired one, and a live one for someone else.
    let invite = |email: &str, expires_at: i64| {
        let email = Email::parse(email).unwrap();
        let store = app.store.clone();
        let site = app.site.id;
        async move {
            let (token, hash, _) = new_invite();
            store
                .add_member(&email, site, Role::Analyst, (&hash, expires_at), None)
                .await
                .unwrap();
            token
        }
    };
    invite("late@example.com", now - 1).await;
    let live_link = invite("soon@example.com", now + 3_600_000).await;

    let count = |table: &'static str| {
        let db = app.db.clone();
        async move {
            let (n,): (i64,) = db
                .fetch_optional(&format!("SELECT COUNT(*) FROM {table}"), Vec::new())
                .await
                .unwrap()
                .unwrap();
            n
        }
    };
    assert_eq!(
        (
            count("account_sessions").await,
            count("account_invites").await
        ),
        (2, 2)
    );
    // The retention task runs every second here.
    let started = std::time::Instant::now();
    while (
        count("account_sessions").await,
        count("account_invites").await,
    ) != (1, 1)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "expired sessions and invites are still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let me = with_session(&app, Method::GET, "/api/v1/me", &ann, Some("shop"));
    assert_eq!(status(me).await, 200, "the live session stays");
    let accepted = app
        .http
        .post(format!("{}/api/v1/invites/accept", app.base))
        .json(&json!({"token": live_link, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200, "the live link stays");
}
