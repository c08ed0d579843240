//! [`Reports`](crate::storage::Reports) for both backends: the SQL comes from
//! [`CountQuery::to_sql`](crate::storage::CountQuery::to_sql); synthetic rows go in with
//! multi-row inserts, chunked under SQLite's and PostgreSQL's parameter limits.

/// Rows per multi-row insert: 1,000 rows × at most 16 columns stays under both limits.
pub const INSERT_CHUNK: usize = 1000;

/// The rows of [`CountQuery`](crate::storage::CountQuery) `$q` on the fact tables, read
/// through executor `$exec` (a pool, or `&mut *tx`).
macro_rules! count_rows {
    ($exec:expr, $q:expr) => {{
        let q: &$crate::storage::CountQuery<'_> = $q;
        let (sql, binds) = q.to_sql();
        let mut query = sqlx::query_as::<_, $crate::storage::CountRow>(&sql)
            .bind(q.site_id.0)
            .bind(q.from_ms)
            .bind(q.to_ms);
        for b in binds {
            query = query.bind(b);
        }
        query.fetch_all($exec).await?
    }};
}
pub(crate) use count_rows;

/// The rollups of site `$site_id` recomputed from the fact tables, as a
/// [`RollupDelta`](crate::storage::rollups::RollupDelta), reading through executor `$exec`
/// (a pool, or `&mut *tx`).
macro_rules! recomputed {
    ($exec:expr, $site_id:expr) => {{
        let site_id: $crate::domain::site::SiteId = $site_id;
        let mut recomputed = $crate::storage::rollups::RollupDelta::default();
        let none = $crate::storage::ReportFilters::default();
        for dim in $crate::storage::rollups::DIMS {
            for fact in dim.facts {
                let q = $crate::storage::CountQuery {
                    site_id,
                    fact: *fact,
                    from_ms: i64::MIN,
                    to_ms: i64::MAX,
                    keys: dim.keys,
                    first_key_required: false,
                    bucket_ms: Some(dim.slot_ms),
                    offset_ms: 0,
                    filters: &none,
                };
                for r in $crate::storage::sql::reports::count_rows!($exec, &q) {
                    let keys = [&r.k1, &r.k2, &r.k3];
                    recomputed.add(site_id.0, dim.name.into(), r.b, keys, *fact, r.n);
                }
            }
        }
        recomputed
    }};
}
pub(crate) use recomputed;

