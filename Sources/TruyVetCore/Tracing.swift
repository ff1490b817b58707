import Foundation

/// A person's presence at a venue: one visit with its effective end (`Stay`), half-open [start, end).
public struct Presence: Sendable, Equatable, Hashable {
    public let visitID: Int64
    public let personID: Int64
    public let venueID: Int64
    public let start: Date
    public let end: Date
    /// The venue's category: some (a bus, a karaoke room) count any overlap.
    public let category: VenueCategory

    public init(visitID: Int64, personID: Int64, venueID: Int64, start: Date, end: Date, category: VenueCategory = .other) {
        self.visitID = visitID
        self.personID = personID
        self.venueID = venueID
        self.start = start
        self.end = end
        self.category = category
    }
}

/// A stored visit with what its effective end needs: the person's next check-in, the venue's default stay and category.
public struct StayRow: Sendable {
    public let visit: Visit
    public let nextCheckin: Date?
    public let defaultStayMinutes: Int
    public let category: VenueCategory

    public init(visit: Visit, nextCheckin: Date?, defaultStayMinutes: Int, category: VenueCategory) {
        self.visit = visit
        self.nextCheckin = nextCheckin
        self.defaultStayMinutes = defaultStayMinutes
        self.category = category
    }

    /// The visit as a presence, ending at its effective end (`Stay`).
    public var presence: Presence {
        Presence(visitID: visit.id, personID: visit.personID, venueID: visit.venueID, start: visit.checkinAt,
                 end: Stay.effectiveEnd(checkin: visit.checkinAt, checkout: visit.checkoutAt, defaultStayMinutes: defaultStayMinutes,
                                        nextCheckin: nextCheckin),
                 category: category)
    }
}

/// One reason a person is a contact: co-presence with `through` (the case, or an F1/F2) at a venue.
public struct Exposure: Sendable, Equatable, Hashable {
    /// The contact's presence, and the presence (clipped to its window) of the person they were exposed to.
    public let contact: Presence
    public let source: Presence
    /// The co-presence: [start, end).
    public let start: Date
    public let end: Date
    public var venueID: Int64 { source.venueID }
    public var visitID: Int64 { contact.visitID }
    public var sourceVisitID: Int64 { source.visitID }
    public var through: Int64 { source.personID }
    public var minutes: Double { end.timeIntervalSince(start) / 60 }
}

public enum Tier: Int, Sendable, Comparable, CaseIterable {
    case f1 = 1, f2, f3
    public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    public var name: String { "F\(rawValue)" }
}

public struct Contact: Sendable, Equatable {
    public let personID: Int64
    public let tier: Tier
    /// Every exposure found at this tier, longest first.
    public let exposures: [Exposure]
    /// When this person was first exposed: the start of their own onward window.
    public var firstExposure: Date { exposures.map(\.start).min()! }
    public var longestMinutes: Double { exposures.map(\.minutes).max() ?? 0 }
}

/// Where the tracer reads presences from (the store answers; tests give arrays). Asked in batches, one per tier.
public protocol PresenceSource: Sendable {
    /// For each range: that person's presences overlapping [from, to), answers in the order asked.
    func presences(people: [StayRange]) async throws -> [[Presence]]
    /// For each range: presences at that venue overlapping [from, to), answers in the order asked.
    func presences(venues: [StayRange]) async throws -> [[Presence]]
}

extension PresenceSource {
    public func presences(person: Int64, from: Date, to: Date) async throws -> [Presence] {
        try await presences(people: [StayRange(id: person, from: from, to: to)])[0]
    }
}

/// The overlap rules of contact tracing: the one engine every query uses.
public enum Overlap {
    public struct Rules: Sendable, Equatable {
        /// Co-presence needed, in minutes (0: any overlap at all, e.g. a bus or a karaoke room).
        public var minOverlapMinutes: Double = 15
        /// Venue categories with their own minimum (enclosed spaces); a tracer's explicit minimum clears these.
        public var minOverlapByCategory: [VenueCategory: Double] = [:]
        /// Added after each source visit ends (air lingers).
        public var bufferMinutes: Double = 0
        /// Onward window of an F1/F2 without a recorded quarantine: from first exposure, this many days.
        public var onwardDays: Double = 14
        public init(minOverlapMinutes: Double = 15, minOverlapByCategory: [VenueCategory: Double] = [:],
                    bufferMinutes: Double = 0, onwardDays: Double = 14) {
            self.minOverlapMinutes = minOverlapMinutes
            self.minOverlapByCategory = minOverlapByCategory
            self.bufferMinutes = bufferMinutes
            self.onwardDays = onwardDays
        }

        /// The co-presence needed at a venue of this category, in minutes.
        public func minimum(at category: VenueCategory) -> Double {
            minOverlapByCategory[category] ?? minOverlapMinutes
        }

        /// The shipped defaults: enclosed spaces where any shared moment counts.
        public static let enclosedCategories: [VenueCategory: Double] = [.passengerTransport: 0, .highRiskService: 0]
    }

