//! Conversions, for admin tokens: the site's destinations (Meta, GA4, webhooks), each one's
//! delivery log, a retry of one delivery and a test event. Credentials are written and never
//! shown back; a webhook's signing secret made up here is shown once, in the creation's
//! answer.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::privacy::admin_json;
use super::site::require_admin;
use crate::auth::Authenticated;
use crate::conversions::export::{file, Platform};
use crate::conversions::{DestinationPatch, NewDestination};
use crate::domain::outcome::{StageKind, Stages};
use crate::error::ApiError;
use crate::reports::time::Period;
use crate::reports::MAX_DAYS;
use crate::state::AppState;
use crate::storage::conversions::{Edited, ExportEvent};

/// A destination: settings, a secret and up to 30 event names.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(edit)
        .service(remove)
        .service(deliveries)
        .service(retry)
        .service(test)
        .service(export);
}

fn uuid(s: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::bad_request(format!("{what} must be a UUID")))
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "list_destinations",
    security(("token" = [])),
    responses(
        (status = 200, description = "The site's destinations, without their secrets", body = [crate::storage::conversions::DestinationView]),
        (status = 403, description = "Not an admin token"),
    )
)]
#[get("/conversions/destinations")]
async fn list(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let all = state.store.destinations(auth.0.site_id).await?;
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "create_destination",
    request_body = NewDestination,
    security(("token" = [])),
    responses(
        (status = 201, description = "Added; events from now on go to it. A webhook's made-up \
            signing secret is in `secret`, shown this once", body = crate::routes::schemas::CreatedDestination),
        (status = 400, description = "Invalid JSON, kind, endpoint, setting, secret or event, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 413, description = "Body over 16 KiB"),
    )
)]
#[post("/conversions/destinations")]
async fn create(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let new: NewDestination = admin_json(
        &auth,
        payload,
        MAX_BODY_BYTES,
        "destination",
        r#"{"kind": "webhook" | "meta" | "ga4" | "google_ads" | "yandex_metrica", "name": ..., "endpoint": optional, "settings": {...}, "secret": ..., "events": optional}"#,
    )
    .await?;
    let made_up = new.makes_up_secret();
    let d = new.check(auth.0.site_id.0).map_err(ApiError::bad_request)?;
    state.store.add_destination(&d).await?;
    Ok(HttpResponse::Created().json(d.as_created(made_up)))
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "update_destination",
    params(("id" = Uuid, Path, description = "Destination id")),
    request_body = DestinationPatch,
    security(("token" = [])),
    responses(
        (status = 200, description = "Changed: the destination as listed, without its secret. \
            Paused (`enabled: false`), it gets no new events and its pending deliveries wait \
            until it is enabled again (then expire if past its window)", body = crate::storage::conversions::DestinationView),
        (status = 400, description = "The id is not a UUID; invalid JSON, name, endpoint, \
            setting, secret or event, or another kind, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 404, description = "No such destination on the token's site"),
        (status = 413, description = "Body over 16 KiB"),
    )
)]
#[patch("/conversions/destinations/{id}")]
async fn edit(
    auth: Authenticated,
    id: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // The body first: one over the limit is a 413 whatever the path says.
    let patch: DestinationPatch = admin_json(
        &auth,
        payload,
        MAX_BODY_BYTES,
        "destination change",
        r#"{"name", "enabled", "endpoint", "settings", "secret", "events": each optional}"#,
    )
    .await?;
    let id = uuid(&id, "destination id")?;
    let site = auth.0.site_id;
    match state.store.update_destination(site, id, patch).await? {
        Edited::Done => {}
        Edited::NotFound => return Err(ApiError::NotFound("destination")),
        Edited::Refused(e) => return Err(ApiError::bad_request(e)),
    }
    let view = state.store.destinations(site).await?;
    let view = view.into_iter().find(|d| d.destination_id == id);
    Ok(HttpResponse::Ok().json(view.ok_or(ApiError::NotFound("destination"))?))
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "remove_destination",
    params(("id" = Uuid, Path, description = "Destination id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Removed, with its delivery log; events not yet sent to it never will be"),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "Not an admin token"),
        (status = 404, description = "No such destination on the token's site"),
    )
)]
#[delete("/conversions/destinations/{id}")]
async fn remove(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = uuid(&id, "destination id")?;
    if state.store.remove_destination(auth.0.site_id, id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("destination"))
    }
}

