//! The sender: a background task of every collector that claims due deliveries from the
//! outbox, sends each, and settles it. At least once: a delivery is settled only after its
//! answer, so a collector killed mid-send leaves it pending and its lease ends (another
//! sender, or this one after a restart, sends it again with the same event id, which the
//! platforms deduplicate on). Exponential backoff from `retry_base` (doubling to at most an
//! hour); past the platform's window a delivery expires, and says so.

use std::time::Duration;

use futures_util::StreamExt;

use super::oauth::Tokens;
use super::payload::{build, Built};
use crate::domain::conversion::DestinationKind;
use crate::domain::now_ms;
use crate::domain::site::SiteId;
use crate::storage::conversions::{Claimed, Settled};
use crate::storage::SharedStore;

/// Deliveries claimed at once, and sent at the same time.
const BATCH: i64 = 64;
const CONCURRENCY: usize = 16;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How the sender paces itself.
#[derive(Debug, Clone, Copy)]
pub struct SenderConfig {
    /// The wait when nothing is due.
    pub poll: Duration,
    /// The wait after the first failed attempt; doubled after each.
    pub retry_base: Duration,
    /// A request's time limit. A claimed delivery is held for twice that and 5 s more: a
    /// sender that died holding one (kill -9) leaves it to others after that.
    pub timeout: Duration,
}

impl SenderConfig {
    fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

/// Starts the sender.
pub fn spawn(store: SharedStore, config: SenderConfig) -> tokio::task::JoinHandle<()> {
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        // A redirect is the platform's answer (a failure), never followed elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("chatrail/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client with default TLS");
    let tokens = Tokens::default();
    tokio::spawn(async move {
        loop {
            match store
                .claim_deliveries(config.lease().as_millis() as i64, BATCH)
                .await
            {
                Ok(claimed) if !claimed.is_empty() => {
                    let full = claimed.len() as i64 == BATCH;
                    futures_util::stream::iter(claimed)
                        .for_each_concurrent(CONCURRENCY, |c| {
                            let (store, client, tokens) = (&store, &client, &tokens);
                            async move {
                                let how = deliver(store, client, tokens, &c, config).await;
                                if let Err(e) = store.settle_delivery(&c, how).await {
                                    // Its lease ends and it is sent again.
                                    tracing::warn!(error = %e, "a delivery was not settled");
                                }
                            }
                        })
                        .await;
                    if full {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "conversions: claiming deliveries failed"),
            }
            tokio::time::sleep(config.poll).await;
        }
    })
}

/// The wait before attempt `attempts + 1`.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let factor = 1u32 << attempts.clamp(0, 16);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Sends one delivery; how it went.
async fn deliver(
    store: &SharedStore,
    client: &reqwest::Client,
    tokens: &Tokens,
    c: &Claimed,
    config: SenderConfig,
) -> Settled {
    let (d, e) = (&c.destination, &c.event);
    let now = now_ms();
    let retry_at = now + backoff(config.retry_base, c.attempts).as_millis() as i64;
    let window = d.kind.window();
    if now - e.occurred_at > window.as_millis() as i64 {
        return Settled::Expired {
            answer: format!(
                "not sent within {} hours of the event, {}'s window",
                window.as_secs() / 3600,
                d.kind
            ),
        };
    }
    let Some(name) = d.name_for(e) else {
        return Settled::Dropped {
            answer: "the destination no longer takes this event".into(),
        };
    };
    let card = if e.dialog_id.is_nil() {
        None
    } else {
        match store.source_card(SiteId(e.site_id), e.dialog_id).await {
            Ok(card) => card,
            Err(err) => {
                return Settled::Retry {
                    status: None,
                    answer: format!("the database: {err}"),
                    next_at: retry_at,
                }
            }
        }
    };
    let out = match build(d, e, name, card.as_ref(), now) {
        Built::Send(out) => out,
        Built::Skip(why) => return Settled::Dropped { answer: why },
    };
    let json = !out.headers.iter().any(|(k, _)| *k == "content-type");
    let mut request = client.post(&out.url).body(out.body);
    if json {
        request = request.header("content-type", "application/json");
    }
    for (k, v) in out.headers {
        request = request.header(k, v);
    }
    if d.kind == DestinationKind::GoogleAds {
        match tokens.get(client, d).await {
            Ok(token) => request = request.bearer_auth(token),
            Err(no) if no.retry => {
                return Settled::Retry {
                    status: no.status,
                    answer: no.answer,
                    next_at: retry_at,
                }
            }
            Err(no) => {
                return match no.status {
                    Some(status) => Settled::Failed {
                        status,
                        answer: no.answer,
                    },
                    None => Settled::Dropped { answer: no.answer },
                }
            }
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let answer = response.text().await.unwrap_or_default();
            let code = i64::from(status.as_u16());
            if code == 401 {
                // An access token revoked before its time: the next attempt gets another.
                tokens.forget(d);
            }
            if status.is_success() {
                Settled::Sent {
                    status: code,
                    answer,
                }
            } else if status.is_server_error() || matches!(code, 408 | 429) {
                Settled::Retry {
                    status: Some(code),
                    answer,
                    next_at: retry_at,
                }
            } else {
                Settled::Failed {
                    status: code,
                    answer,
                }
            }
        }
        // The URL may hold a credential: never in the log.
        Err(err) => Settled::Retry {
            status: None,
            answer: err.without_url().to_string(),
            next_at: retry_at,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 0), base);
        assert_eq!(backoff(base, 3), Duration::from_secs(80));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
