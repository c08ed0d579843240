//! Consolidated reports: new vs repeat, pages, channels and campaigns with their click → chat
//! funnel, dynamics with a comparison period, busiest hours, match quality.
//!
//! A [`ReportRequest`] is parsed from query parameters ("parse, don't validate"); [`run`]
//! turns it into a few grouped counts on the store and shapes them into a [`Table`].

mod build;
pub mod costs;
pub mod funnel;
pub mod money;
pub mod money_sql;
pub mod query;
pub mod retained;
pub mod rollups;
pub mod store;
pub mod summary_sql;
pub mod table;
pub mod time;

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::db::StoreError;
use crate::domain::dialog::MatchKind;
use crate::domain::site::SiteId;
use query::ReportFilters;
use store::Reports;
pub use table::Table;
use time::{Granularity, Period};

/// The reports, by their URL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportName {
    /// Share of new vs repeat dialogs.
    NewRepeat,
    /// Pages where the chat link was clicked, with clicks, dialogs and rate.
    Pages,
    /// Landing pages, with visits, clicks, dialogs and rate.
    LandingPages,
    /// Channels with the funnel.
    Channels,
    /// Campaigns (`utm_campaign`) with the funnel.
    Campaigns,
    /// Ads (`utm_content`) with the funnel.
    Ads,
    /// Keywords (`utm_term`) with the funnel.
    Keywords,
    /// Dialogs per channel per day/week/month/quarter, with a comparison period.
    Dynamics,
    /// Dialogs by weekday × hour.
    Hours,
    /// Dialogs per match kind.
    MatchQuality,
    /// One row: dialogs, contacts, messages and first response time of the period.
    Summary,
    /// Countries and regions with the funnel.
    Regions,
    /// Device types and operating systems with the funnel.
    Devices,
    /// Browsers with the funnel.
    Browsers,
    /// Per channel, its dialogs and how many reached each of the site's stages.
    Funnel,
}

impl ReportName {
    /// Every report.
    pub const ALL: [ReportName; 15] = [
        ReportName::NewRepeat,
        ReportName::Pages,
        ReportName::LandingPages,
        ReportName::Channels,
        ReportName::Campaigns,
        ReportName::Ads,
        ReportName::Keywords,
        ReportName::Dynamics,
        ReportName::Hours,
        ReportName::MatchQuality,
        ReportName::Summary,
        ReportName::Regions,
        ReportName::Devices,
        ReportName::Browsers,
        ReportName::Funnel,
    ];

    /// The URL name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::NewRepeat => "new-repeat",
            ReportName::Pages => "pages",
            ReportName::LandingPages => "landing-pages",
            ReportName::Channels => "channels",
            ReportName::Campaigns => "campaigns",
            ReportName::Ads => "ads",
            ReportName::Keywords => "keywords",
            ReportName::Dynamics => "dynamics",
            ReportName::Hours => "hours",
            ReportName::MatchQuality => "match-quality",
            ReportName::Summary => "summary",
            ReportName::Regions => "regions",
            ReportName::Devices => "devices",
            ReportName::Browsers => "browsers",
            ReportName::Funnel => "funnel",
        }
    }

    /// Parses a URL name.
    pub fn parse(s: &str) -> Option<ReportName> {
        ReportName::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which period a report is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The period of equal length just before.
    Previous,
    /// The same dates a year earlier.
    Year,
    /// Any range.
    Custom(Period),
}

/// A validated report request.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    /// Which report.
    pub name: ReportName,
    /// Local dates, inclusive.
    pub period: Period,
    /// Filters.
    pub filters: ReportFilters,
    /// Most rows of ranked tables.
    pub limit: usize,
    /// Dynamics bucket.
    pub granularity: Granularity,
    /// The comparison period, if any.
    pub compare: Option<Comparison>,
    /// Currency and attribution model of the money columns.
    pub money: money::MoneyOptions,
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A parameter is missing or malformed; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(msg: impl Into<String>) -> ReportError {
    ReportError::Invalid(msg.into())
}

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 3 * 366;
/// Query parameters other than the report's own (`format` is read by the HTTP layer).
pub(crate) const KNOWN: [&str; 15] = [
    "from",
    "to",
    "channel",
    "campaign",
    "number",
    "match",
    "tag",
    "limit",
    "granularity",
    "compare",
    "compare_from",
    "compare_to",
    "currency",
    "model",
    "format",
];

