//! `GET /api/v1/live`: a `text/event-stream` of the token's site's new messages, for the
//! dashboard's list and card to update without reload. Every second the stream reads the
//! messages received since the last poll from the database (not an in-process channel), so
//! it sees what every collector on the database stored. The token is sent as with every
//! call, `Authorization: Bearer`: the dashboard reads the stream with `fetch()`, not
//! `EventSource` (which cannot send the header), so no token ever goes in a URL.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::domain::provider::Provider;
use crate::domain::{now_ms, rfc3339_ms};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::SharedStore;

/// Streams one site may hold open at once (in this process).
pub const MAX_STREAMS_PER_SITE: usize = 20;
/// How often a stream reads the database.
const POLL: Duration = Duration::from_secs(1);
/// How far back each poll looks again, for a row another collector committed late.
const OVERLAP_MS: i64 = 5_000;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(live);
}

/// One event's data: a message arrived in `dialog_id`, `started` it if it is its first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LiveEvent {
    /// The dialog that got the message.
    pub dialog_id: Uuid,
    /// Whether the message started the dialog.
    pub started: bool,
    /// When the message was received.
    #[schema(format = DateTime)]
    pub at: String,
}

/// The open streams per site; a [`Slot`] gives its place back when its stream ends.
fn open_streams() -> &'static Mutex<HashMap<Uuid, usize>> {
    static OPEN: OnceLock<Mutex<HashMap<Uuid, usize>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
}

struct Slot(Uuid);

impl Slot {
    fn take(site: Uuid) -> Option<Slot> {
        let mut open = open_streams().lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(site).or_default();
        if *count >= MAX_STREAMS_PER_SITE {
            return None;
        }
        *count += 1;
        Some(Slot(site))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = open_streams().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.0) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.0);
            }
        }
    }
}

/// A stream's state between polls.
struct Live {
    store: SharedStore,
    site: crate::domain::site::SiteId,
    /// The account of a session-authenticated stream: its role is read again every poll,
    /// so a member removed from the site (or made analyst) stops getting events.
    account: Option<crate::domain::account::AccountId>,
    /// When the stream opened: nothing received before is told.
    opened: i64,
    /// The newest message told.
    since: i64,
    seen: HashMap<(Provider, String), i64>,
    pending: VecDeque<Bytes>,
    _slot: Slot,
}

impl Live {
    /// The next chunk; `None` ends the stream (the client reconnects).
    async fn next(mut self) -> Option<(Result<Bytes, ApiError>, Live)> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                return Some((Ok(chunk), self));
            }
            tokio::time::sleep(POLL).await;
            if let Some(account) = self.account {
                match self.store.account_role(account, self.site).await {
                    Ok(Some(role)) if role.can_read_dialogs() => {}
                    Ok(_) => return None,
                    Err(e) => {
                        tracing::warn!(error = %e, "live stream: role not read, closing it");
                        return None;
                    }
                }
            }
            let messages = match self
                .store
                .messages_since(self.site, (self.since - OVERLAP_MS).max(self.opened))
                .await
            {
                Ok(messages) => messages,
                Err(e) => {
                    tracing::warn!(error = %e, "live stream: polling failed, closing it");
                    return None;
                }
            };
            for m in messages {
                self.since = self.since.max(m.received_at);
                if self.seen.insert(m.key, m.received_at).is_some() {
                    continue;
                }
                let event = LiveEvent {
                    dialog_id: m.dialog_id,
                    started: m.started,
                    at: rfc3339_ms(m.received_at),
                };
                let data = serde_json::to_string(&event).unwrap_or_default();
                self.pending
                    .push_back(Bytes::from(format!("event: message\ndata: {data}\n\n")));
            }
            let horizon = self.since - 2 * OVERLAP_MS;
            self.seen.retain(|_, at| *at >= horizon);
            // A comment on every quiet poll: it keeps proxies from closing an idle stream,
            // and only a write finds a client gone, so its place is freed within a second.
            if self.pending.is_empty() {
                self.pending.push_back(Bytes::from_static(b":\n\n"));
            }
        }
    }
}

/// The site's new messages as server-sent events (operator, admin): `event: message` with
/// a [`LiveEvent`] for each message received after the stream opened, and a `:` comment
/// every quiet second. At most 20 open streams per site.
#[utoipa::path(
    tag = "dialogs",
    security(("token" = [])),
    responses(
        (status = 200, description = "A never-ending `text/event-stream`: `event: message` \
            whose `data` is a LiveEvent, and a `:` comment every quiet second",
            content_type = "text/event-stream", body = String),
        (status = 403, description = "The role cannot read dialogs"),
        (status = 429, description = "The site has 20 streams open already"),
    )
)]
#[get("/live")]
async fn live(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !auth.0.role.can_read_dialogs() {
        return Err(ApiError::Forbidden("this token's role cannot read dialogs"));
    }
    let slot = Slot::take(auth.0.site_id.0).ok_or(ApiError::TooManyRequests(
        "the site has too many live streams open",
        5,
    ))?;
    let opened = now_ms();
    let start = Live {
        store: state.store.clone(),
        site: auth.0.site_id,
        account: auth.1,
        opened,
        since: opened,
        seen: HashMap::new(),
        pending: VecDeque::from([Bytes::from_static(b"retry: 3000\n: live\n\n")]),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(start, Live::next);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        // Not compressed: a compressor would hold events back until its buffer fills.
        .insert_header(("Content-Encoding", "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
