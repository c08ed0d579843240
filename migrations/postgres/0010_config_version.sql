-- Every collector keeps sites and their numbers in memory. Any change to what it keeps moves
-- this counter (in the same transaction, by trigger, whoever writes), and each collector
-- checks it every second and drops what it keeps when it has moved.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE FUNCTION chatrail_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER sites_changed AFTER INSERT OR DELETE OR UPDATE OF site_id, site_key, name,
    domains, template, wa_app_secret, wa_verify_token_hash, channel_rules, twilio_auth_token,
    twilio_webhook_url, telegram_bot, telegram_secret_hash, bots, pages ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION chatrail_config_changed();

CREATE TRIGGER numbers_changed AFTER INSERT OR DELETE OR UPDATE OF site_id, number,
    wa_phone_number_id ON tracked_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION chatrail_config_changed();
