//! What operators read and change: the dialogs list, source cards, tags, outcomes.

mod card;
mod list;
pub mod outcome;
mod tags;

use async_trait::async_trait;
use uuid::Uuid;

use crate::db::{Db, StoreError};
use crate::domain::outcome::{Rule, Stages};
use crate::domain::site::SiteId;
use crate::domain::tag::Tag;
use crate::storage::{DialogListQuery, DialogSummary, SourceCard, TagChange};
use outcome::{ChangedBy, NewOutcome, OutcomeSet, OutcomeSettings, OutcomeView, SettingsSaved};

/// The operators' side of storage.
#[async_trait]
pub trait Dialogs: Send + Sync {
    /// Dialogs of a site, newest first.
    async fn list_dialogs(
        &self,
        site_id: SiteId,
        query: &DialogListQuery,
    ) -> Result<Vec<DialogSummary>, StoreError>;
    /// The source card of one dialog of a site.
    async fn source_card(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<SourceCard>, StoreError>;
    /// The tags of one dialog of a site (`None` if there is no such dialog).
    async fn dialog_tags(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<Vec<String>>, StoreError>;
    /// Adds a tag to a dialog of a site (adding it twice is not an error).
    async fn add_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError>;
    /// Removes a tag from a dialog of a site (removing an absent tag is not an error).
    async fn remove_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError>;
    /// The outcome of one dialog of a site and its changes (`None`: no such dialog).
    async fn outcome(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<OutcomeView>, StoreError>;
    /// Sets the outcome of a dialog of a site (setting the one it has changes nothing).
    async fn set_outcome(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        new: &NewOutcome,
        by: &ChangedBy,
    ) -> Result<OutcomeSet, StoreError>;
    /// A site's stages and outcome rules.
    async fn outcome_settings(&self, site_id: SiteId) -> Result<OutcomeSettings, StoreError>;
    /// Replaces a site's stages and outcome rules.
    async fn save_outcome_settings(
        &self,
        site_id: SiteId,
        stages: &Stages,
        rules: &[Rule],
    ) -> Result<SettingsSaved, StoreError>;
}

#[async_trait]
impl Dialogs for Db {
    async fn list_dialogs(
        &self,
        site_id: SiteId,
        query: &DialogListQuery,
    ) -> Result<Vec<DialogSummary>, StoreError> {
        list::list(self, site_id, query).await
    }

    async fn source_card(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<SourceCard>, StoreError> {
        card::source_card(self, site_id, dialog_id).await
    }

    async fn dialog_tags(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let mut conn = self.read().await?;
        Ok(tags::of(&mut conn, site_id, dialog_id).await?)
    }

    async fn add_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError> {
        tags::add(self, site_id, dialog_id, tag).await
    }

    async fn remove_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError> {
        tags::remove(self, site_id, dialog_id, tag).await
    }

    async fn outcome(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<OutcomeView>, StoreError> {
        let mut conn = self.read().await?;
        Ok(outcome::outcome(&mut conn, site_id.0, dialog_id).await?)
    }

    async fn set_outcome(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        new: &NewOutcome,
        by: &ChangedBy,
    ) -> Result<OutcomeSet, StoreError> {
        outcome::set(self, site_id, dialog_id, new, by).await
    }

    async fn outcome_settings(&self, site_id: SiteId) -> Result<OutcomeSettings, StoreError> {
        outcome::settings(self, site_id).await
    }

    async fn save_outcome_settings(
        &self,
        site_id: SiteId,
        stages: &Stages,
        rules: &[Rule],
    ) -> Result<SettingsSaved, StoreError> {
        outcome::save_settings(self, site_id, stages, rules).await
    }
}
