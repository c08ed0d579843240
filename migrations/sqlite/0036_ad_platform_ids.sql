-- What conversions sent back to ad and analytics platforms (issue 19) join a session on:
-- the visitor's GA4 client and session ids and Yandex Metrica ClientID, as the snippet read
-- them from those platforms' cookies (the first a session's beacons carried), and whether
-- the visitor denies advertising consent (1, as the session's newest beacon said; NULL
-- when granted, so a session without the signal counts as granted, as before)
ALTER TABLE sessions ADD COLUMN ga_client_id TEXT;
ALTER TABLE sessions ADD COLUMN ga_session_id TEXT;
ALTER TABLE sessions ADD COLUMN ym_client_id TEXT;
ALTER TABLE sessions ADD COLUMN ads_denied INTEGER;
