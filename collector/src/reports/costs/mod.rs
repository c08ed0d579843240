//! Ad spend: daily costs per source / medium / campaign (and ad), read from CSV files in
//! the format `README.md` beside this file describes, with a column mapping for the
//! exports of the ad platforms. Importing a file replaces, for every day and source it
//! holds, what was stored for that day and source.

pub mod store;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::outcome::{parse_amount, parse_currency};
use crate::enrich::attribution::Attribution;
use crate::enrich::channel::{classify, ChannelRule};

/// Most rows one file holds (18 months of 100 campaigns with 5 ads each is 275,000).
pub const MAX_ROWS: usize = 500_000;
/// Most characters of a source, medium, campaign or ad.
const MAX_KEY_CHARS: usize = 300;

/// A field of a cost row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The day, `YYYY-MM-DD` (or `YYYY/MM/DD`, `DD.MM.YYYY`).
    Date,
    /// `utm_source` the ads were tagged with (`google`).
    Source,
    /// `utm_medium` (`cpc`).
    Medium,
    /// `utm_campaign`.
    Campaign,
    /// `utm_content`: the ad (optional).
    Ad,
    /// The spend, a decimal number.
    Cost,
    /// ISO 4217 currency.
    Currency,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Date,
        Field::Source,
        Field::Medium,
        Field::Campaign,
        Field::Ad,
        Field::Cost,
        Field::Currency,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Source => "source",
            Field::Medium => "medium",
            Field::Campaign => "campaign",
            Field::Ad => "ad",
            Field::Cost => "cost",
            Field::Currency => "currency",
        }
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The column with this header (any case).
    Column(String),
    /// This value on every row.
    Constant(String),
}

/// How the columns of a file map to the fields: by default each field is the column of
/// its own name; `field=Column header` names another column, `field:=value` gives a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping(BTreeMap<Field, Source>);

/// Why a file or a mapping was refused; the message names the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    /// A mapping entry that does not parse.
    #[error("mapping {0:?} must be FIELD=COLUMN or FIELD:=VALUE, FIELD one of date, source, medium, campaign, ad, cost, currency")]
    BadMapping(String),
    /// A column the mapping needs is missing.
    #[error("no column {column:?} for {field} (the header has {header})")]
    MissingColumn {
        /// The field.
        field: &'static str,
        /// The column looked for.
        column: String,
        /// The header's columns.
        header: String,
    },
    /// A value that does not parse.
    #[error("line {line}: {what}")]
    BadValue {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// Not CSV, or not UTF-8.
    #[error("not a CSV file: {0}")]
    NotCsv(String),
    /// Over [`MAX_ROWS`].
    #[error("a file holds at most {MAX_ROWS} rows")]
    TooMany,
    /// No rows.
    #[error("the file holds no cost rows")]
    Empty,
}

impl Mapping {
    /// Parses entries such as `date=Day`, `cost=Cost (USD)`, `source:=google`.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Mapping, CostError> {
        let mut m = Mapping::default();
        for entry in entries.into_iter().filter(|e| !e.trim().is_empty()) {
            let bad = || CostError::BadMapping(entry.to_owned());
            let (field, source) = match entry.split_once(":=") {
                Some((f, v)) if !f.contains('=') => (f, Source::Constant(v.trim().to_owned())),
                _ => {
                    let (f, c) = entry.split_once('=').ok_or_else(bad)?;
                    (f, Source::Column(c.trim().to_owned()))
                }
            };
            let field = Field::ALL
                .into_iter()
                .find(|f| f.name() == field.trim().to_ascii_lowercase())
                .ok_or_else(bad)?;
            m.0.insert(field, source);
        }
        Ok(m)
    }
}

/// One day's spend on one source / medium / campaign / ad, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    /// UTC day number (days since 1970-01-01), the rollups' day slot.
    pub day: i64,
    /// Source (`''` if none).
    pub source: String,
    /// Medium.
    pub medium: String,
    /// Campaign.
    pub campaign: String,
    /// Ad (`''` if none).
    pub ad: String,
    /// Currency, upper-case.
    pub currency: String,
    /// Thousandths of the currency's unit.
    pub cost_milli: i64,
    /// The channel sessions tagged so would get (the site's rules, then the default group).
    pub channel: String,
}

fn parse_day(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let date = ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let day = (date - epoch).num_days();
    // 2000-01-01 to 2099-12-31.
    (10_957..47_482).contains(&day).then_some(day)
}

/// A spend as exports write it: `1234.5`, `1,234.50`, `1 234,50`, `$12.30` (a currency
/// symbol or code around it is dropped; the currency comes from its own field).
fn parse_cost(raw: &str) -> Option<i64> {
    let s: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
        .collect();
    let s = match (s.rfind('.'), s.rfind(',')) {
        (Some(_), Some(_)) | (Some(_), None) => s.replace(',', ""),
        (None, Some(at)) if s.len() - at - 1 <= 2 => s.replace(',', "."),
        _ => s.replace(',', ""),
    };
    parse_amount(&s).ok()
}

