import Foundation
import PostgresNIO
import TruyVetCore

/// Visits, people, devices, cards and flags.
extension PostgresStore {
    static let visitColumns = "v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source"

    static func visit(_ row: PostgresRandomAccessRow) throws -> Visit {
        Visit(id: try row.get("id"), venueID: try row.get("venue_id"), personID: try row.get("person_id"),
              checkinAt: date(try row.get("checkin_at", Int64.self)), checkoutAt: date(try row.get("checkout_at", Int64?.self)),
              source: VisitSource(rawValue: try row.get("source")) ?? .api)
    }

    static func person(_ row: PostgresRandomAccessRow) throws -> SealedPerson {
        SealedPerson(phoneHash: try row.get("phone_hash"), idHash: try row.get("id_hash", Data?.self), nameHash: try row.get("name_hash"),
                     name: try row.get("name_enc"), phone: try row.get("phone_enc"), idNumber: try row.get("id_enc", Data?.self))
    }

    /// A declaration (visit, device or card) as a person (no name hash: nothing looks people up by name).
    static func declared(_ row: PostgresRandomAccessRow) throws -> SealedPerson {
        SealedPerson(phoneHash: try row.get("phone_hash"), idHash: try row.get("id_hash", Data?.self), nameHash: Data(),
                     name: try row.get("name_enc"), phone: try row.get("phone_enc"), idNumber: try row.get("id_enc", Data?.self))
    }

    static func stay(_ row: PostgresRandomAccessRow) throws -> StayRow {
        StayRow(visit: try visit(row), nextCheckin: date(try row.get("next_checkin", Int64?.self)),
                defaultStayMinutes: try row.get("default_stay_minutes"), category: VenueCategory(rawValue: try row.get("category")) ?? .other)
    }

    // MARK: Check-in

    /// One transaction per check-in on a pooled connection: PostgreSQL commits concurrent transactions with one WAL
    /// flush (its own group commit), and no process-local queue is needed, so several servers can write at once.
    public func checkin(_ r: CheckinRequest) async throws -> CheckinOutcome {
        try await batcher.submit(r)
    }

    /// A group of check-ins in one statement (`checkin_visits`, migration 6), their outcomes in the order given.
    static func checkins(_ requests: [CheckinRequest], _ db: PostgresDatabase) async throws -> [CheckinOutcome] {
        let days = Set(requests.map { PostgresDatabase.day(ofSeconds: seconds($0.at)) })
        try await db.ensurePartitions(days: days)
        let query = checkinsQuery(requests)
        // A key stored by another server at the same time, or a day another server dropped: the statement fails whole
        // (nothing was stored or acknowledged) and the second attempt answers with that server's visit.
        for attempt in 0..<3 {
            do {
                var out = [CheckinOutcome?](repeating: nil, count: requests.count)
                for row in try await db.rows(query, raw: true) {
                    let i = Int(try row.get("ord", Int64.self))
                    let visit = try Self.visit(row)
                    switch try row.get("outcome", String.self) {
                    case "replayed": out[i] = .replayed(visit)
                    case "open":
                        assert(CheckinRules.isSameOpenVisit(visit, requests[i]), "the database's open-visit rule differs from CheckinRules")
                        out[i] = .alreadyOpen(visit)
                    default: out[i] = .created(visit)
                    }
                }
                guard out.allSatisfy({ $0 != nil }) else { break }
                return out.map { $0! }
            } catch let error as PSQLError where ["23505", "40P01"].contains(error.sqlState) && attempt < 2 {
                continue
            } catch let error as PSQLError where error.sqlState == "23514" && attempt < 2 {
                // No partition for that day (another server dropped or has not made it): make it and try again.
                db.forgetPartitions()
                try await db.loadPartitions()
                try await db.ensurePartitions(days: days)
            } catch {
                throw PostgresDatabase.unavailable(error)
            }
        }
        throw AppError(.unavailable, code: "database_busy", message: "the check-in could not be stored; try again")
    }

