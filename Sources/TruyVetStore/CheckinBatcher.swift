import Foundation
import GRDB
import Metrics
import Synchronization
import TruyVetCore

/// Group commit: check-ins that arrive while a transaction is being written wait and are written together in the
/// next one, so throughput does not hang on one fsync per request. A check-in is answered only after its
/// transaction has committed. Submitting takes a lock, not an actor hop; one dispatch queue drains the queue with
/// GRDB's synchronous writes, and calls each completion on that queue (callers hop to their own thread).
final class CheckinBatcher: Sendable {
    typealias Completion = @Sendable (Result<CheckinOutcome, any Error>) -> Void
    private struct State {
        var pending: [(CheckinRequest, Completion)] = []
        var draining = false
    }
    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "truyvet.checkins")
    static let maxBatch = 4096
    static let committed = Counter(label: "truyvet_checkins_committed_total")
    static let batchSize = Recorder(label: "truyvet_checkin_batch_size", aggregate: true)
    static let failed = Counter(label: "truyvet_store_errors_total", dimensions: [("operation", "checkin")])

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    func submit(_ request: CheckinRequest) async throws -> CheckinOutcome {
        try await withCheckedThrowingContinuation { continuation in
            submit(request) { continuation.resume(with: $0) }
        }
    }

    func submit(_ request: CheckinRequest, completion: @escaping Completion) {
        let start = state.withLock { s in
            s.pending.append((request, completion))
            defer { s.draining = true }
            return !s.draining
        }
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = state.withLock { s in
                let batch = Array(s.pending.prefix(Self.maxBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try writer.write { db in try batch.map { try VisitSQL.checkin($0.0, db) } }
                Self.batchSize.record(batch.count)
                Self.committed.increment(by: outcomes.count)
                for (item, outcome) in zip(batch, outcomes) { item.1(.success(outcome)) }
            } catch {
                Self.failed.increment()
                // Nothing of this transaction was committed, so nothing was acknowledged.
                for item in batch { item.1(.failure(error)) }
            }
        }
    }
}

/// The SQL of visits, shared by the batcher and the store.
enum VisitSQL {
    static func seconds(_ date: Date) -> Int64 { CheckinRules.seconds(date) }
    static func date(_ seconds: Int64) -> Date { CheckinRules.date(seconds) }

    static func nextCheckin(_ row: Row) -> Date? { (row["next_checkin"] as Int64?).map(date) }

    /// A row whose columns are `visitColumns`, `next_checkin`, `default_stay_minutes` and `category`, in that order
    /// (read by position: a trace reads tens of thousands of these).
    static func stay(_ row: Row) -> StayRow {
        let visit = Visit(id: row[0], venueID: row[1], personID: row[2], checkinAt: date(row[3]), checkoutAt: (row[4] as Int64?).map(date),
                          source: VisitSource(rawValue: row[5]) ?? .api)
        return StayRow(visit: visit, nextCheckin: (row[6] as Int64?).map(date), defaultStayMinutes: row[7],
                       category: VenueCategory(rawValue: row[8]) ?? .other)
    }

    static let visitColumns = "id, venue_id, person_id, checkin_at, checkout_at, source"

    /// The device checked in this person (for the device's own history): written once, touched at most weekly.
    static let deviceSeen = """
        INSERT INTO device_people (device_hash, person_id, seen_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (device_hash, person_id) DO UPDATE SET seen_at = excluded.seen_at
        WHERE excluded.seen_at > device_people.seen_at + \(DeviceHistory.touchSeconds)
        """

