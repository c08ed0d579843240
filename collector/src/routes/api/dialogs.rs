//! Dialogs and their source cards.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::DialogListQuery;

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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ListParams {
    /// Page size, 1–500 (default 50).
    limit: Option<i64>,
    /// Keyset cursor: `next_before` of the previous page (epoch ms).
    before: Option<i64>,
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "list_dialogs",
    params(ListParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "Newest first", body = super::openapi::DialogList),
        (status = 400, description = "Bad `limit` or `before`"),
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
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 500"));
    }
    let query = DialogListQuery {
        before_ms: params.before,
        limit,
    };
    let dialogs = state.store.list_dialogs(auth.0.site_id, &query).await?;
    let next_before = (dialogs.len() as i64 == limit)
        .then(|| dialogs.last().map(|d| d.started_at))
        .flatten();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "dialogs": dialogs,
        "next_before": next_before,
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
