import Foundation

/// A confirmed case's rules: its infectious window and its classification.
public enum CaseRules {
    public struct Settings: Sendable, Equatable {
        /// Days before symptom onset (or before the sample date when asymptomatic) the window opens, at local 00:00.
        public var daysBefore: Int = 2
        public init(daysBefore: Int = 2) { self.daysBefore = daysBefore }
    }

    /// From local 00:00, `daysBefore` days before onset (or the sample date when there is no onset), until isolation
    /// (or confirmation when isolation is unknown). Dates are local days `YYYY-MM-DD`.
    public static func infectiousWindow(sampleDate: String, onsetDate: String?, confirmedAt: Date, isolatedAt: Date?,
                                        settings: Settings = Settings()) throws(AppError) -> (from: Date, to: Date) {
        let field = onsetDate == nil ? "sampleDate" : "onsetDate"
        let day = try localMidnight(onsetDate ?? sampleDate, field: field)
        let from = day.addingTimeInterval(-Double(settings.daysBefore) * 86400)
        let to = isolatedAt ?? confirmedAt
        guard to > from else {
            throw .invalid(isolatedAt == nil ? "confirmedAt" : "isolatedAt", "the infectious window would end before it starts (\(Instant.format(from)))")
        }
        return (from, to)
    }

    /// 00:00 in Vietnam of a `YYYY-MM-DD` day.
    /// 00:00 in Vietnam of a `YYYY-MM-DD` day.
    public static func localMidnight(_ day: String, field: String) throws(AppError) -> Date {
        try Day.parse(day, field: field).start
    }

    public enum Classification: String, Sendable, Codable, CaseIterable {
        /// Found in the community: counts for the epidemic level.
        case community
        /// Already under a quarantine recorded here when confirmed.
        case quarantine
        /// Found inside a lockdown zone.
        case lockdown
    }

    /// A tracer's choice wins; otherwise quarantine if a quarantine recorded here was active at confirmation, then where
    /// the case was detected as reported (`quarantine`: a concentrated quarantine facility; `lockdown`: a lockdown zone),
    /// community otherwise.
    public static func classify(override: Classification?, quarantinedSince: Date?, quarantineEnds: Date?,
                                detectedIn: Classification?, confirmedAt: Date) -> Classification {
        if let override { return override }
        if let since = quarantinedSince, since <= confirmedAt, quarantineEnds.map({ confirmedAt < $0 }) ?? true { return .quarantine }
        return detectedIn ?? .community
    }