    /// The group as one call of `checkin_visits`, with what the rules decide for each: the horizon, and how long an
    /// open visit at its venue lasts (the end of a visit with no checkout, measured from its check-in). An empty value
    /// stands for none (no hash or ciphertext is ever empty).
    static func checkinsQuery(_ requests: [CheckinRequest]) -> PostgresQuery {
        func bytes(_ d: Data?) -> ByteBuffer { ByteBuffer(bytes: d ?? Data()) }
        var binds = PostgresBindings(capacity: 15)
        binds.append(requests.indices.map(Int64.init))
        binds.append(requests.map { bytes(CheckinRules.idempotencyKeyHash($0)) })
        binds.append(requests.map { bytes($0.person.phoneHash) })
        binds.append(requests.map { bytes($0.person.idHash) })
        binds.append(requests.map { bytes($0.person.nameHash) })
        binds.append(requests.map { bytes($0.person.name) })
        binds.append(requests.map { bytes($0.person.phone) })
        binds.append(requests.map { bytes($0.person.idNumber) })
        binds.append(seconds(Date()))
        binds.append(requests.map(\.venueID))
        binds.append(requests.map { seconds($0.at) })
        binds.append(requests.map { Int64($0.source.rawValue) })
        binds.append(requests.map { bytes($0.device) })
        binds.append(requests.map(CheckinRules.openVisitHorizon))
        binds.append(requests.map { r in
            Int64(Stay.effectiveEnd(checkin: Date(timeIntervalSince1970: 0), checkout: nil, defaultStayMinutes: r.defaultStayMinutes,
                                    nextCheckin: nil).timeIntervalSince1970)
        })
        return PostgresQuery(unsafeSQL: "SELECT * FROM checkin_visits(\((1...15).map { "$\($0)" }.joined(separator: ", ")))", binds: binds)
    }

    /// The person with this phone (and whether this transaction added them), locked until the transaction ends
    /// (`ensure_person`, migration 5): the same person's check-ins on two servers take turns, and retention cannot
    /// delete a person a check-in is about to give a visit. What is stored about an existing person is never changed.
    static func ensurePerson(_ p: SealedPerson, _ c: PostgresDatabase.Connection) async throws -> (id: Int64, isNew: Bool) {
        let row = try await c.rows("""
            SELECT id, is_new FROM ensure_person(\(p.phoneHash), \(p.idHash), \(p.nameHash), \(p.name), \(p.phone), \(p.idNumber), \(seconds(Date())))
            """)[0]
        return (try row.get("id"), try row.get("is_new"))
    }

    public func ensurePerson(_ person: SealedPerson) async throws -> Int64 {
        try await db.transaction { c in try await Self.ensurePerson(person, c).id }
    }

    // MARK: Visits

    public func checkout(visitID: Int64, at: Date) async throws -> Visit? {
        try await db.execute("""
            UPDATE visits SET checkout_at = GREATEST(\(Self.seconds(at)), checkin_at) WHERE id = \(visitID) AND checkout_at IS NULL
            """)
        return try await visit(id: visitID)
    }

    public func visit(id: Int64) async throws -> Visit? {
        try await db.rows("SELECT \(unescaped: Self.visitColumns) FROM visits v WHERE v.id = \(id)").first.map(Self.visit)
    }

    /// Visits with what was declared at each and the next check-in that may end it.
    static let recordSelect = """
        SELECT v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source,
               p.phone_hash, v.id_hash, v.name_enc, p.phone_enc, v.id_enc, \(StoreSQL.nextCheckin)
        FROM visits v JOIN people p ON p.id = v.person_id
        """

    static func record(_ row: PostgresRandomAccessRow) throws -> VisitRecord {
        VisitRecord(visit: try visit(row), person: try declared(row), nextCheckin: date(try row.get("next_checkin", Int64?.self)))
    }

