//! A site's members (admins only): `GET /site/members` lists them, `POST /site/members`
//! gives a person a role on the site (a new account gets a one-time link to set its
//! password), `POST /site/members/reset` clears a member's password, ends their sessions
//! and answers a new link, `DELETE /site/members/{id}` takes a member's role away (never the
//! site's last admin account's). No admin can reset or take over an account that also belongs
//! to a site they do not administer.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;

use super::site::require_admin;
use crate::auth::Authenticated;
use crate::domain::account::{invite_link, new_invite, AccountId, Email};
use crate::domain::site::SiteId;
use crate::domain::token::Role;
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;
use crate::storage::accounts::{Invited, Removal, Reset};

/// An e-mail address and a role fit in far less.
pub const MAX_BODY_BYTES: usize = 4096;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(add)
        .service(reset)
        .service(remove);
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewMember {
    email: String,
    role: Role,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetBody {
    email: String,
}

/// Keeps `DELETE /site/members/reset` off the member route: that path is
/// `POST /site/members/reset`'s, so another method on it answers 405 (`routes::no_route`).
fn not_reset(ctx: &actix_web::guard::GuardContext) -> bool {
    !ctx.head().uri.path().ends_with("/site/members/reset")
}

/// The sites the caller administers: an account's, or an admin token's one site.
async fn admin_of(state: &AppState, auth: &Authenticated) -> Result<Vec<SiteId>, ApiError> {
    Ok(match auth.1 {
        Some(account) => state.store.admin_sites(account).await?,
        None => vec![auth.0.site_id],
    })
}

#[utoipa::path(
    tag = "site",
    operation_id = "list_members",
    security(("token" = [])),
    responses(
        (status = 200, description = "The site's members", body = crate::routes::schemas::MemberList),
        (status = 403, description = "Not an admin"),
    )
)]
#[get("/site/members")]
async fn list(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let members = state.store.members(auth.0.site_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "members": members })))
}

#[utoipa::path(
    tag = "site",
    operation_id = "add_member",
    request_body = NewMember,
    security(("token" = [])),
    responses(
        (status = 201, description = "The role is given; a new account's link to set its password is shown this once", body = crate::routes::schemas::MemberLink),
        (status = 400, description = "Invalid JSON, e-mail address or role, named in the error"),
        (status = 403, description = "Not an admin"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[post("/site/members")]
async fn add(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    require_admin(&auth)?;
    let new: NewMember = parse_json(&body, "member").map_err(|e| {
        ApiError::bad_request(format!(
            "{e} (expected {{\"email\": ..., \"role\": \"operator\" | \"analyst\" | \"admin\"}})"
        ))
    })?;
    let email = Email::parse(&new.email).map_err(ApiError::bad_request)?;
    let (token, hash, expires_at) = new_invite();
    let admin_of = admin_of(&state, &auth).await?;
    let invited = state
        .store
        .add_member(
            &email,
            auth.0.site_id,
            new.role,
            (&hash, expires_at),
            Some(&admin_of),
        )
        .await?;
    let link = (invited == Invited::Link).then(|| invite_link(state.public_url.as_deref(), &token));
    Ok(HttpResponse::Created().json(serde_json::json!({
        "email": email.given,
        "role": new.role,
        "invite_link": link,
    })))
}

#[utoipa::path(
    tag = "site",
    operation_id = "reset_member_password",
    request_body = ResetBody,
    security(("token" = [])),
    responses(
        (status = 200, description = "Password cleared, sessions ended; the link to set a new one is shown this once", body = crate::routes::schemas::MemberLink),
        (status = 400, description = "Invalid JSON or e-mail address"),
        (status = 403, description = "Not an admin, or the person also belongs to a site you do not administer"),
        (status = 404, description = "No such member of the site"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[post("/site/members/reset")]
async fn reset(
    auth: Authenticated,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    require_admin(&auth)?;
    let given: ResetBody = parse_json(&body, "reset")
        .map_err(|e| ApiError::bad_request(format!("{e} (expected {{\"email\": ...}})")))?;
    let email = Email::parse(&given.email).map_err(ApiError::bad_request)?;
    let (token, hash, expires_at) = new_invite();
    let site = auth.0.site_id;
    let admin_of = admin_of(&state, &auth).await?;
    let done = state
        .store
        .reset_password(&email, Some(site), (&hash, expires_at), Some(&admin_of))
        .await?;
    match done {
        Reset::Link => {}
        Reset::NoMember => return Err(ApiError::NotFound("member")),
        Reset::NotYours => {
            return Err(ApiError::Forbidden(
                "this person also belongs to a site you do not administer: the collector's operator resets their password (chatrail accounts reset-password)",
            ))
        }
    }
    let role = state
        .store
        .members(site)
        .await?
        .into_iter()
        .find(|m| m.email.to_lowercase() == email.folded)
        .and_then(|m| Role::parse(&m.role))
        .ok_or(ApiError::NotFound("member"))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "email": email.given,
        "role": role,
        "invite_link": invite_link(state.public_url.as_deref(), &token),
    })))
}

#[utoipa::path(
    tag = "site",
    operation_id = "remove_member",
    params(("id" = Uuid, Path, description = "The member's account id (`account_id` in the list)")),
    security(("token" = [])),
    responses(
        (status = 204, description = "The role is gone, and with it every session's access to the site; an account left without a site is deleted"),
        (status = 400, description = "The id is not a UUID"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such member of the site"),
        (status = 409, description = "The site's last admin account: make another member admin first"),
    )
)]
#[delete("/site/members/{id}", guard = "not_reset")]
async fn remove(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&auth)?;
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::bad_request("member id must be a UUID"))?;
    match state
        .store
        .remove_member(AccountId(id), auth.0.site_id)
        .await?
    {
        Removal::Removed => Ok(HttpResponse::NoContent().finish()),
        Removal::NoMember => Err(ApiError::NotFound("member")),
        Removal::LastAdmin => Err(ApiError::Refused(
            "the site's last admin account cannot be removed: make another member admin first",
        )),
    }
}
