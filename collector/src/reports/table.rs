//! A report's result: named columns and rows, written as JSON objects or as CSV.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// The columns that are counts or rates (the others are keys), with the name of their
/// comparison-period column.
const MEASURES: [(&str, &str); 22] = [
    ("visits", "visits_previous"),
    ("clicks", "clicks_previous"),
    ("dialogs", "dialogs_previous"),
    ("share", "share_previous"),
    ("click_to_chat", "click_to_chat_previous"),
    ("contacts", "contacts_previous"),
    ("new_contacts", "new_contacts_previous"),
    ("returning_contacts", "returning_contacts_previous"),
    ("messages_received", "messages_received_previous"),
    ("messages_sent", "messages_sent_previous"),
    ("delivered", "delivered_previous"),
    ("read", "read_previous"),
    ("failed", "failed_previous"),
    (
        "median_first_response_s",
        "median_first_response_s_previous",
    ),
    ("leads", "leads_previous"),
    ("won", "won_previous"),
    ("revenue", "revenue_previous"),
    ("conversion", "conversion_previous"),
    ("spend", "spend_previous"),
    ("cost_per_dialog", "cost_per_dialog_previous"),
    ("cost_per_won", "cost_per_won_previous"),
    ("roas", "roas_previous"),
];

fn previous_of(column: &str) -> Option<&'static str> {
    MEASURES.iter().find(|(c, _)| *c == column).map(|(_, p)| *p)
}

/// Rows of cells under named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<&'static str>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&'static str]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Rows as JSON objects keyed by column.
    pub fn json_rows(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|row| {
                let mut obj = Map::new();
                for (c, v) in self.columns.iter().zip(row) {
                    obj.insert((*c).to_owned(), v.clone());
                }
                Value::Object(obj)
            })
            .collect()
    }

    /// The table as CSV with a header line (RFC 4180 quoting; NULL is an empty field).
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }))?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// This table with `previous`'s measures (the same report over the comparison period)
    /// beside its own, as `<column>_previous`, matched by the key columns. A key only in
    /// `previous` gets a row of its own after the others (0 now, rates null), up to `limit`
    /// rows in all; a key only here gets 0 and null before.
    pub fn beside(mut self, previous: &Table, limit: usize) -> Table {
        let measures: Vec<usize> = (0..self.columns.len())
            .filter(|&i| previous_of(self.columns[i]).is_some())
            .collect();
        let keys: Vec<usize> = (0..self.columns.len())
            .filter(|i| !measures.contains(i))
            .collect();
        let key_of = |row: &[Value]| -> String {
            Value::Array(keys.iter().map(|&i| row[i].clone()).collect()).to_string()
        };
        let absent = |column: &str| match column {
            "share" | "click_to_chat" | "median_first_response_s" => Value::Null,
            "conversion" | "spend" | "cost_per_dialog" | "cost_per_won" | "roas" => Value::Null,
            _ => Value::from(0),
        };
        let before: HashMap<String, &Vec<Value>> =
            previous.rows.iter().map(|r| (key_of(r), r)).collect();
        let mut seen = std::collections::HashSet::new();
        for row in &mut self.rows {
            let key = key_of(row);
            let earlier = before.get(&key);
            for &i in &measures {
                let value = earlier.map_or_else(|| absent(self.columns[i]), |r| r[i].clone());
                row.push(value);
            }
            seen.insert(key);
        }
        for row in &previous.rows {
            if self.rows.len() >= limit {
                break;
            }
            if seen.contains(&key_of(row)) {
                continue;
            }
            let mut now = row.clone();
            for &i in &measures {
                now[i] = absent(self.columns[i]);
            }
            now.extend(measures.iter().map(|&i| row[i].clone()));
            self.rows.push(now);
        }
        let added: Vec<&'static str> = measures
            .iter()
            .filter_map(|&i| previous_of(self.columns[i]))
            .collect();
        self.columns.extend(added);
        self
    }

    /// Sum of a numeric column.
    pub fn sum(&self, column: &str) -> i64 {
        let Some(i) = self.columns.iter().position(|c| *c == column) else {
            return 0;
        };
        self.rows
            .iter()
            .filter_map(|r| r.get(i).and_then(Value::as_i64))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let mut t = Table::new(&["page", "dialogs"]);
        t.rows.push(vec![
            Value::from("https://a.test/?q=1,2&x=\"y\""),
            Value::from(3),
        ]);
        t.rows.push(vec![Value::Null, Value::from(0.5)]);
        let csv = String::from_utf8(t.to_csv().unwrap()).unwrap();
        assert_eq!(
            csv,
            "page,dialogs\n\"https://a.test/?q=1,2&x=\"\"y\"\"\",3\n,0.5\n"
        );
        assert_eq!(t.sum("dialogs"), 3);
    }

    #[test]
    fn the_comparison_period_goes_beside_by_key() {
        let table = |rows: &[(&str, i64, Option<f64>)]| {
            let mut t = Table::new(&["campaign", "dialogs", "click_to_chat"]);
            for (k, d, r) in rows {
                t.rows.push(vec![(*k).into(), (*d).into(), (*r).into()]);
            }
            t
        };
        let now = table(&[("spring", 5, Some(0.5)), ("summer", 2, None)]);
        let before = table(&[("winter", 4, Some(0.4)), ("spring", 1, Some(0.1))]);
        let both = now.beside(&before, 10);
        assert_eq!(
            both.columns,
            [
                "campaign",
                "dialogs",
                "click_to_chat",
                "dialogs_previous",
                "click_to_chat_previous"
            ]
        );
        let rows: Vec<String> = both.json_rows().iter().map(Value::to_string).collect();
        assert_eq!(
            rows,
            [
                r#"{"campaign":"spring","click_to_chat":0.5,"click_to_chat_previous":0.1,"dialogs":5,"dialogs_previous":1}"#,
                r#"{"campaign":"summer","click_to_chat":null,"click_to_chat_previous":null,"dialogs":2,"dialogs_previous":0}"#,
                r#"{"campaign":"winter","click_to_chat":null,"click_to_chat_previous":0.4,"dialogs":0,"dialogs_previous":4}"#,
            ]
        );
        assert_eq!(now_limited().rows.len(), 2, "the limit holds");

        fn now_limited() -> Table {
            let mut t = Table::new(&["campaign", "dialogs"]);
            t.rows.push(vec!["a".into(), 1.into()]);
            t.rows.push(vec!["b".into(), 1.into()]);
            let mut before = Table::new(&["campaign", "dialogs"]);
            before.rows.push(vec!["c".into(), 1.into()]);
            t.beside(&before, 2)
        }
    }
}
