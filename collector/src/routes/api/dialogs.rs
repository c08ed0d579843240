//! Dialogs and their source cards.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::names::UnknownName;
use crate::domain::tag::Tag;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{DialogCursor, DialogFilters, DialogListQuery};
use chatrail_core::phone::normalize_number;

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
    /// Channel of the session.
    channel: Option<String>,
    /// Match kind: `exact`, `referral`, `probable` or `none`.
    #[serde(rename = "match")]
    #[param(rename = "match")]
    match_kind: Option<String>,
    /// `new` or `repeat`.
    kind: Option<String>,
    /// Operator tag.
    tag: Option<String>,
    /// Tracked number written to, any notation.
    number: Option<String>,
}

impl ListParams {
    fn into_query(self) -> Result<DialogListQuery, ApiError> {
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
        (status = 200, description = "Newest first", body = crate::routes::schemas::DialogList),
        (status = 400, description = "A bad or unknown parameter, named"),
        (status = 403, description = "The role cannot read dialogs"),
    )
)]
#[get("/dialogs")]
async fn list(
    auth: Authenticated,
    params: web::Query<ListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_dialogs(&auth)?;
    let query = params.into_inner().into_query()?;
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
