//! A seeded fuzzer over the whole HTTP surface, on both databases: every operation of the API
//! description (so a new route is fuzzed as soon as it is described), the dashboard's pages
//! and paths that exist nowhere, each asked with hostile requests sent as raw bytes: broken
//! and mutated JSON (providers' real payloads and valid beacons with one field made hostile),
//! NUL and control characters, invalid UTF-8 in the path, the query and the body, huge
//! strings, Cyrillic and emoji, wrong content types, odd headers, wrong and right signatures
//! (a right signature over a hostile body reaches the parsers), other methods.
//!
//! Every request must be answered (no dropped connection, no hang), never with a 5xx, and
//! every 4xx must be a JSON `{"error": "..."}` — but for requests that are not HTTP at all
//! (raw non-ASCII bytes in the request line), which actix refuses with a bare 400.
//!
//! `CHATRAIL_FUZZ_CASES` (default 5,000 per database) and `CHATRAIL_FUZZ_SEED` change the
//! run; a failure prints the seed and the case's number, which reproduce it:
//! `CHATRAIL_FUZZ_SEED=… CHATRAIL_FUZZ_ONLY=<case>` runs that case alone, and
//! `CHATRAIL_FUZZ_WRITE=<file>` writes its request there.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatrail_collector::domain::token::Role;
use chatrail_collector::providers::signature::hub_signature;
use chatrail_collector::providers::twilio::{self, Form};
use chatrail_collector::routes::MAX_PATH_BYTES;
use chatrail_core::beacon::format_id;
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{
    create_token, spawn_app, whatsapp_text, Backend, APP_SECRET, PUBLIC_URL, TELEGRAM_SECRET,
    TWILIO_AUTH_TOKEN,
};
use chatrail_tests::inbound::{fixture, twilio_form};
use chatrail_tests::on_both_backends;
use chatrail_tests::raw::{chunked, exchange, RawError};
use serde_json::{json, Value};

use super::openapi::spec;

on_both_backends!(hostile_requests_never_break_the_server);

const CASES: usize = 5_000;
const SEED: u64 = 0x22_c4a7;
/// Requests in flight at once.
const CONCURRENCY: usize = 4;

