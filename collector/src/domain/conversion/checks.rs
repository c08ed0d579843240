//! Checks of a destination's values: ids, URLs, and the credentials of each kind.

pub fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn measurement_id(s: &str) -> bool {
    s.len() <= 30
        && s.strip_prefix("G-")
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub fn token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An http(s) URL without credentials in it.
pub fn check_url(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|_| format!("endpoint {s:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("endpoint must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("endpoint must not hold credentials (put them in secret)".into());
    }
    if s.len() > 500 {
        return Err("endpoint must be at most 500 characters".into());
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// An OAuth client id (Google's: `123-abc.apps.googleusercontent.com`).
pub fn client_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `true` or `false`.
pub fn flag(s: &str) -> bool {
    matches!(s, "true" | "false")
}

/// A URL setting (a token endpoint overridden for tests or a proxy).
pub fn url(s: &str) -> bool {
    check_url(s).is_ok()
}

/// Google Ads' OAuth credentials, given as the destination's `secret`: a JSON object
/// `{"client_secret": "…", "refresh_token": "…"}` (the client id is a setting). Exchanged at
/// Google's token endpoint for an access token; never shown back.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleCredentials {
    /// The OAuth client's secret.
    pub client_secret: String,
    /// A refresh token granted for the `datamanager` scope.
    pub refresh_token: String,
}

impl GoogleCredentials {
    /// Reads a `google_ads` secret; what is wrong with it (never echoing it).
    pub fn parse(secret: &str) -> Result<GoogleCredentials, String> {
        let c: GoogleCredentials = serde_json::from_str(secret).map_err(|_| {
            "a google_ads secret is a JSON object {\"client_secret\": \"...\", \
             \"refresh_token\": \"...\"}"
                .to_owned()
        })?;
        if c.client_secret.trim().is_empty() || c.refresh_token.trim().is_empty() {
            return Err("client_secret and refresh_token must not be empty".into());
        }
        Ok(c)
    }
}
