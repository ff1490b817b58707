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
            return (people.count, try Self.deleteIfLeftWithNothing(Set(people), db))
        }
    }

    /// Deletes the listed people who have no visit, card, case or quarantine left, with their devices and follow-ups; returns how many.
    static func deleteIfLeftWithNothing(_ ids: Set<Int64>, _ db: Database) throws -> Int {
        var removed = 0
        for id in ids {
            try db.execute(sql: """
                DELETE FROM people WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM visits WHERE person_id = ?1)
                AND NOT EXISTS (SELECT 1 FROM cards WHERE person_id = ?1)
                AND NOT EXISTS (SELECT 1 FROM cases WHERE person_id = ?1) AND NOT EXISTS (SELECT 1 FROM quarantines WHERE person_id = ?1)
                """, arguments: [id])
            if db.changesCount == 1 {
                removed += 1
                try db.execute(sql: "DELETE FROM devices WHERE person_id = ?", arguments: [id])
                // A contact's follow-up goes with the last of their data.
                try db.execute(sql: "DELETE FROM follow_ups WHERE person_id = ?", arguments: [id])
            }
        }
        return removed
    }

    public func purgeRecords(keysBefore: Date, devicesBefore: Date, flagsBefore: Date) async throws -> (records: Int, people: Int) {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [VisitSQL.seconds(keysBefore)])
            var n = db.changesCount
            try db.execute(sql: "DELETE FROM devices WHERE updated_at < ?", arguments: [VisitSQL.seconds(devicesBefore)])
            n += db.changesCount
            try db.execute(sql: "DELETE FROM device_people WHERE seen_at < ?",
                           arguments: [VisitSQL.seconds(devicesBefore) - DeviceHistory.touchSeconds])
            n += db.changesCount
            // Personal cards unused for the whole retention go, and with them people who only ever had a card.
            let holders = try Int64.fetchAll(db, sql: "DELETE FROM cards WHERE used_at < ? RETURNING person_id", arguments: [VisitSQL.seconds(devicesBefore)])
            n += holders.count
            try db.execute(sql: "DELETE FROM flags WHERE at < ?", arguments: [VisitSQL.seconds(flagsBefore)])
            n += db.changesCount
            return (n, try Self.deleteIfLeftWithNothing(Set(holders), db))
        }
    }

    public func eraseFreedSpace() async throws {
        // Deleted rows were zeroed (secure_delete) in the pages written to the log; a truncating checkpoint copies them
        // into the database and empties the log, so no older copy of a deleted row is left in either file.
        try await writer.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await writer.read { try String.fetchOne($0, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await writer.write { try $0.execute(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", arguments: [key, value]) }
    }
}
