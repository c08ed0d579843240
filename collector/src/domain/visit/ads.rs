//! What a visit tells the ad and analytics platforms that conversions go back to: the
//! visitor's ids in GA4 and Yandex Metrica, read by the snippet from those platforms' own
//! cookies, and whether the visitor denies advertising consent.
//!
//! The ids are only ever digits (GA4's client id two dot-separated runs of them), so
//! anything else is refused with a `400` naming the field, as other malformed optional
//! fields are: the snippet sends only values that pass the same rules.

use chatrail_core::beacon::{field, MAX_ID_DIGITS};

use super::{invalid, BeaconError};

/// The platforms' ids of the visitor, and the advertising consent, of one beacon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdSignals {
    /// GA4 client id, `<random>.<timestamp>` (the last two fields of the `_ga` cookie).
    pub ga_client_id: Option<String>,
    /// GA4 session id (from a `_ga_<container>` cookie).
    pub ga_session_id: Option<String>,
    /// Yandex Metrica ClientID (the `_ym_uid` cookie).
    pub ym_client_id: Option<String>,
    /// The visitor denies advertising consent (the beacon's `ads: false`).
    pub ads_denied: bool,
}

impl AdSignals {
    /// Validates a visit beacon's ids and consent; an empty id counts as none.
    pub fn parse(
        ga_client_id: Option<String>,
        ga_session_id: Option<String>,
        ym_client_id: Option<String>,
        ads: Option<bool>,
    ) -> Result<AdSignals, BeaconError> {
        Ok(AdSignals {
            ga_client_id: checked(field::GA_CLIENT_ID, ga_client_id, |s| {
                s.split_once('.')
                    .is_some_and(|(a, b)| digits(a) && digits(b))
            })?,
            ga_session_id: checked(field::GA_SESSION_ID, ga_session_id, digits)?,
            ym_client_id: checked(field::YM_CLIENT_ID, ym_client_id, digits)?,
            ads_denied: ads_denied(ads),
        })
    }
}

/// Whether a beacon's `ads` says consent is denied: only `false` does (absent is granted).
pub fn ads_denied(ads: Option<bool>) -> bool {
    ads == Some(false)
}

/// 1 to [`MAX_ID_DIGITS`] ASCII digits.
fn digits(s: &str) -> bool {
    (1..=MAX_ID_DIGITS).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn checked(
    name: &'static str,
    value: Option<String>,
    valid: impl Fn(&str) -> bool,
) -> Result<Option<String>, BeaconError> {
    match value {
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if !valid(&s) => Err(invalid(name, "not an id of digits this platform makes")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ga: &str, gs: &str, ym: &str) -> Result<AdSignals, BeaconError> {
        AdSignals::parse(Some(ga.into()), Some(gs.into()), Some(ym.into()), None)
    }

    #[test]
    fn ids_of_digits_are_kept() {
        let s = ids("123456789.1700000000", "1700000000", "1700000000123456789").unwrap();
        assert_eq!(s.ga_client_id.as_deref(), Some("123456789.1700000000"));
        assert_eq!(s.ga_session_id.as_deref(), Some("1700000000"));
        assert_eq!(s.ym_client_id.as_deref(), Some("1700000000123456789"));
        assert!(!s.ads_denied);
        assert_eq!(ids("", "", "").unwrap(), AdSignals::default());
        let twenty = "9".repeat(MAX_ID_DIGITS);
        assert!(ids(&format!("{twenty}.{twenty}"), &twenty, &twenty).is_ok());
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        let long = "9".repeat(MAX_ID_DIGITS + 1);
        for ga in [
            "GA1.1.123456789.1700000000",
            "123456789",
            "123.456.789",
            ".1700000000",
            "123456789.",
            "12a.34",
            &format!("{long}.1"),
            "１２.３４",
        ] {
            assert_eq!(
                ids(ga, "1", "1").unwrap_err(),
                invalid(
                    field::GA_CLIENT_ID,
                    "not an id of digits this platform makes"
                ),
                "{ga:?}"
            );
        }
        for bad in ["s1700000000", "1.2", " 1", "-1", &long] {
            assert!(matches!(
                ids("1.2", bad, "1"),
                Err(BeaconError::Invalid { field: f, .. }) if f == field::GA_SESSION_ID
            ));
            assert!(matches!(
                ids("1.2", "1", bad),
                Err(BeaconError::Invalid { field: f, .. }) if f == field::YM_CLIENT_ID
            ));
        }
    }

    #[test]
    fn only_false_denies_ads() {
        assert!(ads_denied(Some(false)));
        assert!(!ads_denied(Some(true)));
        assert!(!ads_denied(None));
    }
}
