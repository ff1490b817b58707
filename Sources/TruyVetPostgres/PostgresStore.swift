import Foundation
import PostgresNIO
import TruyVetCore

/// The PostgreSQL implementation of `Store`: any number of servers on one database. Nothing here reads and then writes
/// on the strength of what it read without a lock or a constraint behind it: unique keys and `INSERT … ON CONFLICT`
/// decide races, and a check-in locks its person's row so the same person's check-ins on two servers take turns.
public struct PostgresStore: Store {
    public let database: PostgresDatabase
    /// A hot standby for the reads that need not see this moment's writes (tracing, levels); the primary when nil.
    let standby: PostgresDatabase?
    let batcher: PostgresCheckinBatcher

    public init(_ database: PostgresDatabase, standby: PostgresDatabase? = nil) {
        self.database = database
        self.standby = standby
        self.batcher = PostgresCheckinBatcher { [database] requests in try await Self.checkins(requests, database) }
    }

    var db: PostgresDatabase { database }
    /// Where tracing and level reads go.
    var reads: PostgresDatabase { standby ?? database }

    static func seconds(_ date: Date) -> Int64 { CheckinRules.seconds(date) }
    static func date(_ seconds: Int64) -> Date { CheckinRules.date(seconds) }
    static func date(_ seconds: Int64?) -> Date? { seconds.map(CheckinRules.date) }

    // MARK: Areas

    public func areaCount() async throws -> Int {
        try await db.rows("SELECT COUNT(*)::bigint AS n FROM areas").first?.get("n", Int.self) ?? 0
    }

    public func upsertAreas(_ areas: [Area]) async throws {
        // In slices, one statement each (arrays unnested server-side).
        for start in stride(from: 0, to: areas.count, by: 5_000) {
            let slice = areas[start..<min(start + 5_000, areas.count)]
            try await db.execute("""
                INSERT INTO areas (code, name, level, parent_code, population)
                SELECT code, name, level, NULLIF(parent_code, ''), NULLIF(population, -1) FROM unnest(\(slice.map(\.code))::text[], \(slice.map(\.name))::text[], \(slice.map(\.level.rawValue))::text[],
                                     \(slice.map { $0.parentCode ?? "" })::text[], \(slice.map { Int64($0.population ?? -1) })::bigint[])
                    AS a(code, name, level, parent_code, population)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
                    population = COALESCE(excluded.population, areas.population)
                """)
        }
    }

    public func area(code: String) async throws -> Area? {
        try await db.rows("SELECT * FROM areas WHERE code = \(code)").first.map(Self.area)
    }

    public func areaPath(code: String) async throws -> [Area] {
        try await db.rows("""
            WITH RECURSIVE path(code, depth) AS (
                SELECT \(code)::text COLLATE "C", 0
                UNION ALL SELECT a.parent_code, path.depth + 1 FROM areas a JOIN path ON a.code = path.code
                WHERE a.parent_code IS NOT NULL AND path.depth < 3)
            SELECT areas.* FROM path JOIN areas ON areas.code = path.code ORDER BY path.depth
            """).map(Self.area)
    }

    public func areaLevels(codes: Set<String>) async throws -> [String: AreaLevel] {
        guard !codes.isEmpty else { return [:] }
        var out: [String: AreaLevel] = [:]
        for row in try await db.rows("SELECT code, level FROM areas WHERE code = ANY(\(Array(codes)))") {
            if let level = AreaLevel(rawValue: try row.get("level")) { out[try row.get("code")] = level }
        }
        return out
    }

    public func areas(parent: String?) async throws -> [Area] {
        if let parent {
            return try await db.rows("SELECT * FROM areas WHERE parent_code = \(parent) ORDER BY code").map(Self.area)
        }
        return try await db.rows("SELECT * FROM areas WHERE level = 'province' ORDER BY code").map(Self.area)
    }

    public func allAreas() async throws -> [Area] {
        try await reads.rows("SELECT * FROM areas").map(Self.area)
    }

    static func area(_ row: PostgresRandomAccessRow) throws -> Area {
        Area(code: try row.get("code"), name: try row.get("name"), level: AreaLevel(rawValue: try row.get("level")) ?? .commune,
             parentCode: try row.get("parent_code", String?.self), population: try row.get("population", Int?.self))
    }

