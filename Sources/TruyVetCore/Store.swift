import Foundation

/// A venue's or a person's visits with check-in in [from, to).
public struct StayRange: Sendable {
    public let id: Int64
    public let from: Date
    public let to: Date
    public init(id: Int64, from: Date, to: Date) {
        self.id = id
        self.from = from
        self.to = to
    }
}

/// Everything the product keeps: one repository per aggregate, each small enough to read in one go; a store (SQLite
/// in TruyVetStore, PostgreSQL in TruyVetPostgres) implements them all, and one conformance suite runs on both.
public typealias Store = AreaRepository & VenueRepository & AccessRepository & VisitRepository & PeopleRepository
    & CaseRepository & AuditRepository & LevelRepository & RetentionRepository

/// Administrative units and their populations.
public protocol AreaRepository: Sendable {
    func areaCount() async throws -> Int
    /// Inserts or replaces the given areas (a population left empty keeps the stored one).
    func upsertAreas(_ areas: [Area]) async throws
    func area(code: String) async throws -> Area?
    /// The area and its parents, innermost first (commune, district, province), in one read.
    func areaPath(code: String) async throws -> [Area]
    func areaLevels(codes: Set<String>) async throws -> [String: AreaLevel]
    /// Children of an area (provinces when `parent` is nil), by code.
    func areas(parent: String?) async throws -> [Area]
    func allAreas() async throws -> [Area]
    func setPopulation(code: String, population: Int) async throws
}

/// Venues and their posters.
public protocol VenueRepository: Sendable {
    /// Inserts a venue; returns false when its id or short code is already taken (the caller draws again).
    func insertVenue(_ venue: Venue) async throws -> Bool
    func venue(id: Int64) async throws -> Venue?
    /// Venues of a commune, district or province, by name.
    func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue]
    /// Increments the poster generation and replaces the short code (so the old poster's code stops working too); nil
    /// when there is no such venue. When `shortCode` is taken already nothing changes and the venue keeps its old code
    /// (the caller draws again).
    func rotatePoster(venueID: Int64, shortCode: String) async throws -> Venue?
    /// Writes a venue's editable details (name, address, category, default stay, capacity, opening hours, contact
    /// phone, screen codes only); nil when there is no such venue. Its id, area, codes and poster generation stay.
    func updateVenue(_ venue: Venue) async throws -> Venue?
    /// Seals contact phones stored in clear by earlier versions; returns how many.
    func sealClearContactPhones(_ seal: @Sendable (String) -> Data) async throws -> Int
    func venue(shortCode: String) async throws -> Venue?
}

/// Bearer tokens, console sessions and staff accounts (only hashes of secrets are stored).
public protocol AccessRepository: Sendable {
    func insertToken(hash: [UInt8], role: Role, venueID: Int64?, label: String) async throws -> Int64
    func principal(tokenHash: [UInt8]) async throws -> Principal?
    func tokenCount(role: Role) async throws -> Int
    /// Every token, newest first (never the secret: only hashes are stored).
    func tokens() async throws -> [TokenInfo]
    /// Revokes a token; false when there is no such token or it was revoked already.
    func revokeToken(id: Int64, at: Date) async throws -> Bool
    func touchToken(id: Int64, at: Date) async throws
    /// A session of a token (a venue's management key) or of a staff account: exactly one of the two.
    func insertSession(hash: [UInt8], tokenID: Int64?, accountID: Int64?, csrf: String, at: Date) async throws
    /// The session and the principal of the token or account it signed in with; nil when unknown, when that token was
    /// revoked or that account disabled.
    func session(hash: [UInt8]) async throws -> (session: SessionRecord, principal: Principal)?
    func touchSession(hash: [UInt8], at: Date) async throws
    func deleteSession(hash: [UInt8]) async throws
    /// Deletes sessions last seen before `idleBefore` or begun before `begunBefore`; returns how many.
    func deleteSessions(idleBefore: Date, begunBefore: Date) async throws -> Int
    /// Inserts an account; nil when the username is taken.
    func insertAccount(username: String, role: Role, passwordHash: String, at: Date) async throws -> Int64?
    func account(username: String) async throws -> Account?
    func account(id: Int64) async throws -> Account?
    func accounts() async throws -> [Account]
    /// Counts a wrong password; from `lockAfter` failures on, the account is locked until `lockedUntil`.
    func accountFailed(id: Int64, lockAfter: Int, lockedUntil: Date) async throws
    /// A right password: the failure count starts again.
    func accountSucceeded(id: Int64) async throws
    /// Disables or enables an account; disabling ends its sessions.
    func setAccountDisabled(id: Int64, at: Date?) async throws
    /// Replaces the password, clears failures and the lock, and ends the account's sessions.
    func setAccountPassword(id: Int64, passwordHash: String) async throws
}

