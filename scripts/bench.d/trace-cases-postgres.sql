-- Tracing benchmark cases on PostgreSQL, the same as trace-cases.sql: 1,000 people with 20–40 visits each in a 4-day
-- window, checked out after 30–90 minutes, and a case for each (case ids 1–1000).
SET synchronous_commit = off;
INSERT INTO people (id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
SELECT 200000000 + k, uuid_send(gen_random_uuid()), NULL, uuid_send(gen_random_uuid()), uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
       uuid_send(gen_random_uuid()), NULL, 1637000000
FROM generate_series(1, 1000) AS k ON CONFLICT DO NOTHING;
INSERT INTO phone_index (phone_hash, person_id) SELECT phone_hash, id FROM people WHERE id BETWEEN 200000001 AND 200001000 ON CONFLICT DO NOTHING;
INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, name_enc)
SELECT venue, person, t, t + 1800 + (random() * 3600)::bigint, 4, uuid_send(gen_random_uuid()) FROM (
  SELECT 900000001 + (random() * 99999)::bigint AS venue, 200000000 + k AS person,
         1637000000 + 86400 + (k % 14) * 86400 + (j - 1) * (4 * 86400 / (20 + k % 21)) + (random() * 1800)::bigint AS t
  FROM generate_series(1, 1000) AS k, generate_series(1, 40) AS j WHERE j <= 20 + k % 21) AS v;
INSERT INTO cases (id, person_id, area_code, sample_date, onset_date, confirmed_at, confirmed_day, confirmed_day_number, isolated_at, detected_in,
                   window_from, window_to, classification, classification_overridden, created_at, created_by)
SELECT k, 200000000 + k, '01843', '2021-11-20', NULL, w + 4 * 86400, '2021-11-20', 18951, NULL, NULL, w, w + 4 * 86400, 'community', false,
       1637000000, 'bench'
FROM (SELECT k, 1637000000 + 86400 + (k % 14) * 86400 AS w FROM generate_series(1, 1000) AS k) AS c ON CONFLICT DO NOTHING;
SELECT setval('cases_id_seq', 1000);
ANALYZE;
