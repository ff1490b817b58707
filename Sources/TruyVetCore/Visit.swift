import Foundation

public enum VisitSource: Int, Codable, Sendable {
    case scan = 1, api = 2, staff = 3, importFile = 4
    public var name: String {
        switch self {
        case .scan: "scan"
        case .api: "api"
        case .staff: "staff"
        case .importFile: "import"
        }
    }
}

/// What is stored of a visit: facts only (the check-in, an explicit check-out). Ends are derived by `Stay`.
public struct Visit: Sendable, Equatable {
    public var id: Int64
    public var venueID: Int64
    public var personID: Int64
    public var checkinAt: Date
    public var checkoutAt: Date?
    public var source: VisitSource

    public init(id: Int64, venueID: Int64, personID: Int64, checkinAt: Date, checkoutAt: Date?, source: VisitSource) {
        self.id = id
        self.venueID = venueID
        self.personID = personID
        self.checkinAt = checkinAt
        self.checkoutAt = checkoutAt
        self.source = source
    }
}

/// A person as stored: lookup hashes and sealed (encrypted) fields only.
public struct SealedPerson: Sendable, Equatable {
    public var phoneHash: Data
    public var idHash: Data?
    public var nameHash: Data
    public var name: Data
    public var phone: Data
    public var idNumber: Data?

    public init(phoneHash: Data, idHash: Data?, nameHash: Data, name: Data, phone: Data, idNumber: Data?) {
        self.phoneHash = phoneHash
        self.idHash = idHash
        self.nameHash = nameHash
        self.name = name
        self.phone = phone
        self.idNumber = idNumber
    }
}

public struct CheckinRequest: Sendable {
    public var venueID: Int64
    public var defaultStayMinutes: Int
    public var person: SealedPerson
    public var at: Date
    public var source: VisitSource
    public var idempotencyKey: String?

    public init(venueID: Int64, defaultStayMinutes: Int, person: SealedPerson, at: Date, source: VisitSource, idempotencyKey: String?) {
        self.venueID = venueID
        self.defaultStayMinutes = defaultStayMinutes
        self.person = person
        self.at = at
        self.source = source
        self.idempotencyKey = idempotencyKey
    }
}

public enum CheckinOutcome: Sendable, Equatable {
    /// A new visit.
    case created(Visit)
    /// The person's visit here is still open: the same visit, no duplicate.
    case alreadyOpen(Visit)
    /// The idempotency key was seen before: the first answer's visit.
    case replayed(Visit)

    public var visit: Visit {
        switch self {
        case let .created(v), let .alreadyOpen(v), let .replayed(v): v
        }
    }
}

/// A row of a paper log or passenger list, validated and sealed.
public struct ImportedVisit: Sendable {
    public var line: Int
    public var venueID: Int64
    public var person: SealedPerson
    public var checkinAt: Date
    public var checkoutAt: Date?

    public init(line: Int, venueID: Int64, person: SealedPerson, checkinAt: Date, checkoutAt: Date?) {
        self.line = line
        self.venueID = venueID
        self.person = person
        self.checkinAt = checkinAt
        self.checkoutAt = checkoutAt
    }
}

/// A visit with its person's sealed fields, for venue logs and tracing.
public struct VisitRecord: Sendable {
    public var visit: Visit
    public var person: SealedPerson
    /// The same person's next check-in anywhere, for the effective end.
    public var nextCheckin: Date?

    public init(visit: Visit, person: SealedPerson, nextCheckin: Date?) {
        self.visit = visit
        self.person = person
        self.nextCheckin = nextCheckin
    }
}