/// SplitMix64: small, seeded, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Rng {
        let mut rng = Rng(seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        rng.next();
        rng
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn one<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Hostile text (always valid UTF-8: invalid bytes are added where bytes are written).
fn hostile_text(rng: &mut Rng) -> String {
    let pieces = [
        "",
        "\u{0}",
        "a\u{0}b",
        "\u{1}\u{7}\u{8}\u{1b}[31m\u{7f}",
        "line\r\nX-Injected: 1",
        "\u{85}\u{2028}\u{2029}",
        "Привет, мир! Стол из дуба",
        "ЖЖЖ ЖЖЖ",
        "😀👍🏽🇧🇷",
        "\u{202e}evil\u{202d}",
        "\u{feff}\u{200b}",
        "' OR 1=1 --",
        "%_%\\",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "{code}{text}{{}}",
        "K7Q2M9VA",
        "79001234567",
        "+7 (900) 123-45-67",
        "@chatrail_shop_bot",
        "shop",
        "0190f0c4-0000-7000-8000-000000000000",
        "2025-11-22T10:00:00Z",
        "9999-12-31",
        "1e999",
        "-1",
        "18446744073709551616",
        "NaN",
        "null",
        "   ",
        "\t",
    ];
    let mut out = String::new();
    for _ in 0..1 + rng.below(3) {
        out.push_str(rng.one(&pieces));
    }
    if rng.chance(8) {
        let unit = rng.one(&["a", "Ж", "😀", "\u{0}", " ", "%"]).to_string();
        out.push_str(&unit.repeat(1 + rng.below(40_000)));
    }
    out
}

/// A hostile JSON value.
fn hostile_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0..=2 => Value::String(hostile_text(rng)),
        3 => json!(rng.one(&[0.0, -1.0, 1e308, -1e308, 0.5, 4_294_967_296.0])),
        4 => json!(rng.next() as i64),
        5 => rng.pick(&[Value::Null, json!(true), json!(false)]).clone(),
        6 => Value::Array(
            (0..rng.below(4))
                .map(|_| hostile_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                map.insert(hostile_text(rng), hostile_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// Replaces one value somewhere in `v` (or adds a field) with a hostile one.
fn mutate(rng: &mut Rng, v: &mut Value) {
    match v {
        Value::Object(map) if !map.is_empty() && rng.chance(85) => {
            let key = map.keys().nth(rng.below(map.len())).cloned().unwrap();
            let child = map.get_mut(&key).unwrap();
            if rng.chance(50) && (child.is_object() || child.is_array()) {
                mutate(rng, child);
            } else {
                *child = hostile_value(rng, 0);
            }
        }
        Value::Object(map) => {
            map.insert(hostile_text(rng), hostile_value(rng, 0));
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            mutate(rng, &mut items[i]);
        }
        other => *other = hostile_value(rng, 0),
    }
}

/// A body meant for the route, with one or more hostile changes, or not meant for it at all.
fn body_for(rng: &mut Rng, template: &str) -> Vec<u8> {
    let id = |rng: &mut Rng| {
        format_id((u128::from(rng.next()) << 64 | u128::from(rng.next())).to_be_bytes())
    };
    // A session as the snippet makes one: ids and a valid code (from the seed).
    struct Session {
        visitor: String,
        session: String,
        code: String,
    }
    let b = Session {
        visitor: id(rng),
        session: id(rng),
        code: SessionCode::generate(|| rng.next() as u32)
            .as_str()
            .to_owned(),
    };
    let base: Option<String> = match template {
        "/collect/visit" => Some(
            json!({"site": "shop", "visitor": b.visitor, "session": b.session,
            "code": b.code, "url": "https://shop.test/kids?gclid=Cj0&utm_source=google",
            "referrer": "https://www.google.com/", "screen_w": 390, "screen_h": 844,
            "language": "ru-RU", "timezone": "Europe/Moscow"})
            .to_string(),
        ),
        "/collect/click" => Some(
            json!({"site": "shop", "visitor": b.visitor, "session": b.session,
            "code": b.code, "page": "https://shop.test/", "number": "79001234567",
            "kind": "wa.me", "id": b.session})
            .to_string(),
        ),
        "/api/v1/messages" => Some(fixture("generic/message.json")),
        "/api/v1/site" => Some(
            json!({"name": "Shop", "timezone": "Europe/Moscow",
            "domains": ["shop.test"], "numbers": [{"number": "+7 900 123-45-67",
            "wa_phone_number_id": "221133445566778"}], "template": "{text} (ref {code})",
            "pages": [{"path": "/kids/*", "text": "Детские столы"}], "bots": ["chatrail_shop_bot"],
            "channel_rules": ["source=partner-* -> Affiliates"]})
            .to_string(),
        ),
        "/api/v1/tokens" => Some(json!({"name": "fuzz", "role": "analyst"}).to_string()),
        "/webhooks/whatsapp" => Some(if rng.chance(50) {
            fixture(rng.one(&[
                "whatsapp/referral.json",
                "whatsapp/batch.json",
                "whatsapp/status_delivered.json",
                "whatsapp/system_user_changed_number.json",
                "whatsapp/interactive_list_reply.json",
            ]))
        } else {
            whatsapp_text(
                "wamid.fuzz",
                "5511987654321",
                "Ана",
                "Привет (ref K7Q2M9VA)",
                1_763_805_600,
            )
        }),
        "/webhooks/telegram/{site_key}" => Some(fixture(rng.one(&[
            "telegram/text.json",
            "telegram/start.json",
            "telegram/photo_caption.json",
            "telegram/edited_message.json",
        ]))),
        _ => None,
    };
    let twilio = template == "/webhooks/twilio";
    match rng.below(10) {
        // A known body made hostile in one or more places.
        0..=4 if twilio => {
            let mut pairs: Vec<(String, String)> =
                form_urlencoded::parse(twilio_form("twilio/text_with_code.form").as_bytes())
                    .into_owned()
                    .collect();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(pairs.len());
                pairs[i].1 = hostile_text(rng);
            }
            let mut out = form_urlencoded::Serializer::new(String::new());
            out.extend_pairs(pairs);
            let mut bytes = out.finish().into_bytes();
            if rng.chance(20) {
                bytes.extend_from_slice(b"&Body=%FF%FE%00");
            }
            bytes
        }
        0..=4 => {
            let mut value: Value = base
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or_else(|| hostile_value(rng, 0));
            for _ in 0..1 + rng.below(3) {
                mutate(rng, &mut value);
            }
            let mut text = value.to_string();
            // What no Rust string holds: a lone surrogate, an escaped NUL in a key.
            if rng.chance(10) {
                text = text.replacen("\"", "\"\\ud800", 1);
            }
            text.into_bytes()
        }
        // The known body untouched (with the right signature it is stored).
        5 => base.unwrap_or_default().into_bytes(),
        // Broken JSON.
        6 => {
            let whole = base.unwrap_or_else(|| "{\"a\": [1, 2, {\"b\": \"c\"}]}".into());
            let cut = rng.below(whole.len().max(1));
            whole.as_bytes()[..cut].to_vec()
        }
        // Deep nesting.
        7 => {
            let depth = 10 + rng.below(5_000);
            let mut s = "[".repeat(depth);
            s.push_str(&"]".repeat(depth));
            s.into_bytes()
        }
        // Random bytes, invalid UTF-8 included.
        8 => (0..rng.below(2_000)).map(|_| rng.next() as u8).collect(),
        // Nothing.
        _ => Vec::new(),
    }
}

/// A path parameter's value, percent-encoded as it goes into the path (or raw, sometimes).
fn path_value(rng: &mut Rng, name: &str, raw: &mut bool) -> String {
    let good = match name {
        "site" | "key" | "site_key" => "shop",
        "chat" => rng.one(&["79001234567", "+7%20900%20123-45-67", "@chatrail_shop_bot"]),
        "id" => "0190f0c4-0000-7000-8000-000000000000",
        "tag" => rng.one(&["hot", "%D0%B3%D0%BE%D1%80%D1%8F%D1%87%D0%B8%D0%B9"]),
        "name" => rng.one(&["channels", "dynamics", "pages", "hours"]),
        "hash" => "0000",
        _ => "x",
    };
    match rng.below(10) {
        0..=3 => good.to_owned(),
        4..=7 => encode(hostile_text(rng).as_bytes(), MAX_PATH_BYTES),
        8 => rng
            .pick(&[
                "%FF%FE",
                "%C3%28",
                "%ED%A0%80",
                "%00",
                "%0A%0D",
                "%2F..%2F",
                "%25",
                "..",
            ])
            .to_string(),
        _ => {
            // Raw non-ASCII bytes: not HTTP any more.
            *raw = true;
            "\u{416}\u{FF}".to_owned()
        }
    }
}

/// Percent-encodes every byte outside unreserved ASCII, cut to `max` bytes.
fn encode(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes {
        if out.len() + 3 > max {
            break;
        }
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One request: its bytes, the route it was meant for, and whether it is still HTTP.
struct Case {
    route: String,
    request: Vec<u8>,
    method: String,
    raw: bool,
}

struct Tokens {
    admin: String,
    operator: String,
}

fn case(seed: u64, n: u64, routes: &[(String, String, Vec<String>)], tokens: &Tokens) -> Case {
    let mut rng = Rng::new(seed, n);
    let (own_method, template, query_names) = rng.pick(routes);
    let method = if rng.chance(85) {
        own_method.clone()
    } else {
        rng.one(&[
            "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FROB",
        ])
        .to_string()
    };
    let mut raw = false;
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        path.push('/');
        match (segment.find('{'), segment.rfind('}')) {
            (Some(a), Some(b)) => {
                path.push_str(&segment[..a]);
                path.push_str(&path_value(&mut rng, &segment[a + 1..b], &mut raw));
                path.push_str(&segment[b + 1..]);
            }
            _ => path.push_str(segment),
        }
    }
    if rng.chance(25) {
        let mut query = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let name = if !query_names.is_empty() && rng.chance(70) {
                rng.pick(query_names).clone()
            } else {
                encode(hostile_text(&mut rng).as_bytes(), 64)
            };
            let value = match rng.below(4) {
                0 => rng
                    .pick(&[
                        "2025-01-01",
                        "100",
                        "exact",
                        "csv",
                        "week",
                        "custom",
                        "subscribe",
                    ])
                    .to_string(),
                1 => "%FF%00%0A".to_owned(),
                _ => encode(hostile_text(&mut rng).as_bytes(), 4096),
            };
            query.push(format!("{name}={value}"));
        }
        path.push('?');
        path.push_str(&query.join("&"));
    }
    let body = if rng.chance(75) {
        body_for(&mut rng, template)
    } else {
        Vec::new()
    };
    let mut headers: Vec<(String, Vec<u8>)> = vec![("Host".into(), b"127.0.0.1".to_vec())];
    let mut header =
        |name: &str, value: &str| headers.push((name.into(), value.as_bytes().to_vec()));
    match rng.below(10) {
        0..=5 => header("Authorization", &format!("Bearer {}", tokens.admin)),
        6 => header("Authorization", &format!("Bearer {}", tokens.operator)),
        7 => header(
            "Authorization",
            rng.one(&["Bearer crt_nope", "Basic YTpi", "Bearer", "bearer  "]),
        ),
        _ => {}
    }
    let content_type = rng.one(&[
        "application/json",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=koi8-r",
        "image/png",
        "",
        "\u{416}",
    ]);
    if !content_type.is_empty() {
        header("Content-Type", content_type);
    }
    match template.as_str() {
        "/webhooks/whatsapp" => match rng.below(4) {
            0 | 1 => header(
                "X-Hub-Signature-256",
                &hub_signature(APP_SECRET.as_bytes(), &body),
            ),
            2 => header(
                "X-Hub-Signature-256",
                rng.one(&["sha256=00", "sha256=", "md5=1", "sha256=ЖЖ"]),
            ),
            _ => {}
        },
        "/webhooks/twilio" => match rng.below(4) {
            0 | 1 => {
                let url = format!("{PUBLIC_URL}{path}");
                let signature = twilio::signature(TWILIO_AUTH_TOKEN, &url, &Form::parse(&body));
                header("X-Twilio-Signature", &signature);
            }
            2 => header("X-Twilio-Signature", "AAAA"),
            _ => {}
        },
        "/webhooks/telegram/{site_key}" => match rng.below(3) {
            0 | 1 => header("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
            _ => header("X-Telegram-Bot-Api-Secret-Token", "wrong"),
        },
        _ => {}
    }
    for _ in 0..rng.below(3) {
        let (name, value) = rng.one(&[
            (
                "User-Agent",
                "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36",
            ),
            (
                "User-Agent",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
            ),
            ("User-Agent", "ЖЖЖ"),
            ("Accept", "text/csv"),
            ("Accept-Encoding", "br, gzip, x-unknown"),
            ("Accept-Language", "ru-RU,ru;q=0.9,*;q=0.1"),
            ("X-Forwarded-For", "999.1.1.1, ::g, ЖЖ"),
            ("Forwarded", "for=\"[::1\";proto=gopher"),
            ("Origin", "null"),
            ("Referer", "javascript:alert(1)"),
            ("If-None-Match", "\"\u{0}\", W/"),
            ("Cookie", "a=\u{1}"),
            ("Range", "bytes=-1"),
            ("Expect", "100-continue"),
        ]);
        header(name, value);
        // Control characters in a header are not HTTP (obs-text, bytes over 0x7f, is):
        // actix refuses the request itself, with a bare 400.
        raw |= value.chars().any(|c| c.is_ascii_control() && c != '\t');
    }
    let chunk = rng.chance(15);
    let mut request = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for (name, value) in &headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if chunk {
        request.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    } else if !body.is_empty() || matches!(method.as_str(), "POST" | "PUT") {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    if chunk {
        request.extend(chunked(&body, 1 + rng.below(4096)));
    } else {
        request.extend_from_slice(&body);
    }
    Case {
        route: format!("{own_method} {template}"),
        request,
        method,
        raw,
    }
}

/// What went wrong with one case, if anything.
fn judge(
    case: &Case,
    answer: Result<chatrail_tests::raw::RawAnswer, RawError>,
) -> Result<u16, String> {
    let answer = answer.map_err(|e| format!("no answer: {e:?}"))?;
    let status = answer.status;
    if status >= 500 {
        return Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&answer.body)
        ));
    }
    let bare_allowed = case.raw && status == 400;
    if (400..500).contains(&status) && case.method != "HEAD" && !bare_allowed {
        let json = answer
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json"));
        let body = decoded(&answer)?;
        let error: Option<Value> = serde_json::from_slice(&body).ok();
        let has_error = error.as_ref().is_some_and(|e| e["error"].is_string());
        if !json || !has_error {
            return Err(format!(
                "{status} without a JSON error ({:?}): {}",
                answer.header("content-type"),
                String::from_utf8_lossy(&body)
            ));
        }
    }
    Ok(status)
}

/// The answer's body as sent before compression (the API compresses what clients accept).
fn decoded(answer: &chatrail_tests::raw::RawAnswer) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    let read = match answer.header("content-encoding") {
        Some("br") => brotli::Decompressor::new(&answer.body[..], 4096).read_to_end(&mut out),
        Some("gzip") => flate2::read::GzDecoder::new(&answer.body[..]).read_to_end(&mut out),
        Some(other) => return Err(format!("unexpected content-encoding {other}")),
        None => return Ok(answer.body.clone()),
    };
    read.map_err(|e| format!("undecodable body: {e}"))?;
    Ok(out)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn hostile_requests_never_break_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = Arc::new(Tokens {
        admin: create_token(&app.store, &app.site, Role::Admin).await,
        operator: app.token.clone(),
    });
    let cases: usize = env_number("CHATRAIL_FUZZ_CASES", CASES);
    let seed: u64 = env_number("CHATRAIL_FUZZ_SEED", SEED);
    // One case alone, to reproduce it (its request is written to the file named).
    let only: Option<usize> = std::env::var("CHATRAIL_FUZZ_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let addr: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let spec = spec();
    let mut routes: Vec<(String, String, Vec<String>)> = spec
        .operations()
        .into_iter()
        .map(|(method, template)| {
            let op = spec.operation(&method, &template).unwrap();
            let names = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            (method, template, names)
        })
        .collect();
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/dashboard/"),
        ("GET", "/dashboard/{file}"),
        ("POST", "/nowhere/{x}"),
    ] {
        routes.push((method.into(), path.into(), Vec::new()));
    }
    let routes = Arc::new(routes);
    let next = Arc::new(AtomicUsize::new(0));
    let stats = Arc::new(Mutex::new((
        BTreeMap::<String, usize>::new(),
        BTreeMap::<u16, usize>::new(),
    )));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (routes, next, stats, failures, tokens) = (
                routes.clone(),
                next.clone(),
                stats.clone(),
                failures.clone(),
                tokens.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let n = match only {
                        Some(only) if n == 0 => only,
                        Some(_) => return,
                        None if n >= cases => return,
                        None => n,
                    };
                    let case = case(seed, n as u64, &routes, &tokens);
                    if let (Some(_), Ok(file)) = (only, std::env::var("CHATRAIL_FUZZ_WRITE")) {
                        std::fs::write(file, &case.request).expect("request written");
                    }
                    let answer = exchange(addr, &case.request, Duration::from_secs(20)).await;
                    match judge(&case, answer) {
                        Ok(status) => {
                            let mut s = stats.lock().unwrap();
                            *s.0.entry(case.route.clone()).or_default() += 1;
                            *s.1.entry(status).or_default() += 1;
                        }
                        Err(why) => {
                            let shown: String = String::from_utf8_lossy(&case.request)
                                .chars()
                                .take(400)
                                .collect();
                            failures.lock().unwrap().push(format!(
                                "case {n} ({}): {why}\n  request: {shown:?}",
                                case.route
                            ));
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("fuzz worker");
    }
    let elapsed = started.elapsed();
    let cases = if only.is_some() { 1 } else { cases };
    let (per_route, statuses) = stats.lock().unwrap().clone();
    let failures = failures.lock().unwrap().clone();
    println!(
        "fuzz on {backend:?}: {cases} cases, seed {seed:#x}, {:.1} s ({:.0} a second), {} failed",
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64(),
        failures.len()
    );
    println!("  statuses: {statuses:?}");
    for (route, n) in &per_route {
        println!("  {n:>7}  {route}");
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} hostile requests on {backend:?} (seed {seed:#x}) broke the rules:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        only.is_some() || per_route.len() >= routes.len(),
        "not every route was fuzzed: {per_route:?}"
    );
    // The server still works, with the database behind it.
    assert_eq!(app.health().await["status"], "ok");
}
