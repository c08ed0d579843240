//! `GET` and `PUT /api/v1/site`: the token's site settings (admin tokens only): name, time
//! zone, own domains, tracked numbers, message template, starter phrases per page, Telegram
//! bots and channel rules — plus the script tag and webhook URLs to copy. The site key and
//! provider secrets are set with the CLI and never shown.

use actix_web::{get, put, web, HttpRequest, HttpResponse};
use chatrail_core::beacon::PageRule;
use serde::Deserialize;

use crate::auth::Authenticated;
use crate::domain::site::{NewSite, Site, SiteInput};
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;

/// Settings are a few kilobytes; a megabyte of page rules is a mistake.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(update);
}

/// A display name as typed (a site's, a token's): at most 100 characters, not blank, no
/// control characters (the description's pattern says the same); the name trimmed.
pub(super) fn display_name(raw: &str) -> Result<&str, ApiError> {
    let name = raw.trim();
    if name.is_empty() || raw.chars().count() > 100 || raw.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name must be 1-100 characters, without control characters",
        ));
    }
    Ok(name)
}

pub(super) fn require_admin(auth: &Authenticated) -> Result<(), ApiError> {
    if auth.0.role.can_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only admin tokens can see or change site settings",
        ))
    }
}

/// The new settings: every field, as `GET` shows them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SettingsBody {
    name: String,
    timezone: String,
    domains: Vec<String>,
    numbers: Vec<NumberBody>,
    template: String,
    #[serde(default)]
    pages: Vec<PageRule>,
    #[serde(default)]
    bots: Vec<String>,
    #[serde(default)]
    channel_rules: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NumberBody {
    number: String,
    #[serde(default)]
    wa_phone_number_id: Option<String>,
}

impl SettingsBody {
    /// Validates the settings with the same rules as `chatrail site create`.
    fn parse(self, key: &str) -> Result<(NewSite, chrono_tz::Tz), ApiError> {
        let name = display_name(&self.name)?;
        let timezone: chrono_tz::Tz = self.timezone.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "unknown time zone {:?} (IANA names, e.g. Europe/Berlin)",
                self.timezone
            ))
        })?;
        let numbers = self
            .numbers
            .into_iter()
            .map(
                |n| match n.wa_phone_number_id.filter(|id| !id.trim().is_empty()) {
                    Some(id) => format!("{}={}", n.number, id.trim()),
                    None => n.number,
                },
            )
            .collect();
        let mut pages = Vec::new();
        let mut page_templates = Vec::new();
        for rule in self.pages {
            if !rule.text.is_empty() {
                pages.push(format!("{}={}", rule.path, rule.text));
            }
            if let Some(template) = rule.template.filter(|t| !t.is_empty()) {
                page_templates.push(format!("{}={}", rule.path, template));
            }
        }
        let site = NewSite::parse(SiteInput {
            key: key.to_owned(),
            name: Some(name.to_owned()),
            domains: self.domains,
            numbers,
            template: Some(self.template),
            bots: self.bots,
            pages,
            page_templates,
            channel_rules: self.channel_rules,
            ..SiteInput::default()
        })
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = site.numbers.iter().find(|n| !seen.insert(&n.number)) {
            return Err(ApiError::bad_request(format!(
                "number {} is listed twice",
                dup.number
            )));
        }
        Ok((site, timezone))
    }
}

/// Where this collector is reached: `CHATRAIL_PUBLIC_URL`, else the request's own host.
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    match &state.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

fn view(site: &Site, timezone: &str, base: &str) -> serde_json::Value {
    let mut webhooks = serde_json::json!({
        "whatsapp": format!("{base}/webhooks/whatsapp"),
        "twilio": format!("{base}/webhooks/twilio"),
    });
    if site.providers.telegram_bot.is_some() {
        webhooks["telegram"] = format!("{base}/webhooks/telegram/{}", site.key).into();
    }
    serde_json::json!({
        "key": site.key,
        "name": site.name,
        "timezone": timezone,
        "domains": site.domains,
        "numbers": site.numbers,
        "template": site.template,
        "pages": site.pages,
        "bots": site.bots,
        "channel_rules": site.channel_rules.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "script_tag": format!(
            "<script async src=\"{base}/t.js\" data-site=\"{}\"></script>",
            site.key
        ),
        "webhooks": webhooks,
    })
}

/// The token's site and its time zone.
pub(super) async fn load(
    state: &AppState,
    auth: &Authenticated,
) -> Result<(Site, String), ApiError> {
    let site = state
        .store
        .site_by_id(auth.0.site_id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let timezone = state
        .store
        .site_timezone(site.id)
        .await?
        .unwrap_or_else(|| "UTC".into());
    Ok((site, timezone))
}

#[utoipa::path(
    tag = "site",
    operation_id = "show_site",
    security(("token" = [])),
    responses(
        (status = 200, description = "The site's settings", body = crate::routes::schemas::SiteSettings),
        (status = 403, description = "Not an admin token"),
    )
)]
#[get("/site")]
async fn show(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let (site, timezone) = load(&state, &auth).await?;
    Ok(HttpResponse::Ok().json(view(&site, &timezone, &base_url(&req, &state))))
}

#[utoipa::path(
    tag = "site",
    operation_id = "update_site",
    request_body = SettingsBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Saved; the new settings", body = crate::routes::schemas::SiteSettings),
        (status = 400, description = "Invalid JSON or setting, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 409, description = "A tracked number or phone number id belongs to another site (each has one owner); nothing was changed"),
        (status = 413, description = "Body over 256 KiB"),
    )
)]
#[put("/site")]
async fn update(
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let body: SettingsBody = parse_json(&body, "settings")?;
    let (current, _) = load(&state, &auth).await?;
    let (settings, timezone) = body.parse(&current.key)?;
    if !state.store.update_site(current.id, &settings).await? {
        return Err(ApiError::NotFound("site"));
    }
    state
        .store
        .set_site_timezone(current.id, timezone.name())
        .await?;
    let (site, timezone) = load(&state, &auth).await?;
    Ok(HttpResponse::Ok().json(view(&site, &timezone, &base_url(&req, &state))))
}
