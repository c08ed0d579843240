//! The demo site (`chatrail demo` only): a page with tracked links and a way to simulate the
//! inbound WhatsApp message, so a newcomer sees a source card without a WhatsApp account.
//! The simulated message is signed and goes through the real webhook code path.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::site::{NewSite, Site, SiteInput};
use crate::error::ApiError;
use crate::providers::signature::hub_signature;
use crate::routes::webhooks::whatsapp;
use crate::state::AppState;
use crate::storage::{DialogListQuery, Store};

/// Key of the demo site.
pub const SITE_KEY: &str = "demo";
const SALES: &str = "447700900123";
const SUPPORT_UNTRACKED: &str = "447700900999";
const APP_SECRET: &str = "demo-app-secret";
const PHONE_NUMBER_ID: &str = "100000000000001";

/// Registers the demo routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page)
        .service(simulate)
        .service(dialogs)
        .service(card);
}

/// Creates the demo site unless it exists.
pub async fn ensure_site(store: &dyn Store) -> anyhow::Result<Site> {
    if let Some(site) = store.site_by_key(SITE_KEY).await? {
        return Ok(Site::clone(&site));
    }
    let site = NewSite::parse(SiteInput {
        key: SITE_KEY.into(),
        name: Some("Demo photo studio".into()),
        domains: vec!["127.0.0.1".into(), "localhost".into()],
        numbers: vec![format!("+{SALES}={PHONE_NUMBER_ID}")],
        wa_app_secret: Some(APP_SECRET.into()),
        wa_verify_token: Some("demo-verify-token".into()),
        ..SiteInput::default()
    })?;
    Ok(store.create_site(&site).await?)
}

