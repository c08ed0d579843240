-- Ad spend imported from CSV: one row per UTC day, source, medium, campaign, ad and
-- currency ('' where a file gives no source, medium, campaign or ad), with the channel
-- sessions tagged so would get. Importing a file replaces its days and sources.
CREATE TABLE ad_costs (
    site_id     UUID NOT NULL,
    day         BIGINT NOT NULL,
    source      TEXT NOT NULL,
    medium      TEXT NOT NULL,
    campaign    TEXT NOT NULL,
    ad          TEXT NOT NULL,
    currency    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    cost_milli  BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, day, source, medium, campaign, ad, currency)
);