    /// The exposure of `candidate` to `source` (already clipped to the source's window), if the rules count it.
    /// Intervals are half-open: visits that only touch never count, whatever `minOverlapMinutes` is.
    public static func exposure(of candidate: Presence, to source: Presence, rules: Rules) -> Exposure? {
        guard candidate.venueID == source.venueID, candidate.personID != source.personID else { return nil }
        let sourceEnd = source.end.addingTimeInterval(rules.bufferMinutes * 60)
        let start = max(candidate.start, source.start)
        let end = min(candidate.end, sourceEnd)
        guard end > start, end.timeIntervalSince(start) >= rules.minimum(at: source.category) * 60 else { return nil }
        return Exposure(contact: candidate, source: source, start: start, end: end)
    }

    /// Clips presences to [from, to); drops what falls outside.
    public static func clip(_ presences: [Presence], from: Date, to: Date) -> [Presence] {
        presences.compactMap { p in
            let s = max(p.start, from), e = min(p.end, to)
            return e > s ? Presence(visitID: p.visitID, personID: p.personID, venueID: p.venueID, start: s, end: e, category: p.category) : nil
        }
    }

    /// F1, then F2 and F3 up to `degree`: each person once, at the lowest tier, with every exposure at that tier.
    /// The case itself never appears. F2 windows run from the F1's first exposure until their quarantine start
    /// (`quarantineStarts` answers for the people of one tier at once), or `onwardDays` later when none is recorded;
    /// F3 likewise from F2.
    public static func trace(person: Int64, window: (from: Date, to: Date), degree: Int, rules: Rules,
                             source: any PresenceSource,
                             quarantineStarts: ([Int64]) async throws -> [Int64: Date] = { _ in [:] }) async throws -> [Contact] {
        var found: [Int64: Contact] = [:]
        var frontier: [(person: Int64, from: Date, to: Date)] = [(person, window.from, window.to)]
        let buffer = rules.bufferMinutes * 60
        for tier in Tier.allCases.prefix(max(0, min(degree, 3))) {
            // The presences of this tier's sources, clipped to their windows, by venue.
            let owns = try await source.presences(people: frontier.map { StayRange(id: $0.person, from: $0.from, to: $0.to) })
            var sourcesByVenue: [Int64: [Presence]] = [:]
            for (origin, list) in zip(frontier, owns) {
                for visit in clip(list, from: origin.from, to: origin.to) { sourcesByVenue[visit.venueID, default: []].append(visit) }
            }
            // One read per venue and stretch of time: source visits whose reaches overlap are merged.
            var ranges: [StayRange] = []
            for venue in sourcesByVenue.keys.sorted() {
                sourcesByVenue[venue]!.sort { ($0.start, $0.visitID) < ($1.start, $1.visitID) }
                var stretch: (from: Date, to: Date)?
                for visit in sourcesByVenue[venue]! {
                    let reach = visit.end.addingTimeInterval(buffer)
                    if let s = stretch, visit.start <= s.to {
                        stretch = (s.from, max(s.to, reach))
                    } else {
                        if let s = stretch { ranges.append(StayRange(id: venue, from: s.from, to: s.to)) }
                        stretch = (visit.start, reach)
                    }
                }
                if let s = stretch { ranges.append(StayRange(id: venue, from: s.from, to: s.to)) }
            }
            var candidatesByVenue: [Int64: [Presence]] = [:]
            for (range, list) in zip(ranges, try await source.presences(venues: ranges)) {
                candidatesByVenue[range.id, default: []] += list
            }
            var exposures: [Int64: [Exposure]] = [:]
            for (venue, sources) in sourcesByVenue {
                var seen = Set<Int64>()
                let candidates = (candidatesByVenue[venue] ?? []).filter { seen.insert($0.visitID).inserted && $0.personID != person && found[$0.personID] == nil }
                for visit in sources {
                    for candidate in candidates {
                        if let e = exposure(of: candidate, to: visit, rules: rules) { exposures[candidate.personID, default: []].append(e) }
                    }
                }
            }
            var next: [(person: Int64, from: Date, to: Date)] = []
            let quarantined = tier.rawValue < degree ? try await quarantineStarts(Array(exposures.keys)) : [:]
            for (id, list) in exposures.sorted(by: { $0.key < $1.key }) {
                let unique = Array(Set(list)).sorted { ($0.minutes, $1.start, $0.visitID) > ($1.minutes, $0.start, $1.visitID) }
                let contact = Contact(personID: id, tier: tier, exposures: unique)
                found[id] = contact
                let from = contact.firstExposure
                let to = quarantined[id] ?? from.addingTimeInterval(rules.onwardDays * 86400)
                if to > from { next.append((id, from, to)) }
            }
            frontier = next
            if frontier.isEmpty { break }
        }
        return found.values.sorted { ($0.tier, -$0.longestMinutes, $0.personID) < ($1.tier, -$1.longestMinutes, $1.personID) }
    }
}
