//! The command line of the benchmark examples: `--sessions N --dialogs N --months N
//! [--backend sqlite|postgres|both]`, or `--database URL [--site KEY] [--months N]`.

use chatrail_collector::generate::GenerateOptions;

use crate::app::Backend;

/// The value after `name`, or `default`.
pub fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How much to generate (default 100,000 sessions, 10,000 dialogs, 18 months) and on which
/// databases (default both).
pub fn from_args(args: &[String]) -> (GenerateOptions, Vec<Backend>) {
    let opts = GenerateOptions {
        sessions: arg(args, "--sessions", 100_000),
        dialogs: arg(args, "--dialogs", 10_000),
        months: arg(args, "--months", 18),
        ..GenerateOptions::default()
    };
    let backends = match arg(args, "--backend", "both".to_owned()).as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    (opts, backends)
}

/// The databases `--backend` names: `sqlite`, `postgres` or `both`.
pub fn backends(value: &str) -> anyhow::Result<Vec<Backend>> {
    Ok(match value {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        _ => anyhow::bail!("--backend must be sqlite, postgres or both"),
    })
}

/// An existing database to time instead of generating one: `--database URL [--site KEY]`.
#[derive(Debug, Clone)]
pub struct Existing {
    /// The database URL.
    pub url: String,
    /// The generated site's key (default `bench`).
    pub site: String,
    /// The URL's scheme, naming the table's column.
    pub label: String,
}

/// The `--database` of the command line, if any.
pub fn existing(args: &[String]) -> Option<Existing> {
    let url = arg(args, "--database", String::new());
    (!url.is_empty()).then(|| Existing {
        label: url.split(':').next().unwrap_or("database").to_owned(),
        site: arg(args, "--site", "bench".to_owned()),
        url,
    })
}
