//! Enrichment costs per visit: channel classification, user-agent parsing, GeoIP lookup and
//! the whole `Visit::parse`.
//!
//! `cargo bench -p chatrail-collector --bench enrich`. The GeoIP benchmark reads a generated
//! city database of 100,000 networks; set `CHATRAIL_BENCH_GEOIP_DB` to a real `.mmdb` (or
//! several, comma-separated) to measure that instead.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use chatrail_collector::domain::site::{Site, SiteId};
use chatrail_collector::domain::visit::{Sender, Visit};
use chatrail_collector::enrich::attribution::Attribution;
use chatrail_collector::enrich::channel::{self, ChannelRule};
use chatrail_collector::enrich::geo::GeoIp;
use chatrail_collector::enrich::user_agent::Device;
use chatrail_core::beacon::VisitBeacon;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use url::Url;

/// Landing pages and referrers in roughly the mix a shop sees.
const VISITS: &[(&str, Option<&str>)] = &[
    ("https://shop.test/", None),
    ("https://shop.test/oak", Some("https://www.google.com/")),
    (
        "https://shop.test/oak?gclid=Cj0KCQiA5rGuBhCnARIsAN11",
        Some("https://www.google.com/"),
    ),
    (
        "https://shop.test/?utm_source=facebook&utm_medium=paid_social&utm_campaign=oak",
        Some("https://l.facebook.com/"),
    ),
    (
        "https://shop.test/?fbclid=IwAR2xYz",
        Some("https://l.instagram.com/"),
    ),
    (
        "https://shop.test/?utm_source=newsletter&utm_medium=email&utm_campaign=nov",
        None,
    ),
    (
        "https://shop.test/?yclid=2438923847",
        Some("https://yandex.ru/"),
    ),
    (
        "https://shop.test/",
        Some("https://yandex.ru/search/?text=oak+table"),
    ),
    ("https://shop.test/", Some("https://t.me/oakandco")),
    (
        "https://shop.test/",
        Some("https://blog.example.org/best-oak-tables"),
    ),
    ("https://shop.test/", Some("https://chatgpt.com/")),
    (
        "https://shop.test/?utm_source=partner&utm_medium=Refferal",
        None,
    ),
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

fn site() -> Site {
    Site {
        id: SiteId(uuid::Uuid::nil()),
        key: "shop".into(),
        name: "Oak & Co".into(),
        domains: vec!["shop.test".into()],
        template: "{text} (ref {code})".into(),
        numbers: Vec::new(),
        channel_rules: vec![
            ChannelRule::parse("source=partner-* & medium=cpa -> Affiliates")
                .expect("a valid rule"),
        ],
        wa_app_secret: None,
        wa_verify_token_hash: None,
        providers: Default::default(),
        bots: Vec::new(),
        pages: Vec::new(),
    }
}

/// A small xorshift, so the addresses looked up are spread but the same every run.
fn addresses(n: usize) -> Vec<IpAddr> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            IpAddr::V4(Ipv4Addr::from(x))
        })
        .collect()
}

/// Writes a GeoIP2-layout city database of 100,000 /24 networks into a temporary file.
fn generated_db() -> PathBuf {
    let mut w = mmdb_writer::Writer::new("GeoIP2-City");
    let record = serde_json::json!({
        "city": {"names": {"en": "London"}},
        "country": {"iso_code": "GB"},
        "subdivisions": [{"names": {"en": "England"}}],
    });
    for ip in addresses(100_000) {
        let IpAddr::V4(v4) = ip else { continue };
        let net = mmdb_writer::ipnet::Ipv4Net::new(v4, 24)
            .expect("a /24")
            .trunc();
        w.insert(net, &record).expect("insert");
    }
    let path = std::env::temp_dir().join(format!("chatrail-bench-{}.mmdb", std::process::id()));
    std::fs::write(&path, w.to_bytes().expect("serialise")).expect("write");
    path
}

fn bench(c: &mut Criterion) {
    let site = site();
    let parsed: Vec<(Attribution, Option<Url>)> = VISITS
        .iter()
        .map(|(url, referrer)| {
            (
                Attribution::from_url(&Url::parse(url).expect("url")),
                referrer.map(|r| Url::parse(r).expect("referrer")),
            )
        })
        .collect();

    let mut g = c.benchmark_group("channel");
    g.throughput(Throughput::Elements(parsed.len() as u64));
    g.bench_function("classify", |b| {
        b.iter(|| {
            for (a, r) in &parsed {
                black_box(channel::classify(a, r.as_ref(), &site.channel_rules));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("user_agent");
    g.throughput(Throughput::Elements(USER_AGENTS.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for ua in USER_AGENTS {
                black_box(Device::from_user_agent(ua));
            }
        })
    });
    g.finish();

    let (geo, label) = match std::env::var("CHATRAIL_BENCH_GEOIP_DB") {
        Ok(paths) => {
            let paths: Vec<PathBuf> = paths.split(',').map(PathBuf::from).collect();
            (
                GeoIp::open(&paths).expect("CHATRAIL_BENCH_GEOIP_DB opens"),
                "lookup_configured_db",
            )
        }
        Err(_) => {
            let path = generated_db();
            let geo = GeoIp::open(&[&path]).expect("generated db opens");
            let _ = std::fs::remove_file(&path);
            (geo, "lookup_generated_100k")
        }
    };
    let ips = addresses(1_000);
    let mut g = c.benchmark_group("geoip");
    g.throughput(Throughput::Elements(ips.len() as u64));
    g.bench_function(label, |b| {
        b.iter(|| {
            for ip in &ips {
                black_box(geo.lookup(*ip));
            }
        })
    });
    g.finish();

    let beacons: Vec<VisitBeacon> = VISITS
        .iter()
        .map(|(url, referrer)| VisitBeacon {
            site: "shop".into(),
            visitor: "0".repeat(32),
            session: "1".repeat(32),
            code: "K7Q2M9VA".into(),
            url: (*url).into(),
            referrer: referrer.map(str::to_owned),
            screen_w: Some(390),
            screen_h: Some(844),
            language: Some("en-GB".into()),
            timezone: Some("Europe/London".into()),
            ..VisitBeacon::default()
        })
        .collect();
    let mut g = c.benchmark_group("visit");
    g.throughput(Throughput::Elements(beacons.len() as u64));
    g.bench_function("parse_and_enrich", |b| {
        b.iter(|| {
            for (i, beacon) in beacons.iter().enumerate() {
                let ua = USER_AGENTS[i % USER_AGENTS.len()];
                black_box(Visit::parse(&site, beacon.clone(), Sender::user_agent(ua), 0).ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
