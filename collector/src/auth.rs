//! Authentication of the API: an API token (`Authorization: Bearer`), or an account's
//! session cookie with the site it acts on (`X-Chatrail-Site`). Both yield a grant of one
//! site with a role, so every route works the same with either.
//!
//! A cookie is sent by the browser on its own, so a cookie-authenticated request must also
//! carry the custom `X-Chatrail-Site` header (no cross-site form or plain request can send
//! one, and a cross-origin script cannot without a CORS permission the API never gives),
//! and, when it names an `Origin`, come from the collector's own; with `SameSite=Strict`
//! on the cookie that makes the API safe from cross-site request forgery.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::domain::account::{AccountId, SESSION_COOKIE, SITE_HEADER};
use crate::domain::now_ms;
use crate::domain::secret::sha256_hex;
use crate::domain::token::TokenGrant;
use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated request: the site and role granted, and the account when it came by a
/// session cookie (`None` for an API token).
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub TokenGrant, pub Option<AccountId>);

/// A request with a valid session cookie, whatever its site: the account routes.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub account: AccountId,
    /// The SHA-256 of the cookie's value (to end this session).
    pub session_hash: String,
}

/// What a request carries, read before the async part.
struct Presented {
    state: Option<web::Data<AppState>>,
    bearer: Option<String>,
    cookie: Option<String>,
    site: Option<String>,
    csrf: Result<(), ApiError>,
}

fn presented(req: &HttpRequest) -> Presented {
    let text = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Presented {
        state: req.app_data::<web::Data<AppState>>().cloned(),
        bearer: text(header::AUTHORIZATION),
        cookie: session_cookie(req),
        site: text(header::HeaderName::from_static(SITE_HEADER)),
        csrf: same_origin(req),
    }
}

/// The session cookie's value, if the request has one.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Refuses a request whose `Origin` is not the collector's own (the host it was sent to).
pub fn same_origin(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("null");
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let own = req.connection_info().host().to_owned();
    match host {
        Some(host) if host.eq_ignore_ascii_case(&own) => Ok(()),
        _ => Err(ApiError::Forbidden(
            "cross-origin request refused: the session cookie only works from the collector's own dashboard",
        )),
    }
}

fn no_state() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("no app state"))
}

/// The account of a session cookie's value.
async fn account_of(state: &AppState, cookie: &str) -> Result<AccountId, ApiError> {
    state
        .store
        .session_account(&sha256_hex(cookie), now_ms())
        .await?
        .ok_or(ApiError::Unauthorized(
            "the session has ended: sign in again",
        ))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let p = presented(req);
        Box::pin(async move {
            let state = p.state.ok_or_else(no_state)?;
            if let Some(header) = p.bearer {
                let token = header
                    .strip_prefix("Bearer ")
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or(ApiError::Unauthorized(
                        "Authorization must be 'Bearer <token>'",
                    ))?;
                let grant = state
                    .store
                    .token_grant(&sha256_hex(token))
                    .await?
                    .ok_or(ApiError::Unauthorized("unknown token"))?;
                return Ok(Authenticated(grant, None));
            }
            let cookie = p.cookie.ok_or(ApiError::Unauthorized(
                "missing Authorization: Bearer token (or a session cookie)",
            ))?;
            let key = p.site.ok_or(ApiError::Unauthorized(
                "a session cookie needs the X-Chatrail-Site header naming the site",
            ))?;
            p.csrf?;
            let account = account_of(&state, &cookie).await?;
            let no_role = ApiError::Forbidden("your account has no role on this site");
            let site = state.store.site_by_key(key.trim()).await?.ok_or(no_role)?;
            let role = state
                .store
                .account_role(account, site.id)
                .await?
                .ok_or(ApiError::Forbidden("your account has no role on this site"))?;
            let grant = TokenGrant {
                site_id: site.id,
                role,
            };
            Ok(Authenticated(grant, Some(account)))
        })
    }
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let p = presented(req);
        let unsafe_method = !req.method().is_safe();
        Box::pin(async move {
            let state = p.state.ok_or_else(no_state)?;
            let cookie = p
                .cookie
                .ok_or(ApiError::Unauthorized("not signed in: no session cookie"))?;
            if unsafe_method && p.site.is_none() {
                return Err(ApiError::Forbidden(
                    "a cookie-authenticated change needs the X-Chatrail-Site header (CSRF guard)",
                ));
            }
            p.csrf?;
            let account = account_of(&state, &cookie).await?;
            Ok(SignedIn {
                account,
                session_hash: sha256_hex(&cookie),
            })
        })
    }
}

/// The `Set-Cookie` value starting a session with `value` for `max_age_s` seconds (0 ends
/// it): HttpOnly, SameSite=Strict, Path=/, and Secure unless `secure` is off (plain-http
/// development).
pub fn session_set_cookie(value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Max-Age={max_age_s}; Path=/; HttpOnly; SameSite=Strict{secure}"
    )
}
