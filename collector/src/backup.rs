//! `chatrail backup` and `chatrail restore`: copies of a SQLite database, taken while the
//! collector serves, and put back while it does not.
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is the database as one
//! commit left it (every beacon and message acknowledged before the backup began is in
//! it), whatever is written meanwhile; writers are not blocked in WAL mode. The copy is
//! written under a temporary name and renamed when complete, so a file with the backup's
//! name is always a whole backup.
//!
//! A running collector holds a shared advisory lock (`flock`) on its database file
//! ([`hold_shared`]); `restore` takes it exclusively, so it never replaces a database under
//! a collector. The replaced database is kept beside it, and its `-wal`/`-shm` files are
//! removed first: SQLite would otherwise replay the old database's log onto the restored
//! file.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`); both commands refuse it and say
//! which to use.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

/// What `chatrail backup` wrote.
#[derive(Debug)]
pub struct Backup {
    /// Its size in bytes.
    pub bytes: u64,
    /// How long the copy took.
    pub elapsed: Duration,
}

const PG_BACKUP: &str = "chatrail backup is for SQLite; back up PostgreSQL with pg_dump, e.g. \
     `pg_dump --format=custom --file=chatrail.dump \"$CHATRAIL_DATABASE_URL\"` (see deploy/README.md)";
const PG_RESTORE: &str =
    "chatrail restore is for SQLite; restore PostgreSQL with pg_restore, e.g. \
     `pg_restore --clean --if-exists --no-owner --dbname=\"$CHATRAIL_DATABASE_URL\" chatrail.dump` \
     with every collector stopped (see deploy/README.md)";

/// The database file a `sqlite://` URL names; refuses PostgreSQL with `postgres_hint`.
fn sqlite_file(database_url: &str, postgres_hint: &str) -> anyhow::Result<PathBuf> {
    if database_url.starts_with("postgres") {
        bail!("{postgres_hint}");
    }
    if !database_url.starts_with("sqlite:") {
        bail!("unsupported database URL {database_url:?}: use sqlite://<file>");
    }
    let options = SqliteConnectOptions::from_str(database_url)?;
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        bail!("{database_url:?} names no database file");
    }
    Ok(file.to_path_buf())
}

/// Opens an existing SQLite database, never creating one.
async fn open(file: &Path, read_only: bool) -> anyhow::Result<SqliteConnection> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    SqliteConnectOptions::new()
        .filename(file)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(30))
        // VACUUM INTO and integrity_check take seconds on a large database, by design.
        .disable_statement_logging()
        .connect()
        .await
        .with_context(|| format!("opening {}", file.display()))
}

/// The highest migration applied to a chatrail database; fails on anything else.
async fn schema_version(db: &mut SqliteConnection, file: &Path) -> anyhow::Result<i64> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *db)
            .await
            .with_context(|| format!("{} is not a chatrail database", file.display()))?;
    version.with_context(|| format!("{} has no migrations applied", file.display()))
}

/// Copies the database at `database_url` into `to` while it may be serving.
pub async fn backup(database_url: &str, to: &Path) -> anyhow::Result<Backup> {
    let from = sqlite_file(database_url, PG_BACKUP)?;
    if to.exists() {
        bail!("{} exists; choose a new file", to.display());
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let started = Instant::now();
    let mut db = open(&from, false).await?;
    schema_version(&mut db, &from).await?;
    let target = partial
        .to_str()
        .context("the backup file's name is not UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut db)
        .await
        .with_context(|| format!("writing {}", partial.display()))?;
    db.close().await?;
    File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, to)?;
    sync_dir(to)?;
    Ok(Backup {
        bytes: std::fs::metadata(to)?.len(),
        elapsed: started.elapsed(),
    })
}

/// Puts the backup `from` in place of the database at `database_url`. An existing database
/// is replaced only with `force`, never while a collector holds it, and is kept as
/// `<file>.before-restore-<unix seconds>`; returns that name.
pub async fn restore(
    from: &Path,
    database_url: &str,
    force: bool,
) -> anyhow::Result<Option<PathBuf>> {
    let to = sqlite_file(database_url, PG_RESTORE)?;
    // Held until the end: no collector starts on the file while it is being replaced.
    let lock = if to.exists() {
        if !force {
            bail!(
                "{} exists; add --force to replace it (it is kept beside, as .before-restore-…)",
                to.display()
            );
        }
        let file = File::open(&to)?;
        if file.try_lock().is_err() {
            bail!(
                "a running chatrail holds {}: stop every collector on it first",
                to.display()
            );
        }
        Some(file)
    } else {
        None
    };
    check_backup(from).await?;
    let staged = with_suffix(&to, ".restoring");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(from, &staged)
        .with_context(|| format!("copying {} to {}", from.display(), staged.display()))?;
    File::open(&staged)?.sync_all()?;
    let mut kept = None;
    if lock.is_some() {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let old = with_suffix(&to, &format!(".before-restore-{unix}"));
        // Stopped cleanly, a database has no log left; a crashed one's log belongs to it.
        let mut old_db = open(&to, false).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut old_db)
            .await?;
        old_db.close().await?;
        std::fs::rename(&to, &old)?;
        kept = Some(old);
    }
    for log in ["-wal", "-shm"] {
        match std::fs::remove_file(with_suffix(&to, log)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    std::fs::rename(&staged, &to)?;
    sync_dir(&to)?;
    drop(lock);
    Ok(kept)
}

/// Checks that `file` is a whole chatrail database this binary can open.
async fn check_backup(file: &Path) -> anyhow::Result<()> {
    let mut db = open(file, true).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await?;
    if check != "ok" {
        bail!("{} is damaged: {check}", file.display());
    }
    let version = schema_version(&mut db, file).await?;
    db.close().await?;
    let known = sqlx::migrate!("../migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    if version > known {
        bail!(
            "{} has schema version {version}, newer than this chatrail's {known}: restore it with the chatrail that made it",
            file.display()
        );
    }
    Ok(())
}

/// Takes the shared lock a serving collector holds on its SQLite file (see the module
/// documentation); `None` on PostgreSQL. Fails while a restore replaces the file.
pub fn hold_shared(database_url: &str) -> anyhow::Result<Option<File>> {
    if !database_url.starts_with("sqlite:") {
        return Ok(None);
    }
    let file = File::open(sqlite_file(database_url, "")?)?;
    if file.try_lock_shared().is_err() {
        bail!("the database is being restored; start again when `chatrail restore` is done");
    }
    Ok(Some(file))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a rename in the directory of `path` durable.
fn sync_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()?;
    Ok(())
}
