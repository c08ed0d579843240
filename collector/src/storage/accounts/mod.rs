//! Accounts: people who sign in to the dashboard with an e-mail address and a password, a
//! role on each of their sites, their sessions and their one-time links to set a password.
//! Passwords are stored as argon2id hashes, session cookies and links as SHA-256 hashes:
//! nothing stored signs anyone in.
//!
//! Unlike every other table, these are not keyed by site: one account may hold roles on
//! several sites. Every read of a site's data still goes through a grant of one site.

mod members;
mod sessions;

use async_trait::async_trait;
use serde::Serialize;

use super::records::rfc3339;
use crate::db::{Db, StoreError};
use crate::domain::account::{AccountId, Email};
use crate::domain::site::SiteId;
use crate::domain::token::Role;

pub use members::{Invited, Removal, Reset};

/// One of an account's sites, with its role there.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AccountSite {
    /// The site's key (what `X-Chatrail-Site` names).
    pub key: String,
    /// The site's name.
    pub name: String,
    /// `operator`, `analyst` or `admin`.
    pub role: String,
}

/// A member of a site, as listed to its admins.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberView {
    /// Their account's id (what `DELETE /site/members/{id}` names).
    pub account_id: uuid::Uuid,
    /// Their e-mail address.
    pub email: String,
    /// `operator`, `analyst` or `admin`.
    pub role: String,
    /// Whether they have set a password (else an invite or reset link is pending).
    pub active: bool,
    /// When they were given the role.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: i64,
}

/// An account as the CLI lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountListing {
    /// E-mail address.
    pub email: String,
    /// Whether a password is set.
    pub active: bool,
    /// Sites and roles.
    pub sites: Vec<AccountSite>,
}

/// What a sign-in looks up: the account and its password hash, if set.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub account: AccountId,
    /// Its argon2id hash; `None` until an invite is accepted.
    pub password_hash: Option<String>,
}

/// What [`Accounts::purge_expired`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Sessions past their expiry.
    pub sessions: u64,
    /// Links to set a password past theirs.
    pub invites: u64,
}

