import Foundation
import PostgresNIO
import TruyVetCore

/// Cases, quarantines, follow-ups, published windows, the audit log, the level calculator's inputs and retention.
extension PostgresStore {
    // MARK: Cases

    public func insertCase(_ c: CaseRecord) async throws -> Int64 {
        try await db.rows("""
            INSERT INTO cases (person_id, area_code, sample_date, onset_date, confirmed_at, confirmed_day, confirmed_day_number, isolated_at,
                detected_in, window_from, window_to, classification, classification_overridden, created_at, created_by)
            VALUES (\(c.personID), \(c.areaCode), \(c.sampleDate), \(c.onsetDate), \(Self.seconds(c.confirmedAt)), \(c.confirmedDay),
                \(try Self.dayNumber(c.confirmedDay)), \(c.isolatedAt.map(Self.seconds)), \(c.detectedIn?.rawValue), \(Self.seconds(c.windowFrom)),
                \(Self.seconds(c.windowTo)), \(c.classification.rawValue), \(c.classificationOverridden), \(Self.seconds(c.createdAt)), \(c.createdBy))
            RETURNING id
            """)[0].get("id")
    }

    static func dayNumber(_ day: String) throws -> Int64 {
        guard let d = Day(day) else { throw AppError.invalid("confirmedAt", "no such day: \(day)") }
        return Int64(d.number)
    }

    public func caseRecord(id: Int64) async throws -> CaseRecord? {
        try await db.rows("SELECT * FROM cases WHERE id = \(id)").first.map(Self.caseRecord)
    }

    public func cases(personID: Int64) async throws -> [CaseRecord] {
        try await db.rows("SELECT * FROM cases WHERE person_id = \(personID) ORDER BY confirmed_at, id").map(Self.caseRecord)
    }

