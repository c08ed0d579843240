//! The HTTP error type: every failure answers with a status and `{"error": "..."}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::storage::StoreError;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input; the message names the problem.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong credentials or signature.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Valid credentials without the right.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Nothing there (or not visible to this site).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The path exists, the method does not (the message names the allowed ones).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A uniqueness rule was broken.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The change would break a rule of what is stored (the message says which).
    #[error("{0}")]
    Refused(&'static str),
    /// Past a rate limit; retry after the given seconds.
    #[error("too many requests from this {0}, retry in {1} s")]
    TooManyRequests(&'static str, u64),
    /// Past the sign-in attempts of an e-mail or client address; retry after the seconds.
    #[error("too many sign-in attempts: retry in {0} s")]
    TooManySignIns(u64),
    /// Body over the route's limit.
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Path or query string over the collector's limit (the message names which).
    #[error("{0}")]
    UriTooLong(String),
    /// Temporarily unable to accept (e.g. the ingest queue is full).
    #[error("{0}")]
    Unavailable(&'static str),
    /// A bug or an unreachable dependency; details go to the log, not the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 naming the problem.
    pub fn bad_request(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest(msg.into())
    }
}

impl From<crate::limits::TooMany> for ApiError {
    fn from(t: crate::limits::TooMany) -> Self {
        ApiError::TooManyRequests(t.whose, t.retry_after_s)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(what),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "storage unavailable");
                ApiError::Unavailable("storage is unavailable, retry later")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::TooManyRequests(..) | ApiError::TooManySignIns(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests(_, seconds) | ApiError::TooManySignIns(seconds) = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}

/// Turns actix's own extractor errors (bad query string, bad path, …) into JSON errors.
pub fn extractor_error(err: impl std::fmt::Display) -> actix_web::Error {
    ApiError::bad_request(err.to_string()).into()
}

/// Parses a JSON request body into `T`; `what` names it in errors ("beacon", "settings").
///
/// Text the databases refuse never gets further: a string holding NUL (`\u0000`, which
/// PostgreSQL cannot store) is answered with a 400 naming its field, so one hostile request
/// can neither fail later (a batch of good beacons with it) nor answer 500.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    let invalid = |e: serde_json::Error| ApiError::bad_request(format!("invalid {what} JSON: {e}"));
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
        if let Some(field) = crate::text::nul_field(&value, "") {
            return Err(ApiError::bad_request(format!(
                "{what} field {field:?} holds a NUL character"
            )));
        }
    }
    serde_json::from_slice(body).map_err(invalid)
}

/// Reads a request body up to `limit` bytes.
pub async fn read_body(
    mut payload: actix_web::web::Payload,
    limit: usize,
) -> Result<actix_web::web::Bytes, ApiError> {
    use futures_util::StreamExt as _;
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("could not read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
