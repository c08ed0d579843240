//! API tokens of the token's site (admin tokens only): `GET /tokens` lists them (never the
//! tokens themselves: only their hashes are stored), `POST /tokens` creates one and shows it
//! once, `DELETE /tokens/{id}` revokes one. The last admin token cannot be revoked.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::site::require_admin;
use crate::auth::Authenticated;
use crate::domain::secret::sha256_hex;
use crate::domain::token::{generate_token, Role};
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;
use crate::storage::Revoke;

/// A token's name and role fit in far less.
pub const MAX_BODY_BYTES: usize = 4096;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(create).service(revoke);
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    name: String,
    role: Role,
}

#[utoipa::path(
    tag = "site",
    operation_id = "list_tokens",
    security(("token" = [])),
    responses(
        (status = 200, description = "The site's tokens (never the tokens themselves)", body = crate::routes::schemas::TokenList),
        (status = 403, description = "Not an admin token"),
    )
)]
#[get("/tokens")]
async fn list(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let tokens = state.store.list_tokens(auth.0.site_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tokens": tokens })))
}

#[utoipa::path(
    tag = "site",
    operation_id = "create_token",
    request_body = NewToken,
    security(("token" = [])),
    responses(
        (status = 201, description = "Created; the token is shown this once", body = crate::routes::schemas::CreatedToken),
        (status = 400, description = "Invalid JSON, name or role, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[post("/tokens")]
async fn create(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let new: NewToken = parse_json(&body, "token").map_err(|e| {
        ApiError::bad_request(format!(
            "{e} (expected {{\"name\": ..., \"role\": \"operator\" | \"analyst\" | \"admin\"}})"
        ))
    })?;
    let name = super::site::display_name(&new.name)?;
    let token = generate_token();
    state
        .store
        .create_token(auth.0.site_id, &sha256_hex(&token), new.role, name)
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "token": token,
        "name": name,
        "role": new.role,
    })))
}

#[utoipa::path(
    tag = "site",
    operation_id = "revoke_token",
    params(("id" = Uuid, Path, description = "Token id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "Not an admin token, or the site's last admin token"),
        (status = 404, description = "No such token on the token's site"),
    )
)]
#[delete("/tokens/{id}")]
async fn revoke(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::bad_request("token id must be a UUID"))?;
    match state.store.revoke_token(auth.0.site_id, id).await? {
        Revoke::Revoked => Ok(HttpResponse::NoContent().finish()),
        Revoke::NoToken => Err(ApiError::NotFound("token")),
        Revoke::LastAdmin => Err(ApiError::Forbidden(
            "the last admin token of a site cannot be revoked: create another admin token first",
        )),
    }
}
