//! Who belongs to which site: adding a member (and the link that sets their password),
//! resetting a password, using a link, listing and removing accounts.

use uuid::Uuid;

use super::{AccountListing, AccountSite, MemberView};
use crate::args;
use crate::db::{Backend, Conn, Db, StoreError};
use crate::domain::account::{AccountId, Email};
use crate::domain::now_ms;
use crate::domain::site::SiteId;
use crate::domain::token::Role;

/// What adding a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// The role is given and the link stored: the person sets their password with it.
    Link,
    /// The role is given; no link: the account already has a password, or it belongs to a
    /// site the inviter does not administer (it signs in as it did).
    Added,
}

/// What resetting a password did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// Password cleared, sessions ended, link stored.
    Link,
    /// No such account (on that site).
    NoMember,
    /// The account belongs to a site the resetter does not administer.
    NotYours,
}

/// What removing a member from a site did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The role is gone (and the account with it, when it had no other site).
    Removed,
    /// The account has no role on the site.
    NoMember,
    /// The account is the site's only admin account.
    LastAdmin,
}

const SITES_OF: &str = "SELECT s.site_key AS key, s.name, a.role FROM account_sites a \
     JOIN sites s ON s.site_id = a.site_id WHERE a.account_id = $1 ORDER BY s.name, s.site_key";

/// Whether every site of `account` but `except` is one of `admin_of` (`None`: any).
async fn controls(
    tx: &mut Conn,
    account: Uuid,
    except: Option<SiteId>,
    admin_of: Option<&[SiteId]>,
) -> Result<bool, StoreError> {
    let Some(admin_of) = admin_of else {
        return Ok(true);
    };
    let sites: Vec<(Uuid,)> = tx
        .fetch_all(
            "SELECT site_id FROM account_sites WHERE account_id = $1",
            args![account],
        )
        .await?;
    Ok(sites
        .iter()
        .filter(|(s,)| Some(SiteId(*s)) != except)
        .all(|(s,)| admin_of.contains(&SiteId(*s))))
}

/// Replaces every link of `account` with `invite`.
async fn store_link(tx: &mut Conn, account: Uuid, invite: (&str, i64)) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM account_invites WHERE account_id = $1",
        args![account],
    )
    .await?;
    tx.execute(
        "INSERT INTO account_invites (invite_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
        args![invite.0, account, now_ms(), invite.1],
    )
    .await?;
    Ok(())
}

pub(super) async fn add(
    db: &Db,
    email: &Email,
    site: SiteId,
    role: Role,
    invite: (&str, i64),
    admin_of: Option<&[SiteId]>,
) -> Result<Invited, StoreError> {
    let mut tx = db.begin().await?;
    let found: Option<(Uuid, Option<String>)> = tx
        .fetch_optional(
            "SELECT account_id, password_hash FROM accounts WHERE email_folded = $1",
            args![email.folded.as_str()],
        )
        .await?;
    let (account, has_password) = match found {
        Some((id, hash)) => (id, hash.is_some()),
        None => {
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO accounts (account_id, email, email_folded, password_hash, \
                 created_at) VALUES ($1, $2, $3, NULL, $4)",
                args![id, email.given.as_str(), email.folded.as_str(), now_ms()],
            )
            .await
            .map_err(StoreError::conflict("account"))?;
            (id, false)
        }
    };
    tx.execute(
        "DELETE FROM account_sites WHERE account_id = $1 AND site_id = $2",
        args![account, site.0],
    )
    .await?;
    tx.execute(
        "INSERT INTO account_sites (account_id, site_id, role, created_at) \
         VALUES ($1, $2, $3, $4)",
        args![account, site.0, role.as_str(), now_ms()],
    )
    .await?;
    let invited = if !has_password && controls(&mut tx, account, Some(site), admin_of).await? {
        store_link(&mut tx, account, invite).await?;
        Invited::Link
    } else {
        Invited::Added
    };
    tx.commit().await?;
    Ok(invited)
}

pub(super) async fn reset(
    db: &Db,
    email: &Email,
    site: Option<SiteId>,
    invite: (&str, i64),
    admin_of: Option<&[SiteId]>,
) -> Result<Reset, StoreError> {
    let mut tx = db.begin().await?;
    let found: Option<(Uuid,)> = match site {
        Some(site) => {
            tx.fetch_optional(
                "SELECT a.account_id FROM accounts a JOIN account_sites m \
                 ON m.account_id = a.account_id WHERE a.email_folded = $1 AND m.site_id = $2",
                args![email.folded.as_str(), site.0],
            )
            .await?
        }
        None => {
            tx.fetch_optional(
                "SELECT account_id FROM accounts WHERE email_folded = $1",
                args![email.folded.as_str()],
            )
            .await?
        }
    };
    let Some((account,)) = found else {
        return Ok(Reset::NoMember);
    };
    if !controls(&mut tx, account, None, admin_of).await? {
        return Ok(Reset::NotYours);
    }
    tx.execute(
        "UPDATE accounts SET password_hash = NULL WHERE account_id = $1",
        args![account],
    )
    .await?;
    tx.execute(
        "DELETE FROM account_sessions WHERE account_id = $1",
        args![account],
    )
    .await?;
    store_link(&mut tx, account, invite).await?;
    tx.commit().await?;
    Ok(Reset::Link)
}

pub(super) async fn invite_account(
    db: &Db,
    invite_hash: &str,
    now: i64,
) -> Result<Option<AccountId>, StoreError> {
    let row: Option<(Uuid, i64)> = db
        .fetch_optional(
            "SELECT account_id, expires_at FROM account_invites WHERE invite_hash = $1",
            args![invite_hash],
        )
        .await?;
    Ok(row.filter(|r| r.1 > now).map(|r| AccountId(r.0)))
}