/// Reads a cost file: rows summed per day, source, medium, campaign, ad and currency.
pub fn parse_csv(
    body: &[u8],
    mapping: &Mapping,
    rules: &[ChannelRule],
) -> Result<Vec<CostRow>, CostError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let delimiter = sniff_delimiter(body);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| CostError::NotCsv(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut at: BTreeMap<Field, Result<usize, String>> = BTreeMap::new();
    for field in Field::ALL {
        let source = mapping
            .0
            .get(&field)
            .cloned()
            .unwrap_or_else(|| Source::Column(field.name().to_owned()));
        let place = match source {
            Source::Constant(v) => Err(v),
            Source::Column(c) => match header.iter().position(|h| h.eq_ignore_ascii_case(&c)) {
                Some(i) => Ok(i),
                // Ad, source and medium may be absent: an export per campaign has no ads.
                None if matches!(field, Field::Ad | Field::Source | Field::Medium)
                    && !mapping.0.contains_key(&field) =>
                {
                    Err(String::new())
                }
                None => {
                    return Err(CostError::MissingColumn {
                        field: field.name(),
                        column: c,
                        header: header.join(", "),
                    })
                }
            },
        };
        at.insert(field, place);
    }
    type Key = (i64, String, String, String, String, String);
    let mut sums: BTreeMap<Key, i64> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| CostError::NotCsv(e.to_string()))?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let value = |f: Field| -> String {
            match &at[&f] {
                Ok(i) => record.get(*i).unwrap_or_default().trim().to_owned(),
                Err(constant) => constant.clone(),
            }
        };
        let bad = |what: String| CostError::BadValue { line, what };
        let date = value(Field::Date);
        // Exports end with a total line: no date, a label instead.
        if date.is_empty() || date.to_ascii_lowercase().starts_with("total") {
            continue;
        }
        let day = parse_day(&date)
            .ok_or_else(|| bad(format!("date {date:?} must be YYYY-MM-DD (2000 to 2099)")))?;
        let raw_cost = value(Field::Cost);
        let cost_milli = parse_cost(&raw_cost)
            .ok_or_else(|| bad(format!("cost {raw_cost:?} is not a non-negative amount")))?;
        let currency = parse_currency(&value(Field::Currency))
            .map_err(|e| bad(format!("{e}, got {:?}", value(Field::Currency))))?;
        let keys = [Field::Source, Field::Medium, Field::Campaign, Field::Ad].map(|f| {
            let v = value(f);
            (v.chars().count() <= MAX_KEY_CHARS && !v.contains('\0'))
                .then_some(v)
                .ok_or_else(|| {
                    bad(format!(
                        "{} is longer than {MAX_KEY_CHARS} characters",
                        f.name()
                    ))
                })
        });
        let [source, medium, campaign, ad] = keys;
        let key = (day, source?, medium?, campaign?, ad?, currency);
        *sums.entry(key).or_default() += cost_milli;
        if sums.len() > MAX_ROWS {
            return Err(CostError::TooMany);
        }
    }
    if sums.is_empty() {
        return Err(CostError::Empty);
    }
    Ok(sums
        .into_iter()
        .map(
            |((day, source, medium, campaign, ad, currency), cost_milli)| {
                let channel = channel_of(&source, &medium, &campaign, &ad, rules);
                CostRow {
                    day,
                    source,
                    medium,
                    campaign,
                    ad,
                    currency,
                    cost_milli,
                    channel,
                }
            },
        )
        .collect())
}

/// The channel a session tagged with these UTM values gets.
fn channel_of(
    source: &str,
    medium: &str,
    campaign: &str,
    ad: &str,
    rules: &[ChannelRule],
) -> String {
    let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let a = Attribution {
        utm_source: some(source),
        utm_medium: some(medium),
        utm_campaign: some(campaign),
        utm_content: some(ad),
        ..Attribution::default()
    };
    classify(&a, None, rules).channel.as_str().to_owned()
}

/// `,`, `;` or tab: whichever the header line has most of.
fn sniff_delimiter(body: &[u8]) -> u8 {
    let line = body.split(|b| *b == b'\n').next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_with_a_mapping() {
        let file = "\u{feff}Day;Campaign;Cost;Currency code\n\
                    2025-11-01;Winter sale;1 234,50;EUR\n\
                    2025-11-01;Winter sale;10,00;EUR\n\
                    01.11.2025;Brand;5;EUR\n\
                    Total;;1249,50;\n";
        let m = Mapping::parse([
            "date=Day",
            "source:=google",
            "medium:=cpc",
            "campaign=campaign",
            "currency=Currency code",
        ])
        .unwrap();
        let rows = parse_csv(file.as_bytes(), &m, &[]).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let sale = rows.iter().find(|r| r.campaign == "Winter sale").unwrap();
        assert_eq!(sale.cost_milli, 1_244_500, "summed per day and campaign");
        assert_eq!(
            (sale.source.as_str(), sale.channel.as_str()),
            ("google", "Paid Search")
        );
        assert_eq!(sale.day, 20_393);
        let bad = "date,source,medium,campaign,cost,currency\n2025-11-01,g,cpc,x,abc,USD\n";
        let e = parse_csv(bad.as_bytes(), &Mapping::default(), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: cost \"abc\" is not a non-negative amount"
        );
        let missing = "date,campaign,cost\n2025-11-01,x,1\n";
        assert!(matches!(
            parse_csv(missing.as_bytes(), &Mapping::default(), &[]),
            Err(CostError::MissingColumn {
                field: "currency",
                ..
            })
        ));
        assert!(Mapping::parse(["price=Cost"]).is_err());
        assert!(Mapping::parse(["date"]).is_err());
        assert_eq!(parse_cost("$1,234.56"), Some(1_234_560));
        assert_eq!(parse_cost("12,5"), Some(12_500));
        assert_eq!(parse_cost("-3"), None);
        assert_eq!(parse_day("2099-12-31"), Some(47_481));
        assert_eq!(parse_day("1999-12-31"), None);
    }
}
