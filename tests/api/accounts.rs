//! Accounts over real HTTP: signing in with a password, each role's rights on its site,
//! switching sites, CSRF refusals, signing out (everywhere), resets, invites and the
//! sign-in limit. The CLI and what is stored: `accounts_cli.rs`.

use chatrail_collector::domain::account::{new_invite, Email};
use chatrail_collector::domain::token::Role;
use chatrail_tests::accounts::{
    account_with_password, session_cookie, sign_in, signed_in, status, with_session, PASSWORD,
};
use chatrail_tests::app::{create_site, create_token, spawn_app, spawn_app_with, Backend};
use chatrail_tests::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    an_account_signs_in_switches_sites_and_signs_out,
    each_role_has_its_rights_on_its_site,
    cookie_requests_need_the_site_header_and_the_own_origin,
    signing_out_everywhere_and_a_reset_end_every_session,
    invites_are_single_use_expire_and_cannot_take_over_accounts,
    sign_in_attempts_are_limited_per_address,
    plain_http_development_cookies_are_not_secure,
);

async fn an_account_signs_in_switches_sites_and_signs_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let third = create_site(&app.store, "third", &["+44 7700 900124"]).await;
    let sites = [(&app.site, Role::Admin), (&other, Role::Analyst)];
    account_with_password(&app, "Ann@Example.com", &sites, PASSWORD).await;

    let answer = sign_in(&app, "ann@EXAMPLE.com", PASSWORD).await;
    assert_eq!(answer.status(), 200);
    let set = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(set.contains(part), "{part} in {set}");
    }
    let cookie = session_cookie(&answer).unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["email"], "Ann@Example.com");
    let keys: Vec<_> = body["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].clone(), s["role"].clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (json!("other"), json!("analyst")),
            (json!("shop"), json!("admin"))
        ]
    );

    let get = |path: &str, site: Option<&str>| with_session(&app, Method::GET, path, &cookie, site);
    let get_with = |c: &str| with_session(&app, Method::GET, "/api/v1/session", c, None);
    let me: Value = get("/api/v1/me", Some("shop"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["role"].as_str(), me["site"]["key"].as_str()),
        (Some("admin"), Some("shop"))
    );
    assert_eq!(me["account"]["sites"].as_array().map(Vec::len), Some(2));
    // Switching sites is naming the other one.
    let me: Value = get("/api/v1/me", Some("other"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["role"].as_str(), me["site"]["key"].as_str()),
        (Some("analyst"), Some("other"))
    );
    assert_eq!(status(get("/api/v1/site", Some("shop"))).await, 200);
    assert_eq!(status(get("/api/v1/site", Some("other"))).await, 403);
    // A site without a role, and one that does not exist, answer alike.
    let refused = get("/api/v1/me", Some(&third.key)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(status(get("/api/v1/me", Some("nowhere"))).await, 403);
    assert!(refused["error"].as_str().unwrap().contains("no role"));
    assert_eq!(status(get("/api/v1/me", None)).await, 401);
    let session: Value = get("/api/v1/session", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["sites"], body["sites"]);

    // Wrong e-mail and wrong password answer alike.
    let wrong_password = sign_in(&app, "ann@example.com", "not the password").await;
    let wrong_email = sign_in(&app, "bob@example.com", PASSWORD).await;
    assert_eq!(
        (
            wrong_password.status().as_u16(),
            wrong_email.status().as_u16()
        ),
        (401, 401)
    );
    assert!(session_cookie(&wrong_password).is_none());
    assert_eq!(
        wrong_password.text().await.unwrap(),
        wrong_email.text().await.unwrap()
    );
    assert_eq!(
        status(
            app.http
                .post(format!("{}/api/v1/session", app.base))
                .body("{")
        )
        .await,
        400
    );

    let out = with_session(
        &app,
        Method::DELETE,
        "/api/v1/session",
        &cookie,
        Some("shop"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(status(get("/api/v1/session", None)).await, 401);
    assert_eq!(status(get("/api/v1/me", Some("shop"))).await, 401);
    // Signing in clears the account's expired sessions; an expired one is refused.
    let stale = signed_in(&app, "ann@example.com", PASSWORD).await;
    let expire = "UPDATE account_sessions SET expires_at = 1";
    app.db.execute(expire, Vec::new()).await.unwrap();
    let fresh = signed_in(&app, "ann@example.com", PASSWORD).await;
    let stored: Vec<(String,)> = app
        .db
        .fetch_all("SELECT session_hash FROM account_sessions", Vec::new())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "the expired session is deleted");
    assert_eq!(status(get_with(&stale)).await, 401);
    assert_eq!(status(get_with(&fresh)).await, 200);
    app.db.execute(expire, Vec::new()).await.unwrap();
    assert_eq!(status(get_with(&fresh)).await, 401, "past its expiry");
    // API tokens work as before, beside accounts.
    assert_eq!(app.api_get("/api/v1/me").await.status(), 200);
}

async fn each_role_has_its_rights_on_its_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = "/api/v1/reports/channels?from=2025-11-01&to=2025-11-30";
    // (role, dialogs, reports, settings)
    let rights = [
        (Role::Operator, 200, 403, 403),
        (Role::Analyst, 403, 200, 403),
        (Role::Admin, 200, 200, 200),
    ];
    for (role, dialogs, reports, settings) in rights {
        let email = format!("{}@example.com", role.as_str());
        account_with_password(&app, &email, &[(&app.site, role)], PASSWORD).await;
        let cookie = signed_in(&app, &email, PASSWORD).await;
        let get = |path: &str| with_session(&app, Method::GET, path, &cookie, Some("shop"));
        let seen = (
            status(get("/api/v1/dialogs")).await,
            status(get(report)).await,
            status(get("/api/v1/site")).await,
            status(get("/api/v1/site/members")).await,
        );
        assert_eq!(seen, (dialogs, reports, settings, settings), "{role:?}");
        let me: Value = get("/api/v1/me")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["role"], role.as_str());
    }
}