pub(super) async fn accept(
    db: &Db,
    invite_hash: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let mut tx = db.begin().await?;
    let row: Option<(Uuid, i64)> = tx
        .fetch_optional(
            "SELECT account_id, expires_at FROM account_invites WHERE invite_hash = $1",
            args![invite_hash],
        )
        .await?;
    let Some((account, expires_at)) = row else {
        return Ok(None);
    };
    tx.execute(
        "DELETE FROM account_invites WHERE account_id = $1",
        args![account],
    )
    .await?;
    if expires_at <= now {
        // An account has one link at a time: the expired one is gone with it.
        tx.commit().await?;
        return Ok(None);
    }
    tx.execute(
        "UPDATE accounts SET password_hash = $1 WHERE account_id = $2",
        args![password_hash, account],
    )
    .await?;
    tx.execute(
        "DELETE FROM account_sessions WHERE account_id = $1",
        args![account],
    )
    .await?;
    let email: (String,) = tx
        .fetch_one(
            "SELECT email FROM accounts WHERE account_id = $1",
            args![account],
        )
        .await?;
    tx.commit().await?;
    Ok(Some(email.0))
}

pub(super) async fn sites_of(db: &Db, account: AccountId) -> Result<Vec<AccountSite>, StoreError> {
    Ok(db.fetch_all(SITES_OF, args![account.0]).await?)
}

pub(super) async fn role(
    db: &Db,
    account: AccountId,
    site: SiteId,
) -> Result<Option<Role>, StoreError> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT role FROM account_sites WHERE account_id = $1 AND site_id = $2",
            args![account.0, site.0],
        )
        .await?;
    Ok(row.and_then(|r| Role::parse(&r.0)))
}

pub(super) async fn admin_sites(db: &Db, account: AccountId) -> Result<Vec<SiteId>, StoreError> {
    let rows: Vec<(Uuid,)> = db
        .fetch_all(
            "SELECT site_id FROM account_sites WHERE account_id = $1 AND role = $2",
            args![account.0, Role::Admin.as_str()],
        )
        .await?;
    Ok(rows.into_iter().map(|r| SiteId(r.0)).collect())
}

pub(super) async fn of_site(db: &Db, site: SiteId) -> Result<Vec<MemberView>, StoreError> {
    Ok(db
        .fetch_all(
            "SELECT a.account_id, a.email, m.role, a.password_hash IS NOT NULL AS active, \
             m.created_at AS added_at FROM account_sites m JOIN accounts a \
             ON a.account_id = m.account_id WHERE m.site_id = $1 ORDER BY a.email_folded",
            args![site.0],
        )
        .await?)
}

pub(super) async fn remove_from_site(
    db: &Db,
    account: AccountId,
    site: SiteId,
) -> Result<Removal, StoreError> {
    let mut tx = db.begin().await?;
    let role: Option<(String,)> = tx
        .fetch_optional(
            "SELECT role FROM account_sites WHERE account_id = $1 AND site_id = $2",
            args![account.0, site.0],
        )
        .await?;
    let Some((role,)) = role else {
        return Ok(Removal::NoMember);
    };
    if role == Role::Admin.as_str() {
        // The site's admin rows stay locked until this commits (SQLite has one writer), so
        // two admins removing each other at once cannot both go.
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let admins: Vec<(Uuid,)> = tx
            .fetch_all(
                &format!(
                    "SELECT account_id FROM account_sites WHERE site_id = $1 AND role = $2{lock}"
                ),
                args![site.0, Role::Admin.as_str()],
            )
            .await?;
        if admins.len() <= 1 {
            return Ok(Removal::LastAdmin);
        }
    }
    tx.execute(
        "DELETE FROM account_sites WHERE account_id = $1 AND site_id = $2",
        args![account.0, site.0],
    )
    .await?;
    // Every request looks its session's role up, so the role going is the access going.
    // An account left without a site goes whole: its pending link would otherwise still
    // set a password for nothing, and its sessions would sign in to an empty dashboard.
    let (left,): (i64,) = tx
        .fetch_one(
            "SELECT COUNT(*) FROM account_sites WHERE account_id = $1",
            args![account.0],
        )
        .await?;
    if left == 0 {
        delete_account(&mut tx, account.0).await?;
    }
    tx.commit().await?;
    Ok(Removal::Removed)
}

/// Deletes an account with its roles, sessions and links.
async fn delete_account(tx: &mut Conn, account: Uuid) -> Result<(), StoreError> {
    for table in [
        "account_sites",
        "account_sessions",
        "account_invites",
        "accounts",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE account_id = $1"),
            args![account],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn all(db: &Db) -> Result<Vec<AccountListing>, StoreError> {
    let accounts: Vec<(Uuid, String, bool)> = db
        .fetch_all(
            "SELECT account_id, email, password_hash IS NOT NULL FROM accounts \
             ORDER BY email_folded",
            Vec::new(),
        )
        .await?;
    let mut listed = Vec::with_capacity(accounts.len());
    for (id, email, active) in accounts {
        let sites = sites_of(db, AccountId(id)).await?;
        listed.push(AccountListing {
            email,
            active,
            sites,
        });
    }
    Ok(listed)
}

pub(super) async fn remove(db: &Db, email: &Email) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let found: Option<(Uuid,)> = tx
        .fetch_optional(
            "SELECT account_id FROM accounts WHERE email_folded = $1",
            args![email.folded.as_str()],
        )
        .await?;
    let Some((account,)) = found else {
        return Ok(false);
    };
    delete_account(&mut tx, account).await?;
    tx.commit().await?;
    Ok(true)
}