    public func cases(_ f: CaseFilter) async throws -> [CaseRecord] {
        var binds = PostgresBindings()
        func bind<T: PostgresEncodable>(_ value: T) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
        var conditions: [String] = []
        if let area = f.areaCode { conditions.append("area_code = \(try bind(area))") }
        if let c = f.classification { conditions.append("classification = \(try bind(c.rawValue))") }
        if f.personIDs != nil || f.caseID != nil {
            var either: [String] = []
            if let ids = f.personIDs, !ids.isEmpty { either.append("person_id = ANY(\(try bind(ids)))") }
            if let id = f.caseID { either.append("id = \(try bind(id))") }
            conditions.append(either.isEmpty ? "false" : "(" + either.joined(separator: " OR ") + ")")
        }
        if let before = f.before {
            conditions.append("(confirmed_at, id) < (\(try bind(Self.seconds(before.confirmedAt))), \(try bind(before.id)))")
        }
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM cases \(condition) ORDER BY confirmed_at DESC, id DESC LIMIT \(try bind(Int64(f.limit)))"
        return try await db.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.caseRecord)
    }

    public func updateCase(_ c: CaseRecord) async throws {
        try await db.execute("""
            UPDATE cases SET area_code = \(c.areaCode), sample_date = \(c.sampleDate), onset_date = \(c.onsetDate),
                confirmed_at = \(Self.seconds(c.confirmedAt)), confirmed_day = \(c.confirmedDay), confirmed_day_number = \(try Self.dayNumber(c.confirmedDay)),
                isolated_at = \(c.isolatedAt.map(Self.seconds)), detected_in = \(c.detectedIn?.rawValue), window_from = \(Self.seconds(c.windowFrom)),
                window_to = \(Self.seconds(c.windowTo)), classification = \(c.classification.rawValue)
            WHERE id = \(c.id)
            """)
    }

    public func setClassification(caseID: Int64, _ classification: CaseRules.Classification, overridden: Bool) async throws -> CaseRecord? {
        try await db.rows("""
            UPDATE cases SET classification = \(classification.rawValue), classification_overridden = \(overridden) WHERE id = \(caseID) RETURNING *
            """).first.map(Self.caseRecord)
    }

    static func caseRecord(_ row: PostgresRandomAccessRow) throws -> CaseRecord {
        CaseRecord(id: try row.get("id"), personID: try row.get("person_id"), areaCode: try row.get("area_code"), sampleDate: try row.get("sample_date"),
                   onsetDate: try row.get("onset_date", String?.self), confirmedAt: date(try row.get("confirmed_at", Int64.self)),
                   isolatedAt: date(try row.get("isolated_at", Int64?.self)),
                   detectedIn: try row.get("detected_in", String?.self).flatMap(CaseRules.Classification.init(rawValue:)),
                   windowFrom: date(try row.get("window_from", Int64.self)), windowTo: date(try row.get("window_to", Int64.self)),
                   classification: CaseRules.Classification(rawValue: try row.get("classification")) ?? .community,
                   classificationOverridden: try row.get("classification_overridden"), createdAt: date(try row.get("created_at", Int64.self)),
                   createdBy: try row.get("created_by"))
    }

    // MARK: Follow-ups and quarantines

    public func setFollowUps(_ list: [FollowUp]) async throws {
        try await db.transaction { c in
            for f in list {
                if f.status == .notCalled {
                    try await c.execute("DELETE FROM follow_ups WHERE case_id = \(f.caseID) AND person_id = \(f.personID)")
                } else {
                    try await c.execute("""
                        INSERT INTO follow_ups (case_id, person_id, status, result, updated_at, updated_by)
                        VALUES (\(f.caseID), \(f.personID), \(f.status.rawValue), \(f.result?.rawValue), \(Self.seconds(f.updatedAt)), \(f.updatedBy))
                        ON CONFLICT (case_id, person_id) DO UPDATE SET status = excluded.status, result = excluded.result,
                            updated_at = excluded.updated_at, updated_by = excluded.updated_by
                        """)
                }
            }
        }
    }

    public func followUps(caseID: Int64) async throws -> [Int64: FollowUp] {
        var out: [Int64: FollowUp] = [:]
        for row in try await db.rows("SELECT * FROM follow_ups WHERE case_id = \(caseID)") {
            let person: Int64 = try row.get("person_id")
            out[person] = FollowUp(caseID: caseID, personID: person, status: FollowUp.Status(rawValue: try row.get("status")) ?? .notified,
                                   result: try row.get("result", String?.self).flatMap(FollowUp.TestResult.init(rawValue:)),
                                   updatedAt: Self.date(try row.get("updated_at", Int64.self)), updatedBy: try row.get("updated_by"))
        }
        return out
    }

    public func setQuarantine(_ q: Quarantine) async throws {
        try await db.execute("""
            INSERT INTO quarantines (person_id, since, until, notified_at, case_id, updated_at, updated_by)
            VALUES (\(q.personID), \(Self.seconds(q.since)), \(q.until.map(Self.seconds)), \(q.notifiedAt.map(Self.seconds)), \(q.caseID),
                    \(Self.seconds(q.updatedAt)), \(q.updatedBy))
            ON CONFLICT (person_id) DO UPDATE SET since = excluded.since, until = excluded.until, notified_at = excluded.notified_at,
                case_id = excluded.case_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """)
    }

    public func quarantines(personIDs: [Int64]) async throws -> [Int64: Quarantine] {
        guard !personIDs.isEmpty else { return [:] }
        var out: [Int64: Quarantine] = [:]
        for row in try await db.rows("SELECT * FROM quarantines WHERE person_id = ANY(\(personIDs))") {
            let person: Int64 = try row.get("person_id")
            out[person] = Quarantine(personID: person, since: Self.date(try row.get("since", Int64.self)), until: Self.date(try row.get("until", Int64?.self)),
                                     notifiedAt: Self.date(try row.get("notified_at", Int64?.self)), caseID: try row.get("case_id", Int64?.self),
                                     updatedAt: Self.date(try row.get("updated_at", Int64.self)), updatedBy: try row.get("updated_by"))
        }
        return out
    }

    // MARK: Published exposure windows

    public func publishWindows(_ windows: [PublishedWindow]) async throws -> [PublishedWindow] {
        try await db.transaction { c in
            var out: [PublishedWindow] = []
            for w in windows {
                var stored = w
                stored.id = try await c.rows("""
                    INSERT INTO published_windows (case_id, venue_id, from_at, to_at, published_at, published_by)
                    VALUES (\(w.caseID), \(w.venueID), \(Self.seconds(w.from)), \(Self.seconds(w.to)), \(Self.seconds(w.publishedAt)), \(w.publishedBy))
                    RETURNING id
                    """)[0].get("id")
                out.append(stored)
            }
            return out
        }
    }

    public func publishedWindows(caseID: Int64) async throws -> [PublishedWindow] {
        try await db.rows("SELECT * FROM published_windows WHERE case_id = \(caseID) ORDER BY from_at, id").map(Self.window)
    }

    public func publishedWindows(venueID: Int64?, area: String?, since: Date) async throws -> [PublishedWindow] {
        try await db.rows("""
            SELECT * FROM published_windows WHERE to_at > \(Self.seconds(since)) AND withdrawn_at IS NULL
              AND (\(venueID)::bigint IS NULL OR venue_id = \(venueID))
              AND (\(area)::text IS NULL OR venue_id IN (SELECT id FROM venues WHERE \(unescaped: StoreSQL.venueAreaColumn(area ?? "")) = \(area)))
            ORDER BY from_at, id
            """).map(Self.window)
    }

    public func withdrawWindow(id: Int64, at: Date) async throws -> PublishedWindow? {
        try await db.execute("UPDATE published_windows SET withdrawn_at = \(Self.seconds(at)) WHERE id = \(id) AND withdrawn_at IS NULL")
        return try await db.rows("SELECT * FROM published_windows WHERE id = \(id)").first.map(Self.window)
    }

    static func window(_ r: PostgresRandomAccessRow) throws -> PublishedWindow {
        PublishedWindow(id: try r.get("id"), caseID: try r.get("case_id"), venueID: try r.get("venue_id"),
                        from: date(try r.get("from_at", Int64.self)), to: date(try r.get("to_at", Int64.self)),
                        publishedAt: date(try r.get("published_at", Int64.self)), publishedBy: try r.get("published_by"),
                        withdrawnAt: date(try r.get("withdrawn_at", Int64?.self)))
    }

    // MARK: Audit

    public func appendAudit(_ e: AuditEntry) async throws -> Int64 {
        try await db.rows("""
            INSERT INTO audit (at, token_id, role, label, action, case_id, reason, detail)
            VALUES (\(Self.seconds(e.at)), \(e.tokenID), \(e.role.rawValue), \(e.label), \(e.action), \(e.caseID), \(e.reason), \(e.detail))
            RETURNING id
            """)[0].get("id")
    }

    public func audit(_ f: AuditFilter) async throws -> [AuditEntry] {
        let action = f.action.map { StoreSQL.likeEscaped($0) + ".%" }
        let who = f.who.map { "%" + StoreSQL.likeEscaped($0) + "%" }
        return try await db.rows("""
            SELECT * FROM audit WHERE at >= \(Self.seconds(f.since))
              AND (\(f.caseID)::bigint IS NULL OR case_id = \(f.caseID))
              AND (\(f.action)::text IS NULL OR action = \(f.action) OR action LIKE \(action) ESCAPE '\\')
              AND (\(who)::text IS NULL OR label ILIKE \(who) ESCAPE '\\')
            ORDER BY id DESC LIMIT \(f.limit)
            """).map { r in
            AuditEntry(id: try r.get("id"), at: Self.date(try r.get("at", Int64.self)), tokenID: try r.get("token_id", Int64?.self),
                       role: Role(rawValue: try r.get("role")) ?? .admin, label: try r.get("label"), action: try r.get("action"),
                       caseID: try r.get("case_id", Int64?.self), reason: try r.get("reason"), detail: try r.get("detail"))
        }
    }

    // MARK: Epidemic levels

    public func adoption(area: String, from: Date, to: Date) async throws -> [String: AdoptionCounts] {
        let column = StoreSQL.venueAreaColumn(area)
        var out: [String: AdoptionCounts] = [:]
        for row in try await reads.rows("""
            SELECT area_code, category, COUNT(*)::bigint AS n FROM venues WHERE \(unescaped: column) = \(area) GROUP BY area_code, category
            """) {
            guard let category = VenueCategory(rawValue: try row.get("category")) else { continue }
            out[try row.get("area_code", String.self), default: AdoptionCounts()].venuesByCategory[category] = try row.get("n", Int.self)
        }
        for row in try await reads.rows("""
            SELECT ve.area_code, COUNT(vi.id)::bigint AS checkins, COUNT(vi.checkout_at)::bigint AS out, COUNT(DISTINCT vi.venue_id)::bigint AS active
            FROM venues ve JOIN visits vi ON vi.venue_id = ve.id AND vi.checkin_at >= \(Self.seconds(from)) AND vi.checkin_at < \(Self.seconds(to))
            WHERE ve.\(unescaped: column) = \(area) GROUP BY ve.area_code
            """) {
            let code: String = try row.get("area_code")
            var counts = out[code, default: AdoptionCounts()]
            counts.checkins = try row.get("checkins")
            counts.checkedOut = try row.get("out")
            counts.activeVenues = try row.get("active")
            out[code] = counts
        }
        return out
    }

    public func setPopulation(code: String, population: Int) async throws {
        try await db.execute("UPDATE areas SET population = \(population) WHERE code = \(code)")
    }

    public func communityCases(weeksEnding: Day, weeks: Int, codes: [String]?) async throws -> [String: [Int]] {
        let end = Int64(weeksEnding.number)
        let columns = (0..<weeks).map { w in
            "SUM(CASE WHEN day > \(end - Int64(7 * (w + 1))) AND day <= \(end - Int64(7 * w)) THEN n ELSE 0 END)::bigint AS w\(w)"
        }.joined(separator: ", ")
        // Traced cases are counted from the cases themselves, reported ones from the health offices' figures.
        let rows = try await reads.rows("""
            WITH counts AS (
                SELECT area_code, confirmed_day_number AS day, COUNT(*)::bigint AS n FROM cases
                WHERE classification = 'community' AND confirmed_day_number > \(end - Int64(7 * weeks)) AND confirmed_day_number <= \(end)
                  AND (\(codes)::text[] IS NULL OR area_code = ANY(\(codes)))
                GROUP BY 1, 2
                UNION ALL
                SELECT area_code, day, reported FROM community_cases
                WHERE day > \(end - Int64(7 * weeks)) AND day <= \(end) AND (\(codes)::text[] IS NULL OR area_code = ANY(\(codes))))
            SELECT area_code, \(unescaped: columns) FROM counts GROUP BY area_code
            """)
        var out: [String: [Int]] = [:]
        for row in rows {
            out[try row.get("area_code")] = try (0..<weeks).map { try row.get("w\($0)", Int.self) }
        }
        return out
    }

    public func setReportedCases(code: String, day: Day, count: Int) async throws {
        try await db.execute("""
            INSERT INTO community_cases (area_code, day, reported) VALUES (\(code), \(Int64(day.number)), \(count))
            ON CONFLICT (day, area_code) DO UPDATE SET reported = excluded.reported
            """)
    }

    public func setWeekFigures(code: String, day: Day, _ f: WeekFigures, by: String, at: Date) async throws {
        try await db.execute("""
            INSERT INTO area_weeks (code, day, adult_first_dose, older_fully_vaccinated, capacity_met, updated_at, updated_by)
            VALUES (\(code), \(day.description), \(f.adultFirstDose), \(f.olderFullyVaccinated), \(f.capacityMet), \(Self.seconds(at)), \(by))
            ON CONFLICT (day, code) DO UPDATE SET
                adult_first_dose = COALESCE(excluded.adult_first_dose, area_weeks.adult_first_dose),
                older_fully_vaccinated = COALESCE(excluded.older_fully_vaccinated, area_weeks.older_fully_vaccinated),
                capacity_met = COALESCE(excluded.capacity_met, area_weeks.capacity_met),
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """)
    }

    public func weekFigures(days: ClosedRange<Day>) async throws -> [String: [Day: WeekFigures]] {
        var out: [String: [Day: WeekFigures]] = [:]
        for row in try await reads.rows("""
            SELECT * FROM area_weeks WHERE day >= \(days.lowerBound.description) AND day <= \(days.upperBound.description)
            """) {
            guard let day = Day(try row.get("day", String.self)) else { continue }
            out[try row.get("code"), default: [:]][day] = WeekFigures(
                adultFirstDose: try row.get("adult_first_dose", Double?.self), olderFullyVaccinated: try row.get("older_fully_vaccinated", Double?.self),
                capacityMet: try row.get("capacity_met", Bool?.self))
        }
        return out
    }

    public func addAnnouncement(_ a: Announcement) async throws -> Int64 {
        try await db.rows("""
            INSERT INTO announcements (code, day, level, announced_at, effective_from, announced_by)
            VALUES (\(a.code), \(a.date.description), \(a.level), \(Self.seconds(a.announcedAt)), \(Self.seconds(a.effectiveFrom)), \(a.announcedBy))
            RETURNING id
            """)[0].get("id")
    }

    public func announcements(codes: [String]) async throws -> [String: [Announcement]] {
        guard !codes.isEmpty else { return [:] }
        var out: [String: [Announcement]] = [:]
        for row in try await db.rows("SELECT * FROM announcements WHERE code = ANY(\(codes)) ORDER BY announced_at, id") {
            guard let day = Day(try row.get("day", String.self)) else { continue }
            let code: String = try row.get("code")
            out[code, default: []].append(Announcement(
                id: try row.get("id"), code: code, date: day, level: try row.get("level"), announcedAt: Self.date(try row.get("announced_at", Int64.self)),
                effectiveFrom: Self.date(try row.get("effective_from", Int64.self)), announcedBy: try row.get("announced_by")))
        }
        return out
    }

    // MARK: Retention

    /// Drops every day partition whose visits all ended before `cutoff` (no stay is longer than `Stay.maximum`) — a
    /// file removed, not rows deleted — then deletes the remaining ended visits row by row, up to `limit`.
    ///
    /// A day leaves the visits table by `DETACH PARTITION … CONCURRENTLY`, which never holds the lock every check-in
    /// needs (a plain `DROP` of a partition takes the whole table's lock, and check-ins would wait behind it). The
    /// detached table is then read for its visitors and dropped; the visitors left with nothing are deleted a batch
    /// at a time. A day detached but not yet dropped (a crash, another server's purge) is finished by the next purge.
    public func purgeVisits(endedBefore cutoff: Date, limit: Int) async throws -> (visits: Int, people: Int) {
        let cut = Self.seconds(cutoff)
        func droppable(_ day: Int64) -> Bool { (day + 1) * 86_400 + Int64(Stay.maximum) <= cut }
        try await db.loadPartitions()
        try await db.makePartitionsAhead()
        for day in db.partitions.withLock({ $0 }).filter(droppable).sorted() {
            try await db.detach(PostgresDatabase.partitionName(day))
            _ = db.partitions.withLock { $0.remove(day) }
        }
        var visits = 0, people = 0
        for day in try await db.detachedDays().filter(droppable) {
            guard let (count, holders) = try await db.dropDetached(PostgresDatabase.partitionName(day)) else { continue }
            visits += count
            for start in stride(from: 0, to: holders.count, by: Self.peopleBatch) {
                let batch = Array(holders[start..<min(holders.count, start + Self.peopleBatch)])
                people += try await db.transaction { c in try await Self.deleteIfLeftWithNothing(batch, c) }
            }
        }
        let (rows, left) = try await db.transaction { c in
            let holders: [Int64] = try await c.rows("""
                DELETE FROM visits WHERE (venue_id, checkin_at, id) IN (
                    SELECT venue_id, checkin_at, id FROM visits WHERE checkin_at < \(cut)
                    AND LEAST(COALESCE(checkout_at, checkin_at + \(Int64(Stay.maximum))), checkin_at + \(Int64(Stay.maximum))) < \(cut)
                    LIMIT \(limit))
                RETURNING person_id
                """).map { try $0.get("person_id") }
            return (holders.count, try await Self.deleteIfLeftWithNothing(holders, c))
        }
        return (visits + rows, people + left)
    }

    /// How many people one transaction of retention checks and deletes.
    static let peopleBatch = 10_000

    /// Deletes the listed people who have no visit, card, case or quarantine left, with their phone's key, devices and
    /// follow-ups.
    /// A person a check-in holds (locked) is skipped: that check-in is giving them a visit.
    static func deleteIfLeftWithNothing(_ ids: [Int64], _ c: PostgresDatabase.Connection) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let unique = Array(Set(ids))
        return try await c.rows("""
            WITH gone AS (
                DELETE FROM people p WHERE p.id IN (SELECT id FROM people WHERE id = ANY(\(unique)) FOR UPDATE SKIP LOCKED)
                  AND NOT EXISTS (SELECT 1 FROM visits WHERE person_id = p.id) AND NOT EXISTS (SELECT 1 FROM cards WHERE person_id = p.id)
                  AND NOT EXISTS (SELECT 1 FROM cases WHERE person_id = p.id) AND NOT EXISTS (SELECT 1 FROM quarantines WHERE person_id = p.id)
                RETURNING p.id, p.phone_hash),
            keys_gone AS (DELETE FROM phone_index WHERE (phone_hash, person_id) IN (SELECT phone_hash, id FROM gone)),
            devices_gone AS (DELETE FROM devices WHERE person_id IN (SELECT id FROM gone)),
            follow_ups_gone AS (DELETE FROM follow_ups WHERE person_id IN (SELECT id FROM gone))
            SELECT COUNT(*)::bigint AS n FROM gone
            """)[0].get("n")
    }

    public func purgeRecords(keysBefore: Date, devicesBefore: Date, flagsBefore: Date) async throws -> (records: Int, people: Int) {
        try await db.transaction { c in
            var n = try await c.rows("DELETE FROM idempotency WHERE created_at < \(Self.seconds(keysBefore)) RETURNING 1").count
            n += try await c.rows("DELETE FROM devices WHERE updated_at < \(Self.seconds(devicesBefore)) RETURNING 1").count
            n += try await c.rows("""
                DELETE FROM device_people WHERE seen_at < \(Self.seconds(devicesBefore) - DeviceHistory.touchSeconds) RETURNING 1
                """).count
            let holders: [Int64] = try await c.rows("DELETE FROM cards WHERE used_at < \(Self.seconds(devicesBefore)) RETURNING person_id").map { try $0.get("person_id") }
            n += holders.count
            n += try await c.rows("DELETE FROM flags WHERE at < \(Self.seconds(flagsBefore)) RETURNING 1").count
            return (n, try await Self.deleteIfLeftWithNothing(holders, c))
        }
    }

    /// Dropped partitions are gone from the files at once. The space of rows deleted one by one is reclaimed by
    /// autovacuum (PostgreSQL does not zero it, but what it held was sealed: ciphertext and keyed hashes only); a vacuum
    /// here would read the whole visits table, which at national scale is hours of I/O.
    public func eraseFreedSpace() async throws {}
}
