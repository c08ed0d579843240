//! Bearer-token authentication of the API.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use crate::domain::secret::sha256_hex;
use crate::domain::token::TokenGrant;
use crate::error::ApiError;
use crate::state::AppState;

/// A request authenticated by `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub TokenGrant);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let header = header.ok_or(ApiError::Unauthorized(
                "missing Authorization: Bearer token",
            ))?;
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
            Ok(Authenticated(grant))
        })
    }
}
