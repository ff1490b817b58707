import Foundation
import TruyVetCore

/// Check-in, check-out, venue logs and imports.
extension TruyVet {
    /// Client-supplied check-in times must be this close to the server's clock.
    public static let clockSkew: TimeInterval = 5 * 60

    public func seal(_ p: PersonInput) -> SealedPerson {
        // Someone recorded by ID number alone (no phone) is keyed by it, apart from every phone.
        SealedPerson(phoneHash: p.hasPhone ? cipher.lookupHash("phone", p.phone) : cipher.lookupHash("id-only person", p.idNumber ?? ""), idHash: p.idNumber.map { cipher.lookupHash("id", $0) },
                     nameHash: cipher.lookupHash("name", p.name), name: cipher.seal(p.name), phone: cipher.seal(p.phone),
                     idNumber: p.idNumber.map(cipher.seal))
    }

    public struct OpenedPerson: Sendable, Equatable {
        public let name: String
        public let phone: String
        public let idNumber: String?
    }

    public func open(_ p: SealedPerson) throws -> OpenedPerson {
        OpenedPerson(name: try cipher.open(p.name), phone: try cipher.open(p.phone), idNumber: try p.idNumber.map(cipher.open))
    }

    /// What staff compare with a visitor's receipt: a word and a colour per venue and local day, unforgeable.
    public struct DayCode: Sendable, Encodable, Equatable {
        public let day: String
        public let word: String
        public let color: String
        public let colorName: String
    }

    static let dayWords = ["SEN", "MAI", "ĐÀO", "LÚA", "TRE", "CAU", "SÔNG", "NÚI", "BIỂN", "MÂY", "GIÓ", "NẮNG", "TRĂNG",
                           "SAO", "CHIM", "CÁ", "HOA", "LÁ", "ĐÁ", "MƯA", "CỌ", "SÚNG", "CÚC", "LAN", "QUẾ", "CHÈ"]
    static let dayColors = [("Đỏ", "#c62828"), ("Xanh lá", "#2e7d32"), ("Xanh dương", "#1565c0"), ("Vàng", "#f9a825"),
                            ("Tím", "#6a1b9a"), ("Cam", "#ef6c00"), ("Hồng", "#ad1457"), ("Nâu", "#5d4037")]

    public func dayCode(venueID: Int64, at date: Date) -> DayCode {
        let day = Instant.day(date)
        let mac = cipher.mac("day code \(venueID) \(day)")
        let word = Self.dayWords[Int(mac[0]) % Self.dayWords.count]
        let color = Self.dayColors[Int(mac[1]) % Self.dayColors.count]
        return DayCode(day: day, word: word, color: color.1, colorName: color.0)
    }

    public struct Receipt: Sendable {
        public let visit: Visit
        /// The visit's public reference (`PersonalDataCipher.visitRef`): ids are never shown.
        public let ref: String
        public let venue: Venue
        public let checkoutSecret: String
        public let outcome: CheckinOutcome
        public let dayCode: DayCode
    }

    /// The one check-in every way in runs (the JSON API, the visitor's form, card scans, the staff desk): the request
    /// validated (`at`, client time, within ±5 minutes of `now`), written durably in the store's next group commit,
    /// the receipt, and the venue's burst detector. `device`: the keyed hash of the device or card that sent it (see
    /// `CheckinRequest.device`).
    public func checkin(venue: Venue, person: SealedPerson, at: Date? = nil, now: Date = Date(), source: VisitSource,
                        idempotencyKey: String? = nil, device: Data?) async throws -> Receipt {
        let request = try checkinRequest(venue: venue, sealed: person, at: at, now: now, source: source,
                                         idempotencyKey: idempotencyKey, device: device)
        let made = receipt(try await store.checkin(request), venue: venue)
        if let flag = burstFlag(made) { try? await store.addFlag(flag) }
        return made
    }

    public func checkin(venue: Venue, person: PersonInput, at: Date? = nil, now: Date = Date(), source: VisitSource,
                        idempotencyKey: String? = nil, device: Data? = nil) async throws -> Receipt {
        try await checkin(venue: venue, person: seal(person), at: at, now: now, source: source, idempotencyKey: idempotencyKey, device: device)
    }

