//! OAuth access tokens for destinations that need one (Google Ads): the destination's
//! refresh token, client id and client secret exchanged at the token endpoint
//! (<https://developers.google.com/identity/protocols/oauth2/web-server#offline>), the access
//! token kept until shortly before it expires. Neither is ever logged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::google_ads::TOKEN_URL;
use crate::domain::conversion::checks::GoogleCredentials;
use crate::domain::conversion::Destination;

/// A token is used until this long before it expires.
const MARGIN: Duration = Duration::from_secs(60);

/// Why no token: the answer to record, and whether trying again later may help.
#[derive(Debug)]
pub struct NoToken {
    /// The token endpoint's status, if it answered.
    pub status: Option<i64>,
    /// What went wrong (the endpoint's answer: never a credential of ours).
    pub answer: String,
    /// A 5xx, 408, 429 or a network error.
    pub retry: bool,
}

/// Access tokens by the credentials they were granted for (a changed secret, client id or
/// token endpoint gets a new one).
#[derive(Default)]
pub struct Tokens {
    cached: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

#[derive(serde::Deserialize)]
struct Granted {
    access_token: String,
    expires_in: Option<u64>,
}

impl Tokens {
    /// A valid access token for `dest`, exchanged only when none is cached.
    pub async fn get(
        &self,
        client: &reqwest::Client,
        dest: &Destination,
    ) -> Result<String, NoToken> {
        let fail = |answer: String| NoToken {
            status: None,
            answer,
            retry: false,
        };
        let secret = dest.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
        let creds = GoogleCredentials::parse(secret).map_err(fail)?;
        let client_id = dest.setting("client_id").unwrap_or_default();
        let url = dest.setting("token_url").unwrap_or(TOKEN_URL);
        let key = key(dest);
        if let Some((token, until)) = self.cached.lock().unwrap().get(&key) {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", creds.client_secret.as_str()),
            ("refresh_token", creds.refresh_token.as_str()),
        ];
        let response = client
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| NoToken {
                status: None,
                answer: format!("the token endpoint: {}", e.without_url()),
                retry: true,
            })?;
        let status = response.status();
        let answer = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let code = i64::from(status.as_u16());
            return Err(NoToken {
                status: Some(code),
                answer: format!("the token endpoint: {answer}"),
                retry: status.is_server_error() || matches!(code, 408 | 429),
            });
        }
        let granted: Granted = serde_json::from_str(&answer).map_err(|_| NoToken {
            status: Some(i64::from(status.as_u16())),
            answer: "the token endpoint answered no access_token".into(),
            retry: false,
        })?;
        let life = Duration::from_secs(granted.expires_in.unwrap_or(3600));
        let until = Instant::now() + life.saturating_sub(MARGIN);
        self.cached
            .lock()
            .unwrap()
            .insert(key, (granted.access_token.clone(), until));
        Ok(granted.access_token)
    }

    /// Forgets `dest`'s token (refused by the API: the next attempt gets a new one).
    pub fn forget(&self, dest: &Destination) {
        self.cached.lock().unwrap().remove(&key(dest));
    }
}

/// What a token is cached under: a digest of the token endpoint, client id and secret.
fn key(dest: &Destination) -> [u8; 32] {
    let secret = dest.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    let client_id = dest.setting("client_id").unwrap_or_default();
    let url = dest.setting("token_url").unwrap_or(TOKEN_URL);
    let mut h = Sha256::new();
    for p in [url, client_id, secret] {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}