async fn cookie_requests_need_the_site_header_and_the_own_origin(backend: Backend) {
    let app = spawn_app(backend).await;
    account_with_password(
        &app,
        "ann@example.com",
        &[(&app.site, Role::Admin)],
        PASSWORD,
    )
    .await;
    let cookie = signed_in(&app, "ann@example.com", PASSWORD).await;
    let token = json!({"name": "script", "role": "operator"});
    let post = |site: Option<&str>| {
        with_session(&app, Method::POST, "/api/v1/tokens", &cookie, site).json(&token)
    };
    // Without the header a cross-site form could forge it: refused.
    assert_eq!(status(post(None)).await, 401);
    let other_origin = post(Some("shop")).header("origin", "https://evil.example");
    assert_eq!(status(other_origin).await, 403);
    let own = app.base.clone();
    assert_eq!(status(post(Some("shop")).header("origin", own)).await, 201);
    assert_eq!(status(post(Some("shop"))).await, 201);
    let out =
        |site: Option<&str>| with_session(&app, Method::DELETE, "/api/v1/session", &cookie, site);
    assert_eq!(status(out(None)).await, 403);
    assert_eq!(
        status(out(Some("shop")).header("origin", "null")).await,
        403
    );
    let sign_in_elsewhere = app
        .http
        .post(format!("{}/api/v1/session", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "ann@example.com", "password": PASSWORD}));
    assert_eq!(status(sign_in_elsewhere).await, 403);
    // Still signed in: nothing above ended the session.
    assert_eq!(
        status(with_session(
            &app,
            Method::GET,
            "/api/v1/session",
            &cookie,
            None
        ))
        .await,
        200
    );
}

async fn signing_out_everywhere_and_a_reset_end_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    account_with_password(
        &app,
        "op@example.com",
        &[(&app.site, Role::Operator)],
        PASSWORD,
    )
    .await;
    let (a, b) = (
        signed_in(&app, "op@example.com", PASSWORD).await,
        signed_in(&app, "op@example.com", PASSWORD).await,
    );
    assert_ne!(a, b);
    let alive = |c: &str| {
        status(with_session(
            &app,
            Method::GET,
            "/api/v1/me",
            c,
            Some("shop"),
        ))
    };
    assert_eq!((alive(&a).await, alive(&b).await), (200, 200));
    let all = with_session(
        &app,
        Method::DELETE,
        "/api/v1/session/all",
        &a,
        Some("shop"),
    );
    assert_eq!(status(all).await, 204);
    assert_eq!((alive(&a).await, alive(&b).await), (401, 401));

    let c = signed_in(&app, "op@example.com", PASSWORD).await;
    let reset = |email: &str| {
        app.http
            .post(format!("{}/api/v1/site/members/reset", app.base))
            .bearer_auth(&admin)
            .json(&json!({ "email": email }))
    };
    assert_eq!(status(reset("nobody@example.com")).await, 404);
    let answer: Value = reset("OP@example.com")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = answer["invite_link"].as_str().unwrap();
    assert!(
        link.starts_with("https://chatrail.example.com/dashboard/#invite=cri_"),
        "{link}"
    );
    assert_eq!(alive(&c).await, 401, "a reset ends the sessions");
    assert_eq!(
        sign_in(&app, "op@example.com", PASSWORD).await.status(),
        401,
        "and the old password"
    );
    let token = link.split("#invite=").nth(1).unwrap();
    let accept = |password: &str| {
        app.http
            .post(format!("{}/api/v1/invites/accept", app.base))
            .json(&json!({"token": token, "password": password}))
    };
    assert_eq!(status(accept("short")).await, 400);
    assert_eq!(status(accept("the new password")).await, 200);
    assert_eq!(status(accept("the new password")).await, 404, "used once");
    signed_in(&app, "op@example.com", "the new password").await;
}

