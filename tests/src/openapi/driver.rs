//! Driving a [`TestApp`] operation by operation: each answer is checked against the
//! description, and what was seen is remembered, so a test can demand every documented
//! status.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::{Answer, Spec};
use crate::app::TestApp;

/// Sends requests, checks each answer against the description and remembers what was seen.
pub struct Driver<'a> {
    /// The server.
    pub app: &'a TestApp,
    /// The description.
    pub spec: Spec,
    /// A client that never follows redirects (`/go` answers one off this machine).
    pub http: reqwest::Client,
    /// `(METHOD, path template, status)` of every checked answer.
    pub seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// One request: method, path template, the path as sent, and the rest.
pub struct Call<'t> {
    method: &'static str,
    template: &'static str,
    path: String,
    token: Option<&'t str>,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

/// A request to `path`, checked as the operation at `method` and `template`.
pub fn call<'t>(method: &'static str, template: &'static str, path: impl Into<String>) -> Call<'t> {
    Call {
        method,
        template,
        path: path.into(),
        token: None,
        headers: Vec::new(),
        body: None,
    }
}

impl<'t> Call<'t> {
    /// Sends `Authorization: Bearer <token>`.
    pub fn token(mut self, token: &'t str) -> Self {
        self.token = Some(token);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends `body` as `content_type`.
    pub fn body(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }
}

impl<'a> Driver<'a> {
    /// A driver of `app` against `spec`.
    pub fn new(app: &'a TestApp, spec: Spec) -> Driver<'a> {
        Driver {
            app,
            spec,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            seen: Mutex::default(),
        }
    }

    /// Sends `c`, checks the answer against the description, and asserts its status.
    pub async fn expect(&self, c: Call<'_>, status: u16) -> Answer {
        // A body the server is expected to take must be one the description allows.
        let content_type = c.headers.iter().find(|(n, _)| *n == "content-type");
        if let (Some((_, ct)), Some(body), true) =
            (content_type, &c.body, (200..300).contains(&status))
        {
            if let Err(e) = self.spec.check_request(c.method, c.template, ct, body) {
                panic!("{} {}: {e}", c.method, c.path);
            }
        }
        let mut request = self.http.request(
            c.method.parse().unwrap(),
            format!("{}{}", self.app.base, c.path),
        );
        if let Some(token) = c.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in c.headers {
            request = request.header(name, value);
        }
        if let Some(body) = c.body {
            request = request.body(body);
        }
        let answer = Answer::read(request.send().await.expect("request")).await;
        let what = format!("{} {}", c.method, c.path);
        // Refusals of unknown parameters are what they test; everything else is documented.
        if let Some((_, query)) = c.path.split_once('?').filter(|_| answer.status != 400) {
            if let Err(e) = self.spec.check_query(c.method, c.template, query) {
                panic!("{what}: {e}");
            }
        }
        self.checked(c.method, c.template, answer, status)
    }

    /// Asserts `answer`'s status, checks it against the operation at `method` and `template`,
    /// and remembers it: for answers to requests sent some other way.
    pub fn checked(&self, method: &str, template: &str, answer: Answer, status: u16) -> Answer {
        let what = format!("{method} {template}");
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, status, "{what}: {body}");
        if let Err(e) = self.spec.check(method, template, &answer) {
            panic!("{what} does not answer as described: {e}");
        }
        self.seen
            .lock()
            .unwrap()
            .insert((method.into(), template.into(), answer.status));
        answer
    }

    /// Every documented `(METHOD, path, status)` not answered yet.
    pub fn unseen(&self) -> Vec<(String, String, u16)> {
        let seen = self.seen.lock().unwrap();
        let mut unseen = Vec::new();
        for (method, path) in self.spec.operations() {
            let op = self.spec.operation(&method, &path).unwrap();
            for status in op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|r| r.0)
            {
                let status: u16 = status.parse().expect("a numeric status");
                let key = (method.clone(), path.clone(), status);
                if !seen.contains(&key) {
                    unseen.push(key);
                }
            }
        }
        unseen
    }
}
