//! Inbound load test: signed Cloud API webhooks against a collector on 127.0.0.1, with the
//! database on the same machine, reporting messages per second and acknowledgement latency.
//!
//! ```sh
//! cargo run --release -p chatrail-tests --bin loadtest -- --backend both
//! ```
//!
//! The collector runs in this process (HTTP on a loopback port, 2 workers) on a fresh SQLite
//! file or a fresh database on a throwaway PostgreSQL server started with durable settings
//! (fsync and synchronous commit on). Every message of the plan is sent once; a share of
//! requests are redeliveries of earlier ones, as Meta sends. Each contact writes three
//! messages (a dialog start and two continuations); a third of the contacts carry the code of
//! a stored session. The run is bounded by `--messages` and `--max-seconds`; nothing leaves
//! the machine. Latency is measured per request, from sending it to reading the whole 200
//! response — which the collector sends only after the messages are committed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chatrail_collector::conversions::{DestinationKind, NewDestination};
use chatrail_collector::domain::now_ms;
use chatrail_collector::domain::visit::{Click, Sender, Visit};
use chatrail_collector::providers::signature::hub_signature;
use chatrail_collector::storage::{DialogListQuery, IngestEvent};
use chatrail_core::beacon::{ClickBeacon, VisitBeacon};
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{
    spawn_app_with, Backend, TestApp, APP_SECRET, PHONE_NUMBER_ID, TRACKED_NUMBER,
};
use chatrail_tests::fake_endpoint::FakeEndpoint;
use chatrail_tests::traffic::{XorShift, LANDINGS};
use serde_json::{json, Value};

/// Most messages one run may send.
const MAX_MESSAGES: usize = 1_000_000;
/// Longest a run may take.
const MAX_SECONDS: u64 = 600;
/// Messages each contact writes.
const PER_CONTACT: usize = 3;

#[derive(Debug, Clone)]
struct Options {
    backends: Vec<Backend>,
    messages: usize,
    concurrency: usize,
    batch: usize,
    duplicate_percent: usize,
    max_seconds: u64,
    visits: usize,
    destinations: usize,
}

fn usage() -> &'static str {
    "usage: loadtest [--backend sqlite|postgres|both] [--messages N (default 6000)] \
     [--concurrency C (default 8)] [--batch B messages per POST (default 1)] \
     [--duplicates PERCENT of requests redelivered (default 5)] [--max-seconds S (default 120)] \
     [--visits V stored before the messages, half with a click (default: one per contact)] \
     [--destinations D conversion webhooks taking every event, to a local receiver (default 0)]"
}

fn parse_args() -> anyhow::Result<Options> {
    let mut o = Options {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        messages: 6000,
        concurrency: 8,
        batch: 1,
        duplicate_percent: 5,
        max_seconds: 120,
        visits: 0,
        destinations: 0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .with_context(|| format!("{flag} needs a value\n{}", usage()))?;
        let number = || -> anyhow::Result<u64> {
            value
                .parse()
                .with_context(|| format!("{flag} {value:?} is not a number"))
        };
        match flag.as_str() {
            "--backend" => o.backends = chatrail_tests::bench_args::backends(value)?,
            "--messages" => o.messages = number()? as usize,
            "--concurrency" => o.concurrency = number()? as usize,
            "--batch" => o.batch = number()? as usize,
            "--duplicates" => o.duplicate_percent = number()? as usize,
            "--max-seconds" => o.max_seconds = number()?,
            "--visits" => o.visits = number()? as usize,
            "--destinations" => o.destinations = number()? as usize,
            _ => bail!("unknown flag {flag}\n{}", usage()),
        }
    }
    if !(1..=MAX_MESSAGES).contains(&o.messages)
        || !(1..=512).contains(&o.concurrency)
        || !(1..=1000).contains(&o.batch)
        || o.duplicate_percent > 50
        || !(1..=MAX_SECONDS).contains(&o.max_seconds)
        || o.visits > MAX_MESSAGES
        || o.destinations > 10
    {
        bail!(
            "out of bounds: messages 1-{MAX_MESSAGES}, concurrency 1-512, batch 1-1000, \
             duplicates 0-50, max-seconds 1-{MAX_SECONDS}"
        );
    }
    Ok(o)
}

