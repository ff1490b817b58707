import Foundation
import TruyVetCore

/// The store as the overlap engine's source: visits with their effective ends (`Stay`), by venue or person.
public struct StorePresences: PresenceSource {
    let app: TruyVet

    public init(app: TruyVet) {
        self.app = app
    }

    public func presences(people ranges: [StayRange]) async throws -> [[Presence]] {
        try await read(byVenue: false, ranges)
    }

    public func presences(venues ranges: [StayRange]) async throws -> [[Presence]] {
        try await read(byVenue: true, ranges)
    }

    /// Visits that overlap [from, to) checked in at most `Stay.maximum` before `from`.
    private func read(byVenue: Bool, _ ranges: [StayRange]) async throws -> [[Presence]] {
        let stays = try await app.store.stays(byVenue: byVenue, ranges: ranges.map { StayRange(id: $0.id, from: $0.from.addingTimeInterval(-Stay.maximum), to: $0.to) })
        var out: [[Presence]] = []
        out.reserveCapacity(ranges.count)
        for (range, list) in zip(ranges, stays) {
            out.append(try await app.presences(list).filter { $0.end > range.from })
        }
        return out
    }
}

extension TruyVet {
    /// Stored visits as presences: each with its effective end (`Stay`, the venue's default stay) and venue category.
    public func presences(_ stays: [(visit: Visit, nextCheckin: Date?)]) async throws -> [Presence] {
        var result: [Presence] = []
        result.reserveCapacity(stays.count)
        for (visit, next) in stays {
            let venue = try await store.venue(id: visit.venueID)
            let end = Stay.effectiveEnd(checkin: visit.checkinAt, checkout: visit.checkoutAt,
                                        defaultStayMinutes: venue?.defaultStayMinutes ?? VenueRegistration.defaultStay, nextCheckin: next)
            result.append(Presence(visitID: visit.id, personID: visit.personID, venueID: visit.venueID, start: visit.checkinAt, end: end,
                                   category: venue?.category ?? .other))
        }
        return result
    }
}
