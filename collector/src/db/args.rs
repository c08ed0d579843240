//! Statement parameters and result rows that both backends accept.
//!
//! A statement's parameters are a `Vec<Arg>` built with [`args!`](crate::args); each
//! [`Arg`] is bound with the driver's own encoding (UUIDs stay native `uuid`/`BLOB`, unlike
//! `sqlx::Any`, which has no UUID type), so one statement text and one parameter list serve
//! SQLite and PostgreSQL alike.

use std::borrow::Cow;

use sqlx::encode::Encode;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Database, FromRow, Type};
use uuid::Uuid;

use super::Backend;

/// A statement and its parameters.
pub type Statement<'a> = (String, Vec<Arg<'a>>);

/// One statement parameter; every kind may be NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// A UUID.
    Uuid(Option<Uuid>),
    /// A 64-bit integer (`BIGINT`; epoch milliseconds, counts).
    Int(Option<i64>),
    /// A 32-bit integer (`INTEGER` columns such as screen sizes).
    Int4(Option<i32>),
    /// A double.
    Real(Option<f64>),
    /// Text, borrowed where it can be.
    Text(Option<Cow<'a, str>>),
    /// One column of many rows, bound as one array: PostgreSQL only ([`rows_sql`]).
    Column(Column<'a>),
}

/// The values of one column of many rows, each row's may be NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Column<'a> {
    Uuid(Vec<Option<Uuid>>),
    Int(Vec<Option<i64>>),
    Int4(Vec<Option<i32>>),
    Real(Vec<Option<f64>>),
    Text(Vec<Option<Cow<'a, str>>>),
}

impl<'a> Column<'a> {
    /// An empty column of `arg`'s type, with room for `rows`; `None` for a column.
    fn of(arg: &Arg<'_>, rows: usize) -> Option<Column<'a>> {
        Some(match arg {
            Arg::Uuid(_) => Column::Uuid(Vec::with_capacity(rows)),
            Arg::Int(_) => Column::Int(Vec::with_capacity(rows)),
            Arg::Int4(_) => Column::Int4(Vec::with_capacity(rows)),
            Arg::Real(_) => Column::Real(Vec::with_capacity(rows)),
            Arg::Text(_) => Column::Text(Vec::with_capacity(rows)),
            Arg::Column(_) => return None,
        })
    }

    /// Adds `arg`, if it is of the column's type.
    fn push(&mut self, arg: Arg<'a>) -> Result<(), Arg<'a>> {
        match (self, arg) {
            (Column::Uuid(c), Arg::Uuid(v)) => c.push(v),
            (Column::Int(c), Arg::Int(v)) => c.push(v),
            (Column::Int4(c), Arg::Int4(v)) => c.push(v),
            (Column::Real(c), Arg::Real(v)) => c.push(v),
            (Column::Text(c), Arg::Text(v)) => c.push(v),
            (_, other) => return Err(other),
        }
        Ok(())
    }

    /// The PostgreSQL array type it is bound as.
    fn array_type(&self) -> &'static str {
        match self {
            Column::Uuid(_) => "UUID[]",
            Column::Int(_) => "BIGINT[]",
            Column::Int4(_) => "INTEGER[]",
            Column::Real(_) => "DOUBLE PRECISION[]",
            Column::Text(_) => "TEXT[]",
        }
    }

    fn into_owned(self) -> Column<'static> {
        match self {
            Column::Uuid(v) => Column::Uuid(v),
            Column::Int(v) => Column::Int(v),
            Column::Int4(v) => Column::Int4(v),
            Column::Real(v) => Column::Real(v),
            Column::Text(v) => Column::Text(
                v.into_iter()
                    .map(|t| t.map(|t| Cow::Owned(t.into_owned())))
                    .collect(),
            ),
        }
    }
}

impl Arg<'_> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> Arg<'static> {
        match self {
            Arg::Uuid(v) => Arg::Uuid(v),
            Arg::Int(v) => Arg::Int(v),
            Arg::Int4(v) => Arg::Int4(v),
            Arg::Real(v) => Arg::Real(v),
            Arg::Text(v) => Arg::Text(v.map(|t| Cow::Owned(t.into_owned()))),
            Arg::Column(c) => Arg::Column(c.into_owned()),
        }
    }
}

/// A `Vec<Arg>` from values of any type an [`Arg`] can be made from.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::db::Arg::from($value)),*]
    };
}

