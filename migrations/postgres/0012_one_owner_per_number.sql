-- A tracked number, and a Cloud API phone-number id, belong to one site: a chat to the
-- number must have one owner, or one site's admin could claim another site's number and
-- receive its chats. Where earlier versions let two sites claim one, the site created first
-- keeps it (it is the one inbound routing picked) and the later claims are removed, their
-- admins can claim the number again once its owner gives it up.
DELETE FROM tracked_numbers
WHERE EXISTS (
    SELECT 1 FROM tracked_numbers o, sites so, sites st
    WHERE o.number = tracked_numbers.number
      AND so.site_id = o.site_id
      AND st.site_id = tracked_numbers.site_id
      AND (so.created_at < st.created_at
           OR (so.created_at = st.created_at AND so.site_id < st.site_id))
);
UPDATE tracked_numbers SET wa_phone_number_id = NULL
WHERE wa_phone_number_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM tracked_numbers o, sites so, sites st
    WHERE o.wa_phone_number_id = tracked_numbers.wa_phone_number_id
      AND so.site_id = o.site_id
      AND st.site_id = tracked_numbers.site_id
      AND (so.created_at < st.created_at
           OR (so.created_at = st.created_at AND so.site_id < st.site_id))
);
CREATE UNIQUE INDEX tracked_numbers_one_owner ON tracked_numbers (number);
CREATE UNIQUE INDEX phone_number_ids_one_owner ON tracked_numbers (wa_phone_number_id);
