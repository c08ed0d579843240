//! Offline import files of a period's conversions, for the platforms a site uploads them to
//! itself (by hand, or as a scheduled import):
//!
//! - **Google Ads** click conversions: Google's import template, a `Parameters:TimeZone=`
//!   line then `Google Click ID, Conversion Name, Conversion Time, Conversion Value,
//!   Conversion Currency`, times in that zone as `yyyy-MM-dd HH:mm:ss`
//!   (<https://support.google.com/google-ads/answer/7014069>); only dialogs whose visit came
//!   with a `gclid`.
//! - **Yandex Metrica** offline conversions: `ClientId, Yclid, Target, DateTime, Price,
//!   Currency`, DateTime as Unix seconds (<https://yandex.ru/dev/metrika/en/management/offline-conv>);
//!   only dialogs whose visit had a Metrica ClientID (`_ym_uid`) or a `yclid`.

use chrono::TimeZone;
use chrono_tz::Tz;

use crate::storage::conversions::ExportRow;

/// The platforms with an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// `google-ads`
    GoogleAds,
    /// `yandex-metrica`
    YandexMetrica,
}

impl Platform {
    /// Parses the URL name.
    pub fn parse(s: &str) -> Option<Platform> {
        match s {
            "google-ads" => Some(Platform::GoogleAds),
            "yandex-metrica" => Some(Platform::YandexMetrica),
            _ => None,
        }
    }

    /// The URL name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::GoogleAds => "google-ads",
            Platform::YandexMetrica => "yandex-metrica",
        }
    }
}

fn amount(milli: Option<i64>) -> String {
    milli.map_or_else(String::new, |m| format!("{:.2}", m as f64 / 1000.0))
}

/// The file for `platform`: `rows` under the conversion name (Metrica's goal) `name`, times
/// in `tz`.
pub fn file(platform: Platform, rows: &[ExportRow], name: &str, tz: Tz) -> Vec<u8> {
    let mut out = Vec::new();
    if platform == Platform::GoogleAds {
        out.extend_from_slice(format!("Parameters:TimeZone={}\n", tz.name()).as_bytes());
    }
    let mut w = csv::Writer::from_writer(&mut out);
    let write = |w: &mut csv::Writer<&mut Vec<u8>>, record: &[&str]| {
        w.write_record(record).expect("CSV into memory");
    };
    match platform {
        Platform::GoogleAds => {
            write(
                &mut w,
                &[
                    "Google Click ID",
                    "Conversion Name",
                    "Conversion Time",
                    "Conversion Value",
                    "Conversion Currency",
                ],
            );
            for r in rows {
                let Some(gclid) = r.click_ids.get("gclid") else {
                    continue;
                };
                let at = tz
                    .timestamp_millis_opt(r.at)
                    .single()
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                let value = amount(r.value_milli);
                let currency = r.currency.clone().unwrap_or_default();
                write(&mut w, &[gclid, name, &at, &value, &currency]);
            }
        }
        Platform::YandexMetrica => {
            write(
                &mut w,
                &[
                    "ClientId", "Yclid", "Target", "DateTime", "Price", "Currency",
                ],
            );
            for r in rows {
                let client = r.ym_client_id.clone().unwrap_or_default();
                let yclid = r.click_ids.get("yclid").cloned().unwrap_or_default();
                if client.is_empty() && yclid.is_empty() {
                    continue;
                }
                let at = r.at.div_euclid(1000).to_string();
                let value = amount(r.value_milli);
                let currency = r.currency.clone().unwrap_or_default();
                write(&mut w, &[&client, &yclid, name, &at, &value, &currency]);
            }
        }
    }
    w.flush().expect("CSV into memory");
    drop(w);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn row(ids: &[(&str, &str)], ym: Option<&str>, value: Option<i64>) -> ExportRow {
        ExportRow {
            dialog_id: uuid::Uuid::nil(),
            at: 1_763_805_600_000, // 2025-11-22T10:00:00Z
            value_milli: value,
            currency: value.map(|_| "RUB".to_owned()),
            click_ids: ids
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            ym_client_id: ym.map(str::to_owned),
        }
    }

    #[test]
    fn google_ads_gets_its_template_in_the_sites_zone() {
        let rows = [
            row(&[("gclid", "Cj0KCQiA")], None, Some(1_500_500)),
            row(&[("yclid", "7291")], Some("1700000000123"), None),
        ];
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        let text = String::from_utf8(file(Platform::GoogleAds, &rows, "Chat, won", tz)).unwrap();
        assert_eq!(
            text,
            "Parameters:TimeZone=Europe/Moscow\n\
             Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n\
             Cj0KCQiA,\"Chat, won\",2025-11-22 13:00:00,1500.50,RUB\n"
        );
    }

    #[test]
    fn metrica_gets_client_ids_and_yclids() {
        let rows = [
            row(&[("gclid", "Cj0KCQiA")], None, None),
            row(&[("yclid", "7291")], Some("1700000000123"), Some(990_000)),
        ];
        let text =
            String::from_utf8(file(Platform::YandexMetrica, &rows, "chat", Tz::UTC)).unwrap();
        assert_eq!(
            text,
            "ClientId,Yclid,Target,DateTime,Price,Currency\n\
             1700000000123,7291,chat,1763805600,990.00,RUB\n"
        );
    }
}
