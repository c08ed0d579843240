//! Links off the site (QR codes, e-mails, bio links): `GET /go/<site>/<number>` opens a session
//! server-side, the way the snippet would, and redirects to the chat with its code, with no
//! JavaScript.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::{format_id, ClickBeacon, VisitBeacon, MAX_SHORT_LEN, MAX_URL_LEN};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{chat_link, normalize_bot, render_message, LinkKind};
use chatrail_core::phone::normalize_number;
use url::Url;

use crate::domain::now_ms;
use crate::domain::site::Site;
use crate::domain::visit::{Click, Sender, Visit};
use crate::enrich::user_agent::Device;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::IngestEvent;

/// Longest prefilled text a `/go` link passes on: a greeting, not a payload to relay.
const MAX_PREFILL_CHARS: usize = 1000;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(go);
}

/// The chat a `/go` link names: a tracked number, or `@bot` for a tracked Telegram bot.
fn chat(site: &Site, raw: &str) -> Option<(LinkKind, String)> {
    if raw.starts_with('@') {
        let bot = normalize_bot(raw).filter(|b| site.bots.contains(b))?;
        return Some((LinkKind::Telegram, bot));
    }
    let number = normalize_number(raw).filter(|n| site.numbers.iter().any(|t| &t.number == n))?;
    Some((LinkKind::WaMe, number))
}

/// The URL as the visitor followed it: the landing page of the session, whose query carries
/// the UTM tags and click ids.
fn full_url(req: &HttpRequest) -> Option<Url> {
    let info = req.connection_info();
    Url::parse(&format!("{}://{}{}", info.scheme(), info.host(), req.uri())).ok()
}

/// `GET /go/<site>/<number>?utm_…&text=…` (or `/go/<site>/@<bot>`): a visit and a click
/// through the ingest path, then a `302` to `wa.me` (or `t.me`) with the session's code.
/// Link previews and crawlers are redirected without a session. A full ingest queue costs
/// the session, never the redirect.
#[utoipa::path(
    operation_id = "go_link",
    tag = "tracker",
    params(
        ("site" = String, Path, description = "Site key"),
        ("chat" = String, Path, description = "A tracked number (any notation) or `@bot`"),
        ("text" = Option<String>, Query, description = "Message to prefill; cut to its first 1,000 characters"),
        ("utm_source" = Option<String>, Query, description = "Kept on the session's landing page, like every other parameter (`utm_*`, click ids such as `gclid`)"),
        ("utm_medium" = Option<String>, Query),
        ("utm_campaign" = Option<String>, Query),
    ),
    responses(
        (status = 302, description = "To wa.me (or t.me) with the session's code", headers(("Location" = String))),
        (status = 400, description = "Unreadable URL"),
        (status = 404, description = "No such site or tracked number"),
        (status = 429, description = "Past the client's or the site's rate limit; `Retry-After` says when to try again"),
    )
)]
#[get("/go/{site}/{chat}")]
async fn go(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (key, raw_chat) = path.into_inner();
    let site = state
        .store
        .site_by_key(&key)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let (kind, number) = chat(&site, &raw_chat).ok_or(ApiError::NotFound("tracked number"))?;
    let peer = req.peer_addr().map(|a| a.ip());
    state
        .limits
        .take(state.proxies.client_ip(peer, req.headers()), site.id)?;
    let url = full_url(&req).ok_or_else(|| ApiError::bad_request("unreadable request URL"))?;
    let text = url
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
        .chars()
        .take(MAX_PREFILL_CHARS)
        .collect::<String>();
    let code = SessionCode::generate(rand::random::<u32>);
    let location = match kind {
        LinkKind::Telegram => format!("https://t.me/{number}?start={}", code.as_str()),
        _ => chat_link(&number, &render_message(&site.template, &text, &code))
            .ok_or(ApiError::NotFound("tracked number"))?,
    };

    let header_text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let user_agent = header_text(header::USER_AGENT);
    if Device::from_user_agent(user_agent).category.as_deref() != Some("crawler") {
        record(&state, &site, &req, url, kind, number, code, user_agent).await;
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish())
}

/// Stores the visit and the click of a `/go` session before the redirect, so the chat it
/// opens finds its session; failures are logged, not answered (the visitor still gets to
/// the chat).
#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    site: &Site,
    req: &HttpRequest,
    url: Url,
    kind: LinkKind,
    number: String,
    code: SessionCode,
    user_agent: &str,
) {
    let (visitor, session) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // The first language the visitor's browser asks for, as the snippet reports it.
    let language = header(header::ACCEPT_LANGUAGE).and_then(|l| {
        let first = l.split([',', ';']).next()?.trim().to_owned();
        (!first.is_empty() && first.len() <= MAX_SHORT_LEN && first != "*").then_some(first)
    });
    let page: String = url.as_str().chars().take(MAX_URL_LEN).collect();
    let visit = VisitBeacon {
        site: site.key.clone(),
        visitor: format_id(visitor.into_bytes()),
        session: format_id(session.into_bytes()),
        code: code.as_str().into(),
        url: page.clone(),
        referrer: header(header::REFERER).filter(|r| r.len() <= MAX_URL_LEN),
        language,
        ..VisitBeacon::default()
    };
    let click = ClickBeacon {
        site: visit.site.clone(),
        visitor: visit.visitor.clone(),
        session: visit.session.clone(),
        code: visit.code.clone(),
        page,
        number,
        kind: kind.as_str().into(),
        id: None,
        ..ClickBeacon::default()
    };
    let now = now_ms();
    let ip = state
        .proxies
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers());
    let client = state
        .clients
        .of(&*state.store, site.id, ip, user_agent, now)
        .await;
    // An unusable Referer is not worth losing the session over.
    let sender = Sender::user_agent(user_agent);
    let visit = Visit::parse(site, visit.clone(), sender, now).or_else(|_| {
        let visit = VisitBeacon {
            referrer: None,
            ..visit
        };
        Visit::parse(site, visit, sender, now)
    });
    let events = visit.and_then(|visit| {
        let click = Click::parse(site, click, now)?;
        Ok([
            IngestEvent::Visit(Box::new(Visit { client, ..visit })),
            IngestEvent::Click(Box::new(Click { client, ..click })),
        ])
    });
    match events {
        Ok(events) => {
            if let Err(e) = state.queue.store(events.into()).await {
                tracing::warn!(why = e.message(), "go link session not recorded");
            }
        }
        Err(e) => tracing::warn!(error = %e, "go link session refused"),
    }
}