/// Visits: check-ins, check-outs, imports, the venue log, and the stays tracing reads; flags.
public protocol VisitRepository: Sendable {
    /// Records a check-in durably before returning (committed in groups with concurrent ones).
    func checkin(_ request: CheckinRequest) async throws -> CheckinOutcome
    /// Sets the check-out if the visit is open; returns the visit (unchanged when already checked out), nil if unknown.
    func checkout(visitID: Int64, at: Date) async throws -> Visit?
    func visit(id: Int64) async throws -> Visit?
    /// Visits at a venue with check-in in [from, to), oldest first.
    func visits(venueID: Int64, from: Date, to: Date, limit: Int) async throws -> [VisitRecord]
    /// Visits at a venue without check-out that began after `since` (open candidates; `Stay` decides).
    func uncheckedOutVisits(venueID: Int64, since: Date) async throws -> [VisitRecord]
    /// Checks out every listed visit still without check-out; returns how many changed.
    func checkoutAll(visitIDs: [Int64], at: Date) async throws -> Int
    /// Inserts imported visits; a visit already stored (same venue, person and check-in) is not duplicated.
    /// Returns the lines inserted and the lines that were duplicates.
    func importVisits(_ rows: [ImportedVisit]) async throws -> (inserted: [Int], duplicates: [Int])
    func visitCount() async throws -> Int
    func addFlag(_ flag: Flag) async throws
    func flags(venueID: Int64?, since: Date, limit: Int) async throws -> [Flag]
    /// The person's most recent visit made from `device` (a device or personal card).
    func latestVisit(personID: Int64, device: Data) async throws -> Visit?
    /// Visits (with the same person's next check-in) that may be present in [from, to), for each range: of a venue
    /// (`byVenue`) or of a person, answers in the order asked (a store may read many ranges in parts, at once). Those checked in from
    /// `Stay.maximum` before `from` (no stay is longer: an index range scan) and before `to`, less those that had
    /// ended by `from` by `StoreSQL.mayLastPast`; callers keep the presences that end after `from`.
    func stays(byVenue: Bool, ranges: [StayRange]) async throws -> [[StayRow]]
}