    /// The checked and sealed request for the store: every rule of a check-in that needs no stored data.
    public func checkinRequest(venue: Venue, person: PersonInput, at: Date?, now: Date, source: VisitSource,
                               idempotencyKey: String?, device: Data? = nil) throws(AppError) -> CheckinRequest {
        try checkinRequest(venue: venue, sealed: seal(person), at: at, now: now, source: source, idempotencyKey: idempotencyKey, device: device)
    }

    public func checkinRequest(venue: Venue, sealed person: SealedPerson, at: Date?, now: Date, source: VisitSource,
                               idempotencyKey: String?, device: Data?) throws(AppError) -> CheckinRequest {
        if let at, abs(at.timeIntervalSince(now)) > Self.clockSkew {
            throw AppError.invalid("at", "at must be within 5 minutes of the server's time (\(Instant.format(now))); send no 'at' to use the server's time")
        }
        if let key = idempotencyKey, key.isEmpty || key.count > 100 {
            throw AppError.invalid("idempotencyKey", "idempotencyKey must be 1–100 characters")
        }
        return CheckinRequest(venueID: venue.id, defaultStayMinutes: venue.defaultStayMinutes, person: person, at: at ?? now,
                              source: source, idempotencyKey: idempotencyKey, device: device)
    }

    public func receipt(_ outcome: CheckinOutcome, venue: Venue) -> Receipt {
        Receipt(visit: outcome.visit, ref: cipher.visitRef(outcome.visit.id), venue: venue, checkoutSecret: cipher.secret("checkout", outcome.visit.id),
                outcome: outcome, dayCode: dayCode(venueID: venue.id, at: outcome.visit.checkinAt))
    }

    /// One answer for an unknown visit, a wrong secret and a visit of another venue: nothing tells them apart.
    static func unknownVisit(_ ref: String) -> AppError { AppError.notFound("visit \(ref)") }

    /// The visit behind a public reference, with its secret or as a principal that manages its venue; else `unknownVisit`.
    public func visit(ref: String, secret: String?, principal: Principal?) async throws -> Visit {
        guard let id = cipher.visitID(ref: ref), let visit = try await store.visit(id: id) else { throw Self.unknownVisit(ref) }
        if let secret {
            guard cipher.verifySecret(secret, "checkout", id) else { throw Self.unknownVisit(ref) }
        } else if let principal {
            guard principal.mayManage(venue: visit.venueID) else { throw Self.unknownVisit(ref) }
        } else {
            throw AppError.missing("checkoutSecret")
        }
        return visit
    }

    /// The receipt of a visit, for its holder (the secret).
    /// The open visit this device made at this venue, if its holder is still inside (for "check out?" first when the
    /// poster is scanned on the way out). Only the device's own visit: nothing about anyone else.
    public func openVisit(device: Data, personID: Int64, venue: Venue, now: Date = Date()) async throws -> Receipt? {
        guard let visit = try await store.latestVisit(personID: personID, device: device), visit.venueID == venue.id, visit.checkoutAt == nil,
              visit.checkinAt <= now,
              now < Stay.effectiveEnd(checkin: visit.checkinAt, checkout: nil, defaultStayMinutes: venue.defaultStayMinutes, nextCheckin: nil) else {
            return nil
        }
        return receipt(.alreadyOpen(visit), venue: venue)
    }

    public func receipt(ref: String, secret: String) async throws -> Receipt {
        let visit = try await visit(ref: ref, secret: secret, principal: nil)
        return receipt(.alreadyOpen(visit), venue: try await venue(visit.venueID))
    }

    /// Checks out with the visit's check-out secret, or as a principal that manages the visit's venue.
    public func checkout(visitRef ref: String, secret: String?, principal: Principal?, now: Date = Date()) async throws -> Receipt {
        let visit = try await visit(ref: ref, secret: secret, principal: principal)
        guard let updated = try await store.checkout(visitID: visit.id, at: now) else { throw Self.unknownVisit(ref) }
        return receipt(.alreadyOpen(updated), venue: try await venue(visit.venueID))
    }

