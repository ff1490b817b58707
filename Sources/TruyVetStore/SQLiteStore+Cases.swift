import Foundation
import GRDB
import TruyVetCore

/// Cases, quarantines and the audit log.
extension SQLiteStore {
    public func personIDs(idHash: Data) async throws -> [Int64] {
        try await writer.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM people WHERE id_hash = ?1 UNION SELECT person_id FROM visits WHERE id_hash = ?1
                UNION SELECT person_id FROM cards WHERE id_hash = ?1 ORDER BY 1
                """, arguments: [idHash])
        }
    }

    public func declaredNames(personIDs: [Int64]) async throws -> [Int64: [Data]] {
        guard !personIDs.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [Int64: [Data]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT person_id, name_enc, checkin_at AS at FROM visits WHERE person_id IN (SELECT value FROM json_each(?1))
                UNION ALL SELECT person_id, name_enc, created_at AS at FROM cards WHERE person_id IN (SELECT value FROM json_each(?1))
                ORDER BY person_id, at
                """, arguments: [Self.jsonArray(personIDs)])
            while let row = try rows.next() { out[row["person_id"], default: []].append(row["name_enc"]) }
            return out
        }
    }

    public func people(ids: [Int64]) async throws -> [Int64: SealedPerson] {
        guard !ids.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [Int64: SealedPerson] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM people WHERE id IN (SELECT value FROM json_each(?))",
                                           arguments: [Self.jsonArray(ids)])
            while let row = try rows.next() { out[row["id"]] = VisitSQL.person(row) }
            return out
        }
    }

    static func jsonArray(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    // MARK: Cases

    public func insertCase(_ c: CaseRecord) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO cases (person_id, area_code, sample_date, onset_date, confirmed_at, confirmed_day, isolated_at, detected_in,
                    window_from, window_to, classification, classification_overridden, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [c.personID, c.areaCode, c.sampleDate, c.onsetDate, VisitSQL.seconds(c.confirmedAt), c.confirmedDay,
                                 c.isolatedAt.map(VisitSQL.seconds), c.detectedIn?.rawValue, VisitSQL.seconds(c.windowFrom),
                                 VisitSQL.seconds(c.windowTo), c.classification.rawValue, c.classificationOverridden,
                                 VisitSQL.seconds(c.createdAt), c.createdBy])
            return db.lastInsertedRowID
        }
    }

    public func caseRecord(id: Int64) async throws -> CaseRecord? {
        try await writer.read { try Row.fetchOne($0, sql: "SELECT * FROM cases WHERE id = ?", arguments: [id]).map(Self.caseRecord) }
    }

    public func cases(personID: Int64) async throws -> [CaseRecord] {
        try await writer.read { try Row.fetchAll($0, sql: "SELECT * FROM cases WHERE person_id = ? ORDER BY confirmed_at", arguments: [personID]).map(Self.caseRecord) }
    }

    public func cases(_ f: CaseFilter) async throws -> [CaseRecord] {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let area = f.areaCode { conditions.append("area_code = ?"); arguments.append(area.databaseValue) }
        if let c = f.classification { conditions.append("classification = ?"); arguments.append(c.rawValue.databaseValue) }
        if f.personIDs != nil || f.caseID != nil {
            var either: [String] = []
            if let ids = f.personIDs, !ids.isEmpty {
                either.append("person_id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))")
                arguments += ids.map(\.databaseValue)
            }
            if let id = f.caseID { either.append("id = ?"); arguments.append(id.databaseValue) }
            conditions.append(either.isEmpty ? "0" : "(" + either.joined(separator: " OR ") + ")")
        }
        if let before = f.before {
            conditions.append("(confirmed_at, id) < (?, ?)")
            arguments += [VisitSQL.seconds(before.confirmedAt).databaseValue, before.id.databaseValue]
        }
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(f.limit.databaseValue)
        return try await writer.read { [arguments] db in
            try Row.fetchAll(db, sql: "SELECT * FROM cases \(condition) ORDER BY confirmed_at DESC, id DESC LIMIT ?",
                             arguments: StatementArguments(arguments)).map(Self.caseRecord)
        }
    }

    public func setFollowUps(_ list: [FollowUp]) async throws {
        try await writer.write { db in
            for f in list {
                if f.status == .notCalled {
                    try db.execute(sql: "DELETE FROM follow_ups WHERE case_id = ? AND person_id = ?", arguments: [f.caseID, f.personID])
                } else {
                    try db.execute(sql: """
                        INSERT INTO follow_ups (case_id, person_id, status, result, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (case_id, person_id) DO UPDATE SET status = excluded.status, result = excluded.result,
                            updated_at = excluded.updated_at, updated_by = excluded.updated_by
                        """, arguments: [f.caseID, f.personID, f.status.rawValue, f.result?.rawValue, VisitSQL.seconds(f.updatedAt), f.updatedBy])
                }
            }
        }
    }

    public func followUps(caseID: Int64) async throws -> [Int64: FollowUp] {
        try await writer.read { db in
            var out: [Int64: FollowUp] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM follow_ups WHERE case_id = ?", arguments: [caseID]) {
                let person: Int64 = row["person_id"]
                out[person] = FollowUp(caseID: caseID, personID: person, status: FollowUp.Status(rawValue: row["status"]) ?? .notified,
                                       result: (row["result"] as String?).flatMap(FollowUp.TestResult.init(rawValue:)),
                                       updatedAt: VisitSQL.date(row["updated_at"]), updatedBy: row["updated_by"])
            }
            return out
        }
    }

    public func updateCase(_ c: CaseRecord) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE cases SET area_code = ?, sample_date = ?, onset_date = ?, confirmed_at = ?, confirmed_day = ?, isolated_at = ?,
                    detected_in = ?, window_from = ?, window_to = ?, classification = ? WHERE id = ?
                """, arguments: [c.areaCode, c.sampleDate, c.onsetDate, VisitSQL.seconds(c.confirmedAt), c.confirmedDay,
                                 c.isolatedAt.map(VisitSQL.seconds), c.detectedIn?.rawValue, VisitSQL.seconds(c.windowFrom),
                                 VisitSQL.seconds(c.windowTo), c.classification.rawValue, c.id])
        }
    }

    public func setClassification(caseID: Int64, _ classification: CaseRules.Classification, overridden: Bool) async throws -> CaseRecord? {
        try await writer.write { db in
            try db.execute(sql: "UPDATE cases SET classification = ?, classification_overridden = ? WHERE id = ?",
                           arguments: [classification.rawValue, overridden, caseID])
            return try Row.fetchOne(db, sql: "SELECT * FROM cases WHERE id = ?", arguments: [caseID]).map(Self.caseRecord)
        }
    }

    static func caseRecord(_ row: Row) -> CaseRecord {
        CaseRecord(id: row["id"], personID: row["person_id"], areaCode: row["area_code"], sampleDate: row["sample_date"],
                   onsetDate: row["onset_date"], confirmedAt: VisitSQL.date(row["confirmed_at"]),
                   isolatedAt: (row["isolated_at"] as Int64?).map(VisitSQL.date),
                   detectedIn: (row["detected_in"] as String?).flatMap(CaseRules.Classification.init(rawValue:)),
                   windowFrom: VisitSQL.date(row["window_from"]), windowTo: VisitSQL.date(row["window_to"]),
                   classification: CaseRules.Classification(rawValue: row["classification"]) ?? .community,
                   classificationOverridden: row["classification_overridden"], createdAt: VisitSQL.date(row["created_at"]),
                   createdBy: row["created_by"])
    }

    // MARK: Quarantines

    public func setQuarantine(_ q: Quarantine) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO quarantines (person_id, since, until, notified_at, case_id, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [q.personID, VisitSQL.seconds(q.since), q.until.map(VisitSQL.seconds), q.notifiedAt.map(VisitSQL.seconds),
                                 q.caseID, VisitSQL.seconds(q.updatedAt), q.updatedBy])
        }
    }

    public func quarantines(personIDs: [Int64]) async throws -> [Int64: Quarantine] {
        guard !personIDs.isEmpty else { return [:] }
        return try await writer.read { db in
            var out: [Int64: Quarantine] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM quarantines WHERE person_id IN (SELECT value FROM json_each(?))",
                                           arguments: [Self.jsonArray(personIDs)])
            while let row = try rows.next() {
                out[row["person_id"]] = Quarantine(
                    personID: row["person_id"], since: VisitSQL.date(row["since"]), until: (row["until"] as Int64?).map(VisitSQL.date),
                    notifiedAt: (row["notified_at"] as Int64?).map(VisitSQL.date), caseID: row["case_id"],
                    updatedAt: VisitSQL.date(row["updated_at"]), updatedBy: row["updated_by"])
            }
            return out
        }
    }

    // MARK: Published exposure windows

    public func publishWindows(_ windows: [PublishedWindow]) async throws -> [PublishedWindow] {
        try await writer.write { db in
            try windows.map { w in
                try db.execute(sql: """
                    INSERT INTO published_windows (case_id, venue_id, from_at, to_at, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [w.caseID, w.venueID, VisitSQL.seconds(w.from), VisitSQL.seconds(w.to), VisitSQL.seconds(w.publishedAt), w.publishedBy])
                var stored = w
                stored.id = db.lastInsertedRowID
                return stored
            }
        }
    }

    public func publishedWindows(caseID: Int64) async throws -> [PublishedWindow] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM published_windows WHERE case_id = ? ORDER BY from_at, id", arguments: [caseID]).map(Self.window)
        }
    }

    public func publishedWindows(venueID: Int64?, area: String?, since: Date) async throws -> [PublishedWindow] {
        var filter = ""
        var arguments: StatementArguments = [VisitSQL.seconds(since)]
        if let venueID {
            filter += " AND venue_id = ?"
            arguments += [venueID]
        }
        if let area {
            let column = StoreSQL.venueAreaColumn(area)
            filter += " AND venue_id IN (SELECT id FROM venues WHERE \(column) = ?)"
            arguments += [area]
        }
        let sql = "SELECT * FROM published_windows WHERE to_at > ? AND withdrawn_at IS NULL\(filter) ORDER BY from_at, id"
        let bound = arguments
        return try await writer.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.window) }
    }

    public func withdrawWindow(id: Int64, at: Date) async throws -> PublishedWindow? {
        try await writer.write { db in
            try db.execute(sql: "UPDATE published_windows SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL", arguments: [VisitSQL.seconds(at), id])
            return try Row.fetchOne(db, sql: "SELECT * FROM published_windows WHERE id = ?", arguments: [id]).map(Self.window)
        }
    }

    static func window(_ r: Row) -> PublishedWindow {
        PublishedWindow(id: r["id"], caseID: r["case_id"], venueID: r["venue_id"], from: VisitSQL.date(r["from_at"]), to: VisitSQL.date(r["to_at"]),
                        publishedAt: VisitSQL.date(r["published_at"]), publishedBy: r["published_by"],
                        withdrawnAt: (r["withdrawn_at"] as Int64?).map(VisitSQL.date))
    }

    // MARK: Audit

    public func appendAudit(_ e: AuditEntry) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO audit (at, token_id, role, label, action, case_id, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [VisitSQL.seconds(e.at), e.tokenID, e.role.rawValue, e.label, e.action, e.caseID, e.reason, e.detail])
            return db.lastInsertedRowID
        }
    }

    public func audit(_ f: AuditFilter) async throws -> [AuditEntry] {
        var conditions = ["at >= ?"]
        var arguments: [DatabaseValue] = [VisitSQL.seconds(f.since).databaseValue]
        if let id = f.caseID { conditions.append("case_id = ?"); arguments.append(id.databaseValue) }
        if let action = f.action {
            conditions.append("(action = ? OR action LIKE ? ESCAPE '\\')")
            arguments += [action.databaseValue, (StoreSQL.likeEscaped(action) + ".%").databaseValue]
        }
        if let who = f.who {
            conditions.append("label LIKE ? ESCAPE '\\'")
            arguments.append(("%" + StoreSQL.likeEscaped(who) + "%").databaseValue)
        }
        arguments.append(f.limit.databaseValue)
        let sql = "SELECT * FROM audit WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
        return try await writer.read { [arguments] db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            return rows.map { r in
                AuditEntry(id: r["id"], at: VisitSQL.date(r["at"]), tokenID: r["token_id"], role: Role(rawValue: r["role"]) ?? .admin,
                           label: r["label"], action: r["action"], caseID: r["case_id"], reason: r["reason"], detail: r["detail"])
            }
        }
    }
}