/// Accounts, roles, sessions and invites.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Gives `email` (a new account if there is none) `role` on `site`. A link to set the
    /// password (`invite_hash`, until `expires_at`) is stored only when the account has no
    /// password and every other site it belongs to is one of `admin_of` (`None`: the CLI,
    /// which may do anything), so no site's admin can take over someone else's account.
    async fn add_member(
        &self,
        email: &Email,
        site: SiteId,
        role: Role,
        invite: (&str, i64),
        admin_of: Option<&[SiteId]>,
    ) -> Result<Invited, StoreError>;
    /// Clears the password of `email` (a member of `site`, when given), ends their sessions
    /// and stores a link to set a new one, if every site they belong to is one of
    /// `admin_of` (`None`: any).
    async fn reset_password(
        &self,
        email: &Email,
        site: Option<SiteId>,
        invite: (&str, i64),
        admin_of: Option<&[SiteId]>,
    ) -> Result<Reset, StoreError>;
    /// The account a link is for, while it may still be used at `now`.
    async fn invite_account(
        &self,
        invite_hash: &str,
        now: i64,
    ) -> Result<Option<AccountId>, StoreError>;
    /// Uses a link: sets the password hash, ends the account's sessions and every link of
    /// it; the account's e-mail, or `None` if the link is unknown, used or expired.
    async fn accept_invite(
        &self,
        invite_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError>;
    /// The account signing in as `email`, and its password hash.
    async fn credentials(&self, email: &Email) -> Result<Option<Credentials>, StoreError>;
    /// An account's e-mail address.
    async fn account_email(&self, account: AccountId) -> Result<Option<String>, StoreError>;
    /// An account's sites and roles, by site name.
    async fn account_sites(&self, account: AccountId) -> Result<Vec<AccountSite>, StoreError>;
    /// An account's role on a site.
    async fn account_role(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Option<Role>, StoreError>;
    /// The sites an account administers.
    async fn admin_sites(&self, account: AccountId) -> Result<Vec<SiteId>, StoreError>;
    /// A site's members, by e-mail.
    async fn members(&self, site: SiteId) -> Result<Vec<MemberView>, StoreError>;
    /// Takes an account's role on a site away (the account too, if it has no other site);
    /// never the site's last admin account.
    async fn remove_member(&self, account: AccountId, site: SiteId) -> Result<Removal, StoreError>;
    /// Every account, by e-mail (the CLI).
    async fn all_accounts(&self) -> Result<Vec<AccountListing>, StoreError>;
    /// Deletes an account with its roles, sessions and links; `false` if there is none.
    async fn remove_account(&self, email: &Email) -> Result<bool, StoreError>;
    /// Starts a session stored by the hash of its cookie's value.
    async fn start_session(
        &self,
        session_hash: &str,
        account: AccountId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The account of a session still valid at `now` (noting that it was seen).
    async fn session_account(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<AccountId>, StoreError>;
    /// Ends one session.
    async fn end_session(&self, session_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of an account; how many there were.
    async fn end_sessions(&self, account: AccountId) -> Result<u64, StoreError>;
    /// Deletes every session and every link to set a password expired at `now` (the
    /// retention task's hourly sweep; a sign-in only sweeps its own account's sessions).
    async fn purge_expired(&self, now: i64) -> Result<Purged, StoreError>;
}

#[async_trait]
impl Accounts for Db {
    async fn add_member(
        &self,
        email: &Email,
        site: SiteId,
        role: Role,
        invite: (&str, i64),
        admin_of: Option<&[SiteId]>,
    ) -> Result<Invited, StoreError> {
        members::add(self, email, site, role, invite, admin_of).await
    }

    async fn reset_password(
        &self,
        email: &Email,
        site: Option<SiteId>,
        invite: (&str, i64),
        admin_of: Option<&[SiteId]>,
    ) -> Result<Reset, StoreError> {
        members::reset(self, email, site, invite, admin_of).await
    }

    async fn invite_account(
        &self,
        invite_hash: &str,
        now: i64,
    ) -> Result<Option<AccountId>, StoreError> {
        members::invite_account(self, invite_hash, now).await
    }

    async fn accept_invite(
        &self,
        invite_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        members::accept(self, invite_hash, password_hash, now).await
    }

    async fn credentials(&self, email: &Email) -> Result<Option<Credentials>, StoreError> {
        sessions::credentials(self, email).await
    }

    async fn account_email(&self, account: AccountId) -> Result<Option<String>, StoreError> {
        sessions::email(self, account).await
    }

    async fn account_sites(&self, account: AccountId) -> Result<Vec<AccountSite>, StoreError> {
        members::sites_of(self, account).await
    }

    async fn account_role(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Option<Role>, StoreError> {
        members::role(self, account, site).await
    }

    async fn admin_sites(&self, account: AccountId) -> Result<Vec<SiteId>, StoreError> {
        members::admin_sites(self, account).await
    }

    async fn members(&self, site: SiteId) -> Result<Vec<MemberView>, StoreError> {
        members::of_site(self, site).await
    }

    async fn remove_member(&self, account: AccountId, site: SiteId) -> Result<Removal, StoreError> {
        members::remove_from_site(self, account, site).await
    }

    async fn all_accounts(&self) -> Result<Vec<AccountListing>, StoreError> {
        members::all(self).await
    }

    async fn remove_account(&self, email: &Email) -> Result<bool, StoreError> {
        members::remove(self, email).await
    }

    async fn start_session(
        &self,
        session_hash: &str,
        account: AccountId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sessions::start(self, session_hash, account, now, expires_at).await
    }

    async fn session_account(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<AccountId>, StoreError> {
        sessions::account(self, session_hash, now).await
    }

    async fn end_session(&self, session_hash: &str) -> Result<(), StoreError> {
        sessions::end(self, session_hash).await
    }

    async fn end_sessions(&self, account: AccountId) -> Result<u64, StoreError> {
        sessions::end_all(self, account).await
    }

    async fn purge_expired(&self, now: i64) -> Result<Purged, StoreError> {
        sessions::purge_expired(self, now).await
    }
}
