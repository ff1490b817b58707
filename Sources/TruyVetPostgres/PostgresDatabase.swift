import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization
import TruyVetCore

/// A PostgreSQL database: the connection pool (`PostgresClient`, run until `close()`), the numbered migrations, and the
/// day partitions of the visits table.
public final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Days (UTC, days since 1970) whose visits partition exists; filled at start and whenever one is made.
    let partitions = Mutex<Set<Int64>>([])

    /// Where a `postgres://user:password@host:port/database?sslmode=…&schema=…&pool=…` URL points.
    public struct Location: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        /// A schema inside the database (its `search_path`); nil: the default (`public`).
        public var schema: String?
        /// `sslmode=require`: TLS or no connection; `disable`: never TLS; `prefer` (default): TLS when the server offers it.
        public var requireTLS: Bool
        var tlsDisabled: Bool
        public var poolSize: Int

        /// Parses a `postgres://` or `postgresql://` URL; the error names `TRUYVET_DATABASE_URL` (or `setting`).
        public init(url: String, setting: String = "TRUYVET_DATABASE_URL") throws(AppError) {
            guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["postgres", "postgresql"].contains(scheme) else {
                throw AppError.invalid(setting, "\(setting) must look like postgres://user:password@host:5432/database")
            }
            host = parts.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            port = parts.port ?? 5432
            username = parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
            password = parts.password.flatMap { $0.removingPercentEncoding }
            let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
            database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
            var query: [String: String] = [:]
            for item in parts.queryItems ?? [] { query[item.name] = item.value ?? "" }
            let mode = query["sslmode"] ?? "prefer"
            guard ["disable", "prefer", "require"].contains(mode) else {
                throw AppError.invalid(setting, "\(setting): sslmode must be disable, prefer or require, got '\(mode)'")
            }
            requireTLS = mode == "require"
            tlsDisabled = mode == "disable"
            if let schema = query["schema"] {
                guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw AppError.invalid(setting, "\(setting): schema must be lower-case letters, digits and _, got '\(schema)'")
                }
                self.schema = schema
            }
            poolSize = 8
            if let raw = query["pool"] {
                guard let n = Int(raw), (1...200).contains(n) else { throw AppError.invalid(setting, "\(setting): pool must be 1–200 connections, got '\(raw)'") }
                poolSize = n
            }
        }
    }

    public let location: Location

    private init(client: PostgresClient, location: Location, logger: Logger) {
        self.client = client
        self.location = location
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Connects, creates the schema when it names one that is missing, and applies the migrations not applied yet.
    public static func open(url: String, setting: String = "TRUYVET_DATABASE_URL", migrate: Bool = true, logger: Logger = Logger(label: "truyvet.postgres"),
                            idleTimeout: Duration = .seconds(60)) async throws -> PostgresDatabase {
        let location = try Location(url: url, setting: setting)
        var config = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                  password: location.password, database: location.database,
                                                  tls: location.tlsDisabled ? .disable : location.requireTLS ? .require(.clientDefault) : .prefer(.clientDefault))
        config.options.maximumConnections = location.poolSize
        config.options.connectionIdleTimeout = idleTimeout
        // Named in pg_stat_activity, so an operator sees which connections are TruyVet's; no statement runs longer than
        // two minutes, and no transaction idles with its locks held. No JIT: every query here is short, and once the
        // planner's estimates for a tracing read passed JIT's cost threshold (10 M visits), compiling it took ~110 ms
        // of a 10 ms query.
        config.options.additionalStartupParameters = [("application_name", "truyvet"), ("statement_timeout", "120s"),
                                                      ("idle_in_transaction_session_timeout", "60s"), ("jit", "off")]
        if let schema = location.schema {
            config.options.additionalStartupParameters.append(("search_path", schema))
        }
        let database = PostgresDatabase(client: PostgresClient(configuration: config), location: location, logger: logger)
        do {
            if migrate {
                if let schema = location.schema {
                    try await database.run(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)", raw: true)
                }
                try await PostgresMigrations.apply(database)
            }
            try await database.loadPartitions()
            if migrate { try await database.makePartitionsAhead() }
        } catch {
            database.close()
            throw Self.unavailable(error, location)
        }
        return database
    }

    /// The end of the service on PostgreSQL: every table (visits with all their days), sequence and function in
    /// TruyVet's schema dropped in one transaction. Refused when the schema is not TruyVet's (no `schema_migrations`).
    /// Copies elsewhere — a standby, backups, archived WAL — are the operator's to destroy; without the data key what
    /// they hold cannot be read. Returns what was dropped.
    public func destroyAll() async throws -> [String] {
        try await transaction { c in
            guard try await c.rows("SELECT to_regclass('schema_migrations') IS NOT NULL AS ours")[0].get("ours", Bool.self) else {
                throw AppError(.notFound, code: "not_found", message: "no TruyVet schema in this database (no schema_migrations table)")
            }
            let here = "to_regnamespace(current_schema())"
            let tables: [String] = try await c.rows("""
                SELECT c.oid::regclass::text AS name FROM pg_class c
                WHERE c.relnamespace = \(unescaped: here) AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
                """).map { try $0.get("name") }
            let sequences: [String] = try await c.rows("""
                SELECT c.oid::regclass::text AS name FROM pg_class c WHERE c.relnamespace = \(unescaped: here) AND c.relkind = 'S' ORDER BY 1
                """).map { try $0.get("name") }
            let functions: [String] = try await c.rows("""
                SELECT p.oid::regprocedure::text AS name FROM pg_proc p WHERE p.pronamespace = \(unescaped: here) ORDER BY 1
                """).map { try $0.get("name") }
            for table in tables { try await c.execute(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(table) CASCADE")) }
            for sequence in sequences { try await c.execute(PostgresQuery(unsafeSQL: "DROP SEQUENCE IF EXISTS \(sequence) CASCADE")) }
            for function in functions { try await c.execute(PostgresQuery(unsafeSQL: "DROP FUNCTION IF EXISTS \(function) CASCADE")) }
            return tables + sequences + functions
        }
    }

    /// Ends the pool's connections.
    public func close() {
        runner.cancel()
    }

    /// A PostgreSQL failure as the product's error (the server's message, never a query's values).
    static func unavailable(_ error: any Error, _ location: Location? = nil) -> any Error {
        guard let error = error as? PSQLError else { return error }
        let place = location.map { " at \($0.host):\($0.port)/\($0.database)" } ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        return AppError(.unavailable, code: "database_unavailable", message: "PostgreSQL\(place): \(message)")
    }

    // MARK: Queries

    /// How long a request waits for a connection from the pool before it is answered "unavailable" (a database that
    /// is down or saturated never leaves a visitor waiting without an answer).
    static let leaseTimeout: Duration = .seconds(10)

    /// Leases a connection for `body`. A lease that does not come within `leaseTimeout` is answered with a clear error
    /// at once, whatever the pool does (the wait is raced rather than awaited, as a wait that ignores cancellation would
    /// hold the request). A lease granted after the answer was given is handed back unused.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let race = LeaseRace<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let timer = Task {
                try await Task.sleep(for: Self.leaseTimeout)
                race.giveUp(AppError(.unavailable, code: "database_unavailable",
                                     message: "PostgreSQL gave no connection within \(Self.leaseTimeout.components.seconds) s; try again"))
            }
            Task {
                do {
                    let value = try await client.withConnection { connection in
                        guard race.claim() else { throw CancellationError() }
                        return try await body(connection)
                    }
                    race.finish(.success(value))
                } catch {
                    race.finish(.failure(error))
                }
                timer.cancel()
            }
        }
    }

    /// Runs a statement and returns its rows (read whole: answers here are small or paged).
    /// `raw`: PostgreSQL's own errors reach the caller as they are (to tell a lost race from a failure).
    @discardableResult
    func rows(_ query: PostgresQuery, raw: Bool = false) async throws -> [PostgresRandomAccessRow] {
        do {
            let logger = logger
            return try await withConnection { connection in
                try await Self.statement(query, on: connection, logger: logger)
            }
        } catch {
            throw raw ? error : Self.unavailable(error)
        }
    }

    /// One statement on a leased connection, its rows read whole. Never on a connection that has closed: PostgresNIO
    /// loses a query written to a closed channel (its answer never comes), which after a crash of the database left
    /// requests waiting forever. The server ends any statement after `statement_timeout`.
    static func statement(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        guard !connection.isClosed else {
            throw AppError(.unavailable, code: "database_unavailable", message: "the connection to PostgreSQL was lost; try again")
        }
        var out: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) { out.append(row.makeRandomAccess()) }
        return out
    }

    func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }

    /// Runs one statement as written (tests and operators' checks; the store binds every value it sends).
    public func run(unsafeSQL sql: String) async throws {
        try await execute(PostgresQuery(unsafeSQL: sql))
    }

    /// The same, PostgreSQL's own error reaching the caller as it is.
    func run(unsafeSQL sql: String, raw: Bool) async throws {
        let logger = logger
        _ = try await withConnection { connection in try await Self.statement(PostgresQuery(unsafeSQL: sql), on: connection, logger: logger) }
    }

    /// The first column of each row of a statement as text (tests and operators' checks: cast what is not text).
    public func strings(unsafeSQL sql: String) async throws -> [String] {
        try await rows(PostgresQuery(unsafeSQL: sql)).map { try $0[0].decode(String.self, context: .default) }
    }

    /// Runs `body` in one transaction on one connection (committed when it returns, rolled back when it throws).
    /// `raw`: PostgreSQL's own errors reach the caller as they are (to tell a lost race from a failure).
    func transaction<T: Sendable>(raw: Bool = false, _ body: @escaping @Sendable (Connection) async throws -> T) async throws -> T {
        let logger = logger
        do {
            return try await withConnection { connection in
                let c = Connection(connection: connection, logger: logger)
                try await c.execute("BEGIN")
                do {
                    let value = try await body(c)
                    try await c.execute("COMMIT")
                    return value
                } catch {
                    try? await c.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw raw ? error : Self.unavailable(error)
        }
    }

    /// One leased connection inside a transaction.
    struct Connection {
        let connection: PostgresConnection
        let logger: Logger

        @discardableResult
        func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
            try await PostgresDatabase.statement(query, on: connection, logger: logger)
        }

        func execute(_ query: PostgresQuery) async throws {
            try await rows(query)
        }

        /// Streams `text` (COPY text format) into `table`.
        func copy(into table: String, _ text: String) async throws {
            guard !connection.isClosed else {
                throw AppError(.unavailable, code: "database_unavailable", message: "the connection to PostgreSQL was lost; try again")
            }
            try await connection.copyFrom(table: table, logger: logger) { writer in
                var rest = Substring(text)
                while !rest.isEmpty {
                    let chunk = rest.prefix(1 << 16)
                    try await writer.write(ByteBuffer(string: String(chunk)))
                    rest = rest.dropFirst(chunk.count)
                }
            }
        }
    }

    // MARK: Partitions

    /// Visits are partitioned by the UTC day of their check-in (seconds since 1970 / 86,400).
    static func day(ofSeconds seconds: Int64) -> Int64 { Int64((Double(seconds) / 86_400).rounded(.down)) }
    static func partitionName(_ day: Int64) -> String { "visits_d\(day)" }

    func loadPartitions() async throws {
        let rows = try await rows("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass('visits')
            """)
        var days = Set<Int64>()
        for row in rows {
            let name = try row.get("relname", String.self)
            if name.hasPrefix("visits_d"), let day = Int64(name.dropFirst("visits_d".count)) { days.insert(day) }
        }
        partitions.withLock { $0 = days }
    }

    /// Takes a day out of the visits table without blocking check-ins (`CONCURRENTLY`, which cannot run inside a
    /// transaction). A detach left pending by a crash is finished; a day another server detached meanwhile is left
    /// to `dropDetached`.
    func detach(_ name: String) async throws {
        do {
            try await run(unsafeSQL: "ALTER TABLE visits DETACH PARTITION \(name) CONCURRENTLY", raw: true)
        } catch let error as PSQLError where error.sqlState == "55000" {
            // "pending detach": an earlier detach stopped half-way.
            try await run(unsafeSQL: "ALTER TABLE visits DETACH PARTITION \(name) FINALIZE")
        } catch let error as PSQLError where ["42P01", "42P16"].contains(error.sqlState) {
            // Gone, or no longer a partition: another server's purge got there first.
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// The days whose table exists outside the visits table (detached by a purge, not yet dropped).
    func detachedDays() async throws -> [Int64] {
        try await rows("""
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'r'
              AND c.relname LIKE 'visits\\_d%' AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
            """).compactMap { row in Int64(try row.get("relname", String.self).dropFirst("visits_d".count)) }.sorted()
    }

    /// Reads a detached day's visitors and count, and drops it; nil when another server dropped it first.
    func dropDetached(_ name: String) async throws -> (count: Int, holders: [Int64])? {
        do {
            return try await transaction(raw: true) { c in
                let holders: [Int64] = try await c.rows("SELECT DISTINCT person_id FROM \(unescaped: name)").map { try $0.get("person_id") }
                let count: Int = try await c.rows("SELECT COUNT(*)::bigint AS n FROM \(unescaped: name)")[0].get("n")
                try await c.execute("DROP TABLE \(unescaped: name)")
                return (count, holders)
            }
        } catch let error as PSQLError where error.sqlState == "42P01" {
            return nil
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// Makes the partitions of these days when missing (any server may make one; a race between two is harmless).
    func ensurePartitions(days: some Sequence<Int64>) async throws {
        let missing = Set(days).subtracting(partitions.withLock { $0 })
        for day in missing.sorted() {
            let name = Self.partitionName(day)
            do {
                try await run(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(name) PARTITION OF visits FOR VALUES FROM (\(day * 86_400)) TO (\((day + 1) * 86_400))
                    """, raw: true)
            } catch let error as PSQLError where ["42P07", "23505"].contains(error.serverInfo?[.sqlState] ?? "") {
                // Made by another server at the same moment.
            } catch {
                throw Self.unavailable(error)
            }
            _ = partitions.withLock { $0.insert(day) }
        }
    }

    /// Makes the partitions of yesterday, today and the next three days, so the first check-ins of a day never wait for
    /// one to be made (each server does it at start and every hour, with retention).
    func makePartitionsAhead(now: Date = Date()) async throws {
        let today = Self.day(ofSeconds: CheckinRules.seconds(now))
        try await ensurePartitions(days: (today - 1)...(today + 3))
    }

    /// Forgets the partitions this process knows of (another server may have dropped some).
    func forgetPartitions() { partitions.withLock { $0.removeAll() } }
}

