import Foundation
import PostgresNIO
import TruyVetCore

/// The PostgreSQL schema as numbered migrations. A migration is never edited once shipped: a change is a new number.
/// At start the server applies, in one transaction and under a lock (two servers starting together wait for each
/// other), the migrations the database has not seen, after checking that those it has seen are this build's, in order.
///
/// The schema is laid out for distribution (Citus) when one primary is not enough (`citus` below is the plan):
/// - `venues` and `visits` are co-located by `venue_id` (the overlap self-join of tracing stays on one shard); every
///   unique key of `visits` carries `venue_id` and the partition column `checkin_at`.
/// - `people` and `quarantines` are distributed by person, `cases` and `follow_ups` by case; the per-person read path
///   of tracing (a person's own visits, `visits_person_time`) is a second, routed query.
/// - A key unique across a distributed table has a lookup table of its own, distributed by the key: `phone_index`
///   (a phone's person) and `venue_codes` (a short code's venue); `devices`, `cards` and `idempotency` are keyed
///   and distributed by their own hashes.
/// - `areas`, `settings`, `api_tokens`, `accounts`, `sessions`, the level tables, `flags`, `published_windows` and the
///   `audit` log of people's actions are reference tables; nothing references a distributed table with a foreign key.
public enum PostgresMigrations {
    struct Migration {
        let number: Int
        let name: String
        let sql: String

        /// The statements, one at a time (the extended protocol runs one per query): each ends with `;` at the end
        /// of a line, outside a `$$`-quoted function body (whose own statements end with `;` too).
        var statements: [String] {
            sql.components(separatedBy: "\n").reduce(into: [""]) { out, line in
                out[out.count - 1] += line + "\n"
                let insideBody = out[out.count - 1].components(separatedBy: "$$").count % 2 == 0
                if line.hasSuffix(";") && !insideBody { out.append("") }
            }.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && !$0.allSatisfy { $0 == ";" } }
                .filter { statement in !statement.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
        }
    }