macro_rules! from_value {
    ($variant:ident, $t:ty) => {
        impl From<$t> for Arg<'_> {
            fn from(v: $t) -> Self {
                Arg::$variant(Some(v))
            }
        }
        impl From<Option<$t>> for Arg<'_> {
            fn from(v: Option<$t>) -> Self {
                Arg::$variant(v)
            }
        }
    };
}
from_value!(Uuid, Uuid);
from_value!(Int, i64);
from_value!(Int4, i32);
from_value!(Real, f64);

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref().map(Cow::Borrowed))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}

/// A row type both backends can decode (any `#[derive(sqlx::FromRow)]` struct or tuple of
/// types both drivers know).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// How a driver binds a [`Column`]: PostgreSQL as an array; SQLite has none.
pub(super) trait BindColumn: Database {
    fn add_column<'q>(
        out: &mut <Self as Database>::Arguments<'q>,
        column: Column<'q>,
    ) -> Result<(), sqlx::error::BoxDynError>;
}

impl BindColumn for sqlx::Postgres {
    fn add_column<'q>(
        out: &mut sqlx::postgres::PgArguments,
        column: Column<'q>,
    ) -> Result<(), sqlx::error::BoxDynError> {
        match column {
            Column::Uuid(v) => out.add(v),
            Column::Int(v) => out.add(v),
            Column::Int4(v) => out.add(v),
            Column::Real(v) => out.add(v),
            Column::Text(v) => out.add(v),
        }
    }
}

impl BindColumn for sqlx::Sqlite {
    fn add_column<'q>(
        _: &mut sqlx::sqlite::SqliteArguments<'q>,
        _: Column<'q>,
    ) -> Result<(), sqlx::error::BoxDynError> {
        Err("SQLite binds no arrays".into())
    }
}

/// The driver's argument buffer holding `args`, in order.
pub(super) fn arguments<'q, DB: BindColumn>(
    args: Vec<Arg<'q>>,
) -> Result<<DB as Database>::Arguments<'q>, sqlx::Error>
where
    Option<Uuid>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<i32>: Encode<'q, DB> + Type<DB>,
    Option<f64>: Encode<'q, DB> + Type<DB>,
    Option<Cow<'q, str>>: Encode<'q, DB> + Type<DB>,
{
    let mut out = <DB as Database>::Arguments::<'q>::default();
    for arg in args {
        let added = match arg {
            Arg::Uuid(v) => out.add(v),
            Arg::Int(v) => out.add(v),
            Arg::Int4(v) => out.add(v),
            Arg::Real(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Column(c) => DB::add_column(&mut out, c),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

/// `$first, $first+1, …` for `n` parameters: the inside of an `IN (…)` list.
pub fn placeholders(first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    list.join(", ")
}

/// What follows a column matched against `n` ids whose parameters start at `$first`: on
/// SQLite ` IN ($first, …)`; on PostgreSQL ` = ANY($first)`, the ids one array
/// ([`ids_args`]), so the text is the same for any number of them and is prepared and
/// planned once.
pub fn in_ids(backend: Backend, first: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!(" IN ({})", placeholders(first, n)),
        Backend::Postgres => format!(" = ANY(CAST(${first} AS UUID[]))"),
    }
}

/// The values of [`in_ids`]'s parameters.
pub fn ids_args(backend: Backend, ids: &[Uuid]) -> Vec<Arg<'static>> {
    match backend {
        Backend::Sqlite => ids.iter().map(|id| Arg::from(*id)).collect(),
        Backend::Postgres => vec![Arg::Column(Column::Uuid(
            ids.iter().copied().map(Some).collect(),
        ))],
    }
}

/// Ids per list of [`site_id_lists`]: well under both databases' parameter limits.
pub const ID_CHUNK: usize = 500;

/// The ids `ids` of site `site` in lists of at most [`ID_CHUNK`]: per list, what follows the
/// column matched against them ([`in_ids`] from `$2`) and its statement's arguments, `$1`
/// the site, then the ids.
pub fn site_id_lists(
    backend: Backend,
    site: Uuid,
    ids: &[Uuid],
) -> impl Iterator<Item = (String, Vec<Arg<'static>>)> + '_ {
    ids.chunks(ID_CHUNK).map(move |chunk| {
        let mut args = vec![Arg::from(site)];
        args.extend(ids_args(backend, chunk));
        (in_ids(backend, 2, chunk.len()), args)
    })
}

/// `head SELECT * FROM unnest($1, …) tail`, one statement for any number of rows: `rows` as
/// one array per column, on PostgreSQL. Its text is the same for every batch, so the driver
/// prepares it once and PostgreSQL plans it once (a `VALUES` list of each batch's length was
/// parsed and planned anew: a third of PostgreSQL's time under visit load). `None` if the
/// rows are not all of the first one's types.
pub fn rows_sql<'a>(head: &str, tail: &str, rows: &mut Vec<Vec<Arg<'a>>>) -> Option<Statement<'a>> {
    let first = rows.first()?;
    let mut columns: Vec<Column<'a>> = first
        .iter()
        .map(|arg| Column::of(arg, rows.len()))
        .collect::<Option<_>>()?;
    let same = |row: &Vec<Arg<'a>>| {
        row.len() == columns.len()
            && row
                .iter()
                .zip(first)
                .all(|(a, b)| std::mem::discriminant(a) == std::mem::discriminant(b))
    };
    if !rows.iter().all(same) {
        return None;
    }
    for row in rows.drain(..) {
        for (column, arg) in columns.iter_mut().zip(row) {
            let pushed = column.push(arg);
            debug_assert!(
                pushed.is_ok(),
                "rows checked to be of the first row's types"
            );
        }
    }
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("CAST(${} AS {})", i + 1, c.array_type()))
        .collect();
    let sql = format!("{head} SELECT * FROM unnest({}) {tail}", arrays.join(", "));
    Some((sql, columns.into_iter().map(Arg::Column).collect()))
}

