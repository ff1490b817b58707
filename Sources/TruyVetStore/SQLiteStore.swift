import Foundation
import GRDB
import TruyVetCore

/// The SQLite implementation of `Store`.
public struct SQLiteStore: Store {
    public let database: AppDatabase
    var writer: any DatabaseWriter { database.writer }
    private let batcher: CheckinBatcher

    public init(_ database: AppDatabase) {
        self.database = database
        self.batcher = CheckinBatcher(writer: database.writer)
    }

    // MARK: Areas

    public func areaCount() async throws -> Int {
        try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM areas") ?? 0 }
    }

    public func upsertAreas(_ areas: [Area]) async throws {
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO areas (code, name, level, parent_code, population) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, level = excluded.level,
                    parent_code = excluded.parent_code, population = COALESCE(excluded.population, areas.population)
                """)
            for a in areas {
                try statement.execute(arguments: [a.code, a.name, a.level.rawValue, a.parentCode, a.population])
            }
        }
    }

    public func area(code: String) async throws -> Area? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM areas WHERE code = ?", arguments: [code]).map(Self.area)
        }
    }

    public func areaPath(code: String) async throws -> [Area] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                WITH RECURSIVE path(code, depth) AS (
                    SELECT ?, 0
                    UNION ALL SELECT a.parent_code, path.depth + 1 FROM areas a JOIN path ON a.code = path.code
                    WHERE a.parent_code IS NOT NULL AND path.depth < 3)
                SELECT areas.* FROM path JOIN areas ON areas.code = path.code ORDER BY path.depth
                """, arguments: [code]).map(Self.area)
        }
    }

    public func areaLevels(codes: Set<String>) async throws -> [String: AreaLevel] {
        guard !codes.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [String: AreaLevel] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT code, level FROM areas WHERE code IN (SELECT value FROM json_each(?))",
                                           arguments: [String(decoding: try JSONEncoder().encode(Array(codes)), as: UTF8.self)])
            while let row = try rows.next() {
                if let level = AreaLevel(rawValue: row["level"]) { out[row["code"]] = level }
            }
            return out
        }
    }

    public func areas(parent: String?) async throws -> [Area] {
        try await writer.read { db in
            if let parent {
                return try Row.fetchAll(db, sql: "SELECT * FROM areas WHERE parent_code = ? ORDER BY code", arguments: [parent]).map(Self.area)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM areas WHERE level = 'province' ORDER BY code").map(Self.area)
        }
    }

    static func area(_ row: Row) -> Area {
        Area(code: row["code"], name: row["name"], level: AreaLevel(rawValue: row["level"]) ?? .commune,
             parentCode: row["parent_code"], population: row["population"])
    }

    // MARK: Venues

    public func insertVenue(_ v: Venue) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO venues (id, name, address, area_code, district_code, province_code, category,
                    default_stay_minutes, contact_phone, capacity, opening_hours, short_code, poster_generation, created_at, contact_phone_enc)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [v.id, v.name, v.address, v.areaCode, v.districtCode, v.provinceCode, v.category.rawValue,
                                 v.defaultStayMinutes, v.capacity, v.openingHours, v.shortCode,
                                 Int64(v.posterGeneration), v.createdAt.timeIntervalSince1970, v.sealedContactPhone])
            return db.changesCount == 1
        }
    }

    public func venue(id: Int64) async throws -> Venue? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE id = ?", arguments: [id]).map(Self.venue)
        }
    }

    public func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue] {
        let column = StoreSQL.venueAreaColumn(code)
        return try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM venues WHERE \(column) = ? ORDER BY name, id LIMIT ? OFFSET ?",
                             arguments: [code, limit, offset]).map(Self.venue)
        }
    }

    public func rotatePoster(venueID: Int64, shortCode: String) async throws -> Venue? {
        try await writer.write { db in
            try db.execute(sql: "UPDATE OR IGNORE venues SET poster_generation = poster_generation + 1, short_code = ? WHERE id = ?",
                           arguments: [shortCode, venueID])
            return try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE id = ?", arguments: [venueID]).map(Self.venue)
        }
    }

    public func updateVenue(_ v: Venue) async throws -> Venue? {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE venues SET name = ?, address = ?, category = ?, default_stay_minutes = ?, capacity = ?, opening_hours = ?,
                    contact_phone_enc = ?, screen_only = ? WHERE id = ?
                """, arguments: [v.name, v.address, v.category.rawValue, v.defaultStayMinutes, v.capacity, v.openingHours,
                                 v.sealedContactPhone, v.screenOnly, v.id])
            return try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE id = ?", arguments: [v.id]).map(Self.venue)
        }
    }

    public func sealClearContactPhones(_ seal: @Sendable (String) -> Data) async throws -> Int {
        try await writer.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, contact_phone FROM venues WHERE contact_phone <> '' OR contact_phone_enc IS NULL")
            for row in rows {
                try db.execute(sql: "UPDATE venues SET contact_phone = '', contact_phone_enc = ? WHERE id = ?",
                               arguments: [seal(row["contact_phone"]), row["id"] as Int64])
            }
            return rows.count
        }
    }

    static func venue(_ row: Row) -> Venue {
        Venue(id: row["id"], name: row["name"], address: row["address"], areaCode: row["area_code"],
              districtCode: row["district_code"], provinceCode: row["province_code"],
              category: VenueCategory(rawValue: row["category"]) ?? .other,
              defaultStayMinutes: row["default_stay_minutes"], sealedContactPhone: row["contact_phone_enc"] ?? Data(),
              capacity: row["capacity"], openingHours: row["opening_hours"], shortCode: row["short_code"],
              posterGeneration: UInt32(truncatingIfNeeded: row["poster_generation"] as Int64),
              createdAt: Date(timeIntervalSince1970: row["created_at"]), screenOnly: row["screen_only"] ?? false)
    }

    // MARK: Tokens

    public func insertToken(hash: [UInt8], role: Role, venueID: Int64?, label: String) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO api_tokens (hash, role, venue_id, label, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Data(hash), role.rawValue, venueID, label, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func principal(tokenHash: [UInt8]) async throws -> Principal? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, role, venue_id, label FROM api_tokens WHERE hash = ? AND revoked_at IS NULL",
                                             arguments: [Data(tokenHash)]),
                  let role = Role(rawValue: row["role"]) else { return nil }
            return Principal(role: role, venueID: row["venue_id"], tokenID: row["id"], label: row["label"])
        }
    }

    public func tokens() async throws -> [TokenInfo] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, role, venue_id, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC").compactMap { r in
                guard let role = Role(rawValue: r["role"]) else { return nil }
                return TokenInfo(id: r["id"], role: role, venueID: r["venue_id"], label: r["label"],
                                 createdAt: Date(timeIntervalSince1970: r["created_at"]),
                                 lastUsedAt: (r["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                                 revokedAt: (r["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    public func revokeToken(id: Int64, at: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
    }

    public func touchToken(id: Int64, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, id])
        }
    }

    // MARK: Sessions

    public func insertSession(hash: [UInt8], tokenID: Int64?, accountID: Int64?, csrf: String, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO sessions (hash, token_id, account_id, csrf, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [Data(hash), tokenID, accountID, csrf, at.timeIntervalSince1970, at.timeIntervalSince1970])
        }
    }

    public func session(hash: [UInt8]) async throws -> (session: SessionRecord, principal: Principal)? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.csrf, s.created_at, s.seen_at, t.id AS token_id, t.role AS token_role, t.venue_id, t.label,
                       a.role AS account_role, a.username
                FROM sessions s
                LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
                LEFT JOIN accounts a ON a.id = s.account_id AND a.disabled_at IS NULL
                WHERE s.hash = ?
                """, arguments: [Data(hash)]) else { return nil }
            let record = SessionRecord(csrf: row["csrf"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                                       seenAt: Date(timeIntervalSince1970: row["seen_at"]))
            if let raw: String = row["token_role"], let role = Role(rawValue: raw) {
                return (record, Principal(role: role, venueID: row["venue_id"], tokenID: row["token_id"], label: row["label"]))
            }
            if let raw: String = row["account_role"], let role = Role(rawValue: raw), let username: String = row["username"] {
                return (record, Principal(role: role, label: "account \(username)"))
            }
            return nil
        }
    }

    public func touchSession(hash: [UInt8], at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE sessions SET seen_at = ? WHERE hash = ?", arguments: [at.timeIntervalSince1970, Data(hash)])
        }
    }

    public func deleteSession(hash: [UInt8]) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM sessions WHERE hash = ?", arguments: [Data(hash)]) }
    }

    public func deleteSessions(idleBefore: Date, begunBefore: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE seen_at < ? OR created_at < ?",
                           arguments: [idleBefore.timeIntervalSince1970, begunBefore.timeIntervalSince1970])
            return db.changesCount
        }
    }

    // MARK: Accounts

    public func insertAccount(username: String, role: Role, passwordHash: String, at: Date) async throws -> Int64? {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO accounts (username, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO NOTHING",
                           arguments: [username, role.rawValue, passwordHash, at.timeIntervalSince1970])
            return db.changesCount == 1 ? db.lastInsertedRowID : nil
        }
    }

    static func account(_ r: Row) -> Account? {
        guard let role = Role(rawValue: r["role"]) else { return nil }
        return Account(id: r["id"], username: r["username"], role: role, passwordHash: r["password_hash"],
                       createdAt: Date(timeIntervalSince1970: r["created_at"]),
                       disabledAt: (r["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                       failures: r["failures"], lockedUntil: (r["locked_until"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func account(username: String) async throws -> Account? {
        try await writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE username = ?", arguments: [username]).flatMap(Self.account) }
    }

    public func account(id: Int64) async throws -> Account? {
        try await writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]).flatMap(Self.account) }
    }

    public func accounts() async throws -> [Account] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM accounts ORDER BY username").compactMap(Self.account) }
    }

    public func accountFailed(id: Int64, lockAfter: Int, lockedUntil: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE accounts SET failures = failures + 1,
                    locked_until = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_until END
                WHERE id = ?
                """, arguments: [lockAfter, lockedUntil.timeIntervalSince1970, id])
        }
    }

    public func accountSucceeded(id: Int64) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE accounts SET failures = 0, locked_until = NULL WHERE id = ? AND (failures > 0 OR locked_until IS NOT NULL)", arguments: [id])
        }
    }

    public func setAccountDisabled(id: Int64, at: Date?) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE accounts SET disabled_at = ? WHERE id = ?", arguments: [at?.timeIntervalSince1970, id])
            if at != nil { try db.execute(sql: "DELETE FROM sessions WHERE account_id = ?", arguments: [id]) }
        }
    }

    public func setAccountPassword(id: Int64, passwordHash: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE accounts SET password_hash = ?, failures = 0, locked_until = NULL WHERE id = ?", arguments: [passwordHash, id])
            try db.execute(sql: "DELETE FROM sessions WHERE account_id = ?", arguments: [id])
        }
    }

    public func tokenCount(role: Role) async throws -> Int {
        try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM api_tokens WHERE role = ? AND revoked_at IS NULL", arguments: [role.rawValue]) ?? 0 }
    }
}

extension SQLiteStore {
    // MARK: Visits

    public func checkin(_ request: CheckinRequest) async throws -> CheckinOutcome {
        try await batcher.submit(request)
    }

    public func checkout(visitID: Int64, at: Date) async throws -> Visit? {
        try await writer.write { db in
            guard let visit = try VisitSQL.visit(id: visitID, db) else { return nil }
            guard visit.checkoutAt == nil else { return visit }
            let when = max(VisitSQL.seconds(at), VisitSQL.seconds(visit.checkinAt))
            try db.execute(sql: "UPDATE visits SET checkout_at = ? WHERE id = ?", arguments: [when, visitID])
            return try VisitSQL.visit(id: visitID, db)
        }
    }

    public func visit(id: Int64) async throws -> Visit? {
        try await writer.read { try VisitSQL.visit(id: id, $0) }
    }

    public func visits(venueID: Int64, from: Date, to: Date, limit: Int) async throws -> [VisitRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: VisitSQL.recordSelect + " WHERE v.venue_id = ? AND v.checkin_at >= ? AND v.checkin_at < ? ORDER BY v.checkin_at, v.id LIMIT ?",
                             arguments: [venueID, VisitSQL.seconds(from), VisitSQL.seconds(to), limit]).map(VisitSQL.record)
        }
    }

    public func uncheckedOutVisits(venueID: Int64, since: Date) async throws -> [VisitRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: VisitSQL.recordSelect + " WHERE v.venue_id = ? AND v.checkin_at >= ? AND v.checkout_at IS NULL ORDER BY v.checkin_at",
                             arguments: [venueID, VisitSQL.seconds(since)]).map(VisitSQL.record)
        }
    }

    public func checkoutAll(visitIDs: [Int64], at: Date) async throws -> Int {
        guard !visitIDs.isEmpty else { return 0 }
        return try await writer.write { db in
            var changed = 0
            for id in visitIDs {
                try db.execute(cachedSQL: "UPDATE visits SET checkout_at = MAX(?, checkin_at) WHERE id = ? AND checkout_at IS NULL",
                               arguments: [VisitSQL.seconds(at), id])
                changed += db.changesCount
            }
            return changed
        }
    }

    public func importVisits(_ rows: [ImportedVisit]) async throws -> (inserted: [Int], duplicates: [Int]) {
        try await writer.write { db in
            var inserted: [Int] = [], duplicates: [Int] = []
            for row in rows {
                let personID = try VisitSQL.ensurePerson(row.person, db).id
                let at = VisitSQL.seconds(row.checkinAt)
                if try Int64.fetchOne(db, cachedSQL: "SELECT id FROM visits WHERE venue_id = ? AND checkin_at = ? AND person_id = ? LIMIT 1",
                                      arguments: [row.venueID, at, personID]) != nil {
                    duplicates.append(row.line)
                    continue
                }
                try db.execute(cachedSQL: """
                    INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, name_enc, id_hash, id_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [row.venueID, personID, at, row.checkoutAt.map(VisitSQL.seconds), row.source.rawValue,
                                     row.person.name, row.person.idHash, row.person.idNumber])
                inserted.append(row.line)
            }
            return (inserted, duplicates)
        }
    }

    public func personID(phoneHash: Data) async throws -> Int64? {
        try await writer.read { try Int64.fetchOne($0, sql: "SELECT id FROM people WHERE phone_hash = ?", arguments: [phoneHash]) }
    }

    public func person(id: Int64) async throws -> SealedPerson? {
        try await writer.read { try Row.fetchOne($0, sql: "SELECT * FROM people WHERE id = ?", arguments: [id]).map(VisitSQL.person) }
    }

    public func linkDevice(_ deviceHash: Data, personID: Int64, declared: SealedPerson) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO devices (device_hash, person_id, updated_at, name_enc, id_hash, id_enc) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [deviceHash, personID, VisitSQL.seconds(Date()), declared.name, declared.idHash, declared.idNumber])
        }
    }

    public func device(hash: Data) async throws -> (personID: Int64, declared: SealedPerson)? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT d.person_id, p.phone_hash, p.phone_enc, d.name_enc, d.id_hash, d.id_enc
                FROM devices d JOIN people p ON p.id = d.person_id WHERE d.device_hash = ? AND d.name_enc IS NOT NULL
                """, arguments: [hash]).map { ($0["person_id"], VisitSQL.declared($0)) }
        }
    }

    public func venue(shortCode: String) async throws -> Venue? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE short_code = ?", arguments: [shortCode]).map(Self.venue)
        }
    }

    public func addFlag(_ flag: Flag) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO flags (venue_id, at, kind, detail) VALUES (?, ?, ?, ?)",
                           arguments: [flag.venueID, VisitSQL.seconds(flag.at), flag.kind.rawValue, flag.detail])
        }
    }

    public func flags(venueID: Int64?, since: Date, limit: Int) async throws -> [Flag] {
        try await writer.read { db in
            let rows: [Row]
            if let venueID {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM flags WHERE venue_id = ? AND at >= ? ORDER BY at DESC LIMIT ?",
                                        arguments: [venueID, VisitSQL.seconds(since), limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM flags WHERE at >= ? ORDER BY at DESC LIMIT ?",
                                        arguments: [VisitSQL.seconds(since), limit])
            }
            return rows.map { Flag(venueID: $0["venue_id"], at: VisitSQL.date($0["at"]), kind: Flag.Kind(rawValue: $0["kind"]) ?? .checkinBurst, detail: $0["detail"]) }
        }
    }

    public func ensurePerson(_ person: SealedPerson) async throws -> Int64 {
        try await writer.write { try VisitSQL.ensurePerson(person, $0).id }
    }

    public func latestVisit(personID: Int64, device: Data) async throws -> Visit? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(VisitSQL.visitColumns) FROM visits WHERE person_id = ? AND device_hash = ? ORDER BY checkin_at DESC, id DESC LIMIT 1",
                             arguments: [personID, device]).map(VisitSQL.visit)
        }
    }

    public func deviceVisits(deviceHash: Data, since: Date, limit: Int) async throws -> [Visit] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source
                FROM device_people d JOIN visits v ON v.person_id = d.person_id AND v.checkin_at >= ?2 AND v.device_hash = d.device_hash
                WHERE d.device_hash = ?1 ORDER BY v.checkin_at DESC, v.id DESC LIMIT ?3
                """, arguments: [deviceHash, VisitSQL.seconds(since), limit]).map(VisitSQL.visit)
        }
    }

    public func forgetDevice(_ deviceHash: Data) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE visits SET device_hash = NULL
                WHERE person_id IN (SELECT person_id FROM device_people WHERE device_hash = ?1) AND device_hash = ?1
                """, arguments: [deviceHash])
            let unlinked = db.changesCount
            try db.execute(sql: "DELETE FROM device_people WHERE device_hash = ?", arguments: [deviceHash])
            try db.execute(sql: "DELETE FROM devices WHERE device_hash = ?", arguments: [deviceHash])
            return unlinked
        }
    }

    public func addCard(codeHash: Data, person: SealedPerson, at: Date) async throws -> Int64 {
        try await writer.write { db in
            let id = try VisitSQL.ensurePerson(person, db).id
            try db.execute(sql: "INSERT INTO cards (code_hash, person_id, name_enc, id_hash, id_enc, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [codeHash, id, person.name, person.idHash, person.idNumber, VisitSQL.seconds(at), VisitSQL.seconds(at)])
            return id
        }
    }

    public func useCard(codeHash: Data, at: Date) async throws -> (personID: Int64, declared: SealedPerson)? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.person_id, p.phone_hash, p.phone_enc, c.name_enc, c.id_hash, c.id_enc
                FROM cards c JOIN people p ON p.id = c.person_id WHERE c.code_hash = ?
                """, arguments: [codeHash]) else { return nil }
            try db.execute(sql: "UPDATE cards SET used_at = ? WHERE code_hash = ?", arguments: [VisitSQL.seconds(at), codeHash])
            return (row["person_id"], VisitSQL.declared(row))
        }
    }

    /// From this many ranges (a cluster search asks thousands), the reads are split among reader connections, one
    /// part per core, each part in its own transaction.
    static let rangesPerReader = 256

    public func stays(byVenue: Bool, ranges: [StayRange]) async throws -> [[StayRow]] {
        let parts = min(ranges.count / Self.rangesPerReader, ProcessInfo.processInfo.activeProcessorCount)
        guard parts > 1 else { return try await stays(byVenue: byVenue, ranges[...]) }
        let size = (ranges.count + parts - 1) / parts
        return try await withThrowingTaskGroup(of: (Int, [[StayRow]]).self) { group in
            for start in stride(from: 0, to: ranges.count, by: size) {
                let part = ranges[start..<min(start + size, ranges.count)]
                group.addTask { (start, try await self.stays(byVenue: byVenue, part)) }
            }
            var out = [[StayRow]](repeating: [], count: ranges.count)
            for try await (start, lists) in group { out.replaceSubrange(start..<start + lists.count, with: lists) }
            return out
        }
    }

    private func stays(byVenue: Bool, _ ranges: ArraySlice<StayRange>) async throws -> [[StayRow]] {
        let sql = """
            SELECT v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source, \(StoreSQL.nextCheckin),
                   ve.default_stay_minutes, ve.category
            FROM visits v JOIN venues ve ON ve.id = v.venue_id
            WHERE v.\(byVenue ? "venue_id" : "person_id") = ?1 AND v.checkin_at >= ?2 AND v.checkin_at < ?3 AND \(StoreSQL.mayLastPast("v", "?4"))
            """
        return try await writer.read { db in
            let statement = try db.cachedStatement(sql: sql)
            return try ranges.map { r in
                var list: [StayRow] = []
                let rows = try Row.fetchCursor(statement, arguments: [r.id, VisitSQL.seconds(r.from.addingTimeInterval(-Stay.maximum)), VisitSQL.seconds(r.to),
                                                                       VisitSQL.seconds(r.from)])
                while let row = try rows.next() { list.append(VisitSQL.stay(row)) }
                return list
            }
        }
    }

    public func visitCount() async throws -> Int {
        try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM visits") ?? 0 }
    }
}