    public func visits(venueID: Int64, from: Date, to: Date, limit: Int) async throws -> [VisitRecord] {
        try await db.rows("""
            \(unescaped: Self.recordSelect) WHERE v.venue_id = \(venueID) AND v.checkin_at >= \(Self.seconds(from)) AND v.checkin_at < \(Self.seconds(to))
            ORDER BY v.checkin_at, v.id LIMIT \(limit)
            """).map(Self.record)
    }

    public func uncheckedOutVisits(venueID: Int64, since: Date) async throws -> [VisitRecord] {
        try await db.rows("""
            \(unescaped: Self.recordSelect) WHERE v.venue_id = \(venueID) AND v.checkin_at >= \(Self.seconds(since)) AND v.checkout_at IS NULL
            ORDER BY v.checkin_at, v.id
            """).map(Self.record)
    }

    public func checkoutAll(visitIDs: [Int64], at: Date) async throws -> Int {
        guard !visitIDs.isEmpty else { return 0 }
        return try await db.rows("""
            UPDATE visits SET checkout_at = GREATEST(\(Self.seconds(at)), checkin_at) WHERE id = ANY(\(visitIDs)) AND checkout_at IS NULL RETURNING 1
            """).count
    }

    /// A paper log or passenger list in one transaction, whatever its size: its rows streamed in with `COPY`, then the
    /// people added and the visits inserted by two statements, as the row-by-row rule would: the first row of a phone
    /// decides what a new person's record holds, ids are given in the file's order, and a visit already stored (same venue, person and second, also
    /// earlier in the same file) is a duplicate.
    public func importVisits(_ rows: [ImportedVisit]) async throws -> (inserted: [Int], duplicates: [Int]) {
        guard !rows.isEmpty else { return ([], []) }
        try await db.ensurePartitions(days: Set(rows.map { PostgresDatabase.day(ofSeconds: Self.seconds($0.checkinAt)) }))
        let text = Self.copyText(rows)
        let now = Self.seconds(Date())
        let lines: [(Int, Bool)] = try await db.transaction { c in
            try await c.execute("""
                CREATE TEMPORARY TABLE import_rows (line bigint, venue_id bigint, checkin_at bigint, checkout_at bigint, source bigint,
                    phone_hash bytea, id_hash bytea, name_hash bytea, name_enc bytea, phone_enc bytea, id_enc bytea) ON COMMIT DROP
                """)
            try await c.copy(into: "import_rows", text)
            // Each new phone is added with its key first (in the order of the file), then the person; everyone's
            // row is then held until commit, as a check-in holds its person: retention cannot delete them meanwhile.
            // One retention deleted between the two is added again.
            let phones: Int = try await c.rows("SELECT COUNT(DISTINCT phone_hash)::bigint AS n FROM import_rows")[0].get("n")
            var held = 0
            for _ in 0..<8 where held < phones {
                try await c.execute("""
                    WITH first AS (SELECT DISTINCT ON (phone_hash) * FROM import_rows ORDER BY phone_hash, line),
                    added AS (
                        INSERT INTO phone_index (phone_hash, person_id)
                        SELECT phone_hash, nextval('people_id_seq') FROM (SELECT phone_hash FROM first ORDER BY line) AS f
                        ON CONFLICT DO NOTHING RETURNING phone_hash, person_id)
                    INSERT INTO people (id, phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at)
                    SELECT a.person_id, f.phone_hash, f.id_hash, f.name_hash, f.name_enc, f.phone_enc, f.id_enc, \(now)
                    FROM added a JOIN first f ON f.phone_hash = a.phone_hash ORDER BY a.person_id
                    """)
                held = try await c.rows("""
                    SELECT p.id FROM people p WHERE p.id IN (
                        SELECT person_id FROM phone_index WHERE phone_hash IN (SELECT phone_hash FROM import_rows))
                    ORDER BY p.id FOR NO KEY UPDATE
                    """).count
            }
            guard held == phones else {
                throw AppError(.unavailable, code: "database_unavailable", message: "the people of this file kept changing under retention; send it again")
            }
            return try await c.rows("""
                WITH r AS MATERIALIZED (
                    SELECT i.*, p.person_id,
                           row_number() OVER (PARTITION BY i.venue_id, i.checkin_at, p.person_id ORDER BY i.line) AS n
                    FROM import_rows i JOIN phone_index p ON p.phone_hash = i.phone_hash),
                fresh AS MATERIALIZED (
                    SELECT * FROM r WHERE n = 1 AND NOT EXISTS (
                        SELECT 1 FROM visits v WHERE v.venue_id = r.venue_id AND v.checkin_at = r.checkin_at AND v.person_id = r.person_id)),
                stored AS (
                    INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, name_enc, id_hash, id_enc)
                    SELECT venue_id, person_id, checkin_at, checkout_at, source, name_enc, id_hash, id_enc FROM fresh ORDER BY line)
                SELECT r.line, (f.line IS NOT NULL) AS inserted FROM r LEFT JOIN fresh f ON f.line = r.line ORDER BY r.line
                """).map { (Int(try $0.get("line", Int64.self)), try $0.get("inserted", Bool.self)) }
        }
        let byLine = Dictionary(lines, uniquingKeysWith: { a, _ in a })
        let ordered = rows.map(\.line)
        return (ordered.filter { byLine[$0] == true }, ordered.filter { byLine[$0] == false })
    }