fn layout(title: &str, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml";
                title { (title) " · chatrail demo" }
                style { (PreEscaped("body{font:16px system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}\
                    a.wa{display:inline-block;margin:.3rem 0;padding:.5rem .9rem;border-radius:6px;background:#1a7f37;color:#fff;text-decoration:none}\
                    a.wa.untracked{background:#5f6368}table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
                    textarea,input{width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}\
                    .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(22rem,100%),1fr));gap:1rem}\
                    .facts{border:1px solid #ddd;border-radius:8px;padding:.6rem 1rem}.facts h2{font-size:1rem;margin:0 0 .5rem}\
                    .facts dl{display:grid;grid-template-columns:minmax(7em,40%) minmax(0,1fr);gap:.25rem .75rem;margin:0}\
                    .facts dt{color:#555}.facts dd{margin:0;overflow-wrap:anywhere}\
                    .first-message{margin:0 0 1rem;padding:.6rem 1rem;border-left:4px solid #2563eb;background:#f6f7f9;white-space:pre-wrap;overflow-wrap:anywhere}\
                    .badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.8rem;background:#e5e7eb}\
                    .badge.exact,.badge.new{background:#dcfce7;color:#166534}.badge.probable{background:#fef3c7;color:#92400e}\
                    .badge.none{background:#fee2e2;color:#991b1b}.badge.repeat{background:#ede9fe;color:#5b21b6}\
                    .next{margin-top:1.5rem;padding:.8rem 1rem;background:#eff6ff;border-radius:8px}"))
                }
            }
            body { main { (body) } }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

#[get("/demo")]
async fn page() -> HttpResponse {
    layout(
        "Photo studio",
        html! {
            script async src="/t.js" data-site=(SITE_KEY) {}
            h1 { "Demo photo studio" }
            p { "This page carries the chatrail script tag. The green links go to the tracked sales number; "
                "the snippet adds this session's code to their prefilled message. The grey one is not tracked." }
            p {
                a.wa href={"https://wa.me/" (SALES) "?text=How%20much%20is%20a%20kids%20photo%20shoot%3F"} { "Ask sales on WhatsApp" } " "
                a.wa href={"https://api.whatsapp.com/send?phone=" (SALES)} { "Sales (api.whatsapp.com link)" } " "
                a.wa.untracked href={"https://wa.me/" (SUPPORT_UNTRACKED)} { "Support (not tracked)" }
            }
            h2 { "Simulate the customer's WhatsApp message" }
            p { "Clicking a link above fills the message below instead of opening WhatsApp. "
                "Sending it posts a signed WhatsApp Cloud API webhook through the real pipeline." }
            form method="post" action="/demo/simulate" {
                label { "Message" textarea name="text" rows="3" required {} }
                label { "Customer phone" input name="phone" value="5511987654321" required; }
                label { "Customer name" input name="name" value="Ana Souza"; }
                button type="submit" { "Send as an inbound WhatsApp message" }
            }
            p { a href="/demo/dialogs" { "All demo dialogs" } }
            script { (PreEscaped(r#"document.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a.wa');if(!a)return;e.preventDefault();try{var t=new URL(a.href).searchParams.get('text');document.querySelector('textarea[name=text]').value=t||'';}catch(_){}});"#)) }
        },
    )
}

#[derive(Debug, Deserialize)]
struct Simulated {
    text: String,
    phone: String,
    name: Option<String>,
}

#[post("/demo/simulate")]
async fn simulate(
    form: web::Form<Simulated>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "demo-waba", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": SALES, "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": form.name}, "wa_id": form.phone}],
            "messages": [{
                "from": form.phone,
                "id": format!("wamid.demo-{}", Uuid::new_v4()),
                "timestamp": (crate::domain::now_ms() / 1000).to_string(),
                "type": "text",
                "text": {"body": form.text},
            }],
        }}]}],
    })
    .to_string();
    let signature = hub_signature(APP_SECRET.as_bytes(), body.as_bytes());
    let report = whatsapp::receive(&state, body.as_bytes(), Some(&signature)).await?;
    let target = match report.dialogs.first() {
        Some(id) => format!("/demo/dialogs/{id}"),
        None => "/demo/dialogs".to_owned(),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish())
}

async fn demo_site(state: &AppState) -> Result<Arc<Site>, ApiError> {
    state
        .store
        .site_by_key(SITE_KEY)
        .await?
        .ok_or(ApiError::NotFound("demo site"))
}

#[get("/demo/dialogs")]
async fn dialogs(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let site = demo_site(&state).await?;
    let query = DialogListQuery {
        limit: 100,
        ..Default::default()
    };
    let list = state.store.list_dialogs(site.id, &query).await?;
    Ok(layout(
        "Dialogs",
        html! {
            h1 { "Dialogs" }
            p { a href="/demo" { "Back to the demo page" } }
            table {
                tr { th { "Started" } th { "Contact" } th { "Kind" } th { "Match" } th { "Channel" } th { "First message" } }
                @for d in &list {
                    @let started = serde_json::to_value(d).ok().and_then(|v| v["started_at"].as_str().map(String::from)).unwrap_or_default();
                    tr {
                        td { a href={"/demo/dialogs/" (d.dialog_id)} { (started) } }
                        td { (d.contact_name.as_deref().unwrap_or("")) " " (d.contact_phone.as_deref().unwrap_or("")) }
                        td { (d.kind) } td { (d.match_kind) }
                        td { (d.channel.as_deref().unwrap_or("")) }
                        td { (d.first_message.as_deref().unwrap_or("")) }
                    }
                }
            }
        },
    ))
}

/// The text at `path` (`"session.channel"`) in the card's JSON, if it is a non-empty value.
fn text(json: &Value, path: &str) -> Option<String> {
    let value = path.split('.').try_fold(json, |v, key| v.get(key))?;
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        // Times (`…_at`) in RFC 3339, as people read them.
        Value::String(s) if path.ends_with("_at") => {
            Some(chrono::DateTime::parse_from_rfc3339(s).map_or_else(
                |_| s.clone(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ))
        }
        // Phone numbers are stored as digits.
        Value::String(s)
            if (path.ends_with("phone") || path == "business_number")
                && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("+{s}"))
        }
        Value::String(s) => Some(s.clone()),
        Value::Object(map) if map.is_empty() => None,
        Value::Object(map) => Some(
            map.iter()
                .map(|(k, v)| {
                    format!(
                        "{k} {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => Some(other.to_string()),
    }
}

/// One section of the json: a title and label → value pairs (a dash for a missing value).
/// maud escapes every value: they come from visitors and chats.
fn facts(id: &str, title: &str, json: &Value, pairs: &[(&str, &str)]) -> Markup {
    html! {
        section.facts id=(id) {
            h2 { (title) }
            dl {
                @for (label, path) in pairs {
                    dt { (label) }
                    dd { (text(json, path).unwrap_or_else(|| "—".to_owned())) }
                }
            }
        }
    }
}

/// The source json as the dashboard shows it: who wrote, how the chat was matched, where
/// the visitor came from, and on what device.
fn source_card(json: &Value) -> Markup {
    let contact = text(json, "contact.name")
        .or_else(|| text(json, "contact.phone"))
        .unwrap_or_else(|| "Unknown contact".to_owned());
    let kind = text(json, "kind").unwrap_or_default();
    let matched = text(json, "match.kind").unwrap_or_default();
    html! {
        article #card {
            h1 { (contact) " " span.badge.(kind) { (kind) } }
            blockquote.first-message { (text(json, "first_message").unwrap_or_default()) }
            p.match { "Matched: " span.badge.(matched) #match-kind { (matched) }
                @if let Some(code) = text(json, "match.code") { " by the session code " code { (code) } } }
            div.grid {
                (facts("contact", "Contact", json, &[
                    ("Name", "contact.name"), ("Phone", "contact.phone"),
                    ("Messenger", "contact.channel"), ("Contact type", "kind"),
                ]))
                (facts("dialog", "Dialog", json, &[
                    ("First message", "started_at"), ("Number written to", "business_number"),
                    ("Match", "match.kind"), ("Session code", "match.code"),
                    ("Page of contact", "page_of_contact"), ("Link clicked", "clicked_at"),
                ]))
                (facts("session", "Source of this visit", json, &[
                    ("Channel", "session.channel"), ("Source", "session.source"),
                    ("Medium", "session.utm_medium"), ("Campaign", "session.utm_campaign"),
                    ("Referrer", "session.referrer"), ("Landing page", "session.landing_page"),
                    ("Click ids", "session.click_ids"), ("Pages viewed", "session.pageviews"),
                ]))
                (facts("device", "Device and region", json, &[
                    ("OS", "session.os"), ("Browser", "session.browser"),
                    ("Device", "session.device"), ("Language", "session.language"),
                    ("Time zone", "session.timezone"), ("Country", "session.country"),
                ]))
            }
        }
    }
}

#[get("/demo/dialogs/{id}")]
async fn card(id: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let site = demo_site(&state).await?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::bad_request("dialog id must be a UUID"))?;
    let card = state
        .store
        .source_card(site.id, id)
        .await?
        .ok_or(ApiError::NotFound("dialog"))?;
    let value = serde_json::to_value(&card).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(layout(
        "Source card",
        html! {
            p.nav { a href="/demo" { "Demo page" } " · " a href="/demo/dialogs" { "All dialogs" } }
            @if text(&value, "match.kind").as_deref() == Some("none") {
                p.lead { "The message you sent arrived by the WhatsApp webhook, but no visit was found for "
                    "it: click a green link on the demo page first, in this browser, and send the message "
                    "it fills in. Its source card:" }
            } @else {
                p.lead { "The message you sent arrived by the WhatsApp webhook and was joined to your "
                    "visit. This is its source card:" }
            }
            (source_card(&value))
            p.next {
                a #open-dashboard href={"/dashboard/#/dialogs/" (id)} { "Open this card in the dashboard" }
                " (sign in with the API token the demo printed), with the reports of the demo site's "
                "three months of traffic."
            }
        },
    ))
}
