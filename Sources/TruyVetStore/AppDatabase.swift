import Foundation
import GRDB
import TruyVetCore

/// The SQLite database: owns the writer (a WAL `DatabasePool`) and the schema migrations.
public final class AppDatabase: Sendable {
    public let writer: any DatabaseWriter

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String) throws -> AppDatabase {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        config.busyMode = .timeout(10)
        return try AppDatabase(DatabasePool(path: path, configuration: config))
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
        return migrator
    }
}
