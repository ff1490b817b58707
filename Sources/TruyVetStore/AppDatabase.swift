import Foundation
import GRDB
import TruyVetCore

/// The SQLite database: owns the writer (a WAL `DatabasePool`), the schema migrations and, for a file, the
/// checkpointer.
public final class AppDatabase: Sendable {
    public let writer: any DatabaseWriter
    private let checkpointer: Checkpointer?

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        self.checkpointer = nil
        try Self.migrator.migrate(writer)
    }

    private init(_ writer: any DatabaseWriter, checkpointer: Checkpointer) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        try Self.migrator.migrate(writer)
    }

    /// The writer's page cache: the index pages every check-in touches (the people's phone index, the visits' venue
    /// and person indexes) stay in memory at national scale (~1 M people, ~10 M visits) within the server's memory.
    static let writerCacheKiB = 96 * 1024
    /// The log is emptied by the checkpointer; past this size the file is cut back when it starts over.
    static let journalSizeLimit = 64 << 20

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String) throws -> AppDatabase {
        var config = Configuration()
        config.prepareDatabase { db in
            // Every commit is on disk before it is acknowledged (NORMAL could lose the last ones on a power cut).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted rows are overwritten with zeros, so purged personal data is not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
                // Commits never copy the log into the database themselves (that write and its fsync stalled the
                // check-ins behind it): the checkpointer does it from its own connection.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                try db.execute(sql: "PRAGMA journal_size_limit = \(journalSizeLimit)")
            }
        }
        config.busyMode = .timeout(10)
        try createPrivately(path)
        let pool = try DatabasePool(path: path, configuration: config)
        // SQLite makes the -wal and -shm files with the database's mode; older installs may have made them wider.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) { chmod(file, 0o600) }
        return try AppDatabase(pool, checkpointer: try Checkpointer(path: path, writer: pool))
    }

    /// Creates the database file readable by its owner only (0600), whatever the directory's mode and the umask.
    static func createPrivately(_ path: String) throws {
        let fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AppError(.unavailable, code: "io_error", message: "cannot open the database file \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(fd, 0o600)
        close(fd)
    }

    /// An in-memory database, for tests.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: areas, venues, tokens") { db in
            try db.execute(sql: """
                CREATE TABLE areas (
                    code TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
                    parent_code TEXT,
                    population INTEGER CHECK (population >= 0)
                ) WITHOUT ROWID;
                CREATE INDEX areas_parent ON areas(parent_code);

                CREATE TABLE venues (
                    id INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    address TEXT NOT NULL,
                    area_code TEXT NOT NULL,
                    district_code TEXT NOT NULL,
                    province_code TEXT NOT NULL,
                    category TEXT NOT NULL,
                    default_stay_minutes INTEGER NOT NULL,
                    contact_phone TEXT NOT NULL,
                    capacity INTEGER,
                    opening_hours TEXT,
                    short_code TEXT NOT NULL UNIQUE,
                    poster_generation INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL
                );
                CREATE INDEX venues_area ON venues(area_code, name);
                CREATE INDEX venues_district ON venues(district_code, name);
                CREATE INDEX venues_province ON venues(province_code, name);

                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash BLOB NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    venue_id INTEGER REFERENCES venues(id) ON DELETE CASCADE,
                    label TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    revoked_at REAL
                );
                """)
        }
        migrator.registerMigration("v2: people, visits, idempotency, devices") { db in
            // Personal data is sealed (AES-GCM) by the application; lookups use keyed hashes.
            // Instants are whole seconds since 1970 UTC.
            try db.execute(sql: """
                CREATE TABLE people (
                    id INTEGER PRIMARY KEY,
                    phone_hash BLOB NOT NULL UNIQUE,
                    id_hash BLOB,
                    name_hash BLOB NOT NULL,
                    name_enc BLOB NOT NULL,
                    phone_enc BLOB NOT NULL,
                    id_enc BLOB,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX people_id_hash ON people(id_hash) WHERE id_hash IS NOT NULL;

                CREATE TABLE visits (
                    id INTEGER PRIMARY KEY,
                    venue_id INTEGER NOT NULL,
                    person_id INTEGER NOT NULL,
                    checkin_at INTEGER NOT NULL,
                    checkout_at INTEGER,
                    source INTEGER NOT NULL
                );
                -- One visit per person, venue and second: serves venue logs, overlap range scans and import de-duplication.
                CREATE UNIQUE INDEX visits_venue_time ON visits(venue_id, checkin_at, person_id);
                CREATE INDEX visits_person_time ON visits(person_id, checkin_at);

                CREATE TABLE idempotency (
                    key_hash BLOB PRIMARY KEY,
                    visit_id INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE devices (
                    device_hash BLOB PRIMARY KEY,
                    person_id INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: flags") { db in
            try db.execute(sql: """
                CREATE TABLE flags (
                    id INTEGER PRIMARY KEY,
                    venue_id INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX flags_venue ON flags(venue_id, at);
                CREATE INDEX flags_at ON flags(at);
                """)
        }
        migrator.registerMigration("v4: cases, quarantines, audit") { db in
            try db.execute(sql: """
                CREATE TABLE cases (
                    id INTEGER PRIMARY KEY,
                    person_id INTEGER NOT NULL,
                    area_code TEXT NOT NULL,
                    sample_date TEXT NOT NULL,
                    onset_date TEXT,
                    confirmed_at INTEGER NOT NULL,
                    confirmed_day TEXT NOT NULL,
                    isolated_at INTEGER,
                    detected_in TEXT,
                    window_from INTEGER NOT NULL,
                    window_to INTEGER NOT NULL,
                    classification TEXT NOT NULL CHECK (classification IN ('community', 'quarantine', 'lockdown')),
                    classification_overridden INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL
                );
                CREATE INDEX cases_person ON cases(person_id);
                CREATE INDEX cases_window_to ON cases(window_to);

                CREATE TABLE quarantines (
                    person_id INTEGER PRIMARY KEY,
                    since INTEGER NOT NULL,
                    until INTEGER,
                    notified_at INTEGER,
                    case_id INTEGER,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT NOT NULL
                );

                -- Append-only: the triggers refuse every change and deletion.
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    token_id INTEGER,
                    role TEXT NOT NULL,
                    label TEXT NOT NULL,
                    action TEXT NOT NULL,
                    case_id INTEGER,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX audit_at ON audit(at);
                CREATE INDEX audit_case ON audit(case_id, at);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v5: community case counts, weekly figures, announcements") { db in
            // Community cases per area and local day (days since 1970-01-01): traced ones kept by triggers on `cases`,
            // reported ones set by health offices (any area level). The level calculator reads these, never the cases.
            try db.execute(sql: """
                CREATE TABLE community_cases (
                    area_code TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    traced INTEGER NOT NULL DEFAULT 0,
                    reported INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (day, area_code)
                ) WITHOUT ROWID;
                INSERT INTO community_cases (area_code, day, traced)
                    SELECT area_code, CAST(julianday(confirmed_day) - 2440587.5 AS INTEGER), COUNT(*) FROM cases
                    WHERE classification = 'community' GROUP BY 1, 2;
                CREATE TRIGGER cases_counted AFTER INSERT ON cases WHEN NEW.classification = 'community' BEGIN
                    INSERT INTO community_cases (area_code, day, traced)
                    VALUES (NEW.area_code, CAST(julianday(NEW.confirmed_day) - 2440587.5 AS INTEGER), 1)
                    ON CONFLICT (day, area_code) DO UPDATE SET traced = traced + 1;
                END;
                CREATE TRIGGER cases_recounted AFTER UPDATE OF classification, area_code, confirmed_day ON cases BEGIN
                    UPDATE community_cases SET traced = traced - 1
                    WHERE OLD.classification = 'community' AND area_code = OLD.area_code
                      AND day = CAST(julianday(OLD.confirmed_day) - 2440587.5 AS INTEGER);
                    INSERT INTO community_cases (area_code, day, traced)
                    SELECT NEW.area_code, CAST(julianday(NEW.confirmed_day) - 2440587.5 AS INTEGER), 1 WHERE NEW.classification = 'community'
                    ON CONFLICT (day, area_code) DO UPDATE SET traced = traced + 1;
                END;
                CREATE TRIGGER cases_uncounted AFTER DELETE ON cases WHEN OLD.classification = 'community' BEGIN
                    UPDATE community_cases SET traced = traced - 1
                    WHERE area_code = OLD.area_code AND day = CAST(julianday(OLD.confirmed_day) - 2440587.5 AS INTEGER);
                END;

                CREATE TABLE area_weeks (
                    code TEXT NOT NULL,
                    day TEXT NOT NULL,
                    adult_first_dose REAL CHECK (adult_first_dose BETWEEN 0 AND 100),
                    older_fully_vaccinated REAL CHECK (older_fully_vaccinated BETWEEN 0 AND 100),
                    capacity_met INTEGER,
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT NOT NULL,
                    PRIMARY KEY (day, code)
                ) WITHOUT ROWID;

                CREATE TABLE announcements (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL,
                    day TEXT NOT NULL,
                    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
                    announced_at INTEGER NOT NULL,
                    effective_from INTEGER NOT NULL,
                    announced_by TEXT NOT NULL
                );
                CREATE INDEX announcements_code ON announcements(code, announced_at);
                """)
        }
        migrator.registerMigration("v6: retention") { db in
            // Old visits are hard-deleted by the end of their stay; these indexes let the purge read only what goes.
            try db.execute(sql: """
                CREATE INDEX visits_checkin ON visits(checkin_at);
                CREATE INDEX idempotency_created ON idempotency(created_at);
                CREATE INDEX devices_updated ON devices(updated_at);
                CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v7: declared data per visit, devices and cards, published exposure windows, ids never reused") { db in
            // Each visit keeps what was declared at it (name, ID number) and the device or card that sent it; ids are
            // AUTOINCREMENT so a deleted visit's or person's id never names someone else later. A venue's visit log
            // no longer needs one visit per person and second (two devices may type the same phone at once).
            try db.execute(sql: """
                CREATE TABLE visits_v7 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    venue_id INTEGER NOT NULL,
                    person_id INTEGER NOT NULL,
                    checkin_at INTEGER NOT NULL,
                    checkout_at INTEGER,
                    source INTEGER NOT NULL,
                    device_hash BLOB,
                    name_enc BLOB NOT NULL,
                    id_hash BLOB,
                    id_enc BLOB
                );
                INSERT INTO visits_v7 (id, venue_id, person_id, checkin_at, checkout_at, source, name_enc, id_hash, id_enc)
                    SELECT v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source, p.name_enc, p.id_hash, p.id_enc
                    FROM visits v JOIN people p ON p.id = v.person_id;
                DROP TABLE visits;
                ALTER TABLE visits_v7 RENAME TO visits;
                CREATE INDEX visits_venue_time ON visits(venue_id, checkin_at, person_id);
                CREATE INDEX visits_person_time ON visits(person_id, checkin_at);
                CREATE INDEX visits_checkin ON visits(checkin_at);
                CREATE INDEX visits_id_hash ON visits(id_hash) WHERE id_hash IS NOT NULL;

                CREATE TABLE people_v7 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    phone_hash BLOB NOT NULL UNIQUE,
                    id_hash BLOB,
                    name_hash BLOB NOT NULL,
                    name_enc BLOB NOT NULL,
                    phone_enc BLOB NOT NULL,
                    id_enc BLOB,
                    created_at INTEGER NOT NULL
                );
                INSERT INTO people_v7 SELECT id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at FROM people;
                DROP TABLE people;
                ALTER TABLE people_v7 RENAME TO people;
                CREATE INDEX people_id_hash ON people(id_hash) WHERE id_hash IS NOT NULL;

                -- What each device declared last (for one tap next time); devices remembered before this are forgotten.
                DELETE FROM devices;
                ALTER TABLE devices ADD COLUMN name_enc BLOB;
                ALTER TABLE devices ADD COLUMN id_hash BLOB;
                ALTER TABLE devices ADD COLUMN id_enc BLOB;

                -- Personal cards: a random code (stored hashed) and what was declared for the card.
                CREATE TABLE cards (
                    code_hash BLOB PRIMARY KEY,
                    person_id INTEGER NOT NULL,
                    name_enc BLOB NOT NULL,
                    id_hash BLOB,
                    id_enc BLOB,
                    created_at INTEGER NOT NULL,
                    used_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX cards_person ON cards(person_id);
                CREATE INDEX cards_used ON cards(used_at);
                CREATE INDEX cards_id_hash ON cards(id_hash) WHERE id_hash IS NOT NULL;

                -- Exposure windows reach venues and the public only once a tracer publishes them.
                CREATE TABLE published_windows (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id INTEGER NOT NULL,
                    venue_id INTEGER NOT NULL,
                    from_at INTEGER NOT NULL,
                    to_at INTEGER NOT NULL,
                    published_at INTEGER NOT NULL,
                    published_by TEXT NOT NULL,
                    withdrawn_at INTEGER
                );
                CREATE INDEX published_windows_case ON published_windows(case_id);
                CREATE INDEX published_windows_venue ON published_windows(venue_id, to_at);
                CREATE INDEX published_windows_to ON published_windows(to_at);

                -- Contact phones are sealed by the application (rows in clear are sealed at the next start).
                ALTER TABLE venues ADD COLUMN contact_phone_enc BLOB;
                ALTER TABLE api_tokens ADD COLUMN last_used_at REAL;
                """)
        }
        migrator.registerMigration("v8: console sessions") { db in
            try db.execute(sql: """
                -- A signed-in browser: the hash of its cookie, the token it signed in with (revoking the token ends the
                -- session), the CSRF token its forms carry, when it began and when it was last seen.
                CREATE TABLE sessions (
                    hash BLOB PRIMARY KEY,
                    token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
                    csrf TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    seen_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX sessions_seen ON sessions(seen_at);
                """)
        }
        migrator.registerMigration("v9: staff accounts; sessions of a token or an account") { db in
            try db.execute(sql: """
                -- Staff who sign in to the console with a username and a password (bcrypt). Wrong passwords are counted
                -- here, so a lock holds across restarts and servers.
                CREATE TABLE accounts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    disabled_at REAL,
                    failures INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL
                );
                -- Sessions are short-lived: the table is made again rather than altered.
                DROP TABLE sessions;
                CREATE TABLE sessions (
                    hash BLOB PRIMARY KEY,
                    token_id INTEGER REFERENCES api_tokens(id) ON DELETE CASCADE,
                    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
                    csrf TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    seen_at REAL NOT NULL,
                    CHECK ((token_id IS NULL) <> (account_id IS NULL))
                ) WITHOUT ROWID;
                CREATE INDEX sessions_seen ON sessions(seen_at);
                """)
        }
        migrator.registerMigration("v10: screen codes only") { db in
            try db.execute(sql: "ALTER TABLE venues ADD COLUMN screen_only INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v11: follow-up of each contact of a case; cases listed newest first") { db in
            try db.execute(sql: """
                CREATE TABLE follow_ups (
                    case_id INTEGER NOT NULL REFERENCES cases(id),
                    person_id INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('notified', 'unreachable', 'quarantined', 'tested')),
                    result TEXT CHECK (result IN ('positive', 'negative') AND status = 'tested' OR result IS NULL),
                    updated_at INTEGER NOT NULL,
                    updated_by TEXT NOT NULL,
                    PRIMARY KEY (case_id, person_id)
                ) WITHOUT ROWID;
                CREATE INDEX follow_ups_person ON follow_ups(person_id);
                CREATE INDEX cases_confirmed ON cases(confirmed_at, id);
                CREATE INDEX cases_area_confirmed ON cases(area_code, confirmed_at, id);
                """)
        }
        migrator.registerMigration("v12: the people each device checked in, for the device's own history") { db in
            // A device's visits are found through the people it checked in (the person's time index), so no index on
            // the visits' device is written by every check-in; a pair is written once and touched at most weekly.
            try db.execute(sql: """
                CREATE TABLE device_people (
                    device_hash BLOB NOT NULL,
                    person_id INTEGER NOT NULL,
                    seen_at INTEGER NOT NULL,
                    PRIMARY KEY (device_hash, person_id)
                ) WITHOUT ROWID;
                INSERT INTO device_people (device_hash, person_id, seen_at)
                    SELECT device_hash, person_id, MAX(checkin_at) FROM visits WHERE device_hash IS NOT NULL GROUP BY device_hash, person_id;
                CREATE INDEX device_people_seen ON device_people(seen_at);
                """)
        }
        return migrator
    }
}