    // MARK: Venues

    public func insertVenue(_ v: Venue) async throws -> Bool {
        // The short code first (a taken one adds nothing), then the venue (a taken id undoes the code): either way
        // the caller draws again.
        struct Taken: Error {}
        do {
            return try await db.transaction { c in
                guard try await !c.rows("""
                    INSERT INTO venue_codes (short_code, venue_id) VALUES (\(v.shortCode), \(v.id)) ON CONFLICT DO NOTHING RETURNING venue_id
                    """).isEmpty else { return false }
                guard try await !c.rows("""
                    INSERT INTO venues (id, name, address, area_code, district_code, province_code, category, default_stay_minutes,
                        contact_phone_enc, capacity, opening_hours, short_code, poster_generation, created_at, screen_only)
                    VALUES (\(v.id), \(v.name), \(v.address), \(v.areaCode), \(v.districtCode), \(v.provinceCode), \(v.category.rawValue),
                        \(v.defaultStayMinutes), \(v.sealedContactPhone), \(v.capacity), \(v.openingHours), \(v.shortCode),
                        \(Int64(v.posterGeneration)), \(v.createdAt.timeIntervalSince1970), \(v.screenOnly))
                    ON CONFLICT DO NOTHING RETURNING id
                    """).isEmpty else { throw Taken() }
                return true
            }
        } catch is Taken {
            return false
        }
    }

    public func venue(id: Int64) async throws -> Venue? {
        try await db.rows("SELECT * FROM venues WHERE id = \(id)").first.map(Self.venue)
    }

    public func venue(shortCode: String) async throws -> Venue? {
        try await db.rows("""
            SELECT * FROM venues WHERE id = (SELECT venue_id FROM venue_codes WHERE short_code = \(shortCode)) AND short_code = \(shortCode)
            """).first.map(Self.venue)
    }