    /// The rows in `COPY … FROM STDIN` text format (tab-separated; bytes as `\\x` and hex; `\N` for none).
    static func copyText(_ rows: [ImportedVisit]) -> String {
        func bytes(_ d: Data?) -> String {
            guard let d else { return "\\N" }
            return "\\\\x" + d.map { String(format: "%02x", $0) }.joined()
        }
        var out = ""
        for r in rows {
            let fields = [String(r.line), String(r.venueID), String(seconds(r.checkinAt)), r.checkoutAt.map { String(seconds($0)) } ?? "\\N",
                          String(r.source.rawValue), bytes(r.person.phoneHash), bytes(r.person.idHash), bytes(r.person.nameHash),
                          bytes(r.person.name), bytes(r.person.phone), bytes(r.person.idNumber)]
            out += fields.joined(separator: "\t") + "\n"
        }
        return out
    }

    public func personID(phoneHash: Data) async throws -> Int64? {
        try await db.rows("SELECT person_id FROM phone_index WHERE phone_hash = \(phoneHash)").first?.get("person_id")
    }

    public func person(id: Int64) async throws -> SealedPerson? {
        try await db.rows("SELECT * FROM people WHERE id = \(id)").first.map(Self.person)
    }

    public func linkDevice(_ deviceHash: Data, personID: Int64, declared: SealedPerson) async throws {
        try await db.execute("""
            INSERT INTO devices (device_hash, person_id, updated_at, name_enc, id_hash, id_enc)
            VALUES (\(deviceHash), \(personID), \(Self.seconds(Date())), \(declared.name), \(declared.idHash), \(declared.idNumber))
            ON CONFLICT (device_hash) DO UPDATE SET person_id = excluded.person_id, updated_at = excluded.updated_at,
                name_enc = excluded.name_enc, id_hash = excluded.id_hash, id_enc = excluded.id_enc
            """)
    }

    public func device(hash: Data) async throws -> (personID: Int64, declared: SealedPerson)? {
        guard let row = try await db.rows("""
            SELECT d.person_id, p.phone_hash, p.phone_enc, d.name_enc, d.id_hash, d.id_enc
            FROM devices d JOIN people p ON p.id = d.person_id WHERE d.device_hash = \(hash) AND d.name_enc IS NOT NULL
            """).first else { return nil }
        return (try row.get("person_id"), try Self.declared(row))
    }

