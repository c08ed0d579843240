//! The planner, the fact rows' SQL and the deltas, checked without a database.

use super::*;
use crate::domain::site::SiteId;
use crate::reports::query::ReportFilters;

fn query<'a>(keys: &'a [Key], from_ms: i64, to_ms: i64, f: &'a ReportFilters) -> CountQuery<'a> {
    CountQuery {
        site_id: SiteId(Uuid::nil()),
        fact: Fact::Sessions,
        from_ms,
        to_ms,
        keys,
        first_key_required: true,
        bucket_ms: None,
        offset_ms: 0,
        filters: f,
    }
}

#[test]
fn whole_utc_days_come_from_rollups_and_the_edges_from_the_facts() {
    let none = ReportFilters::default();
    // Local days in UTC+1: from 23:00 UTC to 23:00 UTC ten days later.
    let from = 10 * DAY_MS - HOUR_MS;
    let to = 20 * DAY_MS - HOUR_MS;
    let parts = query(&[Key::Campaign, Key::Channel], from, to, &none).plan();
    let shape: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Part::Raw(q) => format!("raw {}..{}", q.from_ms, q.to_ms),
            Part::Rollup(r) => format!("{} {}..{}", r.dim, r.from_slot, r.to_slot),
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            format!("raw {from}..{}", 10 * DAY_MS),
            "campaign 10..19".to_owned(),
            format!("raw {}..{to}", 19 * DAY_MS),
        ]
    );
    // Less than a whole UTC day, a filter, or a grouping without rollup: facts only.
    assert!(matches!(
        query(&[Key::Channel], from, from + DAY_MS, &none).plan()[..],
        [Part::Raw(_)]
    ));
    let filtered = ReportFilters {
        tag: Some("hot".into()),
        ..ReportFilters::default()
    };
    let dialogs = CountQuery {
        fact: Fact::Dialogs,
        ..query(&[Key::Channel], from, to, &filtered)
    };
    assert!(matches!(dialogs.plan()[..], [Part::Raw(_)]));
    // Visits have no tags: the filter does not apply to them.
    assert!(matches!(
        query(&[Key::Channel], from, to, &filtered).plan()[..],
        [Part::Raw(_), Part::Rollup(_), Part::Raw(_)]
    ));
    // A channel filter on campaigns × channel selects rollup rows; on ads, their third key.
    let paid = ReportFilters {
        channel: Some("Paid Search".into()),
        ..ReportFilters::default()
    };
    match &query(&[Key::Campaign, Key::Channel], from, to, &paid).plan()[..] {
        [Part::Raw(edge), Part::Rollup(r), Part::Raw(_)] => {
            assert_eq!(r.equal, vec![(1, "=Paid Search".to_owned())]);
            assert!(r.to_sql().contains("AND k2 = $4"));
            assert_eq!(edge.filters, &paid);
        }
        other => panic!("{other:?}"),
    }
    match &query(&[Key::Content, Key::Campaign], from, to, &paid).plan()[..] {
        [_, Part::Rollup(r), _] => {
            assert_eq!((r.dim, &r.select[..]), ("ad", &[0, 1][..]));
            assert_eq!(r.equal, vec![(2, "=Paid Search".to_owned())]);
            assert!(r.to_sql().contains("AND k3 = $4"), "{}", r.to_sql());
        }
        other => panic!("{other:?}"),
    }
    // Channels of one campaign: campaign × channel, grouped on its second key.
    let sale = ReportFilters {
        campaign: Some("sale".into()),
        ..ReportFilters::default()
    };
    match &query(&[Key::Channel], from, to, &sale).plan()[..] {
        [Part::Raw(_), Part::Rollup(r), Part::Raw(_)] => {
            assert_eq!((r.dim, &r.select[..]), ("campaign", &[1][..]));
            assert_eq!(r.equal, vec![(0, "=sale".to_owned())]);
            let sql = r.to_sql();
            assert!(sql.contains("SELECT k2 AS k1, '' AS k2"), "{sql}");
            assert!(sql.contains("AND k2 <> '' AND k1 = $4"), "{sql}");
        }
        other => panic!("{other:?}"),
    }
    // Pages of contact of one tracked number: page × number; a visit has no number.
    let number = ReportFilters {
        number: Some("79001234567".into()),
        ..ReportFilters::default()
    };
    let clicks = CountQuery {
        fact: Fact::Clicks,
        ..query(&[Key::ClickPage], from, to, &number)
    };
    match &clicks.plan()[..] {
        [_, Part::Rollup(r), _] => {
            assert_eq!((r.dim, &r.select[..]), ("page", &[0][..]));
            assert_eq!(r.equal, vec![(1, "=79001234567".to_owned())]);
        }
        other => panic!("{other:?}"),
    }
    match &query(&[Key::Channel], from, to, &number).plan()[..] {
        [_, Part::Rollup(r), _] => assert!(r.equal.is_empty()),
        other => panic!("{other:?}"),
    }
    // Unfiltered, the smallest grouping holding the key answers.
    match &query(&[Key::Channel], from, to, &none).plan()[..] {
        [_, Part::Rollup(r), _] => assert_eq!(r.dim, "channel"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        query(&[Key::LandingPage, Key::Term], from, to, &none).plan()[..],
        [Part::Raw(_)]
    ));
}