    public func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue] {
        try await db.rows("""
            SELECT * FROM venues WHERE \(unescaped: StoreSQL.venueAreaColumn(code)) = \(code) ORDER BY name, id LIMIT \(limit) OFFSET \(offset)
            """).map(Self.venue)
    }

    public func rotatePoster(venueID: Int64, shortCode: String) async throws -> Venue? {
        // A taken short code changes nothing (the caller draws again); the old code stops finding the venue.
        try await db.transaction { c in
            guard let old: String = try await c.rows("SELECT short_code FROM venues WHERE id = \(venueID) FOR UPDATE").first?.get("short_code") else {
                return
            }
            guard try await !c.rows("""
                INSERT INTO venue_codes (short_code, venue_id) VALUES (\(shortCode), \(venueID)) ON CONFLICT DO NOTHING RETURNING venue_id
                """).isEmpty else { return }
            try await c.execute("UPDATE venues SET poster_generation = poster_generation + 1, short_code = \(shortCode) WHERE id = \(venueID)")
            try await c.execute("DELETE FROM venue_codes WHERE short_code = \(old) AND venue_id = \(venueID)")
        }
        return try await venue(id: venueID)
    }

    public func updateVenue(_ v: Venue) async throws -> Venue? {
        try await db.rows("""
            UPDATE venues SET name = \(v.name), address = \(v.address), category = \(v.category.rawValue),
                default_stay_minutes = \(v.defaultStayMinutes), capacity = \(v.capacity), opening_hours = \(v.openingHours),
                contact_phone_enc = \(v.sealedContactPhone), screen_only = \(v.screenOnly)
            WHERE id = \(v.id) RETURNING *
            """).first.map(Self.venue)
    }

    /// Contact phones were sealed from this store's first version on.
    public func sealClearContactPhones(_ seal: @Sendable (String) -> Data) async throws -> Int { 0 }

    static func venue(_ row: PostgresRandomAccessRow) throws -> Venue {
        Venue(id: try row.get("id"), name: try row.get("name"), address: try row.get("address"), areaCode: try row.get("area_code"),
              districtCode: try row.get("district_code"), provinceCode: try row.get("province_code"),
              category: VenueCategory(rawValue: try row.get("category")) ?? .other,
              defaultStayMinutes: try row.get("default_stay_minutes"), sealedContactPhone: try row.get("contact_phone_enc"),
              capacity: try row.get("capacity", Int?.self), openingHours: try row.get("opening_hours", String?.self),
              shortCode: try row.get("short_code"), posterGeneration: UInt32(truncatingIfNeeded: try row.get("poster_generation", Int64.self)),
              createdAt: Date(timeIntervalSince1970: try row.get("created_at")), screenOnly: try row.get("screen_only"))
    }

    // MARK: Tokens

    public func insertToken(hash: [UInt8], role: Role, venueID: Int64?, label: String) async throws -> Int64 {
        try await db.rows("""
            INSERT INTO api_tokens (hash, role, venue_id, label, created_at)
            VALUES (\(Data(hash)), \(role.rawValue), \(venueID), \(label), \(Date().timeIntervalSince1970)) RETURNING id
            """)[0].get("id")
    }

    public func principal(tokenHash: [UInt8]) async throws -> Principal? {
        guard let row = try await db.rows("SELECT id, role, venue_id, label FROM api_tokens WHERE hash = \(Data(tokenHash)) AND revoked_at IS NULL").first,
              let role = Role(rawValue: try row.get("role")) else { return nil }
        return Principal(role: role, venueID: try row.get("venue_id", Int64?.self), tokenID: try row.get("id", Int64.self), label: try row.get("label"))
    }

    public func tokenCount(role: Role) async throws -> Int {
        try await db.rows("SELECT COUNT(*)::bigint AS n FROM api_tokens WHERE role = \(role.rawValue) AND revoked_at IS NULL")[0].get("n")
    }

    public func tokens() async throws -> [TokenInfo] {
        try await db.rows("SELECT id, role, venue_id, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC").compactMap { r in
            guard let role = Role(rawValue: try r.get("role")) else { return nil }
            return TokenInfo(id: try r.get("id"), role: role, venueID: try r.get("venue_id", Int64?.self), label: try r.get("label"),
                             createdAt: Date(timeIntervalSince1970: try r.get("created_at")),
                             lastUsedAt: try r.get("last_used_at", Double?.self).map(Date.init(timeIntervalSince1970:)),
                             revokedAt: try r.get("revoked_at", Double?.self).map(Date.init(timeIntervalSince1970:)))
        }
    }

    public func revokeToken(id: Int64, at: Date) async throws -> Bool {
        try await !db.rows("UPDATE api_tokens SET revoked_at = \(at.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").isEmpty
    }

    public func touchToken(id: Int64, at: Date) async throws {
        try await db.execute("UPDATE api_tokens SET last_used_at = \(at.timeIntervalSince1970) WHERE id = \(id)")
    }

    // MARK: Sessions

    public func insertSession(hash: [UInt8], tokenID: Int64?, accountID: Int64?, csrf: String, at: Date) async throws {
        try await db.execute("""
            INSERT INTO sessions (hash, token_id, account_id, csrf, created_at, seen_at)
            VALUES (\(Data(hash)), \(tokenID), \(accountID), \(csrf), \(at.timeIntervalSince1970), \(at.timeIntervalSince1970))
            """)
    }

    public func session(hash: [UInt8]) async throws -> (session: SessionRecord, principal: Principal)? {
        guard let row = try await db.rows("""
            SELECT s.csrf, s.created_at, s.seen_at, t.id AS token_id, t.role AS token_role, t.venue_id, t.label,
                   a.role AS account_role, a.username
            FROM sessions s
            LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
            LEFT JOIN accounts a ON a.id = s.account_id AND a.disabled_at IS NULL
            WHERE s.hash = \(Data(hash))
            """).first else { return nil }
        let record = SessionRecord(csrf: try row.get("csrf"), createdAt: Date(timeIntervalSince1970: try row.get("created_at")),
                                   seenAt: Date(timeIntervalSince1970: try row.get("seen_at")))
        if let raw = try row.get("token_role", String?.self), let role = Role(rawValue: raw) {
            return (record, Principal(role: role, venueID: try row.get("venue_id", Int64?.self), tokenID: try row.get("token_id", Int64?.self),
                                      label: try row.get("label")))
        }
        if let raw = try row.get("account_role", String?.self), let role = Role(rawValue: raw), let username = try row.get("username", String?.self) {
            return (record, Principal(role: role, label: "account \(username)"))
        }
        return nil
    }

    public func touchSession(hash: [UInt8], at: Date) async throws {
        try await db.execute("UPDATE sessions SET seen_at = \(at.timeIntervalSince1970) WHERE hash = \(Data(hash))")
    }

    public func deleteSession(hash: [UInt8]) async throws {
        try await db.execute("DELETE FROM sessions WHERE hash = \(Data(hash))")
    }

    public func deleteSessions(idleBefore: Date, begunBefore: Date) async throws -> Int {
        try await db.rows("""
            DELETE FROM sessions WHERE seen_at < \(idleBefore.timeIntervalSince1970) OR created_at < \(begunBefore.timeIntervalSince1970) RETURNING 1
            """).count
    }

    // MARK: Accounts

    public func insertAccount(username: String, role: Role, passwordHash: String, at: Date) async throws -> Int64? {
        try await db.rows("""
            INSERT INTO accounts (username, role, password_hash, created_at) VALUES (\(username), \(role.rawValue), \(passwordHash), \(at.timeIntervalSince1970))
            ON CONFLICT (username) DO NOTHING RETURNING id
            """).first?.get("id")
    }

    static func account(_ r: PostgresRandomAccessRow) throws -> Account? {
        guard let role = Role(rawValue: try r.get("role")) else { return nil }
        return Account(id: try r.get("id"), username: try r.get("username"), role: role, passwordHash: try r.get("password_hash"),
                       createdAt: Date(timeIntervalSince1970: try r.get("created_at")),
                       disabledAt: try r.get("disabled_at", Double?.self).map(Date.init(timeIntervalSince1970:)),
                       failures: try r.get("failures"), lockedUntil: try r.get("locked_until", Double?.self).map(Date.init(timeIntervalSince1970:)))
    }

    public func account(username: String) async throws -> Account? {
        try await db.rows("SELECT * FROM accounts WHERE username = \(username)").first.flatMap(Self.account)
    }

    public func account(id: Int64) async throws -> Account? {
        try await db.rows("SELECT * FROM accounts WHERE id = \(id)").first.flatMap(Self.account)
    }

    public func accounts() async throws -> [Account] {
        try await db.rows("SELECT * FROM accounts ORDER BY username").compactMap(Self.account)
    }

    public func accountFailed(id: Int64, lockAfter: Int, lockedUntil: Date) async throws {
        // One statement: two servers counting failures of the same account lose no count.
        try await db.execute("""
            UPDATE accounts SET failures = failures + 1,
                locked_until = CASE WHEN failures + 1 >= \(lockAfter) THEN \(lockedUntil.timeIntervalSince1970) ELSE locked_until END
            WHERE id = \(id)
            """)
    }

    public func accountSucceeded(id: Int64) async throws {
        try await db.execute("UPDATE accounts SET failures = 0, locked_until = NULL WHERE id = \(id) AND (failures > 0 OR locked_until IS NOT NULL)")
    }

    public func setAccountDisabled(id: Int64, at: Date?) async throws {
        try await db.transaction { c in
            try await c.execute("UPDATE accounts SET disabled_at = \(at?.timeIntervalSince1970) WHERE id = \(id)")
            if at != nil { try await c.execute("DELETE FROM sessions WHERE account_id = \(id)") }
        }
    }

    public func setAccountPassword(id: Int64, passwordHash: String) async throws {
        try await db.transaction { c in
            try await c.execute("UPDATE accounts SET password_hash = \(passwordHash), failures = 0, locked_until = NULL WHERE id = \(id)")
            try await c.execute("DELETE FROM sessions WHERE account_id = \(id)")
        }
    }

    // MARK: Settings

    public func setting(_ key: String) async throws -> String? {
        try await db.rows("SELECT value FROM settings WHERE key = \(key)").first?.get("value")
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await db.execute("INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    }
}

extension PostgresDatabase {
    /// Runs a statement; a unique violation (a race another server won) is not an error when `ignoringUniqueViolation`.
    func execute(_ query: PostgresQuery, ignoringUniqueViolation: Bool) async throws {
        do {
            let logger = logger
            _ = try await withConnection { connection in try await Self.statement(query, on: connection, logger: logger) }
        } catch let error as PSQLError where ignoringUniqueViolation && error.sqlState == "23505" {
        } catch {
            throw Self.unavailable(error)
        }
    }
}
