import Foundation
import TruyVetApp
import TruyVetCore
import TruyVetPostgres
import TruyVetStore

/// The composition root: the one place that knows which stores exist. `TRUYVET_DATABASE_URL` picks one — a SQLite file
/// (the default, in the data directory) or a PostgreSQL database (`postgres://…`, which several servers may share).
extension TruyVet {
    /// Opens the data directory (keys), the store (migrated), and loads the bundled areas on first start. `exclusive`:
    /// take the data directory's lock first (the server and every command that writes); a second such process gets a
    /// clear error naming the first one's PID.
    public static func open(config: AppConfig, exclusive: Bool = false, serving: Bool = false) async throws -> TruyVet {
        // Every file the server writes (database, its log, keys) is for its owner only, whatever the directory's mode.
        umask(0o077)
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let lock = exclusive || serving ? try DataDirectoryLock(dataDir: config.dataDir, serving: serving) : nil
        let store = try await openStore(config: config)
        let dataKey = try KeyFile.dataKey(config: config)
        let app = try TruyVet(store: store, keyring: try KeyFile.signingKeyring(config: config), dataKey: dataKey, config: config, lock: lock)
        try await app.checkDataKey(dataKey)
        try await app.loadBundledAreasIfEmpty()
        let cipher = app.cipher
        _ = try await app.venues.sealClearContactPhones { cipher.seal($0) }
        return app
    }

    /// The store `TRUYVET_DATABASE_URL` names (and, with PostgreSQL, the standby of `TRUYVET_DATABASE_READ_URL`).
    /// The end of the service: on PostgreSQL, TruyVet's tables, sequences and functions dropped (every server must
    /// be stopped first), then the data directory's keys and files overwritten and deleted (`Decommission.run`).
    /// Returns what was destroyed.
    public static func decommission(config: AppConfig) async throws -> [String] {
        var destroyed: [String] = []
        if let url = config.postgresURL {
            let database = try await PostgresDatabase.open(url: url, migrate: false)
            defer { database.close() }
            destroyed += try await database.destroyAll().map { "PostgreSQL: \($0)" }
        }
        return destroyed + (try Decommission.run(config: config))
    }

    public static func openStore(config: AppConfig) async throws -> any Store {
        if let url = config.postgresURL {
            let primary = try await PostgresDatabase.open(url: url)
            let standby = try await config.databaseReadURL.asyncMap {
                try await PostgresDatabase.open(url: $0, setting: "TRUYVET_DATABASE_READ_URL", migrate: false)
            }
            return PostgresStore(primary, standby: standby)
        }
        if config.databaseReadURL != nil {
            throw AppError.invalid("TRUYVET_DATABASE_READ_URL", "TRUYVET_DATABASE_READ_URL needs a PostgreSQL TRUYVET_DATABASE_URL (a SQLite file has no standby)")
        }
        return SQLiteStore(try AppDatabase.open(path: try config.sqlitePath()))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
