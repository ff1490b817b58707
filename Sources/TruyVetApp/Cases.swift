import Foundation
import TruyVetCore

/// Cases (F0), their contacts, exposure sites, quarantines and the audit log.
extension TruyVet {
    // MARK: People references

    /// `p{id}.{mac}`: how tracing answers name a person. It cannot be guessed or forged, and reveals nothing by itself.
    public func personRef(_ id: Int64) -> String { "p\(id).\(cipher.secret("person", id, length: 10))" }

    /// The person of a reference from a tracing answer, or of a phone number.
    public func resolvePerson(_ ref: String) async throws -> Int64 {
        if ref.hasPrefix("p"), let dot = ref.firstIndex(of: "."),
           let id = Int64(ref[ref.index(after: ref.startIndex)..<dot]),
           cipher.verifySecret(String(ref[ref.index(after: dot)...]), "person", id, length: 10) {
            return id
        }
        if let phone = try? Phone.normalize(ref), let id = try await store.personID(phoneHash: cipher.lookupHash("phone", phone)) {
            return id
        }
        throw AppError.notFound("person \(ref)")
    }

    // MARK: Cases

    /// What a tracer sends to register a confirmed case.
    public struct CaseInput: Decodable, Sendable {
        public var phone: String?
        public var idNumber: String?
        public var name: String?
        public var areaCode: String?
        public var sampleDate: String?
        public var onsetDate: String?
        public var confirmedAt: String?
        public var isolatedAt: String?
        public var detectedIn: String?
        public var classification: String?
        public init(phone: String? = nil, idNumber: String? = nil, name: String? = nil, areaCode: String? = nil, sampleDate: String? = nil,
                    onsetDate: String? = nil, confirmedAt: String? = nil, isolatedAt: String? = nil, detectedIn: String? = nil,
                    classification: String? = nil) {
            self.phone = phone
            self.idNumber = idNumber
            self.name = name
            self.areaCode = areaCode
            self.sampleDate = sampleDate
            self.onsetDate = onsetDate
            self.confirmedAt = confirmedAt
            self.isolatedAt = isolatedAt
            self.detectedIn = detectedIn
            self.classification = classification
        }
    }