/// `head VALUES ($1, …), (…) tail` for `rows` rows of `width` parameters each: a multi-row
/// insert whose parameters are the rows' values, row after row (`head` and `tail` take
/// none).
///
/// On SQLite the parameters are anonymous (`?`): its named ones (`$1`) are looked up by a
/// linear scan for every value bound, which made binding a 9,000-value statement quadratic
/// (ingest 4.1k → 2.7k events/s, the generator 10k → 1.3k rows/s).
pub fn values_sql(backend: Backend, head: &str, width: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * width * 5 + 8);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let anonymous = vec!["?"; width].join(", ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        match backend {
            Backend::Sqlite => sql.push_str(&anonymous),
            Backend::Postgres => sql.push_str(&placeholders(row * width + 1, width)),
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_rows_are_numbered_in_order() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(
            values_sql(
                Backend::Postgres,
                "INSERT INTO t (a, b)",
                2,
                2,
                "ON CONFLICT DO NOTHING"
            ),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            values_sql(Backend::Sqlite, "INSERT INTO t (a, b)", 2, 2, ""),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) "
        );
        assert_eq!(in_ids(Backend::Sqlite, 3, 2), " IN ($3, $4)");
        assert_eq!(
            in_ids(Backend::Postgres, 3, 2),
            " = ANY(CAST($3 AS UUID[]))"
        );
    }

    #[test]
    fn postgres_rows_go_as_one_array_per_column() {
        let mut rows = vec![
            crate::args![1i64, "a", Option::<Uuid>::None],
            crate::args![2i64, Option::<&str>::None, Uuid::nil()],
        ];
        let (sql, args) = rows_sql(
            "INSERT INTO t (a, b, c)",
            "ON CONFLICT DO NOTHING",
            &mut rows,
        )
        .expect("rows of one shape");
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c) SELECT * FROM unnest(CAST($1 AS BIGINT[]), \
             CAST($2 AS TEXT[]), CAST($3 AS UUID[])) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            args,
            vec![
                Arg::Column(Column::Int(vec![Some(1), Some(2)])),
                Arg::Column(Column::Text(vec![Some(Cow::Borrowed("a")), None])),
                Arg::Column(Column::Uuid(vec![None, Some(Uuid::nil())])),
            ]
        );
        assert!(rows.is_empty(), "the rows were moved into the columns");
        let mut mixed = vec![crate::args![1i64], crate::args!["1"]];
        assert!(rows_sql("INSERT INTO t (a)", "", &mut mixed).is_none());
        assert_eq!(mixed.len(), 2, "rows of mixed types are left for VALUES");
    }

    #[test]
    fn args_keep_nulls_and_borrow_text() {
        let name = Some("Мария".to_owned());
        let none: Option<i64> = None;
        let a = crate::args![&name, none, 7_i64, "x"];
        assert_eq!(a[0], Arg::Text(Some(Cow::Borrowed("Мария"))));
        assert_eq!(a[1], Arg::Int(None));
        assert_eq!(a[2], Arg::Int(Some(7)));
        assert!(matches!(a[3], Arg::Text(Some(Cow::Borrowed("x")))));
    }
}
