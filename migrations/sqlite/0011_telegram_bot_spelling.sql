-- One spelling of a Telegram bot as a chat's number: '@' and the lower-case username, as
-- dialogs' business_number has always had it. Clicks stored it without '@', so a Telegram
-- chat found neither its click (page of contact) nor a probable match.
UPDATE clicks SET number = '@' || number
WHERE kind IN ('t.me', 'tg') AND number <> '' AND number NOT LIKE '@%';

-- Rollup keys ('=' + value) of clicks' numbers move too, merging into the dialogs' rows:
-- the number is k2 of 'channel' and 'page', k3 of 'campaign'. Phone numbers are digits, a
-- key with a letter or '_' is a bot.
INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, visits, clicks, dialogs)
SELECT site_id, dim, slot, k1, '=@' || substr(k2, 2), k3, visits, clicks, dialogs
FROM report_rollups
WHERE dim IN ('channel', 'page') AND k2 LIKE '=%' AND k2 NOT LIKE '=@%' AND k2 GLOB '*[A-Za-z_]*'
ON CONFLICT (site_id, dim, slot, k1, k2, k3) DO UPDATE SET
    visits = report_rollups.visits + excluded.visits,
    clicks = report_rollups.clicks + excluded.clicks,
    dialogs = report_rollups.dialogs + excluded.dialogs;
DELETE FROM report_rollups
WHERE dim IN ('channel', 'page') AND k2 LIKE '=%' AND k2 NOT LIKE '=@%' AND k2 GLOB '*[A-Za-z_]*';

INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, visits, clicks, dialogs)
SELECT site_id, dim, slot, k1, k2, '=@' || substr(k3, 2), visits, clicks, dialogs
FROM report_rollups
WHERE dim = 'campaign' AND k3 LIKE '=%' AND k3 NOT LIKE '=@%' AND k3 GLOB '*[A-Za-z_]*'
ON CONFLICT (site_id, dim, slot, k1, k2, k3) DO UPDATE SET
    visits = report_rollups.visits + excluded.visits,
    clicks = report_rollups.clicks + excluded.clicks,
    dialogs = report_rollups.dialogs + excluded.dialogs;
DELETE FROM report_rollups
WHERE dim = 'campaign' AND k3 LIKE '=%' AND k3 NOT LIKE '=@%' AND k3 GLOB '*[A-Za-z_]*';
