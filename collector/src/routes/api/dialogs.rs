//! Dialogs and their source cards.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::names::UnknownName;
use crate::domain::outcome::{format_amount, Stages};
use crate::domain::tag::Tag;
use crate::error::ApiError;
use crate::reports::query::{Key, ROW_KEYS};
use crate::reports::time::Period;
use crate::reports::Table;
use crate::state::AppState;
use crate::storage::{DialogCursor, DialogFilters, DialogListQuery, StageFilter};
use chatrail_core::phone::normalize_number;
use chrono::NaiveDate;
use chrono_tz::Tz;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(card);
}

fn require_dialogs(auth: &Authenticated) -> Result<(), ApiError> {
    if auth.0.role.can_read_dialogs() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this token's role cannot read dialogs"))
    }
}

/// Query of the dialogs list; unknown parameters are refused so a misspelt filter is reported
/// instead of silently showing everything.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Page size, 1–500 (default 50).
    limit: Option<i64>,
    /// Keyset cursor: `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Search: contact names containing it (any case), or phones containing its digits
    /// (three or more).
    q: Option<String>,
    /// Channel (the session's, or `Click-to-WhatsApp` for an ad chat without one).
    channel: Option<String>,
    /// Match kind: `exact`, `referral`, `probable` or `none`.
    #[serde(rename = "match")]
    #[param(rename = "match")]
    match_kind: Option<String>,
    /// `new` or `repeat`.
    kind: Option<String>,
    /// Operator tag.
    tag: Option<String>,
    /// Stage, one of the site's (`GET /site/outcomes`), any case; the first stage also
    /// lists the dialogs never moved.
    stage: Option<String>,
    /// Tracked number written to, any notation.
    number: Option<String>,
    /// First day (`YYYY-MM-DD`, in the site's time zone) of the dialogs' start; with `to`
    /// (empty: any).
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Last day (`YYYY-MM-DD`, in the site's time zone) of the dialogs' start; with `from`.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
    /// `utm_campaign` of the dialog's source (report rows' `campaign`).
    campaign: Option<String>,
    /// The ad: `utm_content`, or `headline (ad id)` for a Click-to-WhatsApp ad.
    ad: Option<String>,
    /// `utm_term`.
    keyword: Option<String>,
    /// Landing page, as the reports name it (e.g. `/kids`).
    landing_page: Option<String>,
    /// Page of contact, as the reports name it.
    page: Option<String>,
    /// Country (ISO code).
    country: Option<String>,
    /// Region.
    region: Option<String>,
    /// Device type.
    device: Option<String>,
    /// Operating system.
    os: Option<String>,
    /// Browser.
    browser: Option<String>,
    /// Comma-separated key columns the dialog must have no value in (a report row's empty
    /// key: `missing=channel` lists the dialogs of "no source known"); among `channel`,
    /// `campaign`, `ad`, `keyword`, `landing_page`, `page`, `country`, `region`, `device`,
    /// `os`, `browser`.
    missing: Option<String>,
    /// `csv`: every dialog matching the filters (newest first, up to 100,000) as a CSV
    /// download, as does `Accept: text/csv`; `json` (the default): one page.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// Most dialogs one CSV export holds.
const CSV_MAX: usize = 100_000;

impl ListParams {
    /// The attribution keys the dialogs must have (see [`DialogFilters::keys`]).
    fn keys(&mut self) -> Result<Vec<(Key, Option<String>)>, ApiError> {
        let mut keys = Vec::new();
        let given = [
            ("campaign", self.campaign.take()),
            ("ad", self.ad.take()),
            ("keyword", self.keyword.take()),
            ("landing_page", self.landing_page.take()),
            ("page", self.page.take()),
            ("country", self.country.take()),
            ("region", self.region.take()),
            ("device", self.device.take()),
            ("os", self.os.take()),
            ("browser", self.browser.take()),
        ];
        for (name, value) in given {
            if let (Some(key), Some(v)) = (Key::of_report_column(name), value) {
                if !v.is_empty() {
                    keys.push((key, Some(v)));
                }
            }
        }
        for name in self.missing.take().iter().flat_map(|m| m.split(',')) {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let key = Key::of_report_column(name).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "missing must list key columns among {}",
                    ROW_KEYS.map(|(n, _)| n).join(", ")
                ))
            })?;
            if keys.iter().any(|(k, _)| *k == key)
                || (key == Key::Channel && self.channel.as_deref().is_some_and(|c| !c.is_empty()))
            {
                return Err(ApiError::bad_request(format!(
                    "{name} is both given and missing"
                )));
            }
            keys.push((key, None));
        }
        Ok(keys)
    }

    /// The dialogs' start range from `from` and `to`, local days of `tz`.
    fn started(&self, tz: Tz) -> Result<Option<(i64, i64)>, ApiError> {
        let date = |name: &str, v: &Option<String>| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                        ApiError::bad_request(format!("{name} must be a date YYYY-MM-DD"))
                    })
                })
                .transpose()
        };
        match (date("from", &self.from)?, date("to", &self.to)?) {
            (None, None) => Ok(None),
            (Some(from), Some(to)) if from <= to => Ok(Some(Period { from, to }.bounds_ms(tz))),
            (Some(_), Some(_)) => Err(ApiError::bad_request("to is before from")),
            _ => Err(ApiError::bad_request("from and to go together")),
        }
    }

    fn into_query(mut self, tz: Tz, stages: &Option<Stages>) -> Result<DialogListQuery, ApiError> {
        let keys = self.keys()?;
        let stage = match (self.stage.take().filter(|s| !s.trim().is_empty()), stages) {
            (Some(name), Some(stages)) => {
                if name.chars().count() > 100 {
                    return Err(ApiError::bad_request(
                        "stage must be at most 100 characters",
                    ));
                }
                let (at, stage) = stages
                    .find(&name)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Some(StageFilter {
                    name: stage.name.clone(),
                    initial: at == 0,
                })
            }
            _ => None,
        };
        let started = self.started(tz)?;
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_request("limit must be between 1 and 500"));
        }
        let after = self
            .cursor
            .map(|c| {
                c.parse()
                    .map_err(|()| ApiError::bad_request("cursor must be a next_cursor value"))
            })
            .transpose()?;
        fn one_of<K>(
            value: Option<String>,
            name: &str,
            parse: fn(&str) -> Result<K, UnknownName>,
            allowed: &[&str],
        ) -> Result<Option<K>, ApiError> {
            value
                .filter(|v| !v.is_empty())
                .map(|v| {
                    parse(&v).map_err(|_| {
                        ApiError::bad_request(format!(
                            "{name} must be one of {}",
                            allowed.join(", ")
                        ))
                    })
                })
                .transpose()
        }
        let mut filters = DialogFilters {
            match_kind: one_of(
                self.match_kind,
                "match",
                MatchKind::parse,
                &MatchKind::ALL.map(MatchKind::as_str),
            )?,
            kind: one_of(
                self.kind,
                "kind",
                DialogKind::parse,
                &DialogKind::ALL.map(DialogKind::as_str),
            )?,
            channel: self.channel.filter(|v| !v.is_empty()),
            tag: self
                .tag
                .filter(|v| !v.is_empty())
                .map(|t| Tag::parse(&t).map(|t| t.as_str().to_owned()))
                .transpose()
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
            number: self
                .number
                .filter(|v| !v.is_empty())
                .map(|n| {
                    normalize_number(&n)
                        .ok_or_else(|| ApiError::bad_request("number must be a phone number"))
                })
                .transpose()?,
            keys,
            started,
            stage,
            ..DialogFilters::default()
        };
        if let Some(q) = &self.q {
            if q.chars().count() > 100 {
                return Err(ApiError::bad_request("q must be at most 100 characters"));
            }
            filters.search(q);
        }
        Ok(DialogListQuery {
            after,
            limit,
            filters,
        })
    }
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "list_dialogs",
    params(ListParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "Newest first; with `format=csv` or `Accept: text/csv`, every matching dialog as CSV", content(
            (crate::routes::schemas::DialogList = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad or unknown parameter, named"),
        (status = 403, description = "The role cannot read dialogs"),
    )
)]
#[get("/dialogs")]
async fn list(
    auth: Authenticated,
    params: web::Query<ListParams>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_dialogs(&auth)?;
    let params = params.into_inner();
    let stages = site_stages(&auth, &params, &state).await?;
    if super::wants_csv(&req, params.format.as_deref())? {
        return export(&auth, params, &stages, &state).await;
    }
    let tz = site_tz(&auth, &params, &state).await?;
    let query = params.into_query(tz, &stages)?;
    let dialogs = state.store.list_dialogs(auth.0.site_id, &query).await?;
    let next_cursor = (dialogs.len() as i64 == query.limit)
        .then(|| dialogs.last())
        .flatten()
        .map(|d| {
            DialogCursor {
                started_at: d.started_at,
                dialog_id: d.dialog_id,
            }
            .to_string()
        });
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "dialogs": dialogs,
        "next_cursor": next_cursor,
    })))
}

