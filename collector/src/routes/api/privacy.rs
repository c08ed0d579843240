//! Privacy, for admin tokens: `POST /contacts/erase` erases one contact of the token's site
//! (as `chatrail contact erase` does), and `GET`/`PUT /site/retention` show and set how
//! long the site keeps visits, clicks, dialogs and messages. What each keeps and removes:
//! `deploy/PRIVACY.md`.

use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;

use super::site::require_admin;
use crate::auth::Authenticated;
use crate::domain::inbound::provider_id;
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;
use crate::storage::Retention;

/// A phone number and a user id fit in far less.
pub const MAX_BODY_BYTES: usize = 4096;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(erase)
        .service(show_retention)
        .service(set_retention);
}

/// The JSON body of an admin's request: `403` for other tokens, `413` past `limit` bytes,
/// `400` naming the problem and the `expected` shape.
pub(super) async fn admin_json<T: serde::de::DeserializeOwned>(
    auth: &Authenticated,
    payload: web::Payload,
    limit: usize,
    what: &str,
    expected: &str,
) -> Result<T, ApiError> {
    require_admin(auth)?;
    let body = read_body(payload, limit).await?;
    let refused = |e: String| ApiError::bad_request(format!("{e} (expected {expected})"));
    // An object only: serde would also take the fields as an array.
    let value: serde_json::Value = parse_json(&body, what).map_err(|e| refused(e.to_string()))?;
    if !value.is_object() {
        return Err(refused(format!("{what} must be a JSON object")));
    }
    serde_json::from_value(value).map_err(|e| refused(format!("invalid {what} JSON: {e}")))
}

/// Whom to erase.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EraseBody {
    /// The contact's phone number, in any notation.
    phone: String,
    /// Also the contact known by this provider user id (a WhatsApp BSUID, a Telegram user
    /// id), for contacts whose phone was never shown.
    #[serde(default)]
    user_id: Option<String>,
}

#[utoipa::path(
    tag = "site",
    operation_id = "erase_contact",
    request_body = EraseBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Erased (all counts 0 if nobody had that number); \
            logged without the number", body = crate::storage::Erased),
        (status = 400, description = "Invalid JSON, phone number or user id, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[post("/contacts/erase")]
async fn erase(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let who: EraseBody = admin_json(
        &auth,
        payload,
        MAX_BODY_BYTES,
        "erasure",
        r#"{"phone": "+1 555 0100", "user_id": optional}"#,
    )
    .await?;
    let phone = chatrail_core::phone::normalize_number(&who.phone).ok_or_else(|| {
        ApiError::bad_request("phone is not a phone number (7-15 digits in international format)")
    })?;
    let user_id = who
        .user_id
        .as_deref()
        .map(|u| provider_id("user_id", u))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let erased = state
        .store
        .erase_contact(auth.0.site_id, Some(&phone), user_id.as_deref(), "api")
        .await?;
    Ok(HttpResponse::Ok().json(erased))
}

#[utoipa::path(
    tag = "site",
    operation_id = "show_retention",
    security(("token" = [])),
    responses(
        (status = 200, description = "Days the site keeps visits and dialogs (null: for ever)", body = Retention),
        (status = 403, description = "Not an admin token"),
    )
)]
#[get("/site/retention")]
async fn show_retention(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let r = state.store.retention(auth.0.site_id).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(
    tag = "site",
    operation_id = "set_retention",
    request_body = Retention,
    security(("token" = [])),
    responses(
        (status = 200, description = "Saved; the retention task deletes what is older within \
            CHATRAIL_RETENTION_EVERY_SECONDS", body = Retention),
        (status = 400, description = "Invalid JSON or days out of 1-36500, named in the error"),
        (status = 403, description = "Not an admin token"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[put("/site/retention")]
async fn set_retention(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let r: Retention = admin_json(
        &auth,
        payload,
        MAX_BODY_BYTES,
        "retention",
        r#"{"visits_days": days or null, "dialogs_days": days or null}"#,
    )
    .await?;
    r.validate().map_err(ApiError::bad_request)?;
    if !state.store.set_retention(auth.0.site_id, &r).await? {
        return Err(ApiError::NotFound("site"));
    }
    tracing::info!(site_id = %auth.0.site_id.0, visits_days = ?r.visits_days,
        dialogs_days = ?r.dialogs_days, "retention set");
    Ok(HttpResponse::Ok().json(r))
}
