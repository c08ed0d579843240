//! Accounts in the dashboard: people sign in with their e-mail and password as operator,
//! analyst and admin, each seeing what the role allows; an account with two sites switches
//! between them; signing out (and out everywhere) ends the sessions on the server; an
//! invite link opens the page that sets the password; an admin invites a person and removes
//! them again from Settings → People. Nothing scrolls sideways at 390 px.

use anyhow::{ensure, Context};
use chatrail_collector::domain::account::{new_invite, Email};
use chatrail_collector::domain::token::Role;
use chatrail_tests::accounts::{account_with_password, PASSWORD};
use chatrail_tests::app::{create_site, spawn_app, Backend, TestApp};
use chatrail_tests::browser::Browser;
use serde_json::Value;

use super::layout::OVERFLOW;
use super::{find, in_browser, js, screenshot, section_screenshot, settled, viewport, wait_for};

/// Sessions stored on the server.
async fn sessions(app: &TestApp) -> i64 {
    let (n,): (i64,) = app
        .db
        .fetch_all("SELECT COUNT(*) FROM account_sessions", Vec::new())
        .await
        .unwrap()
        .pop()
        .unwrap();
    n
}

/// Types `text` into the field `css`.
async fn type_in(browser: &Browser, css: &str, text: &str) -> anyhow::Result<()> {
    Ok(find(browser, css).await?.send_keys(text).await?)
}

/// Clicks `css`.
async fn click(browser: &Browser, css: &str) -> anyhow::Result<()> {
    Ok(find(browser, css).await?.click().await?)
}

async fn no_overflow(browser: &Browser, what: &str) -> anyhow::Result<()> {
    let overflow = js(browser, OVERFLOW).await?;
    ensure!(
        overflow == Value::Array(Vec::new()),
        "{what} at 390 px: {overflow}"
    );
    Ok(())
}

/// Signs in on the dashboard's form as `email`.
async fn password_sign_in(app: &TestApp, browser: &Browser, email: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/", app.base))
        .await?;
    settled(browser).await?;
    if js(browser, "!!document.getElementById('signout')").await? == Value::Bool(true) {
        click(browser, "#signout").await?;
        wait_for(browser, "!!document.getElementById('account-signin')").await?;
    }
    let field = find(browser, "#account-signin input[name=email]").await?;
    field.clear().await?;
    field.send_keys(email).await?;
    type_in(browser, "#account-signin input[name=password]", PASSWORD).await?;
    click(browser, "#account-signin button[type=submit]").await?;
    wait_for(browser, "!!document.getElementById('signout')").await?;
    settled(browser).await
}

async fn nav_text(browser: &Browser) -> anyhow::Result<String> {
    Ok(find(browser, "#nav").await?.text().await?)
}