/// People (sealed), the devices and personal cards they check in with.
public protocol PeopleRepository: Sendable {
    func personID(phoneHash: Data) async throws -> Int64?
    func person(id: Int64) async throws -> SealedPerson?
    /// Remembers what a device (random cookie id, stored hashed) declared last, for one-tap check-ins.
    func linkDevice(_ deviceHash: Data, personID: Int64, declared: SealedPerson) async throws
    /// The device's person and what it declared (the person's phone, the device's own name and ID number).
    func device(hash: Data) async throws -> (personID: Int64, declared: SealedPerson)?
    /// The visits made from this device (the check-in's device hash) with check-in at or after `since`, newest
    /// first, at most `limit`: of every person the device checked in, and nothing from any other device.
    func deviceVisits(deviceHash: Data, since: Date, limit: Int) async throws -> [Visit]
    /// Unlinks the device from its visits (they stay for tracing until retention, as if checked in without it) and
    /// forgets what it declared; returns how many visits were unlinked.
    func forgetDevice(_ deviceHash: Data) async throws -> Int
    /// The person with this phone, added when missing; never changes what is stored about an existing person.
    func ensurePerson(_ person: SealedPerson) async throws -> Int64
    /// Stores a new card with what was declared for it; returns the person's id (added when missing).
    func addCard(codeHash: Data, person: SealedPerson, at: Date) async throws -> Int64
    /// The card's person and what was declared for it, marking the card used now; nil for an unknown card.
    func useCard(codeHash: Data, at: Date) async throws -> (personID: Int64, declared: SealedPerson)?
    /// The people with whom this ID number was declared (at a visit, on a card, or first with their phone).
    func personIDs(idHash: Data) async throws -> [Int64]
    func people(ids: [Int64]) async throws -> [Int64: SealedPerson]
    /// Every name declared with each person's phone (at visits and on cards), sealed; oldest first.
    func declaredNames(personIDs: [Int64]) async throws -> [Int64: [Data]]
}

/// Cases, their contacts' follow-up and quarantines, published exposure windows.
public protocol CaseRepository: Sendable {
    /// Inserts a case (its `id` is ignored) and returns its id.
    func insertCase(_ record: CaseRecord) async throws -> Int64
    func caseRecord(id: Int64) async throws -> CaseRecord?
    func cases(personID: Int64) async throws -> [CaseRecord]
    /// Cases matching `filter`, newest confirmation first (then highest id), at most `filter.limit`.
    func cases(_ filter: CaseFilter) async throws -> [CaseRecord]
    /// Replaces each listed contact's follow-up for its case (a `notCalled` status removes the record).
    func setFollowUps(_ followUps: [FollowUp]) async throws
    /// The follow-ups recorded for a case, by person.
    func followUps(caseID: Int64) async throws -> [Int64: FollowUp]
    func setClassification(caseID: Int64, _ classification: CaseRules.Classification, overridden: Bool) async throws -> CaseRecord?
    /// Replaces a case's facts, window and classification (its person, creation and id stay).
    func updateCase(_ record: CaseRecord) async throws
    /// Replaces the person's quarantine record.
    func setQuarantine(_ quarantine: Quarantine) async throws
    func quarantines(personIDs: [Int64]) async throws -> [Int64: Quarantine]
    /// Exposure windows a tracer published (the only ones a venue or the public sees).
    func publishWindows(_ windows: [PublishedWindow]) async throws -> [PublishedWindow]
    func publishedWindows(caseID: Int64) async throws -> [PublishedWindow]
    /// Windows in force (not withdrawn) that end after `since`: at one venue, or at venues of an area.
    func publishedWindows(venueID: Int64?, area: String?, since: Date) async throws -> [PublishedWindow]
    /// Withdraws a published window; nil when there is no such window.
    func withdrawWindow(id: Int64, at: Date) async throws -> PublishedWindow?
}

/// The append-only audit log.
public protocol AuditRepository: Sendable {
    /// Appends to the audit log (which nothing can change or delete) and returns the entry's id.
    func appendAudit(_ entry: AuditEntry) async throws -> Int64
    /// Newest first.
    func audit(_ filter: AuditFilter) async throws -> [AuditEntry]
}