    public func visitCount() async throws -> Int {
        try await db.rows("SELECT COUNT(*)::bigint AS n FROM visits")[0].get("n")
    }

    public func latestVisit(personID: Int64, device: Data) async throws -> Visit? {
        try await db.rows("""
            SELECT \(unescaped: Self.visitColumns) FROM visits v WHERE v.person_id = \(personID) AND v.device_hash = \(device)
            ORDER BY v.checkin_at DESC, v.id DESC LIMIT 1
            """).first.map(Self.visit)
    }

    public func deviceVisits(deviceHash: Data, since: Date, limit: Int) async throws -> [Visit] {
        try await db.rows("""
            SELECT \(unescaped: Self.visitColumns) FROM device_people d
            JOIN visits v ON v.person_id = d.person_id AND v.checkin_at >= \(Self.seconds(since)) AND v.device_hash = d.device_hash
            WHERE d.device_hash = \(deviceHash) ORDER BY v.checkin_at DESC, v.id DESC LIMIT \(limit)
            """).map(Self.visit)
    }

    public func forgetDevice(_ deviceHash: Data) async throws -> Int {
        try await db.transaction { c in
            let unlinked = try await c.rows("""
                UPDATE visits SET device_hash = NULL
                WHERE person_id IN (SELECT person_id FROM device_people WHERE device_hash = \(deviceHash)) AND device_hash = \(deviceHash)
                RETURNING 1
                """).count
            try await c.execute("DELETE FROM device_people WHERE device_hash = \(deviceHash)")
            try await c.execute("DELETE FROM devices WHERE device_hash = \(deviceHash)")
            return unlinked
        }
    }

    // MARK: Flags

    public func addFlag(_ flag: Flag) async throws {
        try await db.execute("""
            INSERT INTO flags (venue_id, at, kind, detail) VALUES (\(flag.venueID), \(Self.seconds(flag.at)), \(flag.kind.rawValue), \(flag.detail))
            """)
    }

    public func flags(venueID: Int64?, since: Date, limit: Int) async throws -> [Flag] {
        let rows = if let venueID {
            try await db.rows("SELECT * FROM flags WHERE venue_id = \(venueID) AND at >= \(Self.seconds(since)) ORDER BY at DESC, id DESC LIMIT \(limit)")
        } else {
            try await db.rows("SELECT * FROM flags WHERE at >= \(Self.seconds(since)) ORDER BY at DESC, id DESC LIMIT \(limit)")
        }
        return try rows.map {
            Flag(venueID: try $0.get("venue_id"), at: Self.date(try $0.get("at", Int64.self)),
                 kind: Flag.Kind(rawValue: try $0.get("kind")) ?? .checkinBurst, detail: try $0.get("detail"))
        }
    }

    // MARK: Personal cards

    public func addCard(codeHash: Data, person: SealedPerson, at: Date) async throws -> Int64 {
        try await db.transaction { c in
            let id = try await Self.ensurePerson(person, c).id
            try await c.execute("""
                INSERT INTO cards (code_hash, person_id, name_enc, id_hash, id_enc, created_at, used_at)
                VALUES (\(codeHash), \(id), \(person.name), \(person.idHash), \(person.idNumber), \(Self.seconds(at)), \(Self.seconds(at)))
                """)
            return id
        }
    }

    public func useCard(codeHash: Data, at: Date) async throws -> (personID: Int64, declared: SealedPerson)? {
        guard let row = try await db.rows("""
            WITH used AS (UPDATE cards SET used_at = \(Self.seconds(at)) WHERE code_hash = \(codeHash) RETURNING person_id, name_enc, id_hash, id_enc)
            SELECT u.person_id, p.phone_hash, p.phone_enc, u.name_enc, u.id_hash, u.id_enc FROM used u JOIN people p ON p.id = u.person_id
            """).first else { return nil }
        return (try row.get("person_id"), try Self.declared(row))
    }

    // MARK: Tracing reads