    // MARK: Venue tools

    public struct LogEntry: Sendable {
        public let visit: Visit
        public let ref: String
        /// What was declared at this visit (never what the same phone declared elsewhere).
        public let person: OpenedPerson
        public let effectiveEnd: Date
    }

    public func log(_ records: [VisitRecord], venue: Venue) throws -> [LogEntry] {
        try records.map { r in
            LogEntry(visit: r.visit, ref: cipher.visitRef(r.visit.id), person: try open(r.person),
                     effectiveEnd: Stay.effectiveEnd(checkin: r.visit.checkinAt, checkout: r.visit.checkoutAt,
                                                     defaultStayMinutes: venue.defaultStayMinutes, nextCheckin: r.nextCheckin))
        }
    }

    public static let maxLogRows = 100_000

    public func visitLog(venue: Venue, from: Date, to: Date) async throws -> [LogEntry] {
        guard from < to else { throw AppError.invalid("from", "from must be before to") }
        return try log(try await store.visits(venueID: venue.id, from: from, to: to, limit: Self.maxLogRows), venue: venue)
    }

    /// Who is inside now: visits without check-out whose effective end has not come.
    public func present(venue: Venue, now: Date = Date()) async throws -> [LogEntry] {
        let candidates = try await store.uncheckedOutVisits(venueID: venue.id, since: now.addingTimeInterval(-Stay.maximum))
        return try log(candidates, venue: venue).filter { $0.visit.checkinAt <= now && now < $0.effectiveEnd }
    }

    /// Closing time: checks out everyone still inside; returns how many.
    public func checkoutEveryone(venue: Venue, now: Date = Date()) async throws -> Int {
        let inside = try await present(venue: venue, now: now)
        return try await store.checkoutAll(visitIDs: inside.map(\.visit.id), at: now)
    }

    /// The one CSV rendering of a venue log (formula-safe cells).
    public static func csv(_ entries: [LogEntry]) -> String {
        // ISO 8601 instants for programs, and the same times as a spreadsheet in Vietnam reads them (dd/mm/yyyy HH:mm).
        CSV.render(header: ["visit_id", "name", "phone", "id_number", "checkin_at", "checkout_at", "effective_end", "source",
                            "checkin_local", "checkout_local"],
                   rows: entries.map { e in
                       [e.ref, e.person.name, e.person.phone, e.person.idNumber ?? "", Instant.format(e.visit.checkinAt),
                        e.visit.checkoutAt.map(Instant.format) ?? "", Instant.format(e.effectiveEnd), e.visit.source.name,
                        Instant.spreadsheet(e.visit.checkinAt), e.visit.checkoutAt.map(Instant.spreadsheet) ?? ""]
                   })
    }

    // MARK: Imports

    public struct VisitImportReport: Sendable, Encodable {
        public var accepted: Int = 0
        public var duplicates: Int = 0
        public var rejected: [ImportReport.Rejection] = []
        /// Phones whose leading 0 a spreadsheet dropped, put back.
        public var repaired: [CSV.Repair] = []
    }

    public static let visitColumns = ["venue_id", "phone", "name", "id_number", "checkin_at", "checkout_at"]

    /// How far back a venue's own token may import (its paper log of the last two weeks).
    public static let venueImportDays = 14