async fn invites_are_single_use_expire_and_cannot_take_over_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let invite_as = |token: &str, email: &str, role: &str| {
        app.http
            .post(format!("{}/api/v1/site/members", app.base))
            .bearer_auth(token)
            .json(&json!({ "email": email, "role": role }))
    };
    let invite = |email: &str, role: &str| invite_as(&admin, email, role);
    let added = invite("new@example.com", "analyst").send().await.unwrap();
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["role"], "analyst");
    let token = chatrail_tests::accounts::invite_token(&added);
    assert_eq!(status(invite("not-an-email", "analyst")).await, 400);
    assert_eq!(status(invite("x@example.com", "owner")).await, 400);
    assert_eq!(
        status(invite_as(&app.token, "x@example.com", "analyst")).await,
        403
    );
    let accept = |token: &str| {
        app.http
            .post(format!("{}/api/v1/invites/accept", app.base))
            .json(&json!({"token": token, "password": PASSWORD}))
    };
    assert_eq!(status(accept(&token)).await, 200);
    assert_eq!(status(accept(&token)).await, 404);
    assert_eq!(status(accept("cri_made_up")).await, 404);
    let listed: Value = app
        .http
        .get(format!("{}/api/v1/site/members", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["members"][0]["email"], "new@example.com");
    assert_eq!(listed["members"][0]["active"], true);
    // An account with a password gets the role without a link.
    let again: Value = invite("NEW@example.com", "admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["invite_link"], Value::Null);

    // An expired link is refused.
    let email = Email::parse("late@example.com").unwrap();
    let (late, hash, _) = new_invite();
    app.store
        .add_member(&email, app.site.id, Role::Operator, (&hash, 1), None)
        .await
        .unwrap();
    assert_eq!(status(accept(&late)).await, 404);

    // Someone with a role on another site: this site's admin gets no link and no reset.
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let boss = Email::parse("boss@example.com").unwrap();
    let (_, hash, expires) = new_invite();
    app.store
        .add_member(&boss, other.id, Role::Admin, (&hash, expires), None)
        .await
        .unwrap();
    let added: Value = invite("boss@example.com", "operator")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        added["invite_link"],
        Value::Null,
        "no takeover of a pending account"
    );
    let reset = app
        .http
        .post(format!("{}/api/v1/site/members/reset", app.base))
        .bearer_auth(&admin)
        .json(&json!({"email": "boss@example.com"}));
    assert_eq!(status(reset).await, 403);
}

async fn sign_in_attempts_are_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.sign_in_attempts = 3).await;
    account_with_password(
        &app,
        "ann@example.com",
        &[(&app.site, Role::Admin)],
        PASSWORD,
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            sign_in(&app, "ann@example.com", "wrong password")
                .await
                .status(),
            401
        );
    }
    for password in ["wrong password", PASSWORD] {
        let refused = sign_in(&app, "ANN@example.com", password).await;
        assert_eq!(refused.status(), 429);
        let wait: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=300).contains(&wait), "{wait}");
        let body: Value = refused.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("sign-in attempts"),
            "{body}"
        );
    }
    // Another address is not held by ann's limit (the client's is 15).
    assert_eq!(
        sign_in(&app, "bob@example.com", PASSWORD).await.status(),
        401
    );
}

async fn plain_http_development_cookies_are_not_secure(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.insecure_cookies = true).await;
    account_with_password(
        &app,
        "dev@example.com",
        &[(&app.site, Role::Admin)],
        PASSWORD,
    )
    .await;
    let answer = sign_in(&app, "dev@example.com", PASSWORD).await;
    assert_eq!(answer.status(), 200);
    let set = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "{set}");
}