#[test]
fn hour_buckets_come_from_hour_rollups_only_when_aligned() {
    let none = ReportFilters::default();
    let q = CountQuery {
        fact: Fact::Dialogs,
        bucket_ms: Some(HOUR_MS),
        offset_ms: 0,
        ..query(&[], 5 * HOUR_MS, 9 * HOUR_MS, &none)
    };
    match &q.plan()[..] {
        [Part::Rollup(r)] => {
            assert_eq!((r.dim, r.from_slot, r.to_slot), ("hour", 5, 9));
            assert!(r.select.is_empty());
            assert!(r.to_sql().contains("CAST(NULL AS TEXT) AS k1"));
            assert!(r
                .to_sql()
                .contains("CAST((slot * 3600000 + 0) / 3600000 AS BIGINT)"));
        }
        other => panic!("{other:?}"),
    }
    // A channel's busiest hours: the channel × hour rollup, summed over nothing else.
    let paid = ReportFilters {
        channel: Some("Paid Search".into()),
        ..ReportFilters::default()
    };
    let by_channel = CountQuery {
        filters: &paid,
        ..q.clone()
    };
    match &by_channel.plan()[..] {
        [Part::Rollup(r)] => {
            assert_eq!(
                (r.dim, r.equal.clone()),
                ("channel-hour", vec![(0, "=Paid Search".to_owned())])
            );
            assert!(r.to_sql().contains("SELECT '' AS k1, '' AS k2"));
        }
        other => panic!("{other:?}"),
    }
    let half = CountQuery {
        from_ms: 5 * HOUR_MS + 1_800_000,
        ..q.clone()
    };
    assert!(matches!(half.plan()[..], [Part::Raw(_)]));
    let quarter = CountQuery {
        bucket_ms: Some(900_000),
        offset_ms: 0,
        ..q
    };
    assert!(matches!(quarter.plan()[..], [Part::Raw(_)]));
}

#[test]
fn deltas_cancel_and_keys_keep_null_apart_from_empty() {
    let site = Uuid::nil();
    let mut d = RollupDelta::default();
    d.add(
        site,
        "channel".into(),
        1,
        [Some("Email"), None, None],
        Fact::Dialogs,
        1,
    );
    d.add(
        site,
        "channel".into(),
        1,
        [Some("Email"), None, None],
        Fact::Dialogs,
        -1,
    );
    d.add(
        site,
        "channel".into(),
        1,
        [Some(""), None, None],
        Fact::Clicks,
        1,
    );
    d.add(
        site,
        "channel".into(),
        1,
        [None, None, None],
        Fact::Clicks,
        2,
    );
    let rows = d.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0 .3, "");
    assert_eq!(rows[1].0 .3, "=");
    assert_eq!(
        merge(vec![
            CountRow {
                k1: None,
                k2: None,
                k3: None,
                b: 0,
                n: 2
            },
            CountRow {
                k1: None,
                k2: None,
                k3: None,
                b: 0,
                n: 3
            },
        ]),
        vec![CountRow {
            k1: None,
            k2: None,
            k3: None,
            b: 0,
            n: 5
        }]
    );
    let sql = fact_rows_sql(
        Fact::Sessions,
        &crate::db::in_ids(crate::db::Backend::Sqlite, 2, 2),
    );
    assert!(sql.contains("s.session_id IN ($2, $3)"), "{sql}");
}

#[test]
fn fact_rows_count_once_per_grouping_in_the_group_and_slot_of_their_keys_and_time() {
    let site = Uuid::nil();
    let row = |at_ms: i64, channel: &str| {
        let mut r = FactRow {
            at_ms,
            ..FactRow::default()
        };
        r.keys[Key::Channel.position()] = Some(channel.to_owned());
        r.keys[Key::Number.position()] = Some("447700900123".to_owned());
        r
    };
    let rows = [
        row(HOUR_MS, "Email"),
        row(HOUR_MS + 1, "Email"),
        row(2 * HOUR_MS, "Direct"),
    ];
    let mut delta = RollupDelta::default();
    delta.add_fact_rows(site, Fact::Dialogs, &rows, 1);
    let dialogs = |dim: &str, slot: i64, channel: &str| {
        let key = (
            site,
            dim.to_owned(),
            slot,
            encode(Some(channel)),
            encode(Some("447700900123")),
            String::new(),
        );
        delta.0.get(&key).map(|c| c[2])
    };
    assert_eq!(dialogs("channel", 0, "Email"), Some(2));
    assert_eq!(dialogs("channel", 0, "Direct"), Some(1));
    assert_eq!(dialogs("channel-hour", 1, "Email"), Some(2));
    assert_eq!(dialogs("channel-hour", 2, "Direct"), Some(1));
    for d in DIMS {
        let total: i64 = delta
            .0
            .iter()
            .filter(|(k, _)| k.1 == d.name)
            .map(|(_, c)| c[2])
            .sum();
        let counted = if d.facts.contains(&Fact::Dialogs) {
            3
        } else {
            0
        };
        assert_eq!(total, counted, "{}", d.name);
    }
    delta.add_fact_rows(site, Fact::Dialogs, &rows, -1);
    assert!(delta.rows().is_empty());
}