    public static func parse(_ raw: String?, field: String) throws(AppError) -> Classification? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let value = Classification(rawValue: raw.lowercased()) else {
            throw .invalid(field, "\(field) must be one of: \(Classification.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// A confirmed case (F0) as stored: facts given by the tracer, the window and classification derived from them.
public struct CaseRecord: Sendable, Equatable {
    public var id: Int64
    public var personID: Int64
    /// Commune of residence: where the case counts for the epidemic level.
    public var areaCode: String
    public var sampleDate: String
    public var onsetDate: String?
    public var confirmedAt: Date
    public var isolatedAt: Date?
    public var detectedIn: CaseRules.Classification?
    public var windowFrom: Date
    public var windowTo: Date
    public var classification: CaseRules.Classification
    /// Set by a tracer rather than derived.
    public var classificationOverridden: Bool
    public var createdAt: Date
    public var createdBy: String

    public init(id: Int64, personID: Int64, areaCode: String, sampleDate: String, onsetDate: String?, confirmedAt: Date,
                isolatedAt: Date?, detectedIn: CaseRules.Classification?, windowFrom: Date, windowTo: Date,
                classification: CaseRules.Classification, classificationOverridden: Bool, createdAt: Date, createdBy: String) {
        self.id = id
        self.personID = personID
        self.areaCode = areaCode
        self.sampleDate = sampleDate
        self.onsetDate = onsetDate
        self.confirmedAt = confirmedAt
        self.isolatedAt = isolatedAt
        self.detectedIn = detectedIn
        self.windowFrom = windowFrom
        self.windowTo = windowTo
        self.classification = classification
        self.classificationOverridden = classificationOverridden
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    /// The local day of confirmation (`YYYY-MM-DD`, Vietnam): the day the level calculator counts it.
    public var confirmedDay: String { Instant.day(confirmedAt) }
}

/// A person's quarantine as recorded by a tracer: it ends their onward (F2/F3) window and classifies later cases.
public struct Quarantine: Sendable, Equatable {
    public var personID: Int64
    public var since: Date
    public var until: Date?
    public var notifiedAt: Date?
    public var caseID: Int64?
    public var updatedAt: Date
    public var updatedBy: String

    public init(personID: Int64, since: Date, until: Date?, notifiedAt: Date?, caseID: Int64?, updatedAt: Date, updatedBy: String) {
        self.personID = personID
        self.since = since
        self.until = until
        self.notifiedAt = notifiedAt
        self.caseID = caseID
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// One line of the append-only audit log: who read or changed tracing data, when, for which case, and why.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var tokenID: Int64?
    public var role: Role
    public var label: String
    public var action: String
    public var caseID: Int64?
    public var reason: String
    public var detail: String

    public init(id: Int64 = 0, at: Date, tokenID: Int64?, role: Role, label: String, action: String, caseID: Int64?,
                reason: String, detail: String) {
        self.id = id
        self.at = at
        self.tokenID = tokenID
        self.role = role
        self.label = label
        self.action = action
        self.caseID = caseID
        self.reason = reason
        self.detail = detail
    }
}

/// Where the follow-up of one contact of one case stands (no record: not called yet).
public struct FollowUp: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case notCalled = "not_called", notified, unreachable, quarantined, tested
    }
    public enum TestResult: String, Sendable, CaseIterable { case positive, negative }

    public var caseID: Int64
    public var personID: Int64
    public var status: Status
    /// Only with `tested`.
    public var result: TestResult?
    public var updatedAt: Date
    public var updatedBy: String

    public init(caseID: Int64, personID: Int64, status: Status, result: TestResult?, updatedAt: Date, updatedBy: String) {
        self.caseID = caseID
        self.personID = personID
        self.status = status
        self.result = result
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// Which cases a list shows, newest confirmation first.
public struct CaseFilter: Sendable, Equatable {
    /// Commune of residence.
    public var areaCode: String?
    public var classification: CaseRules.Classification?
    /// Only these people's cases (a search by phone or ID number); `caseID` matches as well when both are given.
    public var personIDs: [Int64]?
    public var caseID: Int64?
    /// Paging: cases confirmed before this one (confirmation, id), exclusive.
    public var before: (confirmedAt: Date, id: Int64)?
    public var limit: Int

    public init(areaCode: String? = nil, classification: CaseRules.Classification? = nil, personIDs: [Int64]? = nil, caseID: Int64? = nil,
                before: (confirmedAt: Date, id: Int64)? = nil, limit: Int = 50) {
        self.areaCode = areaCode
        self.classification = classification
        self.personIDs = personIDs
        self.caseID = caseID
        self.before = before
        self.limit = limit
    }

    public static func == (a: CaseFilter, b: CaseFilter) -> Bool {
        a.areaCode == b.areaCode && a.classification == b.classification && a.personIDs == b.personIDs && a.caseID == b.caseID
            && a.before?.confirmedAt == b.before?.confirmedAt && a.before?.id == b.before?.id && a.limit == b.limit
    }
}

/// Which audit entries to read, newest first.
public struct AuditFilter: Sendable, Equatable {
    public var since: Date
    public var caseID: Int64?
    /// An action (`contacts`, `case.edit`…), or its first part (`case`).
    public var action: String?
    /// Part of the label of who did it (`account lan`, a token's label).
    public var who: String?
    public var limit: Int
    public init(since: Date = .distantPast, caseID: Int64? = nil, action: String? = nil, who: String? = nil, limit: Int = 200) {
        self.since = since
        self.caseID = caseID
        self.action = action
        self.who = who
        self.limit = limit
    }
}