impl ReportRequest {
    /// Parses the query parameters of `GET /api/v1/reports/<name>`.
    pub fn parse(
        name: &str,
        params: &HashMap<String, String>,
    ) -> Result<ReportRequest, ReportError> {
        let name = ReportName::parse(name).ok_or_else(|| {
            let all: Vec<_> = ReportName::ALL.iter().map(|r| r.as_str()).collect();
            invalid(format!(
                "unknown report {name:?}; reports: {}",
                all.join(", ")
            ))
        })?;
        if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid(format!("unknown parameter {unknown:?}")));
        }
        let text = |key: &str| {
            params
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let date = |key: &str| -> Result<Option<NaiveDate>, ReportError> {
            text(key)
                .map(|v| {
                    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                        .map_err(|_| invalid(format!("{key} must be a date YYYY-MM-DD, got {v:?}")))
                })
                .transpose()
        };
        let period = |from_key: &str, to_key: &str| -> Result<Period, ReportError> {
            let from = date(from_key)?.ok_or_else(|| invalid(format!("{from_key} is required")))?;
            let to = date(to_key)?.ok_or_else(|| invalid(format!("{to_key} is required")))?;
            let p = Period { from, to };
            if to < from {
                return Err(invalid(format!("{to_key} is before {from_key}")));
            }
            if p.days() > MAX_DAYS {
                return Err(invalid(format!(
                    "{from_key}..{to_key} spans more than {MAX_DAYS} days"
                )));
            }
            Ok(p)
        };
        let main = period("from", "to")?;
        let number = match text("number") {
            Some(n) => Some(
                chatrail_core::phone::normalize_number(&n)
                    .ok_or_else(|| invalid(format!("number is not a phone number: {n:?}")))?,
            ),
            None => None,
        };
        let match_kind = text("match")
            .map(|m| {
                MatchKind::parse(&m).map_err(|_| {
                    invalid(format!(
                        "match must be one of {}, got {m:?}",
                        MatchKind::ALL.map(MatchKind::as_str).join(", ")
                    ))
                })
            })
            .transpose()?;
        // Normalised as tags are stored, so `Hot Lead` finds `hot lead`.
        let tag = match text("tag") {
            Some(t) => Some(
                crate::domain::tag::Tag::parse(&t)
                    .map_err(|e| invalid(format!("tag: {e}")))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        // Not `text`: an empty number is not an absent one (the description says integer).
        let limit = match params.get("limit") {
            Some(l) => l
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=1000).contains(l))
                .ok_or_else(|| invalid("limit must be between 1 and 1000"))?,
            None => 100,
        };
        let granularity = match text("granularity") {
            Some(g) => Granularity::parse(&g).ok_or_else(|| {
                invalid(format!(
                    "granularity must be day, week, month or quarter, got {g:?}"
                ))
            })?,
            None => Granularity::Day,
        };
        let compare = match text("compare").as_deref() {
            None | Some("none") => None,
            Some("previous") => Some(Comparison::Previous),
            Some("year") => Some(Comparison::Year),
            Some("custom") => Some(Comparison::Custom(period("compare_from", "compare_to")?)),
            Some(other) => {
                return Err(invalid(format!(
                    "compare must be previous, year, custom or none, got {other:?}"
                )))
            }
        };
        let money = money::MoneyOptions::parse(text("currency"), text("model")).map_err(invalid)?;
        Ok(ReportRequest {
            name,
            period: main,
            filters: ReportFilters {
                channel: text("channel"),
                campaign: text("campaign"),
                number,
                match_kind,
                tag,
            },
            limit,
            granularity,
            compare,
            money,
        })
    }

    /// The comparison period, resolved.
    pub fn comparison_period(&self) -> Option<Period> {
        self.compare.map(|c| match c {
            Comparison::Previous => self.period.previous(),
            Comparison::Year => self.period.year_earlier(),
            Comparison::Custom(p) => p,
        })
    }
}

/// A produced report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The request.
    pub request: ReportRequest,
    /// The site's time zone.
    pub timezone: Tz,
    /// The result.
    pub table: Table,
}

impl Report {
    /// The JSON answer: the request echoed, then the rows as objects.
    pub fn to_json(&self) -> serde_json::Value {
        let r = &self.request;
        let mut v = serde_json::json!({
            "report": r.name.as_str(),
            "from": r.period.from.to_string(),
            "to": r.period.to.to_string(),
            "timezone": self.timezone.name(),
            "columns": self.table.columns,
            "rows": self.table.json_rows(),
        });
        if r.name == ReportName::Dynamics {
            v["granularity"] = r.granularity.as_str().into();
        }
        if let Some(c) = r.comparison_period() {
            v["compare_from"] = c.from.to_string().into();
            v["compare_to"] = c.to.to_string().into();
        }
        v
    }
}

/// Produces a report for `site_id`.
pub async fn run(
    store: &dyn Reports,
    site_id: SiteId,
    request: ReportRequest,
) -> Result<Report, ReportError> {
    let tz_name = store
        .site_timezone(site_id)
        .await?
        .unwrap_or_else(|| "UTC".to_owned());
    // A zone name the database holds was validated when set; fall back rather than fail.
    let timezone: Tz = tz_name.parse().unwrap_or(Tz::UTC);
    let table = build::table(store, site_id, timezone, &request).await?;
    Ok(Report {
        request,
        timezone,
        table,
    })
}
