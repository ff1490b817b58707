-- Tracing benchmark cases, added to the bulk preload: 1,000 people with 20–40 visits each in a 4-day infectious window
-- (spread over the 21 days), checked out after 30–90 minutes, and a case for each (case ids 1–1000).
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 1000)
INSERT OR IGNORE INTO people (id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
SELECT 200000000 + k, randomblob(16), NULL, randomblob(16), randomblob(48), randomblob(40), NULL, 1637000000 FROM c;
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 1000),
               j(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM j WHERE j < 40)
INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, name_enc)
SELECT venue, person, t, t + 1800 + abs(random()) % 3600, 4, randomblob(48) FROM (
  SELECT 900000001 + abs(random()) % 100000 AS venue, 200000000 + k AS person,
         1637000000 + 86400 + (k % 14) * 86400 + (j - 1) * (4 * 86400 / (20 + k % 21)) + abs(random()) % 1800 AS t
  FROM c, j WHERE j <= 20 + k % 21);
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 1000)
INSERT OR IGNORE INTO cases (id, person_id, area_code, sample_date, onset_date, confirmed_at, confirmed_day, isolated_at, detected_in,
                             window_from, window_to, classification, classification_overridden, created_at, created_by)
SELECT k, 200000000 + k, '01843', '2021-11-20', NULL, w + 4 * 86400, '2021-11-20', NULL, NULL, w, w + 4 * 86400, 'community', 0,
       1637000000, 'bench'
FROM (SELECT k, 1637000000 + 86400 + (k % 14) * 86400 AS w FROM c);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