    /// Registers a confirmed case: finds (or records) the person, derives the infectious window and the classification.
    public func registerCase(_ input: CaseInput, by principal: Principal, now: Date = Date()) async throws -> CaseRecord {
        try principal.require(.tracer, .health)
        guard input.phone != nil || input.idNumber != nil else {
            throw AppError(.badRequest, code: "missing_field", message: "phone or idNumber is required", field: "phone")
        }
        let phone = try input.phone.map { raw throws(AppError) in try Phone.normalize(raw, field: "phone") }
        let idNumber = try PersonInput.idNumber(input.idNumber)
        let name = try input.name.map { raw throws(AppError) in try PersonInput.name(raw) }
        let facts = try await caseFacts(input, now: now)
        let override = try CaseRules.parse(input.classification, field: "classification")
        let (commune, sampleDate, confirmedAt, isolatedAt, detectedIn, window) =
            (facts.commune, facts.sampleDate, facts.confirmedAt, facts.isolatedAt, facts.detectedIn, facts.window)

        var personID: Int64?
        if let phone { personID = try await store.personID(phoneHash: cipher.lookupHash("phone", phone)) }
        if personID == nil, let idNumber {
            // Anyone can type anyone's ID number: with more than one phone behind it, the tracer must say which.
            let candidates = try await store.personIDs(idHash: cipher.lookupHash("id", idNumber))
            guard candidates.count <= 1 else {
                throw AppError(.conflict, code: "ambiguous_id_number",
                               message: "this idNumber was declared with \(candidates.count) different phones; give the case's phone as well", field: "phone")
            }
            personID = candidates.first
        }
        if personID == nil {
            guard let phone else {
                throw AppError.invalid("idNumber", "nobody with this idNumber has checked in; give the case's phone as well")
            }
            // Someone who never checked in: recorded so that the case counts and later visits link to it.
            personID = try await store.ensurePerson(SealedPerson(
                phoneHash: cipher.lookupHash("phone", phone), idHash: idNumber.map { cipher.lookupHash("id", $0) },
                nameHash: cipher.lookupHash("name", name ?? ""), name: cipher.seal(name ?? ""), phone: cipher.seal(phone),
                idNumber: idNumber.map(cipher.seal)))
        }
        let person = personID!
        if let existing = try await store.cases(personID: person).first(where: { $0.sampleDate == sampleDate }) {
            throw AppError(.conflict, code: "duplicate_case", message: "this person is already case \(existing.id) with sample date \(sampleDate)",
                           field: "sampleDate")
        }
        let quarantine = try await store.quarantines(personIDs: [person])[person]
        let classification = CaseRules.classify(override: override, quarantinedSince: quarantine?.since, quarantineEnds: quarantine?.until,
                                                detectedIn: detectedIn, confirmedAt: confirmedAt)
        var record = CaseRecord(id: 0, personID: person, areaCode: commune.code, sampleDate: sampleDate, onsetDate: input.onsetDate,
                                confirmedAt: confirmedAt, isolatedAt: isolatedAt, detectedIn: detectedIn, windowFrom: window.from,
                                windowTo: window.to, classification: classification, classificationOverridden: override != nil,
                                createdAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)), createdBy: principal.label)
        record.id = try await store.insertCase(record)
        try await audit(principal, action: "case.create", caseID: record.id, reason: "registered a confirmed case", now: now,
                        detail: "classification=\(classification.rawValue)")
        return record
    }

    /// A case's facts, checked: where it lives, the dates, and the infectious window they give.
    struct CaseFacts {
        let commune: Area
        let sampleDate: String, onsetDate: String?
        let confirmedAt: Date, isolatedAt: Date?
        let detectedIn: CaseRules.Classification?
        let window: (from: Date, to: Date)
    }

    /// The one check of a case's facts, for registering a case and for editing one.
    func caseFacts(_ input: CaseInput, now: Date) async throws -> CaseFacts {
        guard let areaCode = input.areaCode else { throw AppError.missing("areaCode") }
        guard let commune = try await areaPath(areaCode).first, commune.level == .commune else {
            throw AppError.invalid("areaCode", "areaCode \(areaCode) is not a known commune (the case's commune of residence)")
        }
        guard let sampleDate = input.sampleDate else { throw AppError.missing("sampleDate") }
        let sampleDay = try CaseRules.localMidnight(sampleDate, field: "sampleDate")
        if let onset = input.onsetDate { _ = try CaseRules.localMidnight(onset, field: "onsetDate") }
        guard let confirmedRaw = input.confirmedAt else { throw AppError.missing("confirmedAt") }
        let confirmedAt = try Instant.parse(confirmedRaw, field: "confirmedAt")
        guard confirmedAt <= now.addingTimeInterval(Self.clockSkew) else { throw AppError.invalid("confirmedAt", "confirmedAt is in the future") }
        guard sampleDay <= confirmedAt else { throw AppError.invalid("sampleDate", "sampleDate is after confirmedAt") }
        let isolatedAt = try input.isolatedAt.map { raw throws(AppError) in try Instant.parse(raw, field: "isolatedAt") }
        let detectedIn = try CaseRules.parse(input.detectedIn, field: "detectedIn")
        let window = try CaseRules.infectiousWindow(sampleDate: sampleDate, onsetDate: input.onsetDate, confirmedAt: confirmedAt,
                                                    isolatedAt: isolatedAt, settings: config.caseRules)
        return CaseFacts(commune: commune, sampleDate: sampleDate, onsetDate: input.onsetDate, confirmedAt: confirmedAt,
                         isolatedAt: isolatedAt, detectedIn: detectedIn, window: window)
    }

    /// Corrects a case's facts (who it is stays): a field given replaces the stored one, an empty `onsetDate`,
    /// `isolatedAt` or `detectedIn` clears it. The window is derived again, and so is the classification unless a
    /// tracer set it. Tracers and health officers; audited with the reason.
    public func editCase(caseID: Int64, _ edit: CaseInput, reason: String?, by principal: Principal, now: Date = Date()) async throws -> CaseRecord {
        try principal.require(.tracer, .health)
        let why = try Text.clean(reason, field: "reason", max: 500, required: false) ?? "corrected the case's facts"
        let record = try await caseRecord(caseID)
        func merged(_ given: String?, _ stored: String?) -> String? { given.map { $0.isEmpty ? nil : $0 } ?? stored }
        let input = CaseInput(areaCode: edit.areaCode ?? record.areaCode, sampleDate: edit.sampleDate ?? record.sampleDate,
                              onsetDate: merged(edit.onsetDate, record.onsetDate),
                              confirmedAt: edit.confirmedAt ?? Instant.format(record.confirmedAt),
                              isolatedAt: merged(edit.isolatedAt, record.isolatedAt.map(Instant.format)),
                              detectedIn: merged(edit.detectedIn, record.detectedIn?.rawValue))
        let facts = try await caseFacts(input, now: now)
        if let other = try await store.cases(personID: record.personID).first(where: { $0.id != caseID && $0.sampleDate == facts.sampleDate }) {
            throw AppError(.conflict, code: "duplicate_case", message: "this person is already case \(other.id) with sample date \(facts.sampleDate)",
                           field: "sampleDate")
        }
        var updated = record
        updated.areaCode = facts.commune.code
        updated.sampleDate = facts.sampleDate
        updated.onsetDate = facts.onsetDate
        updated.confirmedAt = facts.confirmedAt
        updated.isolatedAt = facts.isolatedAt
        updated.detectedIn = facts.detectedIn
        updated.windowFrom = facts.window.from
        updated.windowTo = facts.window.to
        if !record.classificationOverridden {
            let q = try await store.quarantines(personIDs: [record.personID])[record.personID]
            updated.classification = CaseRules.classify(override: nil, quarantinedSince: q?.since, quarantineEnds: q?.until,
                                                        detectedIn: facts.detectedIn, confirmedAt: facts.confirmedAt)
        }
        try await store.updateCase(updated)
        try await audit(principal, action: "case.edit", caseID: caseID, reason: why, now: now,
                        detail: "window=\(Instant.format(updated.windowFrom))/\(Instant.format(updated.windowTo)) classification=\(updated.classification.rawValue)")
        return updated
    }

    public func caseRecord(_ id: Int64) async throws -> CaseRecord {
        guard let record = try await store.caseRecord(id: id) else { throw AppError.notFound("case \(id)") }
        return record
    }

    /// A tracer's classification of a case; `nil` returns to the derived one.
    /// `reason`: why (kept in the audit log, and shown beside an override on the case page).
    public func classify(caseID: Int64, as classification: CaseRules.Classification?, by principal: Principal, reason: String? = nil,
                         now: Date = Date()) async throws -> CaseRecord {
        try principal.require(.tracer, .health)
        let why = try Text.clean(reason, field: "reason", max: 500, required: false) ?? "classification"
        let record = try await caseRecord(caseID)
        let value: CaseRules.Classification
        if let classification {
            value = classification
        } else {
            let q = try await store.quarantines(personIDs: [record.personID])[record.personID]
            value = CaseRules.classify(override: nil, quarantinedSince: q?.since, quarantineEnds: q?.until, detectedIn: record.detectedIn,
                                       confirmedAt: record.confirmedAt)
        }
        guard let updated = try await store.setClassification(caseID: caseID, value, overridden: classification != nil) else {
            throw AppError.notFound("case \(caseID)")
        }
        try await audit(principal, action: "case.classify", caseID: caseID, reason: why, now: now, detail: "classification=\(value.rawValue)")
        return updated
    }

    // MARK: Contacts

    public struct ContactQuery: Sendable {
        public var degree: Int
        /// nil: the configured default and per-category minimums; a value applies at every venue.
        public var minOverlapMinutes: Double?
        public var bufferMinutes: Double?
        public init(degree: Int = 1, minOverlapMinutes: Double? = nil, bufferMinutes: Double? = nil) {
            self.degree = degree
            self.minOverlapMinutes = minOverlapMinutes
            self.bufferMinutes = bufferMinutes
        }
    }

    /// Everything a contacts answer, its CSV or the graph shows.
    public struct Tracing: Sendable {
        public let record: CaseRecord
        public let degree: Int
        public let rules: Overlap.Rules
        /// The case's own presences, clipped to the infectious window.
        public let casePresences: [Presence]
        public let contacts: [Contact]
        /// The case and every contact, decrypted (the name first declared with the phone).
        public let people: [Int64: OpenedPerson]
        /// Every name declared with each one's phone (at visits, on cards), oldest first, each once.
        public let names: [Int64: [String]]
        public var venues: [Int64: Venue]
        public let quarantines: [Int64: Quarantine]
        /// Where each contact's follow-up for this case stands (absent: not called yet).
        public let followUps: [Int64: FollowUp]
        /// Each venue's commune, by area code: "commune, district".
        public let communes: [String: String]
        /// Each contact's tier, looked up for every exposure's "through whom".
        let tiers: [Int64: Tier]
        /// Other cases at the case's venues at the same time, within both infectious windows: likely links.
        public var linkedCases: [LinkedCase] = []

        public func tier(of person: Int64) -> String {
            person == record.personID ? "F0" : tiers[person]?.name ?? "?"
        }
    }

    /// Contacts are read by tracers only.
    public static func requireContactReader(_ principal: Principal) throws(AppError) {
        guard principal.role == .tracer else {
            throw AppError.forbidden("only tracers may read contacts; yours is \(principal.role.rawValue)")
        }
    }

    /// Names, phones and ID numbers of cases are shown to tracers only (health officers see the cases without them).
    public static func seesPersonalData(_ principal: Principal) -> Bool { principal.role == .tracer }

    /// An area as people read it: "commune, district" (or "district, province").
    public func placeName(_ code: String) async throws -> String {
        try await areaPath(code).prefix(2).map(\.name).joined(separator: ", ")
    }

    /// The case's contacts up to `degree`. Tracers only, with a reason; written to the audit log before anything is read.
    public func trace(caseID: Int64, query: ContactQuery, principal: Principal, reason: String?, action: String, now: Date = Date()) async throws -> Tracing {
        try Self.requireContactReader(principal)
        guard (1...3).contains(query.degree) else { throw AppError.invalid("degree", "degree must be 1, 2 or 3") }
        let reason = try Self.reason(reason)
        let record = try await caseRecord(caseID)
        var rules = config.overlap
        if let minimum = query.minOverlapMinutes {
            guard (0...1440).contains(minimum) else { throw AppError.invalid("minOverlapMinutes", "minOverlapMinutes must be from 0 to 1440") }
            rules.minOverlapMinutes = minimum
            rules.minOverlapByCategory = [:]
        }
        if let buffer = query.bufferMinutes {
            guard (0...240).contains(buffer) else { throw AppError.invalid("bufferMinutes", "bufferMinutes must be from 0 to 240") }
            rules.bufferMinutes = buffer
        }
        try await audit(principal, action: action, caseID: caseID, reason: reason, now: now,
                        detail: "degree=\(query.degree) minOverlapMinutes=\(query.minOverlapMinutes.map { String(Int($0)) } ?? "default") bufferMinutes=\(Int(rules.bufferMinutes))")

        let source = StorePresences(app: self)
        let window = (from: record.windowFrom, to: record.windowTo)
        let store = self.store
        let contacts = try await Overlap.trace(person: record.personID, window: window, degree: query.degree, rules: rules, source: source,
                                               quarantineStarts: { ids in
            // A quarantine that ended before the case's window is another episode: it bounds nothing here.
            try await store.quarantines(personIDs: ids).filter { $0.value.until.map { $0 > window.from } ?? true }.mapValues(\.since)
        })
        let casePresences = Overlap.clip(try await source.presences(person: record.personID, from: window.from, to: window.to),
                                         from: window.from, to: window.to)
        let ids = [record.personID] + contacts.map(\.personID)
        var people: [Int64: OpenedPerson] = [:]
        for (id, sealed) in try await store.people(ids: ids) { people[id] = try open(sealed) }
        let names = try await declaredNames(ids)
        var venues: [Int64: Venue] = [:]
        for id in Set(casePresences.map(\.venueID) + contacts.flatMap { $0.exposures.map(\.venueID) }) {
            if let venue = try await self.venues.venue(id: id) { venues[id] = venue }
        }
        var communes: [String: String] = [:]
        for code in Set(venues.values.map(\.areaCode)) {
            communes[code] = try await placeName(code)
        }
        var tracing = Tracing(record: record, degree: query.degree, rules: rules, casePresences: casePresences, contacts: contacts,
                              people: people, names: names, venues: venues, quarantines: try await store.quarantines(personIDs: Array(ids.dropFirst())),
                              followUps: try await store.followUps(caseID: caseID), communes: communes,
                              tiers: Dictionary(uniqueKeysWithValues: contacts.map { ($0.personID, $0.tier) }))
        tracing.linkedCases = try await linkedCases(record, presences: casePresences, source: source)
        for link in tracing.linkedCases where tracing.venues[link.venueID] == nil {
            if let venue = try await self.venues.venue(id: link.venueID) { tracing.venues[link.venueID] = venue }
        }
        return tracing
    }

    /// Another case at a venue where this one was, at the same time (any overlap), within both infectious windows.
    public struct LinkedCase: Sendable, Equatable {
        public let caseID: Int64
        public let personID: Int64
        public let venueID: Int64
        public let from: Date
        public let to: Date
    }

    /// The likely links of a case, by the same rule as a cluster's: read from the case's venues at its times.
    func linkedCases(_ record: CaseRecord, presences: [Presence], source: StorePresences) async throws -> [LinkedCase] {
        guard !presences.isEmpty else { return [] }
        let others = try await source.presences(venues: presences.map { StayRange(id: $0.venueID, from: $0.start, to: $0.end) })
        var shared: [Int64: [(Presence, Presence)]] = [:]
        for (mine, list) in zip(presences, others) {
            for other in list where other.personID != record.personID && min(other.end, mine.end) > max(other.start, mine.start) {
                shared[other.personID, default: []].append((other, mine))
            }
        }
        guard !shared.isEmpty else { return [] }
        var best: [String: LinkedCase] = [:]
        for other in try await store.cases(CaseFilter(personIDs: Array(shared.keys), limit: 1000)) where other.id != record.id {
            for (theirs, mine) in shared[other.personID] ?? [] {
                let from = max(theirs.start, mine.start, other.windowFrom), to = min(theirs.end, mine.end, other.windowTo)
                guard to > from else { continue }
                let key = "\(other.id)-\(mine.venueID)"
                if let old = best[key], old.to.timeIntervalSince(old.from) >= to.timeIntervalSince(from) { continue }
                best[key] = LinkedCase(caseID: other.id, personID: other.personID, venueID: mine.venueID, from: from, to: to)
            }
        }
        return best.values.sorted { ($0.from, $0.caseID) < ($1.from, $1.caseID) }
    }

    /// The one CSV of contacts: a row per exposure, formula-safe.
    public func contactsCSV(_ t: Tracing) -> String {
        CSV.render(header: ["tier", "person_ref", "name", "phone", "id_number", "venue_id", "venue_name", "exposure_from", "exposure_to",
                            "overlap_minutes", "through_ref", "through_tier", "quarantined_since"],
                   rows: t.contacts.flatMap { c in
                       c.exposures.map { e in
                           let p = t.people[c.personID]
                           return [c.tier.name, personRef(c.personID), p?.name ?? "", p?.phone ?? "", p?.idNumber ?? "", String(e.venueID),
                                   t.venues[e.venueID]?.name ?? "", Instant.format(e.start), Instant.format(e.end), String(Int(e.minutes.rounded(.down))),
                                   personRef(e.through), t.tier(of: e.through), t.quarantines[c.personID].map { Instant.format($0.since) } ?? ""]
                       }
                   })
    }

    /// Every name declared with each person's phone, decrypted, oldest first, each once.
    public func declaredNames(_ ids: [Int64]) async throws -> [Int64: [String]] {
        var out: [Int64: [String]] = [:]
        for (id, sealed) in try await store.declaredNames(personIDs: ids) {
            var seen = Set<String>()
            out[id] = try sealed.map { try cipher.open($0) }.filter { !$0.isEmpty && seen.insert($0).inserted }
        }
        return out
    }

    static func reason(_ raw: String?, field: String = "reason") throws(AppError) -> String {
        guard let reason = try Text.clean(raw, field: field, max: 500), reason.count >= 3 else {
            throw AppError.invalid(field, "\(field) must say why (at least 3 characters), e.g. the outbreak or ticket")
        }
        return reason
    }

    // MARK: Exposure sites

    /// A time when a case was at a venue. `venueImportedOnly`: it rests only on visits that the venue imported itself
    /// (anyone can register a venue and import chosen phones), so a tracer should confirm it before publishing.
    public struct ExposureWindow: Sendable, Equatable {
        public var from: Date
        public var to: Date
        public var venueImportedOnly: Bool
    }

    /// A venue and the windows when a case was there (merged across cases), without anything about who.
    public struct ExposureSite: Sendable {
        public let venue: Venue
        public let windows: [ExposureWindow]
    }

    /// Where the case was during its infectious window, computed from its visits: for tracers, health and admins,
    /// never for venues or the public until published.
    public func exposureSites(caseID: Int64) async throws -> [ExposureSite] {
        let record = try await caseRecord(caseID)
        let stays = try await store.stays(byVenue: false, ranges: [StayRange(id: record.personID, from: record.windowFrom, to: record.windowTo)])[0]
        var windows: [(venueID: Int64, window: ExposureWindow)] = []
        for stay in stays {
            for p in Overlap.clip([stay.presence], from: record.windowFrom, to: record.windowTo) {
                windows.append((p.venueID, ExposureWindow(from: p.start, to: p.end, venueImportedOnly: stay.visit.source == .venueImport)))
            }
        }
        return try await sites(windows)
    }

    /// Published windows, merged by venue: at venues of an area, or at one venue, ending after `since`.
    public func publishedExposureSites(area: String?, venueID: Int64?, since: Date) async throws -> [ExposureSite] {
        let published = try await store.publishedWindows(venueID: venueID, area: area, since: since)
        return try await sites(published.map { ($0.venueID, ExposureWindow(from: max($0.from, since), to: $0.to, venueImportedOnly: false)) })
    }

    /// Windows in time order, overlapping ones as one (resting only on a venue's own import when all of them do).
    static func merged(_ windows: [ExposureWindow]) -> [ExposureWindow] {
        var out: [ExposureWindow] = []
        for w in windows.sorted(by: { $0.from < $1.from }) {
            if let last = out.last, w.from <= last.to {
                out[out.count - 1].to = max(last.to, w.to)
                out[out.count - 1].venueImportedOnly = last.venueImportedOnly && w.venueImportedOnly
            } else {
                out.append(w)
            }
        }
        return out
    }

    private func sites(_ all: [(venueID: Int64, window: ExposureWindow)]) async throws -> [ExposureSite] {
        var out: [ExposureSite] = []
        for (venueID, list) in Dictionary(grouping: all, by: \.venueID) {
            guard let venue = try await venues.venue(id: venueID) else { continue }
            out.append(ExposureSite(venue: venue, windows: Self.merged(list.map(\.window))))
        }
        return out.sorted { ($0.windows.first?.from ?? .distantPast, $0.venue.id) > ($1.windows.first?.from ?? .distantPast, $1.venue.id) }
    }

    public struct WindowInput: Decodable, Sendable {
        public var venueId: Int64?
        public var from: String?
        public var to: String?
    }

    public static let maxPublishedWindows = 500

    /// Publishes chosen windows of a case: from now on the venue sees them and the public list shows them (never who).
    /// Each must lie inside the case's infectious window. Tracers and health officers; audited.
    public func publishExposures(caseID: Int64, _ inputs: [WindowInput]?, by principal: Principal, now: Date = Date()) async throws -> [PublishedWindow] {
        try principal.require(.tracer, .health)
        let record = try await caseRecord(caseID)
        guard let inputs, !inputs.isEmpty else { throw AppError.missing("windows") }
        guard inputs.count <= Self.maxPublishedWindows else {
            throw AppError.invalid("windows", "at most \(Self.maxPublishedWindows) windows in one request")
        }
        var windows: [PublishedWindow] = []
        for (i, input) in inputs.enumerated() {
            let field = "windows[\(i)]"
            guard let venueID = input.venueId else { throw AppError.missing("\(field).venueId") }
            guard try await venues.venue(id: venueID) != nil else { throw AppError.invalid("\(field).venueId", "venue \(venueID) does not exist") }
            guard let fromRaw = input.from else { throw AppError.missing("\(field).from") }
            guard let toRaw = input.to else { throw AppError.missing("\(field).to") }
            let from = try Instant.parse(fromRaw, field: "\(field).from")
            let to = try Instant.parse(toRaw, field: "\(field).to")
            guard from < to else { throw AppError.invalid("\(field).to", "\(field).to must be after from") }
            guard from >= record.windowFrom, to <= record.windowTo else {
                throw AppError.invalid("\(field).from", "\(field) must lie inside the case's infectious window (\(Instant.format(record.windowFrom)) to \(Instant.format(record.windowTo)))")
            }
            windows.append(PublishedWindow(caseID: caseID, venueID: venueID, from: from, to: to,
                                           publishedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)), publishedBy: principal.label))
        }
        let stored = try await store.publishWindows(windows)
        try await audit(principal, action: "exposures.publish", caseID: caseID, reason: "published exposure windows", now: now,
                        detail: stored.map { "window=\($0.id) venue=\($0.venueID)" }.joined(separator: " "))
        return stored
    }

    /// Withdraws a published window (published by mistake): the venue and the public no longer see it. Audited.
    public func withdrawExposure(windowID: Int64, by principal: Principal, now: Date = Date()) async throws -> PublishedWindow {
        try principal.require(.tracer, .health)
        guard let window = try await store.withdrawWindow(id: windowID, at: now) else { throw AppError.notFound("exposure window \(windowID)") }
        try await audit(principal, action: "exposures.withdraw", caseID: window.caseID, reason: "withdrew an exposure window", now: now,
                        detail: "window=\(window.id) venue=\(window.venueID)")
        return window
    }

    // MARK: Quarantine

    public struct QuarantineInput: Decodable, Sendable {
        public var since: String?
        public var until: String?
        public var notifiedAt: String?
        public var caseId: Int64?
    }

    /// Records that a contact was notified and quarantined from a date (a local day means its 00:00) or an instant.
    public func setQuarantine(personRef: String, _ input: QuarantineInput, by principal: Principal, now: Date = Date()) async throws -> Quarantine {
        try principal.require(.tracer)
        let person = try await resolvePerson(personRef)
        guard let sinceRaw = input.since else { throw AppError.missing("since") }
        let since = try Self.dayOrInstant(sinceRaw, field: "since")
        let until = try input.until.map { raw throws(AppError) in try Self.dayOrInstant(raw, field: "until") }
            ?? since.addingTimeInterval(Double(config.quarantineDays) * 86400)
        guard until > since else { throw AppError.invalid("until", "until must be after since") }
        let notifiedAt = try input.notifiedAt.map { raw throws(AppError) in try Instant.parse(raw, field: "notifiedAt") }
        if let caseID = input.caseId { _ = try await caseRecord(caseID) }
        let quarantine = Quarantine(personID: person, since: since, until: until, notifiedAt: notifiedAt ?? now, caseID: input.caseId,
                                    updatedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)), updatedBy: principal.label)
        try await store.setQuarantine(quarantine)
        try await audit(principal, action: "quarantine.set", caseID: input.caseId, reason: "quarantine of a contact", now: now,
                        detail: "person=\(self.personRef(person)) since=\(Instant.format(since)) until=\(Instant.format(until))")
        return quarantine
    }

    /// `YYYY-MM-DD` (00:00 in Vietnam) or an ISO 8601 instant with offset.
    static func dayOrInstant(_ raw: String, field: String) throws(AppError) -> Date {
        raw.count == 10 ? try CaseRules.localMidnight(raw, field: field) : try Instant.parse(raw, field: field)
    }

    // MARK: Audit

    /// The audit log, newest first: admins only.
    public func auditLog(_ filter: AuditFilter, by principal: Principal) async throws -> [AuditEntry] {
        try principal.require(.admin)
        return try await store.audit(filter)
    }

    func audit(_ principal: Principal, action: String, caseID: Int64?, reason: String, now: Date, detail: String = "") async throws {
        _ = try await store.appendAudit(AuditEntry(at: now, tokenID: principal.tokenID, role: principal.role, label: principal.label,
                                                   action: action, caseID: caseID, reason: reason, detail: detail))
    }
}