/// Who answers a lease first: the lease (claimed when it comes, then its result) or the timer (a later lease goes unused).
final class LeaseRace<T: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<T, any Error>?)
        case claimed(CheckedContinuation<T, any Error>?)
        case answered
    }
    private let state = Mutex<State>(.waiting(nil))

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0 = .waiting(continuation) }
    }

    /// The lease came: true when nobody answered yet (the body runs), false when the timer did.
    func claim() -> Bool {
        state.withLock { s in
            guard case .waiting(let c) = s else { return false }
            s = .claimed(c)
            return true
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let c: CheckedContinuation<T, any Error>? = state.withLock { s in
            switch s {
            case .waiting(let c), .claimed(let c):
                s = .answered
                return c
            case .answered:
                return nil
            }
        }
        c?.resume(with: result)
    }

    /// The timer: answers with `error` when no lease came yet.
    func giveUp(_ error: any Error) {
        let c: CheckedContinuation<T, any Error>? = state.withLock { s in
            guard case .waiting(let c) = s else { return nil }
            s = .answered
            return c
        }
        c?.resume(throwing: error)
    }
}

extension PostgresRandomAccessRow {
    func get<T: PostgresDecodable>(_ column: String, _ type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self, context: .default)
    }
}

extension PSQLError {
    var sqlState: String { serverInfo?[.sqlState] ?? "" }
}

extension TLSConfiguration {
    static var clientDefault: TLSConfiguration { .makeClientConfiguration() }
}
