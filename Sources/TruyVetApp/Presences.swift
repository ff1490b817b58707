import Foundation
import TruyVetCore

/// The store as the overlap engine's source: visits with their effective ends (`Stay`), by venue or person.
public struct StorePresences: PresenceSource {
    let app: TruyVet

    public init(app: TruyVet) {
        self.app = app
    }

    public func presences(person: Int64, from: Date, to: Date) async throws -> [Presence] {
        try await app.presences(try await app.store.stays(personID: person, checkinFrom: from.addingTimeInterval(-Stay.maximum), checkinTo: to))
            .filter { $0.end > from }
    }

    public func presences(venue: Int64, from: Date, to: Date) async throws -> [Presence] {
        try await app.presences(try await app.store.stays(venueID: venue, checkinFrom: from.addingTimeInterval(-Stay.maximum), checkinTo: to))
            .filter { $0.end > from }
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
