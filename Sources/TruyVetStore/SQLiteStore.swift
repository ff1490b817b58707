import Foundation
import GRDB
import TruyVetCore

/// The SQLite implementation of `Store`.
public struct SQLiteStore: Store {
    public let database: AppDatabase
    var writer: any DatabaseWriter { database.writer }

    public init(_ database: AppDatabase) {
        self.database = database
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
                    default_stay_minutes, contact_phone, capacity, opening_hours, short_code, poster_generation, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [v.id, v.name, v.address, v.areaCode, v.districtCode, v.provinceCode, v.category.rawValue,
                                 v.defaultStayMinutes, v.contactPhone, v.capacity, v.openingHours, v.shortCode,
                                 Int64(v.posterGeneration), v.createdAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func venue(id: Int64) async throws -> Venue? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE id = ?", arguments: [id]).map(Self.venue)
        }
    }

    public func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue] {
        let column = switch code.count {
        case 2: "province_code"
        case 3: "district_code"
        default: "area_code"
        }
        return try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM venues WHERE \(column) = ? ORDER BY name, id LIMIT ? OFFSET ?",
                             arguments: [code, limit, offset]).map(Self.venue)
        }
    }

    public func rotatePoster(venueID: Int64) async throws -> Venue? {
        try await writer.write { db in
            try db.execute(sql: "UPDATE venues SET poster_generation = poster_generation + 1 WHERE id = ?", arguments: [venueID])
            return try Row.fetchOne(db, sql: "SELECT * FROM venues WHERE id = ?", arguments: [venueID]).map(Self.venue)
        }
    }

    static func venue(_ row: Row) -> Venue {
        Venue(id: row["id"], name: row["name"], address: row["address"], areaCode: row["area_code"],
              districtCode: row["district_code"], provinceCode: row["province_code"],
              category: VenueCategory(rawValue: row["category"]) ?? .other,
              defaultStayMinutes: row["default_stay_minutes"], contactPhone: row["contact_phone"],
              capacity: row["capacity"], openingHours: row["opening_hours"], shortCode: row["short_code"],
              posterGeneration: UInt32(truncatingIfNeeded: row["poster_generation"] as Int64),
              createdAt: Date(timeIntervalSince1970: row["created_at"]))
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

    public func tokenCount(role: Role) async throws -> Int {
        try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM api_tokens WHERE role = ? AND revoked_at IS NULL", arguments: [role.rawValue]) ?? 0 }
    }
}

extension SQLiteStore {
    /// The bundled list of Vietnam's administrative units (2021: 63 provinces, 696 districts, 10,051 communes).
    public static func bundledAreasCSV() throws -> String {
        guard let url = Bundle.module.url(forResource: "vn-admin-units-2021", withExtension: "csv") else {
            throw AppError(.unavailable, code: "missing_resource", message: "the bundled area list is missing from this build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
