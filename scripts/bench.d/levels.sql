-- Level benchmark: populations for every commune and 1,000,000 confirmed cases over the six weeks to 2021-11-19
-- (90 % community), spread over all 10,051 communes. The triggers on `cases` keep the daily counts.
PRAGMA synchronous = OFF;
BEGIN;
UPDATE areas SET population = 1000 + abs(random()) % 30000 WHERE level = 'commune';
CREATE TEMP TABLE communes AS SELECT row_number() OVER (ORDER BY code) AS k, code FROM areas WHERE level = 'commune';
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000),
picks AS (SELECT i, 1 + abs(random()) % (SELECT COUNT(*) FROM communes) AS k, abs(random()) % 42 AS back, abs(random()) % 10 AS kind FROM n)
INSERT INTO cases (person_id, area_code, sample_date, confirmed_at, confirmed_day, window_from, window_to, classification,
                   classification_overridden, created_at, created_by)
SELECT 300000000 + i, c.code, date('2021-11-19', '-' || back || ' days'), 1637280000 - back * 86400,
       date('2021-11-19', '-' || back || ' days'), 1637280000 - (back + 4) * 86400, 1637280000 - back * 86400,
       CASE kind WHEN 0 THEN 'quarantine' ELSE 'community' END, 0, 1637280000, 'bench'
FROM picks JOIN communes c ON c.k = picks.k;
COMMIT;