    /// Imports a paper log or passenger list. Good rows are kept whatever happens to bad ones; a row already
    /// stored (same venue, person and check-in time) is counted as a duplicate, never stored twice.
    /// Tracers' and admins' rows are trusted records (they may end a person's earlier open visit); a venue token
    /// imports only into its own venue, only times since its registration and within the last 14 days, never in the
    /// future, and its rows never end anyone's other visits. Nothing older than the retention is stored.
    public func importVisits(csv text: String, principal: Principal, now: Date = Date(),
                             progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> VisitImportReport {
        guard principal.role == .admin || principal.role == .tracer || principal.role == .venue else {
            throw AppError.forbidden("imports need an admin, tracer or venue token")
        }
        let source: VisitSource = principal.role == .venue ? .venueImport : .importFile
        let retention = try await retentionDays()
        let horizon = retention > 0 ? now.addingTimeInterval(-Double(retention) * 86400) : Date.distantPast
        var report = VisitImportReport()
        let rows: [CSV.Row]
        do { rows = try CSV.parse(text) } catch {
            report.rejected.append(.init(line: error.line, field: nil, reason: error.message))
            return report
        }
        guard let header = rows.first else { throw AppError.invalid("body", "the CSV is empty; expected the header \(Self.visitColumns.joined(separator: ","))") }
        guard header.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) == Self.visitColumns else {
            throw AppError.invalid("body", "expected the header \(Self.visitColumns.joined(separator: ","))")
        }
        var venues: [Int64: Venue?] = [:]
        var batch: [ImportedVisit] = []
        let total = rows.count - 1
        var done = 0
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let (inserted, duplicates) = try await store.importVisits(batch)
            report.accepted += inserted.count
            report.duplicates += duplicates.count
            done += batch.count
            batch.removeAll(keepingCapacity: true)
            progress?(done, total)
        }
        for row in rows.dropFirst() {
            do {
                let f = row.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                guard f.count == Self.visitColumns.count else { throw AppError.invalid("row", "expected \(Self.visitColumns.count) fields, found \(f.count)") }
                guard let venueID = Int64(f[0]), venueID > 0 else { throw AppError.invalid("venue_id", "venue_id must be a venue's id") }
                if venues[venueID] == nil { venues[venueID] = .some(try await self.venues.venue(id: venueID)) }
                guard let venue = venues[venueID]! else { throw AppError.invalid("venue_id", "venue \(venueID) does not exist") }
                guard principal.role != .venue || principal.venueID == venueID else {
                    throw AppError.invalid("venue_id", "a venue token may import only into its own venue")
                }
                var phone = f[1]
                let repaired = SpreadsheetCell.phone(phone)
                if let repaired { phone = repaired }
                let person = try PersonInput(name: f[2], phone: phone, idNumber: f[3].isEmpty ? nil : f[3])
                let checkin = try SpreadsheetCell.instant(f[4], field: "checkin_at")
                let latest = source == .venueImport ? now : now.addingTimeInterval(Self.clockSkew)
                guard checkin <= latest else { throw AppError.invalid("checkin_at", "checkin_at is in the future") }
                guard checkin >= horizon else {
                    throw AppError.invalid("checkin_at", "checkin_at is older than the \(retention)-day retention; such visits are not kept")
                }
                if source == .venueImport {
                    guard checkin >= now.addingTimeInterval(-Double(Self.venueImportDays) * 86400) else {
                        throw AppError.invalid("checkin_at", "a venue may import only its last \(Self.venueImportDays) days; ask a tracer for older records")
                    }
                    guard checkin >= venue.createdAt else {
                        throw AppError.invalid("checkin_at", "checkin_at is before the venue was registered (\(Instant.format(venue.createdAt)))")
                    }
                }
                var checkout: Date?
                if !f[5].isEmpty {
                    let c = try SpreadsheetCell.instant(f[5], field: "checkout_at")
                    guard c >= checkin else { throw AppError.invalid("checkout_at", "checkout_at is before checkin_at") }
                    guard c.timeIntervalSince(checkin) <= Stay.maximum else { throw AppError.invalid("checkout_at", "checkout_at is more than 24 hours after checkin_at") }
                    guard c <= latest else { throw AppError.invalid("checkout_at", "checkout_at is in the future") }
                    checkout = c
                }
                batch.append(ImportedVisit(line: row.line, venueID: venue.id, person: seal(person), checkinAt: checkin, checkoutAt: checkout,
                                           source: source))
                if let repaired { report.repaired.append(.init(line: row.line, field: "phone", from: f[1], to: repaired)) }
                if batch.count >= 5000 { try await flush() }
            } catch let error as AppError {
                report.rejected.append(.init(line: row.line, field: error.field, reason: error.message))
                done += 1
            }
        }
        try await flush()
        return report
    }
}