    static let all: [Migration] = [
        Migration(number: 1, name: "areas, venues, tokens, accounts, sessions, settings", sql: """
            CREATE TABLE areas (
                code text COLLATE "C" PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                level text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
                parent_code text COLLATE "C",
                population bigint CHECK (population >= 0)
            );
            CREATE INDEX areas_parent ON areas (parent_code);

            CREATE TABLE venues (
                id bigint PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                address text NOT NULL,
                area_code text COLLATE "C" NOT NULL,
                district_code text COLLATE "C" NOT NULL,
                province_code text COLLATE "C" NOT NULL,
                category text NOT NULL,
                default_stay_minutes bigint NOT NULL,
                contact_phone_enc bytea NOT NULL,
                capacity bigint,
                opening_hours text,
                short_code text COLLATE "C" NOT NULL,
                poster_generation bigint NOT NULL DEFAULT 1,
                created_at double precision NOT NULL,
                screen_only boolean NOT NULL DEFAULT false
            );
            -- A short code is unique across venues. (On Citus: checked by the application's retry, as a unique key
            -- without the distribution column cannot be declared; a lookup table keyed by the code would hold it.)
            CREATE UNIQUE INDEX venues_short_code ON venues (short_code);
            CREATE INDEX venues_area ON venues (area_code, name);
            CREATE INDEX venues_district ON venues (district_code, name);
            CREATE INDEX venues_province ON venues (province_code, name);

            CREATE TABLE api_tokens (
                id bigserial PRIMARY KEY,
                hash bytea NOT NULL UNIQUE,
                role text NOT NULL,
                venue_id bigint,
                label text COLLATE "C" NOT NULL,
                created_at double precision NOT NULL,
                revoked_at double precision,
                last_used_at double precision
            );

            CREATE TABLE accounts (
                id bigserial PRIMARY KEY,
                username text COLLATE "C" NOT NULL UNIQUE,
                role text NOT NULL,
                password_hash text NOT NULL,
                created_at double precision NOT NULL,
                disabled_at double precision,
                failures bigint NOT NULL DEFAULT 0,
                locked_until double precision
            );

            CREATE TABLE sessions (
                hash bytea PRIMARY KEY,
                token_id bigint REFERENCES api_tokens (id) ON DELETE CASCADE,
                account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
                csrf text NOT NULL,
                created_at double precision NOT NULL,
                seen_at double precision NOT NULL,
                CHECK ((token_id IS NULL) <> (account_id IS NULL))
            );
            CREATE INDEX sessions_seen ON sessions (seen_at);

            CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
            """),
        Migration(number: 2, name: "people, visits by day, idempotency keys, devices, cards, flags", sql: """
            -- Personal data is sealed (AES-GCM) by the application; lookups use keyed hashes. Instants are whole
            -- seconds since 1970 UTC. Ids come from sequences and are never reused.
            CREATE TABLE people (
                id bigserial PRIMARY KEY,
                phone_hash bytea NOT NULL UNIQUE,
                id_hash bytea,
                name_hash bytea NOT NULL,
                name_enc bytea NOT NULL,
                phone_enc bytea NOT NULL,
                id_enc bytea,
                created_at bigint NOT NULL
            );
            CREATE INDEX people_id_hash ON people (id_hash) WHERE id_hash IS NOT NULL;

            -- Partitioned by the UTC day of the check-in: retention drops whole days. The server makes each day's
            -- partition before the first visit of that day is written.
            CREATE SEQUENCE visits_id_seq;
            CREATE TABLE visits (
                id bigint NOT NULL DEFAULT nextval('visits_id_seq'),
                venue_id bigint NOT NULL,
                person_id bigint NOT NULL,
                checkin_at bigint NOT NULL,
                checkout_at bigint,
                source bigint NOT NULL,
                device_hash bytea,
                name_enc bytea NOT NULL,
                id_hash bytea,
                id_enc bytea,
                -- The venue's visits in time order: venue logs, the bounded overlap range scans, import de-duplication.
                PRIMARY KEY (venue_id, checkin_at, id)
            ) PARTITION BY RANGE (checkin_at);
            CREATE INDEX visits_person_time ON visits (person_id, checkin_at);
            CREATE INDEX visits_id ON visits (id);
            CREATE INDEX visits_id_hash ON visits (id_hash) WHERE id_hash IS NOT NULL;

            CREATE TABLE idempotency (
                key_hash bytea PRIMARY KEY,
                visit_id bigint NOT NULL,
                created_at bigint NOT NULL
            );
            CREATE INDEX idempotency_created ON idempotency (created_at);

            CREATE TABLE devices (
                device_hash bytea PRIMARY KEY,
                person_id bigint NOT NULL,
                updated_at bigint NOT NULL,
                name_enc bytea,
                id_hash bytea,
                id_enc bytea
            );
            CREATE INDEX devices_updated ON devices (updated_at);
            CREATE INDEX devices_person ON devices (person_id);

            CREATE TABLE cards (
                code_hash bytea PRIMARY KEY,
                person_id bigint NOT NULL,
                name_enc bytea NOT NULL,
                id_hash bytea,
                id_enc bytea,
                created_at bigint NOT NULL,
                used_at bigint NOT NULL
            );
            CREATE INDEX cards_person ON cards (person_id);
            CREATE INDEX cards_used ON cards (used_at);
            CREATE INDEX cards_id_hash ON cards (id_hash) WHERE id_hash IS NOT NULL;

            CREATE TABLE flags (
                id bigserial PRIMARY KEY,
                venue_id bigint NOT NULL,
                at bigint NOT NULL,
                kind text NOT NULL,
                detail text NOT NULL
            );
            CREATE INDEX flags_venue ON flags (venue_id, at);
            CREATE INDEX flags_at ON flags (at);
            """),
        Migration(number: 3, name: "cases, quarantines, follow-ups, published windows, the append-only audit log", sql: """
            CREATE TABLE cases (
                id bigserial PRIMARY KEY,
                person_id bigint NOT NULL,
                area_code text COLLATE "C" NOT NULL,
                sample_date text NOT NULL,
                onset_date text,
                confirmed_at bigint NOT NULL,
                confirmed_day text NOT NULL,
                -- The confirmation's local day as days since 1970 (what the level calculator counts by).
                confirmed_day_number bigint NOT NULL,
                isolated_at bigint,
                detected_in text,
                window_from bigint NOT NULL,
                window_to bigint NOT NULL,
                classification text NOT NULL CHECK (classification IN ('community', 'quarantine', 'lockdown')),
                classification_overridden boolean NOT NULL DEFAULT false,
                created_at bigint NOT NULL,
                created_by text NOT NULL
            );
            CREATE INDEX cases_person ON cases (person_id);
            CREATE INDEX cases_window_to ON cases (window_to);
            CREATE INDEX cases_confirmed ON cases (confirmed_at, id);
            CREATE INDEX cases_area_confirmed ON cases (area_code, confirmed_at, id);
            CREATE INDEX cases_community_day ON cases (confirmed_day_number, area_code) WHERE classification = 'community';

            CREATE TABLE quarantines (
                person_id bigint PRIMARY KEY,
                since bigint NOT NULL,
                until bigint,
                notified_at bigint,
                case_id bigint,
                updated_at bigint NOT NULL,
                updated_by text NOT NULL
            );

            CREATE TABLE follow_ups (
                case_id bigint NOT NULL,
                person_id bigint NOT NULL,
                status text NOT NULL CHECK (status IN ('notified', 'unreachable', 'quarantined', 'tested')),
                result text CHECK (result IN ('positive', 'negative') AND status = 'tested' OR result IS NULL),
                updated_at bigint NOT NULL,
                updated_by text NOT NULL,
                PRIMARY KEY (case_id, person_id)
            );
            CREATE INDEX follow_ups_person ON follow_ups (person_id);

            CREATE TABLE published_windows (
                id bigserial PRIMARY KEY,
                case_id bigint NOT NULL,
                venue_id bigint NOT NULL,
                from_at bigint NOT NULL,
                to_at bigint NOT NULL,
                published_at bigint NOT NULL,
                published_by text NOT NULL,
                withdrawn_at bigint
            );
            CREATE INDEX published_windows_case ON published_windows (case_id);
            CREATE INDEX published_windows_venue ON published_windows (venue_id, to_at);
            CREATE INDEX published_windows_to ON published_windows (to_at);

            CREATE TABLE audit (
                id bigserial PRIMARY KEY,
                at bigint NOT NULL,
                token_id bigint,
                role text NOT NULL,
                label text NOT NULL,
                action text NOT NULL,
                case_id bigint,
                reason text NOT NULL,
                detail text NOT NULL
            );
            CREATE INDEX audit_at ON audit (at);
            CREATE INDEX audit_case ON audit (case_id, at);
            -- Append-only: every change and deletion is refused.
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
            CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
            CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
            """),
        Migration(number: 4, name: "reported case counts, weekly figures, announcements", sql: """
            -- Community cases reported by health offices per area and local day (days since 1970). Traced cases are
            -- counted from `cases` when read, so there is no second copy to keep in step.
            CREATE TABLE community_cases (
                day bigint NOT NULL,
                area_code text COLLATE "C" NOT NULL,
                reported bigint NOT NULL DEFAULT 0,
                PRIMARY KEY (day, area_code)
            );

            CREATE TABLE area_weeks (
                day text NOT NULL,
                code text COLLATE "C" NOT NULL,
                adult_first_dose double precision CHECK (adult_first_dose BETWEEN 0 AND 100),
                older_fully_vaccinated double precision CHECK (older_fully_vaccinated BETWEEN 0 AND 100),
                capacity_met boolean,
                updated_at bigint NOT NULL,
                updated_by text NOT NULL,
                PRIMARY KEY (day, code)
            );

            CREATE TABLE announcements (
                id bigserial PRIMARY KEY,
                code text COLLATE "C" NOT NULL,
                day text NOT NULL,
                level bigint NOT NULL CHECK (level BETWEEN 1 AND 4),
                announced_at bigint NOT NULL,
                effective_from bigint NOT NULL,
                announced_by text NOT NULL
            );
            CREATE INDEX announcements_code ON announcements (code, announced_at);
            """),
        Migration(number: 5, name: "a check-in in one statement", sql: """
            -- A check-in in one round trip: the idempotency key's visit, else the person (added or locked),
            -- else the same device's visit that is still open at this venue, else a new visit. The caller passes what
            -- the application's rules decide: the horizon (no stay is longer) and how long an open visit lasts at this
            -- venue, so "already checked in here" means the same in both stores. The person's row stays locked until
            -- the statement ends: the same person's check-ins on two servers take turns, and retention cannot delete
            -- a person a check-in is about to give a visit. A key another server stored meanwhile, or a day without a
            -- partition, fails the whole statement (nothing is stored) and the server tries again.
            -- On Citus this runs on the coordinator: its statements are routed by person (people) and by venue
            -- (visits), or it is made a distributed function of the venue.
            -- The person with this phone (and whether this call added them), locked until the transaction ends.
            -- What is stored about an existing person is never changed.
            CREATE FUNCTION ensure_person(p_phone_hash bytea, p_id_hash bytea, p_name_hash bytea, p_name_enc bytea,
                p_phone_enc bytea, p_id_enc bytea, p_now bigint, OUT id bigint, OUT is_new boolean)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            BEGIN
                LOOP
                    INSERT INTO people AS p (phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
                    VALUES (p_phone_hash, p_id_hash, p_name_hash, p_name_enc, p_phone_enc, p_id_enc, p_now)
                    ON CONFLICT (phone_hash) DO NOTHING RETURNING p.id INTO id;
                    IF id IS NOT NULL THEN is_new := true; RETURN; END IF;
                    -- Deleted by retention between the two statements: add them again.
                    SELECT p.id INTO id FROM people p WHERE p.phone_hash = p_phone_hash FOR NO KEY UPDATE;
                    IF id IS NOT NULL THEN is_new := false; RETURN; END IF;
                END LOOP;
            END $$;

            CREATE FUNCTION checkin_visit(
                p_key_hash bytea, p_phone_hash bytea, p_id_hash bytea, p_name_hash bytea, p_name_enc bytea,
                p_phone_enc bytea, p_id_enc bytea, p_now bigint, p_venue_id bigint, p_at bigint, p_source bigint,
                p_device bytea, p_horizon bigint, p_open_seconds bigint,
                OUT outcome text, OUT id bigint, OUT venue_id bigint, OUT person_id bigint, OUT checkin_at bigint,
                OUT checkout_at bigint, OUT source bigint)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                v_person bigint;
                v_new boolean := false;
                v_latest record;
            BEGIN
                IF p_key_hash IS NOT NULL THEN
                    SELECT 'replayed', x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source
                    INTO outcome, id, venue_id, person_id, checkin_at, checkout_at, source
                    FROM idempotency k JOIN visits x ON x.id = k.visit_id WHERE k.key_hash = p_key_hash;
                    IF FOUND THEN RETURN; END IF;
                END IF;
                SELECT e.id, e.is_new INTO v_person, v_new
                FROM ensure_person(p_phone_hash, p_id_hash, p_name_hash, p_name_enc, p_phone_enc, p_id_enc, p_now) e;
                IF NOT v_new AND p_device IS NOT NULL THEN
                    SELECT x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source INTO v_latest
                    FROM visits x WHERE x.person_id = v_person AND x.checkin_at >= p_horizon AND x.device_hash = p_device
                    ORDER BY x.checkin_at DESC, x.id DESC LIMIT 1;
                    IF FOUND AND v_latest.venue_id = p_venue_id AND v_latest.checkout_at IS NULL
                        AND v_latest.checkin_at <= p_at AND p_at < v_latest.checkin_at + p_open_seconds THEN
                        outcome := 'open'; id := v_latest.id; venue_id := v_latest.venue_id; person_id := v_person;
                        checkin_at := v_latest.checkin_at; checkout_at := NULL; source := v_latest.source;
                    END IF;
                END IF;
                IF outcome IS NULL THEN
                    INSERT INTO visits AS x (venue_id, person_id, checkin_at, checkout_at, source, device_hash, name_enc, id_hash, id_enc)
                    VALUES (p_venue_id, v_person, p_at, NULL, p_source, p_device, p_name_enc, p_id_hash, p_id_enc)
                    RETURNING 'created', x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source
                    INTO outcome, id, venue_id, person_id, checkin_at, checkout_at, source;
                END IF;
                IF p_key_hash IS NOT NULL THEN
                    INSERT INTO idempotency (key_hash, visit_id, created_at) VALUES (p_key_hash, id, p_at);
                END IF;
            END $$;
            """),
        Migration(number: 6, name: "check-ins in groups", sql: """
            -- Check-ins in groups: one statement (one transaction, one commit) for the check-ins that arrived while the
            -- previous group was being stored, as SQLite's writer does. Each is `checkin_visit`, taken in the order of
            -- the phone's hash (two groups lock the same people in the same order, so they never wait on each other in
            -- a circle) and, for one person, in the order they arrived. An empty value stands for none. A key another
            -- server stored meanwhile, or a day without a partition, fails the whole group (nothing is stored or
            -- acknowledged) and the server tries it again.
            CREATE FUNCTION checkin_visits(
                p_ord bigint[], p_key_hash bytea[], p_phone_hash bytea[], p_id_hash bytea[], p_name_hash bytea[],
                p_name_enc bytea[], p_phone_enc bytea[], p_id_enc bytea[], p_now bigint, p_venue_id bigint[], p_at bigint[],
                p_source bigint[], p_device bytea[], p_horizon bigint[], p_open_seconds bigint[],
                OUT ord bigint, OUT outcome text, OUT id bigint, OUT venue_id bigint, OUT person_id bigint,
                OUT checkin_at bigint, OUT checkout_at bigint, OUT source bigint)
            RETURNS SETOF record
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                r record;
            BEGIN
                FOR r IN
                    SELECT * FROM unnest(p_ord, p_key_hash, p_phone_hash, p_id_hash, p_name_hash, p_name_enc, p_phone_enc, p_id_enc,
                        p_venue_id, p_at, p_source, p_device, p_horizon, p_open_seconds)
                        AS t(o, key_hash, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, venue_id, at, source, device, horizon, open_seconds)
                    ORDER BY t.phone_hash, t.o
                LOOP
                    ord := r.o;
                    SELECT c.outcome, c.id, c.venue_id, c.person_id, c.checkin_at, c.checkout_at, c.source
                    INTO outcome, id, venue_id, person_id, checkin_at, checkout_at, source
                    FROM checkin_visit(NULLIF(r.key_hash, ''::bytea), r.phone_hash, NULLIF(r.id_hash, ''::bytea), r.name_hash, r.name_enc,
                        r.phone_enc, NULLIF(r.id_enc, ''::bytea), p_now, r.venue_id, r.at, r.source, NULLIF(r.device, ''::bytea),
                        r.horizon, r.open_seconds) c;
                    RETURN NEXT;
                END LOOP;
            END $$;
            """),
        Migration(number: 7, name: "lookup tables for the phone and the short code", sql: """
            -- On a distributed database a unique key must carry the table's distribution column. A phone is unique
            -- across people (distributed by their id) and a short code across venues (distributed by their id), so
            -- each is held by a table keyed by it alone (distributed by that key): a person or a venue is added only
            -- by the transaction that added its key, and found through it.
            CREATE TABLE phone_index (phone_hash bytea PRIMARY KEY, person_id bigint NOT NULL);
            INSERT INTO phone_index (phone_hash, person_id) SELECT phone_hash, id FROM people;
            ALTER TABLE people DROP CONSTRAINT people_phone_hash_key;

            CREATE TABLE venue_codes (short_code text COLLATE "C" PRIMARY KEY, venue_id bigint NOT NULL);
            INSERT INTO venue_codes (short_code, venue_id) SELECT short_code, id FROM venues;
            DROP INDEX venues_short_code;

            -- As before, through the phone's key: the person with this phone (and whether this call added them),
            -- locked until the transaction ends, so retention (which skips a locked person) cannot delete them.
            CREATE OR REPLACE FUNCTION ensure_person(p_phone_hash bytea, p_id_hash bytea, p_name_hash bytea, p_name_enc bytea,
                p_phone_enc bytea, p_id_enc bytea, p_now bigint, OUT id bigint, OUT is_new boolean)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                v_id bigint;
            BEGIN
                LOOP
                    SELECT i.person_id INTO v_id FROM phone_index i WHERE i.phone_hash = p_phone_hash;
                    IF v_id IS NOT NULL THEN
                        PERFORM 1 FROM people p WHERE p.id = v_id FOR NO KEY UPDATE;
                        IF FOUND THEN id := v_id; is_new := false; RETURN; END IF;
                        -- Deleted by retention meanwhile, with their key: add them again.
                    ELSE
                        v_id := nextval('people_id_seq');
                        INSERT INTO phone_index (phone_hash, person_id) VALUES (p_phone_hash, v_id) ON CONFLICT DO NOTHING;
                        IF FOUND THEN
                            INSERT INTO people (id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
                            VALUES (v_id, p_phone_hash, p_id_hash, p_name_hash, p_name_enc, p_phone_enc, p_id_enc, p_now);
                            id := v_id; is_new := true; RETURN;
                        END IF;
                        -- Another check-in added this phone meanwhile: take theirs.
                    END IF;
                END LOOP;
            END $$;
            """),
        Migration(number: 8, name: "the people each device checked in", sql: """
            -- A device's own history (the check-ins made from it) is found through the people it checked in and their
            -- time index, so no index on the visits' device is written by every check-in: a pair is added by the
            -- check-in that first makes it and touched at most weekly (distributed by the device, like `devices`).
            CREATE TABLE device_people (
                device_hash bytea NOT NULL,
                person_id bigint NOT NULL,
                seen_at bigint NOT NULL,
                PRIMARY KEY (device_hash, person_id)
            );
            INSERT INTO device_people (device_hash, person_id, seen_at)
                SELECT device_hash, person_id, MAX(checkin_at) FROM visits WHERE device_hash IS NOT NULL GROUP BY device_hash, person_id;
            CREATE INDEX device_people_seen ON device_people (seen_at);

            -- As in migration 5, and a new visit made from a device adds or touches its pair.
            CREATE OR REPLACE FUNCTION checkin_visit(
                p_key_hash bytea, p_phone_hash bytea, p_id_hash bytea, p_name_hash bytea, p_name_enc bytea,
                p_phone_enc bytea, p_id_enc bytea, p_now bigint, p_venue_id bigint, p_at bigint, p_source bigint,
                p_device bytea, p_horizon bigint, p_open_seconds bigint,
                OUT outcome text, OUT id bigint, OUT venue_id bigint, OUT person_id bigint, OUT checkin_at bigint,
                OUT checkout_at bigint, OUT source bigint)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                v_person bigint;
                v_new boolean := false;
                v_latest record;
            BEGIN
                IF p_key_hash IS NOT NULL THEN
                    SELECT 'replayed', x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source
                    INTO outcome, id, venue_id, person_id, checkin_at, checkout_at, source
                    FROM idempotency k JOIN visits x ON x.id = k.visit_id WHERE k.key_hash = p_key_hash;
                    IF FOUND THEN RETURN; END IF;
                END IF;
                SELECT e.id, e.is_new INTO v_person, v_new
                FROM ensure_person(p_phone_hash, p_id_hash, p_name_hash, p_name_enc, p_phone_enc, p_id_enc, p_now) e;
                IF NOT v_new AND p_device IS NOT NULL THEN
                    SELECT x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source INTO v_latest
                    FROM visits x WHERE x.person_id = v_person AND x.checkin_at >= p_horizon AND x.device_hash = p_device
                    ORDER BY x.checkin_at DESC, x.id DESC LIMIT 1;
                    IF FOUND AND v_latest.venue_id = p_venue_id AND v_latest.checkout_at IS NULL
                        AND v_latest.checkin_at <= p_at AND p_at < v_latest.checkin_at + p_open_seconds THEN
                        outcome := 'open'; id := v_latest.id; venue_id := v_latest.venue_id; person_id := v_person;
                        checkin_at := v_latest.checkin_at; checkout_at := NULL; source := v_latest.source;
                    END IF;
                END IF;
                IF outcome IS NULL THEN
                    INSERT INTO visits AS x (venue_id, person_id, checkin_at, checkout_at, source, device_hash, name_enc, id_hash, id_enc)
                    VALUES (p_venue_id, v_person, p_at, NULL, p_source, p_device, p_name_enc, p_id_hash, p_id_enc)
                    RETURNING 'created', x.id, x.venue_id, x.person_id, x.checkin_at, x.checkout_at, x.source
                    INTO outcome, id, venue_id, person_id, checkin_at, checkout_at, source;
                    IF p_device IS NOT NULL THEN
                        INSERT INTO device_people AS d (device_hash, person_id, seen_at) VALUES (p_device, v_person, p_at)
                        ON CONFLICT (device_hash, person_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
                        WHERE EXCLUDED.seen_at > d.seen_at + 604800;  -- a week: DeviceHistory.touchSeconds
                    END IF;
                END IF;
                IF p_key_hash IS NOT NULL THEN
                    INSERT INTO idempotency (key_hash, visit_id, created_at) VALUES (p_key_hash, id, p_at);
                END IF;
            END $$;
            """),
    ]