/// How many deliveries.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct LogParams {
    /// 1-500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "list_deliveries",
    params(("id" = Uuid, Path, description = "Destination id"), LogParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The destination's deliveries, newest first: state, attempts, the platform's last answer", body = [crate::storage::conversions::DeliveryView]),
        (status = 400, description = "The id is not a UUID, or the limit is out of 1-500"),
        (status = 403, description = "Not an admin token"),
        (status = 404, description = "No such destination on the token's site"),
    )
)]
#[get("/conversions/destinations/{id}/deliveries")]
async fn deliveries(
    auth: Authenticated,
    id: web::Path<String>,
    params: web::Query<LogParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = uuid(&id, "destination id")?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 500"));
    }
    let log = state
        .store
        .deliveries(auth.0.site_id, id, limit)
        .await?
        .ok_or(ApiError::NotFound("destination"))?;
    Ok(HttpResponse::Ok().json(log))
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "retry_delivery",
    params(
        ("id" = Uuid, Path, description = "Destination id"),
        ("event" = Uuid, Path, description = "Event id"),
    ),
    security(("token" = [])),
    responses(
        (status = 202, description = "Due now: the sender tries it within a second or so", body = crate::routes::schemas::QueuedEvent),
        (status = 400, description = "An id is not a UUID"),
        (status = 403, description = "Not an admin token"),
        (status = 404, description = "No such unsent delivery on the token's site (a sent one is never sent twice)"),
    )
)]
#[post("/conversions/destinations/{id}/deliveries/{event}/retry")]
async fn retry(
    auth: Authenticated,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = uuid(&path.0, "destination id")?;
    let event = uuid(&path.1, "event id")?;
    if state
        .store
        .retry_delivery(auth.0.site_id, id, event)
        .await?
    {
        Ok(HttpResponse::Accepted().json(serde_json::json!({"event_id": event})))
    } else {
        Err(ApiError::NotFound("unsent delivery"))
    }
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "send_test_event",
    params(("id" = Uuid, Path, description = "Destination id")),
    security(("token" = [])),
    responses(
        (status = 202, description = "Queued: a test event on the site's newest dialog, in the delivery log as `test`", body = crate::routes::schemas::QueuedEvent),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "Not an admin token"),
        (status = 404, description = "No such destination on the token's site"),
    )
)]
#[post("/conversions/destinations/{id}/test")]
async fn test(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = uuid(&id, "destination id")?;
    let event = state
        .store
        .send_test(auth.0.site_id, id)
        .await?
        .ok_or(ApiError::NotFound("destination"))?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"event_id": event})))
}

/// The period, the event and its name there.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    /// First day (`YYYY-MM-DD`, in the site's time zone).
    from: String,
    /// Last day, included (at most 1,098 days after `from`).
    to: String,
    /// `won` (default: won dialogs with their value), `started` (every dialog) or
    /// `stage:NAME` (dialogs that reached the site's stage NAME).
    event: Option<String>,
    /// The conversion action's name in Google Ads, or the goal's identifier in Metrica.
    #[param(min_length = 1, max_length = 100)]
    name: String,
}

#[utoipa::path(
    tag = "conversions",
    operation_id = "export_conversions",
    params(("platform" = String, Path, description = "`google-ads` or `yandex-metrica`"), ExportParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The platform's offline import file (CSV): Google Ads' \
            template with the site's time zone (dialogs with a gclid), or Metrica's offline \
            conversions (dialogs with a ClientID or yclid); visitors who denied advertising \
            consent are left out", content_type = "text/csv", body = String),
        (status = 400, description = "An unknown platform or event, a bad period or name, named in the error"),
        (status = 403, description = "Neither an analyst nor an admin token"),
        (status = 404, description = "The site has no such stage"),
    )
)]
#[get("/conversions/export/{platform}")]
async fn export(
    auth: Authenticated,
    platform: web::Path<String>,
    params: web::Query<ExportParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !auth.0.role.can_read_reports() {
        return Err(ApiError::Forbidden(
            "conversion files need an analyst or admin token",
        ));
    }
    let platform = Platform::parse(&platform)
        .ok_or_else(|| ApiError::bad_request("platform must be google-ads or yandex-metrica"))?;
    let p = params.into_inner();
    let day = |key: &str, v: &str| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request(format!("{key} must be a date YYYY-MM-DD, got {v:?}"))
        })
    };
    let period = Period {
        from: day("from", &p.from)?,
        to: day("to", &p.to)?,
    };
    if period.to < period.from || period.days() > MAX_DAYS {
        return Err(ApiError::bad_request(
            "to must be on or after from, at most 1,098 days later",
        ));
    }
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name must be 1-100 characters, none of them a control character",
        ));
    }
    let event = p.event.as_deref().unwrap_or("won");
    let stage = match event {
        "started" => None,
        "won" => Some(None),
        other => match other.strip_prefix("stage:") {
            Some(stage) if !stage.trim().is_empty() => Some(Some(stage)),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "event must be won, started or stage:NAME, got {other:?}"
                )))
            }
        },
    };
    let what = match stage {
        None => ExportEvent::Started,
        Some(name) => {
            let settings = state.store.outcome_settings(auth.0.site_id).await?;
            let stages = Stages::new(settings.stages).unwrap_or_else(|_| Stages::default_set());
            let found = match name {
                Some(name) => stages.find(name).ok().map(|(_, s)| s),
                None => stages.all().iter().find(|s| s.kind == StageKind::Won),
            };
            ExportEvent::Stage(found.ok_or(ApiError::NotFound("stage"))?.name.clone())
        }
    };
    let tz: chrono_tz::Tz = state
        .store
        .site_timezone(auth.0.site_id)
        .await?
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::Tz::UTC);
    let rows = state
        .store
        .export_rows(auth.0.site_id, &what, period.bounds_ms(tz))
        .await?;
    let body = file(platform, &rows, name, tz);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}_{}_{}.csv\"",
                platform.as_str(),
                period.from,
                period.to
            ),
        ))
        .body(body))
}