async fn walk(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    // A wrong password is refused in place.
    browser
        .client
        .goto(&format!("{}/dashboard/", app.base))
        .await?;
    settled(browser).await?;
    viewport(browser, 390).await?;
    no_overflow(browser, "the sign-in page").await?;
    screenshot(browser, "phone-sign-in").await?;
    viewport(browser, 1366).await?;
    screenshot(browser, "sign-in").await?;
    type_in(
        browser,
        "#account-signin input[name=email]",
        "op@example.com",
    )
    .await?;
    type_in(
        browser,
        "#account-signin input[name=password]",
        "not the password",
    )
    .await?;
    click(browser, "#account-signin button[type=submit]").await?;
    let error = find(browser, "#account-signin .error")
        .await?
        .text()
        .await?;
    ensure!(error.contains("Wrong e-mail or password"), "{error}");

    // Each role sees its pages.
    let seen = [
        ("op@example.com", ["Dialogs"], ["Reports", "Settings"]),
        ("analyst@example.com", ["Reports"], ["Dialogs", "Settings"]),
    ];
    for (email, shown, hidden) in seen {
        password_sign_in(app, browser, email).await.context(email)?;
        let nav = nav_text(browser).await?;
        ensure!(shown.iter().all(|p| nav.contains(p)), "{email}: {nav}");
        ensure!(!hidden.iter().any(|p| nav.contains(p)), "{email}: {nav}");
        ensure!(
            js(browser, "!document.getElementById('site-switch')").await? == Value::Bool(true),
            "one site, no switcher"
        );
    }
    // The admin of the shop is an analyst of the other site.
    password_sign_in(app, browser, "admin@example.com").await?;
    let nav = nav_text(browser).await?;
    ensure!(
        ["Dialogs", "Reports", "Settings"]
            .iter()
            .all(|p| nav.contains(p)),
        "{nav}"
    );
    browser
        .client
        .goto(&format!("{}/dashboard/#/settings", app.base))
        .await?;
    settled(browser).await?;
    find(browser, "#script-tag").await?;
    // The People section: the members, and an invite whose link is shown once.
    let people = find(browser, "#members").await?.text().await?;
    ensure!(
        people.contains("op@example.com") && people.contains("analyst@example.com"),
        "{people}"
    );
    type_in(browser, "#new-member input[name=email]", "new@example.com").await?;
    click(browser, "#new-member button[type=submit]").await?;
    wait_for(browser, "!!document.getElementById('member-link')").await?;
    let link = js(
        browser,
        "document.getElementById('member-link').textContent",
    )
    .await?;
    ensure!(
        link.as_str().is_some_and(|l| l.contains("#invite=cri_")),
        "{link}"
    );
    wait_for(
        browser,
        "document.getElementById('members').textContent.includes('new@example.com')",
    )
    .await?;
    section_screenshot(browser, "members", "people").await?;
    viewport(browser, 390).await?;
    no_overflow(browser, "the People section").await?;
    section_screenshot(browser, "members", "phone-people").await?;
    viewport(browser, 1366).await?;
    // Removed after a confirmation naming them: off the list, and off the site's members.
    js(
        browser,
        "(window.confirm = (m) => { window.__asked = m; return true; }) && true",
    )
    .await?;
    click(browser, "#members [data-remove='new@example.com']").await?;
    wait_for(
        browser,
        "!document.querySelector('#members tbody').textContent.includes('new@example.com')",
    )
    .await?;
    let asked = js(browser, "window.__asked").await?;
    ensure!(
        asked
            .as_str()
            .is_some_and(|m| m.contains("new@example.com")),
        "{asked}"
    );
    let members = app.store.members(app.site.id).await?;
    ensure!(
        !members.iter().any(|m| m.email == "new@example.com"),
        "{members:?}"
    );
    let options = js(
        browser,
        "[...document.querySelectorAll('#site-switch option')].map(o => o.value)",
    )
    .await?;
    ensure!(options == serde_json::json!(["other", "shop"]), "{options}");
    viewport(browser, 390).await?;
    no_overflow(browser, "the settings with the site switcher").await?;
    screenshot(browser, "account-switcher-390").await?;
    viewport(browser, 1366).await?;
    js(
        browser,
        "(() => { const s = document.getElementById('site-switch'); s.value = 'other'; \
         s.dispatchEvent(new Event('change')); return true; })()",
    )
    .await?;
    wait_for(
        browser,
        "!document.querySelector('#nav a[href=\"#/settings\"]') && location.hash === '#/'",
    )
    .await?;
    settled(browser).await?;
    let nav = nav_text(browser).await?;
    ensure!(
        nav.contains("Reports") && !nav.contains("Settings"),
        "an analyst on the other site: {nav}"
    );
    let chosen = js(browser, "localStorage.getItem('chatrail.site')").await?;
    ensure!(chosen == "other", "{chosen}");
    // A reload keeps the session (the HttpOnly cookie) and the chosen site.
    browser.client.refresh().await?;
    wait_for(browser, "!!document.getElementById('signout')").await?;
    settled(browser).await?;
    let shown = js(browser, "document.getElementById('site-switch').value").await?;
    ensure!(shown == "other", "{shown}");
    ensure!(
        js(browser, "document.cookie.includes('chatrail_session')").await? == Value::Bool(false),
        "the session cookie is out of the page's reach"
    );

    // Signing out ends the session on the server; out everywhere ends them all.
    click(browser, "#signout").await?;
    wait_for(browser, "!!document.getElementById('account-signin')").await?;
    ensure!(
        sessions(app).await == 0,
        "signed out, yet a session is stored"
    );
    password_sign_in(app, browser, "admin@example.com").await?;
    let elsewhere = chatrail_tests::accounts::signed_in(app, "admin@example.com", PASSWORD).await;
    ensure!(!elsewhere.is_empty() && sessions(app).await == 2);
    click(browser, "#signout-all").await?;
    wait_for(browser, "!!document.getElementById('account-signin')").await?;
    ensure!(
        sessions(app).await == 0,
        "signed out everywhere, yet a session is stored"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_with_a_password_as_each_role_and_switch_sites() {
    let app = spawn_app(Backend::Sqlite).await;
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    account_with_password(
        &app,
        "op@example.com",
        &[(&app.site, Role::Operator)],
        PASSWORD,
    )
    .await;
    account_with_password(
        &app,
        "analyst@example.com",
        &[(&app.site, Role::Analyst)],
        PASSWORD,
    )
    .await;
    let both = [(&app.site, Role::Admin), (&other, Role::Analyst)];
    account_with_password(&app, "admin@example.com", &both, PASSWORD).await;
    let (result, errors) = in_browser(async |browser| walk(&app, browser).await).await;
    result.expect("accounts in the dashboard");
    // The one refusal provoked on purpose: the wrong password.
    let unexpected: Vec<String> = errors
        .into_iter()
        .filter(|e| !(e.contains("/api/v1/session") && e.contains("401")))
        .collect();
    assert_eq!(unexpected, Vec::<String>::new());
}

async fn invited(app: &TestApp, browser: &Browser, token: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/#invite={token}", app.base))
        .await?;
    viewport(browser, 390).await?;
    find(browser, "#invite").await?;
    no_overflow(browser, "the invite page").await?;
    screenshot(browser, "account-invite-390").await?;
    type_in(browser, "#invite input[name=new-password]", PASSWORD).await?;
    type_in(
        browser,
        "#invite input[name=repeat-password]",
        "something else entirely",
    )
    .await?;
    click(browser, "#invite button[type=submit]").await?;
    let error = find(browser, "#invite .error").await?.text().await?;
    ensure!(error.contains("differ"), "{error}");
    let repeat = find(browser, "#invite input[name=repeat-password]").await?;
    repeat.clear().await?;
    repeat.send_keys(PASSWORD).await?;
    click(browser, "#invite button[type=submit]").await?;
    wait_for(browser, "!!document.getElementById('account-signin')").await?;
    let email = js(
        browser,
        "document.querySelector('#account-signin input[name=email]').value",
    )
    .await?;
    ensure!(email == "new@example.com", "{email}");
    ensure!(
        js(browser, "location.hash === ''").await? == Value::Bool(true),
        "the used link leaves the address"
    );
    type_in(browser, "#account-signin input[name=password]", PASSWORD).await?;
    click(browser, "#account-signin button[type=submit]").await?;
    wait_for(browser, "!!document.getElementById('signout')").await?;
    settled(browser).await?;
    no_overflow(browser, "the dialogs of a new operator").await?;
    let nav = nav_text(browser).await?;
    ensure!(
        nav.contains("Dialogs") && !nav.contains("Settings"),
        "{nav}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_link_opens_the_page_that_sets_the_password() {
    let app = spawn_app(Backend::Sqlite).await;
    let (token, hash, expires) = new_invite();
    app.store
        .add_member(
            &Email::parse("new@example.com").unwrap(),
            app.site.id,
            Role::Operator,
            (&hash, expires),
            None,
        )
        .await
        .unwrap();
    let (result, errors) = in_browser(async |browser| invited(&app, browser, &token).await).await;
    result.expect("an invite in the dashboard");
    assert_eq!(errors, Vec::<String>::new());
}