    /// A migration's SQL, for tests that hold it to the rules it restates.
    public static func sql(ofMigration number: Int) -> String? { all.first { $0.number == number }?.sql }

    /// What an operator runs on a Citus coordinator after the migrations, to distribute the schema: every table is
    /// either a reference table (small, copied to every node) or distributed by the column named here. A test checks
    /// that this covers every table, that every unique key carries its table's distribution column, and that no
    /// foreign key points at a distributed table; the README shows the same text.
    public static let citus = """
        SELECT create_reference_table(t) FROM unnest(ARRAY['areas', 'settings', 'api_tokens', 'accounts', 'sessions',
               'schema_migrations', 'community_cases', 'area_weeks', 'announcements', 'flags', 'published_windows', 'audit']) AS t;
        SELECT create_distributed_table('venues', 'id');
        SELECT create_distributed_table('visits', 'venue_id', colocate_with => 'venues');  -- the F1 self-join stays on one shard
        SELECT create_distributed_table('people', 'id');
        SELECT create_distributed_table('quarantines', 'person_id', colocate_with => 'people');
        SELECT create_distributed_table('cases', 'id');
        SELECT create_distributed_table('follow_ups', 'case_id', colocate_with => 'cases');
        SELECT create_distributed_table('phone_index', 'phone_hash');
        SELECT create_distributed_table('venue_codes', 'short_code');
        SELECT create_distributed_table('devices', 'device_hash');
        SELECT create_distributed_table('device_people', 'device_hash', colocate_with => 'devices');
        SELECT create_distributed_table('cards', 'code_hash');
        SELECT create_distributed_table('idempotency', 'key_hash');
        """

    /// Checks the order of what was applied and applies the rest, in one transaction.
    static func apply(_ database: PostgresDatabase) async throws {
        try await database.transaction { c in
            // One server migrates a schema at a time (the lock, keyed by the schema, ends with the transaction).
            try await c.execute("SELECT pg_advisory_xact_lock(715489320, hashtext(current_schema()))")
            try await c.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    number bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = try await c.rows("SELECT number, name FROM schema_migrations ORDER BY number").map {
                (try $0.get("number", Int.self), try $0.get("name", String.self))
            }
            for (index, (number, name)) in applied.enumerated() {
                guard index < all.count, all[index].number == number, all[index].name == name else {
                    throw AppError(.unavailable, code: "schema_mismatch",
                                   message: "the database has migration \(number) (\(name)), which this build of TruyVet does not know in that place; run the newest build")
                }
            }
            for migration in all.dropFirst(applied.count) {
                for statement in migration.statements { try await c.execute(PostgresQuery(unsafeSQL: statement)) }
                try await c.execute("INSERT INTO schema_migrations (number, name) VALUES (\(migration.number), \(migration.name))")
            }
        }
    }
}