/// One POST of the plan.
struct Request {
    body: String,
    signature: String,
    messages: usize,
}

/// Stores `sessions` visits with fresh codes, every second one with a click on the tracked
/// number, in the ingest writer's batches of 500, and returns the codes and the events
/// written per second.
async fn seed_sessions(app: &TestApp, sessions: usize, rng: &mut XorShift) -> (Vec<String>, f64) {
    let mut codes = Vec::with_capacity(sessions);
    let mut batches = vec![Vec::new()];
    let at = now_ms() - 3_600_000;
    for i in 0..sessions {
        let code = SessionCode::generate(|| rng.next_u64() as u32);
        let (visitor, session) = (rng.id(), rng.id());
        let beacon = VisitBeacon {
            site: app.site.key.clone(),
            visitor: visitor.clone(),
            session: session.clone(),
            code: code.to_string(),
            url: format!("{}{}", LANDINGS[i % LANDINGS.len()], rng.id()),
            referrer: Some("https://www.google.com/".into()),
            screen_w: Some(390),
            screen_h: Some(844),
            language: Some("ru-RU".into()),
            timezone: Some("Europe/Moscow".into()),
            ..VisitBeacon::default()
        };
        let visit = Visit::parse(&app.site, beacon, Sender::user_agent("Mozilla/5.0"), at)
            .expect("valid visit");
        let mut events = vec![IngestEvent::Visit(Box::new(visit))];
        if i % 2 == 1 {
            let beacon = ClickBeacon {
                site: app.site.key.clone(),
                visitor,
                session,
                code: code.to_string(),
                page: "https://shop.test/kids/".into(),
                number: TRACKED_NUMBER.into(),
                kind: "wa.me".into(),
                id: Some(rng.id()),
                ..ClickBeacon::default()
            };
            let click = Click::parse(&app.site, beacon, at + 5_000).expect("valid click");
            events.push(IngestEvent::Click(Box::new(click)));
        }
        codes.push(code.to_string());
        for event in events {
            let batch = batches.last_mut().expect("a batch");
            batch.push(event);
            if batch.len() == 500 {
                batches.push(Vec::new());
            }
        }
    }
    let events: usize = batches.iter().map(Vec::len).sum();
    let started = Instant::now();
    for batch in batches.iter().filter(|b| !b.is_empty()) {
        app.store.write_batch(batch).await.expect("sessions stored");
    }
    (codes, events as f64 / started.elapsed().as_secs_f64())
}

/// Builds every request of the run: unique messages grouped `batch` per POST, then
/// redeliveries of random earlier requests mixed in.
fn plan(o: &Options, codes: &[String], rng: &mut XorShift) -> (Vec<Request>, usize) {
    let contacts = o.messages.div_ceil(PER_CONTACT);
    let start_s = now_ms() / 1000 - 1800;
    let mut messages = Vec::with_capacity(o.messages);
    for i in 0..o.messages {
        let (contact, nth) = (i % contacts, i / contacts);
        let phone = format!("55119{:08}", contact);
        let text = match (nth, codes.get(contact)) {
            (0, Some(code)) if contact % 3 == 0 => format!("Hi! Is it in stock? (ref {code})"),
            (0, _) => "Hi! Is it in stock?".to_owned(),
            _ => format!("follow-up {nth}"),
        };
        messages.push(json!({"from": phone, "id": format!("wamid.load.{i}"),
            "timestamp": (start_s + i as i64 / 50).to_string(), "type": "text", "text": {"body": text},
            "_name": format!("Contact {contact}")}));
    }
    let mut requests: Vec<Request> = messages
        .chunks(o.batch)
        .map(|chunk| {
            let contacts: Vec<Value> = chunk
                .iter()
                .map(|m| json!({"profile": {"name": m["_name"]}, "wa_id": m["from"]}))
                .collect();
            let msgs: Vec<Value> = chunk
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    m.as_object_mut().map(|o| o.remove("_name"));
                    m
                })
                .collect();
            let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
                {"field": "messages", "value": {"messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "79001234567", "phone_number_id": PHONE_NUMBER_ID},
                    "contacts": contacts, "messages": msgs}}]}]})
            .to_string();
            Request {
                signature: hub_signature(APP_SECRET.as_bytes(), body.as_bytes()),
                body,
                messages: chunk.len(),
            }
        })
        .collect();
    let unique = requests.len();
    let copies = unique * o.duplicate_percent / 100;
    for _ in 0..copies {
        // A redelivery comes after the original: insert it somewhere behind it.
        let original = rng.below(unique);
        let copy = Request {
            body: requests[original].body.clone(),
            signature: requests[original].signature.clone(),
            messages: requests[original].messages,
        };
        let at = original + 1 + rng.below(requests.len() - original);
        requests.insert(at.min(requests.len()), copy);
    }
    (requests, contacts)
}

