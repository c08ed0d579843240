//! A stand-in for the platforms conversions go to (Meta, GA4, a CRM's webhook): a real HTTP
//! server on a free loopback port that keeps every request and answers with the status the
//! test sets (503 while "down").

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query, e.g. `/123/events?access_token=…`.
    pub path_and_query: String,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
    /// The status it was answered.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// The server; stopped when dropped.
pub struct FakeEndpoint {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    body: Arc<Mutex<Option<String>>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeEndpoint {
    /// Starts one answering 200 `{"ok":true}`.
    pub fn start() -> FakeEndpoint {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let body: Arc<Mutex<Option<String>>> = Arc::default();
        let (r, s, d, b) = (
            received.clone(),
            status.clone(),
            delay_ms.clone(),
            body.clone(),
        );
        let server = HttpServer::new(move || {
            let (r, s, d, b) = (r.clone(), s.clone(), d.clone(), b.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let wait = Duration::from_millis(d.load(Ordering::SeqCst));
                let reply = b.lock().unwrap().clone();
                answer(r.clone(), s.clone(), wait, reply, req, body)
            }))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("a free port");
        let base = format!("http://{}", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeEndpoint {
            base,
            received,
            status,
            delay_ms,
            body,
            handle,
        }
    }

    /// Answers with `body` (JSON) from now on, whatever the status.
    pub fn answer_body(&self, body: &str) {
        *self.body.lock().unwrap() = Some(body.to_owned());
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Answers each request after `delay` from now on.
    pub fn delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        let all = self.received();
        all.into_iter().filter(|r| r.status < 300).collect()
    }

    /// Waits up to `within` until `n` requests were answered 2xx; them.
    pub async fn wait_accepted(&self, n: usize, within: Duration) -> Vec<Received> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let got = self.accepted();
            if got.len() >= n || tokio::time::Instant::now() >= until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Keeps the request, waits `wait`, then answers with the status set (a request is kept
/// as it arrives: a sender may die before its answer).
async fn answer(
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    wait: Duration,
    reply: Option<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let status = status.load(Ordering::SeqCst);
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    received.lock().unwrap().push(Received {
        path_and_query: req.uri().to_string(),
        headers,
        body: body.to_vec(),
        status,
    });
    tokio::time::sleep(wait).await;
    let code = actix_web::http::StatusCode::from_u16(status).expect("a status");
    HttpResponse::build(code)
        .content_type("application/json")
        .body(reply.unwrap_or_else(|| {
            if status < 300 {
                r#"{"ok":true}"#.into()
            } else {
                r#"{"error":"down for the test"}"#.into()
            }
        }))
}

impl Drop for FakeEndpoint {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
