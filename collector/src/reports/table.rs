//! A report's result: named columns and rows, written as JSON objects or as CSV.

use serde_json::{Map, Value};

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
}