/// The site's stages when the list is filtered by one (none read otherwise).
async fn site_stages(
    auth: &Authenticated,
    params: &ListParams,
    state: &AppState,
) -> Result<Option<Stages>, ApiError> {
    if params.stage.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let settings = state.store.outcome_settings(auth.0.site_id).await?;
    Ok(Some(
        Stages::new(settings.stages).unwrap_or_else(|_| Stages::default_set()),
    ))
}

/// The site's time zone when the list is asked for a period (its days are the site's).
async fn site_tz(
    auth: &Authenticated,
    params: &ListParams,
    state: &AppState,
) -> Result<Tz, ApiError> {
    if params.from.is_none() && params.to.is_none() {
        return Ok(Tz::UTC);
    }
    let name = state.store.site_timezone(auth.0.site_id).await?;
    Ok(name.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC))
}

/// Every dialog matching the list's filters, newest first, as CSV: the list's columns.
async fn export(
    auth: &Authenticated,
    params: ListParams,
    stages: &Option<Stages>,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let tz = site_tz(auth, &params, state).await?;
    let mut query = ListParams {
        limit: Some(500),
        cursor: None,
        ..params
    }
    .into_query(tz, stages)?;
    let mut table = Table::new(&[
        "started_at",
        "contact_name",
        "contact_phone",
        "first_message",
        "channel",
        "campaign",
        "source",
        "match",
        "kind",
        "number",
        "dialog_id",
        "stage",
        "value",
        "currency",
    ]);
    loop {
        let page = state.store.list_dialogs(auth.0.site_id, &query).await?;
        let full = page.len() as i64 == query.limit;
        for d in &page {
            table.rows.push(vec![
                crate::domain::rfc3339_ms(d.started_at).into(),
                d.contact_name.clone().into(),
                d.contact_phone.clone().into(),
                d.first_message.clone().into(),
                d.channel.clone().into(),
                d.utm_campaign.clone().into(),
                d.source.clone().into(),
                d.match_kind.as_str().into(),
                d.kind.as_str().into(),
                d.business_number.clone().into(),
                d.dialog_id.to_string().into(),
                d.stage.clone().into(),
                d.value.map(format_amount).into(),
                d.currency.clone().into(),
            ]);
        }
        match page.last() {
            Some(last) if full && table.rows.len() < CSV_MAX => {
                query.after = Some(DialogCursor {
                    started_at: last.started_at,
                    dialog_id: last.dialog_id,
                });
            }
            _ => break,
        }
    }
    table.rows.truncate(CSV_MAX);
    let day = crate::domain::rfc3339_ms(crate::domain::now_ms());
    super::csv_attachment(&table, &format!("dialogs_{}.csv", &day[..10]))
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "source_card",
    params(("id" = Uuid, Path, description = "Dialog id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The dialog's source card", body = crate::storage::SourceCard),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "The role cannot read dialogs"),
        (status = 404, description = "No such dialog on the token's site"),
    )
)]
#[get("/dialogs/{id}")]
async fn card(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_dialogs(&auth)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::bad_request("dialog id must be a UUID"))?;
    let card = state
        .store
        .source_card(auth.0.site_id, id)
        .await?
        .ok_or(ApiError::NotFound("dialog"))?;
    Ok(HttpResponse::Ok().json(card))
}