#[derive(Debug, Default)]
struct Outcome {
    latencies: Vec<Duration>,
    stored: u64,
    duplicates: u64,
    errors: u64,
    requests: u64,
}

async fn run(backend: Backend, o: &Options) -> anyhow::Result<Value> {
    let app = Arc::new(spawn_app_with(backend, |s| s.conversions_poll_ms = 100).await);
    // Conversion webhooks: every dialog's start (and match) goes to the outbox with the
    // message's commit, and the collector's sender delivers it to a local receiver.
    let receiver = FakeEndpoint::start();
    for i in 0..o.destinations {
        let d = NewDestination {
            kind: DestinationKind::Webhook,
            name: format!("CRM {i}"),
            endpoint: Some(receiver.base.clone()),
            settings: Default::default(),
            secret: None,
            events: None,
        }
        .check(app.site.id.0)
        .map_err(anyhow::Error::msg)?;
        app.store.add_destination(&d).await?;
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let contacts = o.messages.div_ceil(PER_CONTACT);
    let (codes, ingest_per_s) = seed_sessions(&app, contacts.max(o.visits), &mut rng).await;
    let (requests, contacts) = plan(o, &codes, &mut rng);
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.max_seconds);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .build()?;
    let url = format!("{}/webhooks/whatsapp", app.base);
    let started = Instant::now();
    let tasks: Vec<_> = (0..o.concurrency)
        .map(|_| {
            let (requests, next, http, url) =
                (requests.clone(), next.clone(), http.clone(), url.clone());
            tokio::spawn(async move {
                let mut out = Outcome::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = requests.get(i).filter(|_| Instant::now() < deadline) else {
                        break;
                    };
                    let sent = Instant::now();
                    let resp = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", &r.signature)
                        .body(r.body.clone())
                        .send()
                        .await;
                    out.requests += 1;
                    match resp {
                        Ok(resp) if resp.status() == 200 => {
                            let report: Value = resp.json().await.unwrap_or_default();
                            out.latencies.push(sent.elapsed());
                            out.stored += report["stored"].as_u64().unwrap_or(0);
                            out.duplicates += report["duplicates"].as_u64().unwrap_or(0);
                        }
                        Ok(resp) => {
                            out.errors += 1;
                            eprintln!(
                                "HTTP {}: {}",
                                resp.status(),
                                resp.text().await.unwrap_or_default()
                            );
                        }
                        Err(e) => {
                            out.errors += 1;
                            eprintln!("request failed: {e}");
                        }
                    }
                }
                out
            })
        })
        .collect();
    let mut total = Outcome::default();
    for t in tasks {
        let o = t.await?;
        total.latencies.extend(o.latencies);
        total.stored += o.stored;
        total.duplicates += o.duplicates;
        total.errors += o.errors;
        total.requests += o.requests;
    }
    let elapsed = started.elapsed();
    // Every event delivered: one per dialog and destination at least (plus late matches).
    let wanted = contacts * o.destinations;
    let delivered = receiver
        .wait_accepted(wanted, Duration::from_secs(o.max_seconds))
        .await
        .len();
    let delivered_after = started.elapsed();
    total.latencies.sort();
    let pct = |p: f64| {
        let l = &total.latencies;
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1;
        l[i].as_secs_f64() * 1000.0
    };
    let all_dialogs = app
        .store
        .list_dialogs(
            app.site.id,
            &DialogListQuery {
                limit: i64::MAX,
                ..Default::default()
            },
        )
        .await?;
    let dialogs = all_dialogs.len();
    if dialogs != contacts {
        let mut phones: Vec<_> = all_dialogs
            .iter()
            .map(|d| d.contact_phone.clone())
            .collect();
        phones.sort();
        for w in phones.windows(2).filter(|w| w[0] == w[1]) {
            for d in all_dialogs.iter().filter(|d| d.contact_phone == w[0]) {
                eprintln!("{}", serde_json::to_string(d)?);
            }
        }
    }
    let complete = total.requests as usize == requests.len();
    let acked = total.stored + total.duplicates;
    let summary = json!({
        "backend": format!("{backend:?}").to_lowercase(),
        "requests": total.requests,
        "messages_per_request": o.batch,
        "concurrency": o.concurrency,
        "errors": total.errors,
        "stored": total.stored,
        "duplicates": total.duplicates,
        "seconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
        "acked_messages_per_second": (acked as f64 / elapsed.as_secs_f64()).round(),
        "stored_messages_per_second": (total.stored as f64 / elapsed.as_secs_f64()).round(),
        "ack_latency_ms": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
        "dialogs": dialogs,
        "complete": complete,
        "ingest_events_per_second": ingest_per_s.round(),
        "conversion_destinations": o.destinations,
        "conversions_delivered": delivered,
        "conversions_delivered_seconds": (delivered_after.as_secs_f64() * 100.0).round() / 100.0,
    });
    if complete {
        // Every unique message stored exactly once, one dialog per contact.
        anyhow::ensure!(total.errors == 0, "{} requests failed", total.errors);
        anyhow::ensure!(
            total.stored as usize == o.messages,
            "stored {} of {}",
            total.stored,
            o.messages
        );
        anyhow::ensure!(
            dialogs == contacts,
            "{dialogs} dialogs for {contacts} contacts"
        );
        anyhow::ensure!(
            delivered >= wanted,
            "{delivered} of {wanted} conversion events delivered"
        );
    }
    Ok(summary)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = parse_args()?;
    // Acknowledged means durable: the throwaway PostgreSQL keeps fsync on for this run.
    chatrail_tests::postgres::use_durable_settings();
    println!(
        "loadtest: {} messages, {} per POST, {} concurrent requests, {}% redeliveries, ≤ {} s per backend",
        o.messages, o.batch, o.concurrency, o.duplicate_percent, o.max_seconds
    );
    for backend in o.backends.clone() {
        let summary = run(backend, &o).await?;
        let l = &summary["ack_latency_ms"];
        println!(
            "{:<8} ingest {} visits and clicks/s written (batches of 500)",
            summary["backend"].as_str().unwrap_or_default(),
            summary["ingest_events_per_second"],
        );
        println!(
            "{:<8} {:>6} msg/s acked ({:>6} stored/s) | ack latency p50 {:>6.1} ms  p90 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms | {} requests, {} errors, {} s",
            summary["backend"].as_str().unwrap_or_default(),
            summary["acked_messages_per_second"],
            summary["stored_messages_per_second"],
            l["p50"].as_f64().unwrap_or_default(),
            l["p90"].as_f64().unwrap_or_default(),
            l["p99"].as_f64().unwrap_or_default(),
            l["max"].as_f64().unwrap_or_default(),
            summary["requests"],
            summary["errors"],
            summary["seconds"],
        );
        println!("{summary}");
    }
    Ok(())
}
