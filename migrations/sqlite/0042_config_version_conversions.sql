-- Conversion destinations and outcome rules are read by every inbound message (a dialog
-- start's conversion event, a message's outcome rules) and kept in memory like sites and
-- numbers: a change to them moves config_version too.
CREATE TRIGGER destinations_inserted AFTER INSERT ON conversion_destinations
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER destinations_deleted AFTER DELETE ON conversion_destinations
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER destinations_updated AFTER UPDATE ON conversion_destinations
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER outcome_rules_inserted AFTER INSERT ON outcome_rules
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER outcome_rules_deleted AFTER DELETE ON outcome_rules
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER outcome_rules_updated AFTER UPDATE ON outcome_rules
BEGIN UPDATE config_version SET version = version + 1; END;