/// The epidemic-level calculator's inputs, its announcements, and QR adoption.
public protocol LevelRepository: Sendable {
    /// QR adoption by commune, for the communes inside `area` (a province, district or commune code): venues by
    /// category now, and the check-ins from `from` until `to`.
    func adoption(area: String, from: Date, to: Date) async throws -> [String: AdoptionCounts]
    /// Community cases (traced + reported) by area and week back from `weeksEnding`: `[0]` in (d − 7, d], `[1]` in
    /// (d − 14, d − 7], … `weeks` of them; of the listed areas only, when `codes` is given.
    func communityCases(weeksEnding: Day, weeks: Int, codes: [String]?) async throws -> [String: [Int]]
    /// Sets the reported community cases of an area on a day (a second report for the same day replaces the first).
    func setReportedCases(code: String, day: Day, count: Int) async throws
    /// Merges the given figures into the area's row for that day (nil fields keep what is stored).
    func setWeekFigures(code: String, day: Day, _ figures: WeekFigures, by: String, at: Date) async throws
    func weekFigures(days: ClosedRange<Day>) async throws -> [String: [Day: WeekFigures]]
    func addAnnouncement(_ a: Announcement) async throws -> Int64
    func announcements(codes: [String]) async throws -> [String: [Announcement]]
}

/// Retention and the store's settings.
public protocol RetentionRepository: Sendable {
    /// Hard-deletes up to `limit` visits whose stay ended before `cutoff` (the check-out, or check-in + 24 h at the
    /// latest), then the people left with no visit, case or quarantine, and their devices. Returns the counts.
    func purgeVisits(endedBefore cutoff: Date, limit: Int) async throws -> (visits: Int, people: Int)
    /// Deletes idempotency keys created before `keysBefore`, devices and personal cards unused since `devicesBefore`
    /// (and the people they leave with nothing), flags before `flagsBefore`.
    func purgeRecords(keysBefore: Date, devicesBefore: Date, flagsBefore: Date) async throws -> (records: Int, people: Int)
    /// Makes deleted data unreadable in the files too (the write-ahead log checkpointed and truncated).
    func eraseFreedSpace() async throws
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, _ value: String) async throws
}

extension AuditRepository {
    public func audit(since: Date, caseID: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await audit(AuditFilter(since: since, caseID: caseID, limit: limit))
    }
}

/// A staff account (never shown with its password hash outside the store and the sign-in).
public struct Account: Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let role: Role
    public let passwordHash: String
    public let createdAt: Date
    public let disabledAt: Date?
    public let failures: Int
    public let lockedUntil: Date?

    public init(id: Int64, username: String, role: Role, passwordHash: String, createdAt: Date, disabledAt: Date?,
                failures: Int, lockedUntil: Date?) {
        self.id = id
        self.username = username
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.failures = failures
        self.lockedUntil = lockedUntil
    }

    public var principal: Principal { Principal(role: role, label: "account \(username)") }
}

/// A signed-in browser, as stored.
public struct SessionRecord: Sendable, Equatable {
    public let csrf: String
    public let createdAt: Date
    public let seenAt: Date
    public init(csrf: String, createdAt: Date, seenAt: Date) {
        self.csrf = csrf
        self.createdAt = createdAt
        self.seenAt = seenAt
    }
}

/// A bearer token as listed to admins: never the secret.
public struct TokenInfo: Sendable, Equatable {
    public let id: Int64
    public let role: Role
    public let venueID: Int64?
    public let label: String
    public let createdAt: Date
    public let lastUsedAt: Date?
    public let revokedAt: Date?

    public init(id: Int64, role: Role, venueID: Int64?, label: String, createdAt: Date, lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id
        self.role = role
        self.venueID = venueID
        self.label = label
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A time window when a case was at a venue, published by a tracer for the venue and the public.
public struct PublishedWindow: Sendable, Equatable {
    public var id: Int64
    public var caseID: Int64
    public var venueID: Int64
    public var from: Date
    public var to: Date
    public var publishedAt: Date
    public var publishedBy: String
    public var withdrawnAt: Date?

    public init(id: Int64 = 0, caseID: Int64, venueID: Int64, from: Date, to: Date, publishedAt: Date, publishedBy: String, withdrawnAt: Date? = nil) {
        self.id = id
        self.caseID = caseID
        self.venueID = venueID
        self.from = from
        self.to = to
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
        self.withdrawnAt = withdrawnAt
    }
}