    static func checkin(_ r: CheckinRequest, _ db: Database) throws -> CheckinOutcome {
        let keyHash = CheckinRules.idempotencyKeyHash(r)
        if let keyHash,
           let visitID = try Int64.fetchOne(db, cachedSQL: "SELECT visit_id FROM idempotency WHERE key_hash = ?", arguments: [keyHash]),
           let visit = try visit(id: visitID, db) {
            return .replayed(visit)
        }
        let (personID, isNew) = try ensurePerson(r.person, db)
        let at = seconds(r.at)
        if !isNew, let device = r.device, let row = try Row.fetchOne(db, cachedSQL: """
            SELECT \(visitColumns) FROM visits WHERE person_id = ? AND checkin_at >= ? AND device_hash = ?
            ORDER BY checkin_at DESC, id DESC LIMIT 1
            """, arguments: [personID, CheckinRules.openVisitHorizon(r), device]) {
            let latest = visit(row)
            if CheckinRules.isSameOpenVisit(latest, r) {
                try remember(keyHash, latest.id, at, db)
                return .alreadyOpen(latest)
            }
        }
        try db.execute(cachedSQL: """
            INSERT INTO visits (venue_id, person_id, checkin_at, checkout_at, source, device_hash, name_enc, id_hash, id_enc)
            VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)
            """, arguments: [r.venueID, personID, at, r.source.rawValue, r.device, r.person.name, r.person.idHash, r.person.idNumber])
        let outcome = CheckinOutcome.created(Visit(id: db.lastInsertedRowID, venueID: r.venueID, personID: personID, checkinAt: date(at),
                                                   checkoutAt: nil, source: r.source))
        try remember(keyHash, outcome.visit.id, at, db)
        if let device = r.device {
            try db.execute(cachedSQL: deviceSeen, arguments: [device, personID, at])
        }
        return outcome
    }

    private static func remember(_ keyHash: Data?, _ visitID: Int64, _ at: Int64, _ db: Database) throws {
        guard let keyHash else { return }
        try db.execute(cachedSQL: "INSERT OR IGNORE INTO idempotency (key_hash, visit_id, created_at) VALUES (?, ?, ?)",
                       arguments: [keyHash, visitID, at])
    }

    /// The person with this phone (and whether they were just added). What is stored about an existing person is
    /// never changed: a name or ID number typed with someone's phone stays with that visit or card.
    static func ensurePerson(_ p: SealedPerson, _ db: Database) throws -> (id: Int64, isNew: Bool) {
        if let id = try Int64.fetchOne(db, cachedSQL: "SELECT id FROM people WHERE phone_hash = ?", arguments: [p.phoneHash]) {
            return (id, false)
        }
        try db.execute(cachedSQL: """
            INSERT INTO people (phone_hash, id_hash, name_hash, name_enc, phone_enc, id_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [p.phoneHash, p.idHash, p.nameHash, p.name, p.phone, p.idNumber, seconds(Date())])
        return (db.lastInsertedRowID, true)
    }

    static func visit(id: Int64, _ db: Database) throws -> Visit? {
        try Row.fetchOne(db, cachedSQL: "SELECT \(visitColumns) FROM visits WHERE id = ?", arguments: [id]).map(visit)
    }

    static func visit(_ row: Row) -> Visit {
        Visit(id: row["id"], venueID: row["venue_id"], personID: row["person_id"], checkinAt: date(row["checkin_at"]),
              checkoutAt: (row["checkout_at"] as Int64?).map(date), source: VisitSource(rawValue: row["source"]) ?? .api)
    }

    static func person(_ row: Row) -> SealedPerson {
        SealedPerson(phoneHash: row["phone_hash"], idHash: row["id_hash"], nameHash: row["name_hash"], name: row["name_enc"],
                     phone: row["phone_enc"], idNumber: row["id_enc"])
    }

    /// Visits with what was declared at each (name and ID number of the visit, the person's phone) and the next
    /// check-in that may end it. Never the person record's name or ID number: those may come from another venue.
    static let recordSelect = """
        SELECT v.id, v.venue_id, v.person_id, v.checkin_at, v.checkout_at, v.source,
               p.phone_hash, v.id_hash, v.name_enc, p.phone_enc, v.id_enc, \(StoreSQL.nextCheckin)
        FROM visits v JOIN people p ON p.id = v.person_id
        """

    static func record(_ row: Row) -> VisitRecord {
        VisitRecord(visit: visit(row), person: declared(row), nextCheckin: nextCheckin(row))
    }

    /// A declaration (visit, device or card) as a person: `phone_hash`, `phone_enc`, `name_enc`, `id_hash`, `id_enc`.
    /// (No name hash: nothing looks people up by name.)
    static func declared(_ row: Row) -> SealedPerson {
        SealedPerson(phoneHash: row["phone_hash"], idHash: row["id_hash"], nameHash: Data(), name: row["name_enc"],
                     phone: row["phone_enc"], idNumber: row["id_enc"])
    }
}

// Prepared once per connection, reused by every check-in.
extension Database {
    func execute(cachedSQL sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension Row {
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension Int64 {
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments) throws -> Int64? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }
}
