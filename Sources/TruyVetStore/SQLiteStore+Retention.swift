import Foundation
import GRDB
import TruyVetCore

/// Retention: what is old is hard-deleted, in chunks that never hold the writer for long.
extension SQLiteStore {
    public func purgeVisits(endedBefore cutoff: Date, limit: Int) async throws -> (visits: Int, people: Int) {
        try await writer.write { db in
            let people = try Int64.fetchAll(db, sql: """
                DELETE FROM visits WHERE id IN (
                    SELECT id FROM visits WHERE checkin_at < ?1
                    AND MIN(COALESCE(checkout_at, checkin_at + ?2), checkin_at + ?2) < ?1 LIMIT ?3)
                RETURNING person_id
                """, arguments: [VisitSQL.seconds(cutoff), Int64(Stay.maximum), limit])
            let visits = people.count
            var removed = 0
            for id in Set(people) {
                try db.execute(sql: """
                    DELETE FROM people WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM visits WHERE person_id = ?1)
                    AND NOT EXISTS (SELECT 1 FROM cases WHERE person_id = ?1) AND NOT EXISTS (SELECT 1 FROM quarantines WHERE person_id = ?1)
                    """, arguments: [id])
                if db.changesCount == 1 {
                    removed += 1
                    try db.execute(sql: "DELETE FROM devices WHERE person_id = ?", arguments: [id])
                }
            }
            return (visits, removed)
        }
    }

    public func purgeRecords(keysBefore: Date, devicesBefore: Date, flagsBefore: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [VisitSQL.seconds(keysBefore)])
            var n = db.changesCount
            try db.execute(sql: "DELETE FROM devices WHERE updated_at < ?", arguments: [VisitSQL.seconds(devicesBefore)])
            n += db.changesCount
            try db.execute(sql: "DELETE FROM flags WHERE at < ?", arguments: [VisitSQL.seconds(flagsBefore)])
            return n + db.changesCount
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await writer.read { try String.fetchOne($0, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await writer.write { try $0.execute(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", arguments: [key, value]) }
    }
}