/// Implements `Reports` for a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_reports {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Reports for $store {
            async fn site_timezone(
                &self,
                site_id: $crate::domain::site::SiteId,
            ) -> Result<Option<String>, $crate::storage::StoreError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT timezone FROM sites WHERE site_id = $1")
                        .bind(site_id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|r| r.0))
            }

            async fn set_site_timezone(
                &self,
                site_id: $crate::domain::site::SiteId,
                timezone: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("UPDATE sites SET timezone = $2 WHERE site_id = $1")
                    .bind(site_id.0)
                    .bind(timezone)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn count(
                &self,
                q: &$crate::storage::CountQuery<'_>,
            ) -> Result<Vec<$crate::storage::CountRow>, $crate::storage::StoreError> {
                use $crate::storage::rollups::Part;
                let parts = q.plan();
                if let [Part::Raw(raw)] = &parts[..] {
                    return self.count_raw(raw).await;
                }
                let mut rows = Vec::new();
                for part in &parts {
                    match part {
                        Part::Raw(raw) => rows.extend(self.count_raw(raw).await?),
                        Part::Rollup(r) => {
                            let sql = r.to_sql();
                            let mut query = sqlx::query_as::<$db, $crate::storage::CountRow>(&sql)
                                .bind(q.site_id.0)
                                .bind(r.from_slot)
                                .bind(r.to_slot);
                            for (_, value) in &r.equal {
                                query = query.bind(value);
                            }
                            rows.extend(query.fetch_all(&self.pool).await?);
                        }
                    }
                }
                Ok($crate::storage::rollups::merge(rows))
            }

            async fn count_raw(
                &self,
                q: &$crate::storage::CountQuery<'_>,
            ) -> Result<Vec<$crate::storage::CountRow>, $crate::storage::StoreError> {
                Ok($crate::storage::sql::reports::count_rows!(&self.pool, q))
            }

            async fn rollup_drift(
                &self,
                site_id: $crate::domain::site::SiteId,
            ) -> Result<Vec<String>, $crate::storage::StoreError> {
                use $crate::storage::rollups::{drift, RollupDelta};
                let site = site_id.0;
                type Row = (String, i64, String, String, String, i64, i64, i64);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT dim, slot, k1, k2, k3, visits, clicks, dialogs FROM report_rollups \
                     WHERE site_id = $1",
                )
                .bind(site)
                .fetch_all(&self.pool)
                .await?;
                let mut stored = RollupDelta::default();
                for (dim, slot, k1, k2, k3, v, c, d) in rows {
                    stored.0.insert((site, dim, slot, k1, k2, k3), [v, c, d]);
                }
                let recomputed = $crate::storage::sql::reports::recomputed!(&self.pool, site_id);
                let mut out = drift(&stored, &recomputed);
                let stale: Vec<(String, uuid::Uuid)> =
                    sqlx::query_as(&$crate::storage::rollups::copy_drift_sql())
                        .bind(site)
                        .fetch_all(&self.pool)
                        .await?;
                out.extend(
                    stale
                        .into_iter()
                        .map(|(t, id)| format!("{t} {id}: attribution differs from its source")),
                );
                Ok(out)
            }

            async fn rebuild_rollups(
                &self,
                site_id: $crate::domain::site::SiteId,
            ) -> Result<usize, $crate::storage::StoreError> {
                use $crate::storage::rollups::copy_attribution_sql;
                use $crate::storage::sql::rollups::apply_rollups;
                use $crate::storage::Fact;
                let _write = self.write_guard().await;
                let mut tx = self.pool.begin().await?;
                for fact in [Fact::Clicks, Fact::Dialogs] {
                    for sql in copy_attribution_sql(fact, None) {
                        sqlx::query(&sql).bind(site_id.0).execute(&mut *tx).await?;
                    }
                }
                sqlx::query("DELETE FROM report_rollups WHERE site_id = $1")
                    .bind(site_id.0)
                    .execute(&mut *tx)
                    .await?;
                let delta = $crate::storage::sql::reports::recomputed!(&mut *tx, site_id);
                apply_rollups!(tx, $db, delta);
                tx.commit().await?;
                Ok(delta.rows().len())
            }

            async fn analyze(&self) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("ANALYZE").execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_synthetic(
                &self,
                site_id: $crate::domain::site::SiteId,
                batch: &$crate::storage::SyntheticBatch,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::sql::reports::INSERT_CHUNK;
                use $crate::storage::sql::rollups::{apply_rollups, rollups_after, rollups_before};
                let site = site_id.0;
                let mut tx = self.pool.begin().await?;
                let mut delta = $crate::storage::rollups::RollupDelta::default();
                let mut touched = rollups_before!(
                    tx,
                    $db,
                    site,
                    batch.sessions.iter().map(|s| s.session_id),
                    batch.clicks.iter().map(|c| c.click_id),
                    delta
                );
                touched.dialogs.extend(batch.dialogs.iter().map(|d| d.dialog_id));
                for chunk in batch.sessions.chunks(INSERT_CHUNK) {
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, \
                         first_session_id) ",
                    );
                    b.push_values(chunk, |mut row, s| {
                        row.push_bind(site)
                            .push_bind(s.visitor_id)
                            .push_bind(s.started_at)
                            .push_bind(s.started_at)
                            .push_bind(s.session_id);
                    });
                    b.push(" ON CONFLICT (site_id, visitor_id) DO NOTHING");
                    b.build().execute(&mut *tx).await?;
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO sessions (site_id, session_id, visitor_id, code, started_at, \
                         last_seen_at, pageviews, landing_page, referring_domain, utm_source, \
                         utm_medium, utm_campaign, utm_content, utm_term, channel, device, os, \
                         browser) ",
                    );
                    b.push_values(chunk, |mut row, s| {
                        row.push_bind(site)
                            .push_bind(s.session_id)
                            .push_bind(s.visitor_id)
                            .push_bind(&s.code)
                            .push_bind(s.started_at)
                            .push_bind(s.started_at)
                            .push_bind(s.pageviews)
                            .push_bind(&s.landing_page)
                            .push_bind(&s.referring_domain)
                            .push_bind(&s.utm_source)
                            .push_bind(&s.utm_medium)
                            .push_bind(&s.utm_campaign)
                            .push_bind(&s.utm_content)
                            .push_bind(&s.utm_term)
                            .push_bind(&s.channel)
                            .push_bind(&s.device)
                            .push_bind(&s.os)
                            .push_bind(&s.browser);
                    });
                    b.build().execute(&mut *tx).await?;
                }
                for chunk in batch.clicks.chunks(INSERT_CHUNK) {
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, \
                         number, kind, page_url, clicked_at) ",
                    );
                    b.push_values(chunk, |mut row, c| {
                        row.push_bind(site)
                            .push_bind(c.click_id)
                            .push_bind(c.session_id)
                            .push_bind(c.visitor_id)
                            .push_bind(&c.code)
                            .push_bind(&c.number)
                            .push_bind("whatsapp")
                            .push_bind(&c.page_url)
                            .push_bind(c.clicked_at);
                    });
                    b.build().execute(&mut *tx).await?;
                }
                for chunk in batch.contacts.chunks(INSERT_CHUNK) {
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO contacts (site_id, contact_id, channel, identity, phone, \
                         name, first_seen_at, last_seen_at) ",
                    );
                    b.push_values(chunk, |mut row, c| {
                        row.push_bind(site)
                            .push_bind(c.contact_id)
                            .push_bind("whatsapp")
                            .push_bind(&c.phone)
                            .push_bind(&c.phone)
                            .push_bind(&c.name)
                            .push_bind(c.first_seen_at)
                            .push_bind(c.first_seen_at);
                    });
                    b.build().execute(&mut *tx).await?;
                }
                for chunk in batch.dialogs.chunks(INSERT_CHUNK) {
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
                         last_message_at, business_number, first_message, match_kind, \
                         session_id, click_id) ",
                    );
                    b.push_values(chunk, |mut row, d| {
                        row.push_bind(site)
                            .push_bind(d.dialog_id)
                            .push_bind(d.contact_id)
                            .push_bind(&d.kind)
                            .push_bind(d.started_at)
                            .push_bind(d.started_at)
                            .push_bind(&d.business_number)
                            .push_bind(&d.first_message)
                            .push_bind(&d.match_kind)
                            .push_bind(d.session_id)
                            .push_bind(d.click_id);
                    });
                    b.build().execute(&mut *tx).await?;
                }
                let tags: Vec<(&$crate::storage::SyntheticDialog, &String)> = batch
                    .dialogs
                    .iter()
                    .flat_map(|d| d.tags.iter().map(move |t| (d, t)))
                    .collect();
                for chunk in tags.chunks(INSERT_CHUNK) {
                    let mut b = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO dialog_tags (site_id, dialog_id, tag, created_at, \
                         dialog_started_at) ",
                    );
                    b.push_values(chunk, |mut row, (d, tag)| {
                        row.push_bind(site)
                            .push_bind(d.dialog_id)
                            .push_bind(tag.as_str())
                            .push_bind(d.started_at)
                            .push_bind(d.started_at);
                    });
                    b.build().execute(&mut *tx).await?;
                }
                rollups_after!(tx, site, touched, delta);
                apply_rollups!(tx, $db, delta);
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_reports;
