//! Several statements sent to SQLite as one text, in one round trip to the driver's
//! connection thread.

use super::args::{Arg, Statement};

/// Statements joined into one SQLite text whose parameters are all anonymous `?`, bound in
/// order: a numbered one (`$n`, `?n`) becomes `?` with a copy of the statement's `n`-th
/// value. The driver binds anonymous parameters of a script one statement after another;
/// numbered ones it would bind to the script's `n`-th value, and SQLite looks each `$n` up
/// among the statement's names one by one (with `$n` scripts, visits fell to a third).
pub(super) fn script(statements: Vec<Statement<'_>>) -> Statement<'_> {
    let mut sql = String::new();
    let mut args = Vec::new();
    for (text, values) in statements {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        anonymize(&text, values, &mut sql, &mut args);
    }
    (sql, args)
}

/// Appends `sql` to `out` with every parameter an anonymous `?`, and to `args` the value
/// each takes from `values`.
fn anonymize<'a>(sql: &str, values: Vec<Arg<'a>>, out: &mut String, args: &mut Vec<Arg<'a>>) {
    rewrite_params(sql, out, |n, out| {
        out.push('?');
        // A parameter without a value is NULL, as SQLite binds it.
        args.push(values.get(n - 1).cloned().unwrap_or(Arg::Int(None)));
    });
}

/// `sql` with its numbered parameters moved up by `offset` (`$1` becomes `$(1 + offset)`),
/// to follow another statement's in one text.
pub(super) fn shift_params(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    rewrite_params(sql, &mut out, |n, out| {
        out.push_str(&format!("${}", n + offset));
    });
    out
}

/// Appends `sql` to `out`, each parameter (`$n`, `?n`, or `?`, which takes the number after
/// the last anonymous one) written by `param` with its number; quoted text and names are
/// copied as they are.
fn rewrite_params(sql: &str, out: &mut String, mut param: impl FnMut(usize, &mut String)) {
    if !sql.contains('$') && !sql.contains('?') {
        out.push_str(sql);
        return;
    }
    let mut chars = sql.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // To the closing quote; a doubled quote inside reopens it on the next turn.
                for q in chars.by_ref() {
                    out.push(q);
                    if q == c {
                        break;
                    }
                }
            }
            '$' | '?' => {
                let mut n = 0usize;
                let mut digits = false;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    digits = true;
                    chars.next();
                }
                if !digits && c == '$' {
                    out.push(c);
                    continue;
                }
                if !digits {
                    next += 1;
                    n = next;
                }
                param(n, out);
            }
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Arg;

    #[test]
    fn scripts_bind_every_parameter_in_order() {
        let (sql, args) = script(vec![
            (
                "UPDATE a SET x = $2 WHERE id = $1".into(),
                crate::args![1i64, 2i64],
            ),
            (
                "INSERT INTO b VALUES (?, ?), (?, 'it''s ? $1')".into(),
                crate::args![3i64, 4i64, 5i64],
            ),
            (
                "SELECT \"$9\" FROM c WHERE y = ?1 OR z = ?1".into(),
                crate::args![6i64],
            ),
            ("COMMIT".into(), Vec::new()),
        ]);
        assert_eq!(
            sql,
            "UPDATE a SET x = ? WHERE id = ?;\n\
             INSERT INTO b VALUES (?, ?), (?, 'it''s ? $1');\n\
             SELECT \"$9\" FROM c WHERE y = ? OR z = ?;\nCOMMIT"
        );
        let ints: Vec<Arg> = [2, 1, 3, 4, 5, 6, 6].map(|n: i64| Arg::Int(Some(n))).into();
        assert_eq!(args, ints);
    }

    #[test]
    fn scripts_keep_other_text_whole_and_values_repeated() {
        let (sql, args) = script(vec![(
            "SELECT 'Привет, $1 ?' || \"имя?\" || $2, $1, $2, $7 FROM t WHERE a = 'unclosed $1"
                .into(),
            vec![Arg::from("раз".to_owned()), Arg::Int(Some(2))],
        )]);
        assert_eq!(
            sql,
            "SELECT 'Привет, $1 ?' || \"имя?\" || ?, ?, ?, ? FROM t WHERE a = 'unclosed $1"
        );
        assert_eq!(
            args,
            vec![
                Arg::Int(Some(2)),
                Arg::from("раз".to_owned()),
                Arg::Int(Some(2)),
                Arg::Int(None),
            ]
        );
    }

    #[test]
    fn shifted_parameters_follow_another_statements() {
        assert_eq!(
            shift_params("SELECT $1, '$2', \"$3\" FROM t WHERE a = $2 AND b = $10", 7),
            "SELECT $8, '$2', \"$3\" FROM t WHERE a = $9 AND b = $17"
        );
    }
}
