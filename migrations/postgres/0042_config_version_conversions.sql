-- Conversion destinations and outcome rules are read by every inbound message (a dialog
-- start's conversion event, a message's outcome rules) and kept in memory like sites and
-- numbers: a change to them moves config_version too.
CREATE TRIGGER destinations_changed AFTER INSERT OR DELETE OR UPDATE ON conversion_destinations
    FOR EACH STATEMENT EXECUTE FUNCTION chatrail_config_changed();

CREATE TRIGGER outcome_rules_changed AFTER INSERT OR DELETE OR UPDATE ON outcome_rules
    FOR EACH STATEMENT EXECUTE FUNCTION chatrail_config_changed();
