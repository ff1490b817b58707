import Foundation
import TruyVetCore

/// The store as the overlap engine's source: visits with their effective ends (`Stay`), by venue or person.
public struct StorePresences: PresenceSource {
    let app: TruyVet

    public init(app: TruyVet) {
        self.app = app
    }

    public func presences(person: Int64, from: Date, to: Date) async throws -> [Presence] {
        try await presences(try await app.store.stays(personID: person, checkinFrom: from.addingTimeInterval(-Stay.maximum), checkinTo: to), from: from)
    }

    public func presences(venue: Int64, from: Date, to: Date) async throws -> [Presence] {
        try await presences(try await app.store.stays(venueID: venue, checkinFrom: from.addingTimeInterval(-Stay.maximum), checkinTo: to), from: from)
    }

    private func presences(_ stays: [(visit: Visit, nextCheckin: Date?)], from: Date) async throws -> [Presence] {
        var result: [Presence] = []
        for (visit, next) in stays {
            let stay = try await app.store.venue(id: visit.venueID)?.defaultStayMinutes ?? VenueRegistration.defaultStay
            let end = Stay.effectiveEnd(checkin: visit.checkinAt, checkout: visit.checkoutAt, defaultStayMinutes: stay, nextCheckin: next)
            if end > from {
                result.append(Presence(visitID: visit.id, personID: visit.personID, venueID: visit.venueID, start: visit.checkinAt, end: end))
            }
        }
        return result
    }
}