    /// Every range in one statement (one snapshot): `$1` the venue or person ids, `$2` and `$3` the check-in bounds; a
    /// bounded index range scan per range (of the primary key by venue, of `visits_person_time` by person).
    /// Each range's visits as its own bounded scan (a lateral join kept apart by `OFFSET 0`: flattened, the planner
    /// seeks by venue alone and reads the venue's visits of every day), and the next check-in sought only in the days
    /// the ranges can reach ($4, $5); `$6` the ranges' starts, by which visits that had ended are left out
    /// (`StoreSQL.mayLastPast`) before their next check-in is sought.
    public static func staysSQL(byVenue: Bool) -> String {
        """
        SELECT r.ord, v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source,
               \(StoreSQL.nextCheckin(alsoWithin: ("$4", "$5"))), ve.default_stay_minutes, ve.category
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $6::bigint[]) WITH ORDINALITY AS r(key, from_at, to_at, present_from, ord)
        CROSS JOIN LATERAL (
            SELECT * FROM visits x WHERE x.\(byVenue ? "venue_id" : "person_id") = r.key AND x.checkin_at >= r.from_at AND x.checkin_at < r.to_at
              AND \(StoreSQL.mayLastPast("x", "r.present_from"))
            OFFSET 0) v
        JOIN venues ve ON ve.id = v.venue_id
        ORDER BY r.ord, v.checkin_at, v.id
        """
    }

    public func stays(byVenue: Bool, ranges: [StayRange]) async throws -> [[StayRow]] {
        guard !ranges.isEmpty else { return [] }
        var binds = PostgresBindings()
        binds.append(ranges.map(\.id))
        binds.append(ranges.map { Self.seconds($0.from.addingTimeInterval(-Stay.maximum)) })
        binds.append(ranges.map { Self.seconds($0.to) })
        // Every visit read starts in [min from - the longest stay, max to); its next check-in is within the longest
        // stay after that.
        binds.append(Self.seconds(ranges.map(\.from).min()!) - Int64(Stay.maximum))
        binds.append(Self.seconds(ranges.map(\.to).max()!) + Int64(Stay.maximum))
        binds.append(ranges.map { Self.seconds($0.from) })
        let rows = try await reads.rows(PostgresQuery(unsafeSQL: Self.staysSQL(byVenue: byVenue), binds: binds))
        var out = [[StayRow]](repeating: [], count: ranges.count)
        for row in rows { out[Int(try row.get("ord", Int64.self)) - 1].append(try Self.stay(row)) }
        return out
    }

    public func personIDs(idHash: Data) async throws -> [Int64] {
        try await db.rows("""
            SELECT id FROM people WHERE id_hash = \(idHash) UNION SELECT person_id FROM visits WHERE id_hash = \(idHash)
            UNION SELECT person_id FROM cards WHERE id_hash = \(idHash) ORDER BY 1
            """).map { try $0.get("id") }
    }

    public func people(ids: [Int64]) async throws -> [Int64: SealedPerson] {
        guard !ids.isEmpty else { return [:] }
        var out: [Int64: SealedPerson] = [:]
        for row in try await reads.rows("SELECT * FROM people WHERE id = ANY(\(ids))") { out[try row.get("id")] = try Self.person(row) }
        return out
    }

    public func declaredNames(personIDs: [Int64]) async throws -> [Int64: [Data]] {
        guard !personIDs.isEmpty else { return [:] }
        var out: [Int64: [Data]] = [:]
        for row in try await reads.rows("""
            SELECT person_id, name_enc, checkin_at AS at, 0 AS kind, id FROM visits WHERE person_id = ANY(\(personIDs))
            UNION ALL SELECT person_id, name_enc, created_at AS at, 1 AS kind, 0 AS id FROM cards WHERE person_id = ANY(\(personIDs))
            ORDER BY person_id, at, kind, id
            """) {
            out[try row.get("person_id"), default: []].append(try row.get("name_enc"))
        }
        return out
    }
}
