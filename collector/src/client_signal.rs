//! A per-client signal for probable matching, with no address kept: a 64-bit hash of the
//! site, the client's address and its user agent under a salt of the day (UTC). Salts live
//! in the database, so every collector on it hashes alike, and are deleted after a day, so
//! a stored hash cannot be traced back to an address afterwards (as Plausible counts
//! visitors). A visit and a click either side of midnight UTC hash apart.

use std::net::IpAddr;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use crate::domain::site::SiteId;
use crate::storage::Store;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The day's salt, fetched once a day per collector.
#[derive(Debug, Default)]
pub struct Clients {
    salt: RwLock<Option<(i64, String)>>,
}

impl Clients {
    /// The signal of the client at `ip` with `user_agent` on `site` at `at_ms`; `None` when
    /// the address is unknown or the day's salt cannot be had (the click then counts as
    /// from an unknown client).
    pub async fn of(
        &self,
        store: &dyn Store,
        site: SiteId,
        ip: Option<IpAddr>,
        user_agent: &str,
        at_ms: i64,
    ) -> Option<i64> {
        let ip = ip?;
        let day = at_ms.div_euclid(DAY_MS);
        let known = self.salt.read().ok().and_then(|s| s.clone());
        let salt = match known {
            Some((d, salt)) if d == day => salt,
            _ => {
                let salt = store
                    .client_salt(day)
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "no client salt for today"))
                    .ok()?;
                if let Ok(mut s) = self.salt.write() {
                    *s = Some((day, salt.clone()));
                }
                salt
            }
        };
        Some(hash(&salt, site, ip, user_agent))
    }
}

/// The first 8 bytes of SHA-256 over the salt, the site, the address and the user agent.
fn hash(salt: &str, site: SiteId, ip: IpAddr, user_agent: &str) -> i64 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(site.0.as_bytes());
    h.update(ip.to_string().as_bytes());
    h.update([0]);
    h.update(user_agent.as_bytes());
    let digest = h.finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_hashes_alike_and_anything_else_apart() {
        let site = SiteId(uuid::Uuid::nil());
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let ua = "Mozilla/5.0 (iPhone)";
        let h = hash("salt-a", site, ip, ua);
        assert_eq!(h, hash("salt-a", site, ip, ua));
        assert_ne!(h, hash("salt-b", site, ip, ua), "another day");
        assert_ne!(h, hash("salt-a", site, "203.0.113.8".parse().unwrap(), ua));
        assert_ne!(h, hash("salt-a", site, ip, "Mozilla/5.0 (Android)"));
        assert_ne!(h, hash("salt-a", SiteId(uuid::Uuid::from_u128(1)), ip, ua));
    }
}
