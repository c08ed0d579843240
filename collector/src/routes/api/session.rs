//! Signing in with an account: `POST /session` (e-mail and password: a session cookie),
//! `GET /session` (who is signed in, and their sites), `DELETE /session` (sign out),
//! `DELETE /session/all` (sign out everywhere), and `POST /invites/accept` (set the
//! password with a one-time link from an invite or an admin's reset).
//!
//! Wrong e-mail and wrong password answer alike (and take as long: a missing password is
//! checked against a decoy hash). Argon2 runs on the blocking pool, never on the async
//! threads; nothing secret is logged.

use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::{same_origin, session_set_cookie, SignedIn};
use crate::domain::account::{
    check_new_password, hash_password, new_session_secret, verify_password, AccountId, Email,
    SESSION_MS,
};
use crate::domain::now_ms;
use crate::domain::secret::sha256_hex;
use crate::error::{parse_json, read_body, ApiError};
use crate::state::AppState;

/// An e-mail address and a password fit in far less.
pub const MAX_BODY_BYTES: usize = 4096;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in)
        .service(signed_in)
        .service(sign_out_everywhere)
        .service(sign_out)
        .service(accept_invite);
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignInBody {
    email: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcceptBody {
    /// The token of the link (after `#invite=`).
    token: String,
    /// The new password.
    password: String,
}

/// Runs argon2 (or anything slow) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task: {e}")))
}

/// The account's e-mail and sites, as the session routes answer.
async fn account_json(state: &AppState, account: AccountId) -> Result<serde_json::Value, ApiError> {
    let email = state
        .store
        .account_email(account)
        .await?
        .ok_or(ApiError::Unauthorized("the account no longer exists"))?;
    let sites = state.store.account_sites(account).await?;
    Ok(serde_json::json!({ "email": email, "sites": sites }))
}

fn ended(state: &AppState) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            session_set_cookie("", 0, state.secure_cookies),
        ))
        .finish()
}

#[utoipa::path(
    tag = "account",
    operation_id = "sign_in",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in: the session cookie is set (HttpOnly, SameSite=Strict)", body = crate::routes::schemas::SignedInAccount),
        (status = 400, description = "Invalid JSON or e-mail address, named in the error"),
        (status = 401, description = "Wrong e-mail or password (the same answer for either)"),
        (status = 403, description = "From another origin"),
        (status = 413, description = "Body over 4 KiB"),
        (status = 429, description = "Too many attempts for this e-mail or client address; see Retry-After"),
    )
)]
#[post("/session")]
async fn sign_in(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    same_origin(&req)?;
    let given: SignInBody = parse_json(&body, "sign-in").map_err(|e| {
        ApiError::bad_request(format!(
            "{e} (expected {{\"email\": ..., \"password\": ...}})"
        ))
    })?;
    let email = Email::parse(&given.email).map_err(ApiError::bad_request)?;
    let client = state
        .proxies
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers());
    state
        .sign_ins
        .take(&email.folded, client)
        .map_err(ApiError::TooManySignIns)?;
    let found = state.store.credentials(&email).await?;
    let stored = found.as_ref().and_then(|c| c.password_hash.clone());
    let password = given.password;
    let right = blocking(move || verify_password(&password, stored.as_deref())).await?;
    let account = match found {
        Some(c) if right => c.account,
        _ => return Err(ApiError::Unauthorized("wrong e-mail or password")),
    };
    let secret = new_session_secret();
    let now = now_ms();
    state
        .store
        .start_session(&sha256_hex(&secret), account, now, now + SESSION_MS)
        .await?;
    let json = account_json(&state, account).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            session_set_cookie(&secret, SESSION_MS / 1000, state.secure_cookies),
        ))
        .json(json))
}

#[utoipa::path(
    tag = "account",
    operation_id = "signed_in",
    security(("session" = [])),
    responses(
        (status = 200, description = "The signed-in account and its sites", body = crate::routes::schemas::SignedInAccount),
        (status = 401, description = "No session cookie, or an ended one"),
        (status = 403, description = "From another origin"),
    )
)]
#[get("/session")]
async fn signed_in(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(account_json(&state, who.account).await?))
}

#[utoipa::path(
    tag = "account",
    operation_id = "sign_out",
    security(("session" = [])),
    responses(
        (status = 204, description = "Signed out: this session ended, the cookie cleared"),
        (status = 401, description = "No session cookie, or an ended one"),
        (status = 403, description = "Without the X-Chatrail-Site header, or from another origin"),
    )
)]
#[delete("/session")]
async fn sign_out(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.end_session(&who.session_hash).await?;
    Ok(ended(&state))
}

#[utoipa::path(
    tag = "account",
    operation_id = "sign_out_everywhere",
    security(("session" = [])),
    responses(
        (status = 204, description = "Every session of the account ended, the cookie cleared"),
        (status = 401, description = "No session cookie, or an ended one"),
        (status = 403, description = "Without the X-Chatrail-Site header, or from another origin"),
    )
)]
#[delete("/session/all")]
async fn sign_out_everywhere(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.store.end_sessions(who.account).await?;
    Ok(ended(&state))
}

#[utoipa::path(
    tag = "account",
    operation_id = "accept_invite",
    request_body = AcceptBody,
    responses(
        (status = 200, description = "The password is set (the link is used up, other sessions ended): sign in with it", body = crate::routes::schemas::AcceptedInvite),
        (status = 400, description = "Invalid JSON, or a password too short or too long"),
        (status = 403, description = "From another origin"),
        (status = 404, description = "The link is unknown, used or expired"),
        (status = 413, description = "Body over 4 KiB"),
    )
)]
#[post("/invites/accept")]
async fn accept_invite(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    same_origin(&req)?;
    let given: AcceptBody = parse_json(&body, "invite").map_err(|e| {
        ApiError::bad_request(format!(
            "{e} (expected {{\"token\": ..., \"password\": ...}})"
        ))
    })?;
    check_new_password(&given.password).map_err(ApiError::bad_request)?;
    let hash = sha256_hex(given.token.trim());
    let gone = ApiError::NotFound("invite link (unknown, used or expired)");
    // Checked before hashing, so made-up links cost no argon2.
    if state.store.invite_account(&hash, now_ms()).await?.is_none() {
        return Err(gone);
    }
    let password = given.password;
    let password_hash = blocking(move || hash_password(&password))
        .await?
        .map_err(ApiError::Internal)?;
    let email = state
        .store
        .accept_invite(&hash, &password_hash, now_ms())
        .await?
        .ok_or(gone)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "email": email })))
}
