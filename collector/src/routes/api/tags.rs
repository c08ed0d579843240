//! Operators' tags on dialogs: `GET /dialogs/{id}/tags`, `PUT` and `DELETE
//! /dialogs/{id}/tags/{tag}`. Both changes are idempotent and answer the dialog's tags.

use actix_web::{delete, get, put, web, HttpResponse};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::domain::tag::{Tag, MAX_TAGS_PER_DIALOG};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::TagChange;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(add).service(remove);
}

fn require_tagging(auth: &Authenticated) -> Result<(), ApiError> {
    if auth.0.role.can_read_dialogs() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this token's role cannot tag dialogs"))
    }
}

fn dialog_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request("dialog id must be a UUID"))
}

fn tag(raw: &str) -> Result<Tag, ApiError> {
    Tag::parse(raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn answer(change: TagChange) -> Result<HttpResponse, ApiError> {
    match change {
        TagChange::Tags(tags) => Ok(HttpResponse::Ok().json(serde_json::json!({ "tags": tags }))),
        TagChange::NoDialog => Err(ApiError::NotFound("dialog")),
        TagChange::TooMany => Err(ApiError::bad_request(format!(
            "a dialog has at most {MAX_TAGS_PER_DIALOG} tags"
        ))),
    }
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "list_tags",
    params(
        ("id" = Uuid, Path, description = "Dialog id"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The dialog's tags, sorted", body = crate::routes::schemas::TagList),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "The role cannot tag dialogs"),
        (status = 404, description = "No such dialog on the token's site"),
    )
)]
#[get("/dialogs/{id}/tags")]
async fn list(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_tagging(&auth)?;
    let tags = state
        .store
        .dialog_tags(auth.0.site_id, dialog_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("dialog"))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tags": tags })))
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "add_tag",
    params(
        ("id" = Uuid, Path, description = "Dialog id"),
        ("tag" = String, Path, description = "1–50 letters (any script), digits, spaces and `- _ . :`; lower-cased"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The dialog's tags after adding (idempotent)", body = crate::routes::schemas::TagList),
        (status = 400, description = "Bad id or tag, or the dialog has the most tags allowed"),
        (status = 403, description = "The role cannot tag dialogs"),
        (status = 404, description = "No such dialog on the token's site"),
    )
)]
#[put("/dialogs/{id}/tags/{tag}")]
async fn add(
    auth: Authenticated,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_tagging(&auth)?;
    let (id, raw) = path.into_inner();
    let (id, tag) = (dialog_id(&id)?, tag(&raw)?);
    answer(state.store.add_tag(auth.0.site_id, id, &tag).await?)
}

#[utoipa::path(
    tag = "dialogs",
    operation_id = "remove_tag",
    params(
        ("id" = Uuid, Path, description = "Dialog id"),
        ("tag" = String, Path, description = "1–50 letters (any script), digits, spaces and `- _ . :`; lower-cased"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The dialog's tags after removing (idempotent)", body = crate::routes::schemas::TagList),
        (status = 400, description = "Bad id or tag"),
        (status = 403, description = "The role cannot tag dialogs"),
        (status = 404, description = "No such dialog on the token's site"),
    )
)]
#[delete("/dialogs/{id}/tags/{tag}")]
async fn remove(
    auth: Authenticated,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_tagging(&auth)?;
    let (id, raw) = path.into_inner();
    let (id, tag) = (dialog_id(&id)?, tag(&raw)?);
    answer(state.store.remove_tag(auth.0.site_id, id, &tag).await?)
}
