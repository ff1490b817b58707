import Crypto
import Foundation

public enum VisitSource: Int, Codable, Sendable {
    /// `importFile`: a paper log or passenger list imported by a tracer or an admin (a trusted record).
    /// `venueImport`: imported by a venue's own token into its own venue (anyone can register a venue).
    case scan = 1, api = 2, staff = 3, importFile = 4, venueImport = 5
    public var name: String {
        switch self {
        case .scan: "scan"
        case .api: "api"
        case .staff: "staff"
        case .importFile: "import"
        case .venueImport: "venue_import"
        }
    }

    /// Records made by a tracer or an admin: they may end a person's earlier open visit anywhere.
    public var isTrusted: Bool { self == .importFile }
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

/// A person as declared (at a visit, on a card, from a device): lookup hashes and sealed (encrypted) fields only.
/// The phone is the person's key; name and ID number belong to the declaration, never rewritten by a later one.
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
    /// The keyed hash of the device (cookie) or personal card that sent it; nil for a bare API call. Only the same
    /// device gets "already checked in", and only its own later check-ins end this visit early.
    public var device: Data?

    public init(venueID: Int64, defaultStayMinutes: Int, person: SealedPerson, at: Date, source: VisitSource, idempotencyKey: String?,
                device: Data? = nil) {
        self.venueID = venueID
        self.defaultStayMinutes = defaultStayMinutes
        self.person = person
        self.at = at
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.device = device
    }
}

public enum CheckinOutcome: Sendable, Equatable {
    /// A new visit.
    case created(Visit)
    /// The same device's visit here is still open: the same visit, no duplicate.
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
    /// `.importFile` (tracer, admin) or `.venueImport` (a venue's own token).
    public var source: VisitSource

    public init(line: Int, venueID: Int64, person: SealedPerson, checkinAt: Date, checkoutAt: Date?, source: VisitSource = .importFile) {
        self.line = line
        self.venueID = venueID
        self.person = person
        self.checkinAt = checkinAt
        self.checkoutAt = checkoutAt
        self.source = source
    }
}

/// A visit with what was declared at it (name and ID number of that visit, the person's phone), for venue logs.
public struct VisitRecord: Sendable {
    public var visit: Visit
    public var person: SealedPerson
    /// The same person's next check-in that may end this visit (see `Stay.ends`), for the effective end.
    public var nextCheckin: Date?

    public init(visit: Visit, person: SealedPerson, nextCheckin: Date?) {
        self.visit = visit
        self.person = person
        self.nextCheckin = nextCheckin
    }
}

/// The rules of a check-in that every store applies the same way (the stores only find the rows these rules ask about).
public enum CheckinRules {
    /// Instants are stored as whole seconds (UTC).
    public static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    public static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    /// The stored key of an idempotency key: scoped to the person and the venue, so another client's key can never
    /// return this visit (a stranger who reuses someone's key with another phone or venue gets their own visit).
    public static func idempotencyKeyHash(_ request: CheckinRequest) -> Data? {
        request.idempotencyKey.map { key in
            var bytes = request.person.phoneHash
            withUnsafeBytes(of: request.venueID.bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: Array(key.utf8))
            return Data(SHA256.hash(data: bytes))
        }
    }

    /// How far back the store looks for the device's latest visit (no stay is longer).
    public static func openVisitHorizon(_ request: CheckinRequest) -> Int64 { seconds(request.at) - Int64(Stay.maximum) }

    /// Whether `latest` — the most recent visit this device made for this person — is still open at this venue at the
    /// check-in's second, so the check-in is that same visit. Only the same device's visit can be (nobody else's check-in
    /// is ever answered "already checked in": that would show that someone is inside, and since when).
    public static func isSameOpenVisit(_ latest: Visit, _ request: CheckinRequest) -> Bool {
        let at = date(seconds(request.at))
        let end = Stay.effectiveEnd(checkin: latest.checkinAt, checkout: latest.checkoutAt,
                                    defaultStayMinutes: request.defaultStayMinutes, nextCheckin: nil)
        return latest.venueID == request.venueID && latest.checkoutAt == nil && latest.checkinAt <= at && at < end
    }
}
