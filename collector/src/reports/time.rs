//! Days, weeks, months and quarters in a site's time zone.
//!
//! The database numbers local days and hours as `(time + offset) / width` over each piece of
//! the period where the zone's UTC offset is constant ([`offset_segments`]), so days and
//! hours are exact across DST changes and in zones with half-hour offsets, on both backends.

use chrono::{Datelike, Days, Months, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl Period {
    /// Days in the period.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Start of `from` and start of the day after `to`, epoch ms in `tz`.
    pub fn bounds_ms(&self, tz: Tz) -> (i64, i64) {
        let end = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (local_midnight_ms(tz, self.from), local_midnight_ms(tz, end))
    }

    /// The period of equal length just before this one.
    pub fn previous(&self) -> Period {
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = to
            .checked_sub_days(Days::new((self.days() - 1) as u64))
            .unwrap_or(to);
        Period { from, to }
    }

    /// The same dates a year earlier (29 February becomes the 28th).
    pub fn year_earlier(&self) -> Period {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        Period {
            from: back(self.from),
            to: back(self.to),
        }
    }
}

/// The first instant of local date `d` (midnight, or the end of a DST gap at midnight).
pub fn local_midnight_ms(tz: Tz, d: NaiveDate) -> i64 {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for minutes in [0, 30, 60, 90, 120] {
        let t = midnight + chrono::Duration::minutes(minutes);
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.timestamp_millis();
        }
    }
    midnight.and_utc().timestamp_millis()
}

/// Local date and time of epoch ms `ms`.
pub fn local(tz: Tz, ms: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .naive_local()
}

/// The UTC offset of `tz` at epoch ms `ms`, in ms.
pub fn utc_offset_ms(tz: Tz, ms: i64) -> i64 {
    let utc = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    i64::from(
        tz.offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc(),
    ) * 1000
}

/// `[from_ms, to_ms)` cut where the zone's UTC offset changes: `(from, to, offset_ms)`.
/// Within a piece, `(time + offset) / bucket` numbers local days or hours exactly, in the
/// database, whatever the offset (half hours included).
pub fn offset_segments(tz: Tz, from_ms: i64, to_ms: i64) -> Vec<(i64, i64, i64)> {
    // Zones change offset at most a few times a year: probe every 6 hours, then bisect.
    const STEP: i64 = 6 * 3_600_000;
    let mut out = Vec::new();
    let (mut start, mut offset) = (from_ms, utc_offset_ms(tz, from_ms));
    let mut t = from_ms;
    while t < to_ms {
        let next = (t + STEP).min(to_ms);
        let probe = next.min(to_ms - 1).max(t);
        if utc_offset_ms(tz, probe) != offset {
            // The first ms in (t, probe] with the new offset.
            let (mut lo, mut hi) = (t, probe);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if utc_offset_ms(tz, mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((start, hi, offset));
            start = hi;
            offset = utc_offset_ms(tz, hi);
            t = hi;
            continue;
        }
        t = next;
    }
    if start < to_ms {
        out.push((start, to_ms, offset));
    }
    out
}

/// The wall time of bucket start `ms` as numbered with an offset (see [`offset_segments`]).
pub fn wall(ms: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .naive_utc()
}

/// How dynamics are bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Local days.
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

impl Granularity {
    /// Parses `day`, `week`, `month` or `quarter`.
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            "quarter" => Some(Granularity::Quarter),
            _ => None,
        }
    }

    /// The name used in URLs and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
        }
    }

    /// The first day of the bucket holding `d`.
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d);
        match self {
            Granularity::Day => d,
            Granularity::Week => d
                .checked_sub_days(Days::new(d.weekday().num_days_from_monday().into()))
                .unwrap_or(d),
            Granularity::Month => first_of(d.month()),
            Granularity::Quarter => first_of((d.month() - 1) / 3 * 3 + 1),
        }
    }

    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Granularity::Day => start.checked_add_days(Days::new(1)),
            Granularity::Week => start.checked_add_days(Days::new(7)),
            Granularity::Month => start.checked_add_months(Months::new(1)),
            Granularity::Quarter => start.checked_add_months(Months::new(3)),
        }
    }

    /// The starts of every bucket touching `period`, in order.
    pub fn buckets(self, period: Period) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut b = self.start(period.from);
        while b <= period.to {
            out.push(b);
            match self.next(b) {
                Some(n) => b = n,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn comparison_periods() {
        let p = Period {
            from: d("2024-03-01"),
            to: d("2024-03-31"),
        };
        assert_eq!(
            p.previous(),
            Period {
                from: d("2024-01-30"),
                to: d("2024-02-29")
            }
        );
        let leap = Period {
            from: d("2024-02-29"),
            to: d("2024-02-29"),
        };
        assert_eq!(leap.year_earlier().from, d("2023-02-28"));
    }

    #[test]
    fn buckets_and_local_days_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let p = Period {
            from: d("2025-03-30"),
            to: d("2025-03-30"),
        };
        let (from, to) = p.bounds_ms(tz);
        assert_eq!(
            to - from,
            23 * 3_600_000,
            "the spring-forward day has 23 hours"
        );
        let spring = 1_743_296_400_000; // 2025-03-30T01:00:00Z
        assert_eq!(
            offset_segments(tz, from, to),
            vec![(from, spring, 3_600_000), (spring, to, 7_200_000)]
        );
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            offset_segments(kolkata, from, to),
            vec![(from, to, 19_800_000)]
        );
        assert_eq!(wall(from + 3_600_000).to_string(), "2025-03-30 00:00:00");
        assert_eq!(
            Granularity::Week.buckets(Period {
                from: d("2025-03-05"),
                to: d("2025-03-17")
            }),
            vec![d("2025-03-03"), d("2025-03-10"), d("2025-03-17")]
        );
        assert_eq!(Granularity::Quarter.start(d("2025-08-17")), d("2025-07-01"));
    }
}
