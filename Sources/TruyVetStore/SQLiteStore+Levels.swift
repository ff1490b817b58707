import Foundation
import GRDB
import TruyVetCore

/// Inputs and announcements of the epidemic-level calculator.
extension SQLiteStore {
    public func allAreas() async throws -> [Area] {
        try await writer.read { try Row.fetchAll($0, sql: "SELECT * FROM areas").map(Self.area) }
    }

    public func adoption(area: String, from: Date, to: Date) async throws -> [String: AdoptionCounts] {
        let column = StoreSQL.venueAreaColumn(area)
        return try await writer.read { db in
            var out: [String: AdoptionCounts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT area_code, category, COUNT(*) AS n FROM venues WHERE \(column) = ? GROUP BY area_code, category",
                                        arguments: [area]) {
                guard let category = VenueCategory(rawValue: row["category"]) else { continue }
                out[row["area_code"], default: AdoptionCounts()].venuesByCategory[category] = row["n"]
            }
            // Each venue's check-ins in the span through its (venue_id, checkin_at) index.
            for row in try Row.fetchAll(db, sql: """
                SELECT ve.area_code AS area_code, COUNT(vi.id) AS checkins, COALESCE(SUM(vi.checkout_at IS NOT NULL), 0) AS out,
                       COUNT(DISTINCT vi.venue_id) AS active
                FROM venues ve JOIN visits vi ON vi.venue_id = ve.id AND vi.checkin_at >= ? AND vi.checkin_at < ?
                WHERE ve.\(column) = ? GROUP BY ve.area_code
                """, arguments: [VisitSQL.seconds(from), VisitSQL.seconds(to), area]) {
                var counts = out[row["area_code"], default: AdoptionCounts()]
                counts.checkins = row["checkins"]
                counts.checkedOut = row["out"]
                counts.activeVenues = row["active"]
                out[row["area_code"]] = counts
            }
            return out
        }
    }

    public func setPopulation(code: String, population: Int) async throws {
        try await writer.write { try $0.execute(sql: "UPDATE areas SET population = ? WHERE code = ?", arguments: [population, code]) }
    }

    public func communityCases(weeksEnding: Day, weeks: Int, codes: [String]?) async throws -> [String: [Int]] {
        // A range scan of the days needed (the primary key starts with the day), a column per week, a row per area.
        let columns = (0..<weeks).map { w in
            "SUM(CASE WHEN day > ?1 - \(7 * (w + 1)) AND day <= ?1 - \(7 * w) THEN traced + reported ELSE 0 END)"
        }.joined(separator: ", ")
        let filter = codes == nil ? "" : " AND area_code IN (SELECT value FROM json_each(?2))"
        let sql = "SELECT area_code, \(columns) FROM community_cases WHERE day > ?1 - \(7 * weeks) AND day <= ?1\(filter) GROUP BY area_code"
        let list = codes.map { "[" + $0.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return try await writer.read { db in
            var out: [String: [Int]] = [:]
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: list.map { [weeksEnding.number, $0] } ?? [weeksEnding.number])
            while let row = try rows.next() {
                out[row[0]] = (1...weeks).map { row[$0] }
            }
            return out
        }
    }

    public func setReportedCases(code: String, day: Day, count: Int) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO community_cases (area_code, day, reported) VALUES (?, ?, ?)
                ON CONFLICT (day, area_code) DO UPDATE SET reported = excluded.reported
                """, arguments: [code, day.number, count])
        }
    }

    public func setWeekFigures(code: String, day: Day, _ f: WeekFigures, by: String, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO area_weeks (code, day, adult_first_dose, older_fully_vaccinated, capacity_met, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (day, code) DO UPDATE SET
                    adult_first_dose = COALESCE(excluded.adult_first_dose, adult_first_dose),
                    older_fully_vaccinated = COALESCE(excluded.older_fully_vaccinated, older_fully_vaccinated),
                    capacity_met = COALESCE(excluded.capacity_met, capacity_met),
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """, arguments: [code, day.description, f.adultFirstDose, f.olderFullyVaccinated, f.capacityMet, VisitSQL.seconds(at), by])
        }
    }

    public func weekFigures(days: ClosedRange<Day>) async throws -> [String: [Day: WeekFigures]] {
        try await writer.read { db in
            var out: [String: [Day: WeekFigures]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM area_weeks WHERE day >= ? AND day <= ?",
                                           arguments: [days.lowerBound.description, days.upperBound.description])
            while let row = try rows.next() {
                guard let day = Day(row["day"] as String) else { continue }
                out[row["code"], default: [:]][day] = WeekFigures(adultFirstDose: row["adult_first_dose"], olderFullyVaccinated: row["older_fully_vaccinated"],
                                                                  capacityMet: row["capacity_met"])
            }
            return out
        }
    }

    public func addAnnouncement(_ a: Announcement) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO announcements (code, day, level, announced_at, effective_from, announced_by) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [a.code, a.date.description, a.level, VisitSQL.seconds(a.announcedAt), VisitSQL.seconds(a.effectiveFrom), a.announcedBy])
            return db.lastInsertedRowID
        }
    }

    public func announcements(codes: [String]) async throws -> [String: [Announcement]] {
        guard !codes.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [String: [Announcement]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM announcements WHERE code IN (SELECT value FROM json_each(?)) ORDER BY announced_at, id",
                                           arguments: [String(decoding: try JSONEncoder().encode(codes), as: UTF8.self)])
            while let row = try rows.next() {
                guard let day = Day(row["day"] as String) else { continue }
                out[row["code"], default: []].append(Announcement(
                    id: row["id"], code: row["code"], date: day, level: row["level"], announcedAt: VisitSQL.date(row["announced_at"]),
                    effectiveFrom: VisitSQL.date(row["effective_from"]), announcedBy: row["announced_by"]))
            }
            return out
        }
    }
}
