-- Bulk preload for benchmarks: 1,000,000 people, 100,000 venues, N visits over 21 days (N from the .parameter :visits).
-- Sealed personal fields are random bytes of realistic sizes: the server never needs to read them to check in.
-- Plain INSERTs for the visits: a row the schema refuses stops the preload instead of being skipped.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT OR IGNORE INTO people (id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
SELECT 100000000 + i, randomblob(16), NULL, randomblob(16), randomblob(48), randomblob(40), NULL, 1637000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT OR IGNORE INTO venues (id, name, address, area_code, district_code, province_code, category, default_stay_minutes,
                              contact_phone, contact_phone_enc, capacity, opening_hours, short_code, poster_generation, created_at)
SELECT 900000000 + i, 'Preloaded venue ' || i, 'x', '01843', '058', '06', 'restaurant', 120, '', randomblob(40), NULL, NULL,
       'P' || printf('%09d', i), 1, 1637000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :visits)
INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, name_enc)
SELECT 900000001 + abs(random()) % 100000, 100000001 + abs(random()) % 1000000,
       1637000000 + abs(random()) % (21 * 86400), NULL, 4, randomblob(48) FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
