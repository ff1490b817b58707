import Foundation
import TruyVetCore

/// The case list and its search, and the follow-up of each contact (called, quarantined, tested…), one or many at once.
extension TruyVet {
    // MARK: Case list

    public struct CaseListInput: Sendable {
        /// Commune of residence.
        public var areaCode: String?
        public var classification: String?
        /// A case id, a phone or an ID number.
        public var search: String?
        /// The `next` cursor of the previous page.
        public var after: String?
        public var limit: Int = 50
        public init(areaCode: String? = nil, classification: String? = nil, search: String? = nil, after: String? = nil, limit: Int = 50) {
            self.areaCode = areaCode
            self.classification = classification
            self.search = search
            self.after = after
            self.limit = limit
        }
    }

    public struct CaseList: Sendable {
        public let cases: [CaseRecord]
        /// For the next page, when there may be one.
        public let next: String?
    }

    /// Cases newest first, filtered by commune and classification, or found by case id, phone or ID number. Tracers and
    /// health officers list them; only tracers may search by phone or ID number (that tells whether someone is a case),
    /// and such a search is written to the audit log.
    public func listCases(_ input: CaseListInput, by principal: Principal, now: Date = Date()) async throws -> CaseList {
        try principal.require(.tracer, .health)
        var filter = CaseFilter(limit: input.limit + 1)
        if let code = input.areaCode.flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let area = try await areaPath(code).first, area.level == .commune else {
                throw AppError.invalid("area", "area \(code) is not a known commune code")
            }
            filter.areaCode = area.code
        }
        if let raw = input.classification, !raw.isEmpty { filter.classification = try CaseRules.parse(raw, field: "classification") }
        if let after = input.after, !after.isEmpty {
            let parts = after.split(separator: "_")
            guard parts.count == 2, let seconds = Int64(parts[0]), let id = Int64(parts[1]) else {
                throw AppError.invalid("after", "after must be the 'next' value of the previous page")
            }
            filter.before = (Date(timeIntervalSince1970: Double(seconds)), id)
        }
        if let raw = try Text.clean(input.search, field: "q", max: 40, required: false) {
            let digits = raw.filter { $0 != " " && $0 != "." && $0 != "-" }
            if let id = Int64(digits), id > 0, digits.count <= 8 { filter.caseID = id }
            let phone = try? Phone.normalize(raw)
            let idNumber = (try? PersonInput.idNumber(raw)) ?? nil
            guard filter.caseID != nil || phone != nil || idNumber != nil else {
                throw AppError.invalid("q", "q must be a case id, a phone number or an ID number")
            }
            var people: [Int64] = []
            // Whether someone is a case is personal data.
            if phone != nil || idNumber != nil, !TruyVet.seesPersonalData(principal) {
                throw AppError.forbidden("only tracers may search cases by phone or ID number")
            }
            if let phone, let id = try await store.personID(phoneHash: cipher.lookupHash("phone", phone)) { people.append(id) }
            if let idNumber { people += try await store.personIDs(idHash: cipher.lookupHash("id", idNumber)) }
            filter.personIDs = people
            if filter.caseID == nil || !people.isEmpty {
                try await audit(principal, action: "cases.search", caseID: nil, reason: "searched cases by phone or ID number", now: now)
            }
        }
        var cases = try await store.cases(filter)
        var next: String?
        if cases.count > input.limit {
            cases.removeLast()
            next = cases.last.map { "\(Int64($0.confirmedAt.timeIntervalSince1970))_\($0.id)" }
        }
        return CaseList(cases: cases, next: next)
    }

    // MARK: Follow-up

    public struct FollowUpInput: Decodable, Sendable {
        /// Person references from the case's contacts answer.
        public var refs: [String]?
        public var status: String?
        /// With `tested`: `positive` or `negative`.
        public var result: String?
        /// With `quarantined`: the first day (or instant) of quarantine; today when absent.
        public var since: String?
        public init(refs: [String]? = nil, status: String? = nil, result: String? = nil, since: String? = nil) {
            self.refs = refs
            self.status = status
            self.result = result
            self.since = since
        }
    }

    public static let maxFollowUpsAtOnce = 5_000

    /// Sets the follow-up of one or many contacts of a case in one step; `quarantined` also records their quarantine
    /// from `since` (the F2 windows and the classification of later cases use it). Tracers only; audited once.
    public func setFollowUps(caseID: Int64, _ input: FollowUpInput, by principal: Principal, now: Date = Date()) async throws -> [FollowUp] {
        try principal.require(.tracer)
        _ = try await caseRecord(caseID)
        guard let refs = input.refs, !refs.isEmpty else { throw AppError.missing("refs") }
        guard refs.count <= Self.maxFollowUpsAtOnce else { throw AppError.invalid("refs", "at most \(Self.maxFollowUpsAtOnce) contacts at once") }
        guard let raw = input.status else { throw AppError.missing("status") }
        guard let status = FollowUp.Status(rawValue: raw) else {
            throw AppError.invalid("status", "status must be one of \(FollowUp.Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var result: FollowUp.TestResult?
        if status == .tested {
            guard let r = input.result, let value = FollowUp.TestResult(rawValue: r) else {
                throw AppError.invalid("result", "a test result is positive or negative")
            }
            result = value
        } else if let r = input.result, !r.isEmpty {
            throw AppError.invalid("result", "a result goes only with the status tested")
        }
        var people: [Int64] = []
        for ref in Set(refs) {
            // Only references from a contacts answer: a phone typed here could be anyone's.
            guard ref.hasPrefix("p"), let id = try? await resolvePerson(ref) else { throw AppError.invalid("refs", "\(ref) is not a person reference from a contacts answer") }
            people.append(id)
        }
        people.sort()
        let stamp = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        if status == .quarantined {
            let since = try input.since.flatMap { $0.isEmpty ? nil : $0 }.map { raw throws(AppError) in try Self.dayOrInstant(raw, field: "since") }
                ?? CaseRules.localMidnight(Instant.day(now), field: "since")
            for id in people {
                try await store.setQuarantine(Quarantine(personID: id, since: since, until: since.addingTimeInterval(Double(config.quarantineDays) * 86400),
                                                         notifiedAt: stamp, caseID: caseID, updatedAt: stamp, updatedBy: principal.label))
            }
        }
        let list = people.map { FollowUp(caseID: caseID, personID: $0, status: status, result: result, updatedAt: stamp, updatedBy: principal.label) }
        try await store.setFollowUps(list)
        try await audit(principal, action: "followup.set", caseID: caseID, reason: "follow-up of contacts", now: now,
                        detail: "status=\(status.rawValue)\(result.map { " result=\($0.rawValue)" } ?? "") people=\(people.count)")
        return list
    }

    // MARK: Flags

    /// Check-in bursts at every venue since a time, newest first: for tracers and admins.
    public func flags(since: Date, by principal: Principal) async throws -> [Flag] {
        try principal.require(.admin, .tracer)
        return try await store.flags(venueID: nil, since: since, limit: 10_000)
    }

    // MARK: The call list

    /// One row per contact (the per-exposure CSV is `contactsCSV`): for assigning calls by commune, with the first and
    /// the longest exposure and where the follow-up stands.
    public func callListCSV(_ t: Tracing) -> String {
        CSV.render(header: ["tier", "person_ref", "name", "phone", "id_number", "other_names", "exposure_commune", "first_exposure_local",
                            "first_venue", "longest_minutes", "longest_venue", "longest_from_local", "exposures", "through",
                            "quarantined_since", "follow_up", "test_result"],
                   rows: t.contacts.map { c in
                       let p = t.people[c.personID]
                       let first = c.exposures.min { $0.start < $1.start }
                       let longest = c.exposures.max { ($0.minutes, $1.start) < ($1.minutes, $0.start) }
                       let firstVenue = first.flatMap { t.venues[$0.venueID] }
                       let follow = t.followUps[c.personID]
                       return [c.tier.name, personRef(c.personID), p?.name ?? "", p?.phone ?? "", p?.idNumber ?? "",
                               (t.names[c.personID] ?? []).filter { $0 != p?.name }.joined(separator: "; "),
                               firstVenue.map { t.communes[$0.areaCode] ?? $0.areaCode } ?? "",
                               first.map { Instant.readable($0.start) } ?? "", firstVenue?.name ?? "",
                               String(Int(c.longestMinutes.rounded(.down))), longest.flatMap { t.venues[$0.venueID]?.name } ?? "",
                               longest.map { Instant.readable($0.start) } ?? "", String(c.exposures.count),
                               Array(Set(c.exposures.map { "\(t.tier(of: $0.through)) \(t.people[$0.through]?.name ?? "")" })).sorted().joined(separator: "; "),
                               t.quarantines[c.personID].map { Instant.day($0.since) } ?? "",
                               follow?.status.rawValue ?? FollowUp.Status.notCalled.rawValue, follow?.result?.rawValue ?? ""]
                   })
    }
}
