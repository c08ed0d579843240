//! Outcomes of dialogs: `GET` and `PUT /dialogs/{id}/outcome` (operators, admins; for the
//! card and for CRMs and scripts), and the site's stages and rules, `GET /site/outcomes`
//! (any role: the card and the reports name the stages) and `PUT` (admins).

use actix_web::{get, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::domain::outcome::{parse_amount, parse_currency, Rule, Stage, Stages};
use crate::domain::secret::sha256_hex;
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;
use crate::storage::dialogs::outcome::{
    ChangeSource, ChangedBy, NewOutcome, OutcomeSet, OutcomeView, SettingsSaved,
};

/// An outcome is a few dozen bytes, the settings a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(set)
        .service(settings)
        .service(save_settings);
}

fn require_dialogs(auth: &Authenticated) -> Result<(), ApiError> {
    if auth.0.role.can_read_dialogs() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this token's role cannot read or set outcomes",
        ))
    }
}

fn dialog_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request("dialog id must be a UUID"))
}

/// An amount as a decimal string or a JSON number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Text(String),
    Number(serde_json::Number),
}

/// The outcome to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OutcomeBody {
    /// One of the site's stages (`GET /site/outcomes`), any case.
    stage: String,
    /// For a won stage: the deal's value, a non-negative decimal with at most 3 decimals
    /// (a string such as `"1500.50"`, or a JSON number); needs `currency`.
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{1,13}(\.[0-9]{1,3})?$")]
    value: Option<Amount>,
    /// Its ISO 4217 currency (`USD`); needs `value`.
    #[schema(pattern = "^[A-Za-z]{3}$")]
    currency: Option<String>,
    /// `card` when an operator sets it on the dashboard's card; `api` (the default)
    /// otherwise. Recorded in the history with the token's name.
    #[schema(pattern = "^(card|api)$")]
    source: Option<String>,
}

impl OutcomeBody {
    fn parse(self) -> Result<(NewOutcome, ChangeSource), ApiError> {
        let bad = |e: crate::domain::outcome::OutcomeError| ApiError::bad_request(e.to_string());
        let value = match self.value {
            None => None,
            Some(Amount::Text(t)) => Some(parse_amount(&t).map_err(bad)?),
            Some(Amount::Number(n)) => Some(parse_amount(&n.to_string()).map_err(bad)?),
        };
        let currency = self
            .currency
            .map(|c| parse_currency(&c))
            .transpose()
            .map_err(bad)?;
        let money = match (value, currency) {
            (Some(v), Some(c)) => Some((v, c)),
            (None, None) => None,
            _ => {
                return Err(ApiError::bad_request(
                    "value and currency go together: give both or neither",
                ))
            }
        };
        let source = match self.source.as_deref() {
            None | Some("api") => ChangeSource::Api,
            Some("card") => ChangeSource::Card,
            Some(_) => return Err(ApiError::bad_request("source must be card or api")),
        };
        if self.stage.chars().count() > 100 {
            return Err(ApiError::bad_request(
                "stage must be at most 100 characters",
            ));
        }
        Ok((
            NewOutcome {
                stage: self.stage,
                money,
            },
            source,
        ))
    }
}

/// `PUT /dialogs/{id}/outcome`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OutcomeAnswer {
    /// False when the dialog already had this outcome (nothing was recorded).
    changed: bool,
    /// The outcome after.
    outcome: OutcomeView,
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "dialog_outcome",
    params(("id" = Uuid, Path, description = "Dialog id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The dialog's stage, value and changes", body = OutcomeView),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "The role cannot read dialogs"),
        (status = 404, description = "No such dialog on the token's site"),
    )
)]
#[get("/dialogs/{id}/outcome")]
async fn show(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_dialogs(&auth)?;
    let outcome = state
        .store
        .outcome(auth.0.site_id, dialog_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("dialog"))?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "set_dialog_outcome",
    params(("id" = Uuid, Path, description = "Dialog id")),
    request_body = OutcomeBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "The outcome after; setting the one the dialog has changes and records nothing", body = OutcomeAnswer),
        (status = 400, description = "Bad id, JSON, stage, value or currency, named in the error"),
        (status = 403, description = "The role cannot set outcomes"),
        (status = 404, description = "No such dialog on the token's site"),
        (status = 413, description = "Body over 64 KiB"),
    )
)]
#[put("/dialogs/{id}/outcome")]
async fn set(
    auth: Authenticated,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_dialogs(&auth)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let id = dialog_id(&id)?;
    let (new, source) = parse_json::<OutcomeBody>(&body, "outcome")?.parse()?;
    // The token's hash names it in the history (authentication has checked it).
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    let by = ChangedBy {
        source,
        actor: sha256_hex(token),
    };
    match state
        .store
        .set_outcome(auth.0.site_id, id, &new, &by)
        .await?
    {
        OutcomeSet::NoDialog => Err(ApiError::NotFound("dialog")),
        OutcomeSet::Refused(e) => Err(ApiError::bad_request(e.to_string())),
        OutcomeSet::Set { changed, outcome } => {
            Ok(HttpResponse::Ok().json(OutcomeAnswer { changed, outcome }))
        }
    }
}

#[utoipa::path(
    tag = "site",
    operation_id = "outcome_settings",
    security(("token" = [])),
    responses(
        (status = 200, description = "The site's stages, in order, and its rules", body = crate::storage::dialogs::outcome::OutcomeSettings),
    )
)]
#[get("/site/outcomes")]
async fn settings(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.outcome_settings(auth.0.site_id).await?))
}

/// A site's stages and rules.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OutcomeSettingsBody {
    /// 2–20 stages in order: the first open (dialogs start there), exactly one `won`.
    stages: Vec<Stage>,
    /// Up to 50 rules, `tag:TAG -> STAGE` or `text:PATTERN -> STAGE` (the pattern matches
    /// a contact's message anywhere, any case, `*` for any characters). A rule moves a
    /// dialog only forward, and never out of a won or lost stage.
    #[serde(default)]
    rules: Vec<String>,
}

#[utoipa::path(
    tag = "site",
    operation_id = "update_outcome_settings",
    request_body = OutcomeSettingsBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Saved; the stages and rules now", body = crate::storage::dialogs::outcome::OutcomeSettings),
        (status = 400, description = "Invalid JSON, stage or rule, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 409, description = "A stage left out still has dialogs; nothing was changed"),
        (status = 413, description = "Body over 64 KiB"),
    )
)]
#[put("/site/outcomes")]
async fn save_settings(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::site::require_admin(&auth)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let body: OutcomeSettingsBody = parse_json(&body, "outcome settings")?;
    let bad = |e: crate::domain::outcome::OutcomeError| ApiError::bad_request(e.to_string());
    let stages = Stages::new(body.stages).map_err(bad)?;
    if body.rules.len() > crate::domain::outcome::MAX_RULES {
        return Err(ApiError::bad_request("a site has at most 50 rules"));
    }
    let rules = body
        .rules
        .iter()
        .map(|r| Rule::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    match state
        .store
        .save_outcome_settings(auth.0.site_id, &stages, &rules)
        .await?
    {
        SettingsSaved::Saved(s) => Ok(HttpResponse::Ok().json(s)),
        SettingsSaved::StageInUse(why) => {
            Ok(HttpResponse::Conflict().json(serde_json::json!({ "error": why })))
        }
        SettingsSaved::Refused(why) => Err(ApiError::bad_request(why)),
    }
}
