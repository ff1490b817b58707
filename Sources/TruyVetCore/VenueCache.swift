import Foundation
import Synchronization

/// Venues are read on every check-in and change rarely: this decorator keeps them in memory in front of any store's
/// venues, updated by the writes that go through it. Entries older than `maxAge` are read again, so a change made by
/// another server sharing the database (a rotated poster, new settings) is seen here within `maxAge`; a poster newer
/// than the remembered venue is always checked against the store at once.
public final class VenueCache: VenueRepository {
    private let base: any VenueRepository
    private let maxAge: TimeInterval
    private let entries = Mutex<[Int64: (venue: Venue, at: Date)]>([:])
    static let maxVenues = 500_000

    public init(_ base: any VenueRepository, maxAge: TimeInterval = 30) {
        self.base = base
        self.maxAge = maxAge
    }

    private func remember(_ venue: Venue) {
        entries.withLock { e in
            if e.count >= Self.maxVenues { e.removeAll(keepingCapacity: true) }
            e[venue.id] = (venue, Date())
        }
    }

    /// The venue if it is in memory and young enough (no I/O, callable on an event loop); nil means "ask `venue(id:)`".
    public func cached(id: Int64) -> Venue? {
        entries.withLock { e in
            guard let entry = e[id], Date().timeIntervalSince(entry.at) < maxAge else { return nil }
            return entry.venue
        }
    }

    /// The venue as stored now (and remembered).
    public func fresh(id: Int64) async throws -> Venue? {
        let venue = try await base.venue(id: id)
        if let venue { remember(venue) } else { entries.withLock { _ = $0.removeValue(forKey: id) } }
        return venue
    }

    public func venue(id: Int64) async throws -> Venue? {
        if let venue = cached(id: id) { return venue }
        return try await fresh(id: id)
    }

    public func insertVenue(_ venue: Venue) async throws -> Bool {
        let inserted = try await base.insertVenue(venue)
        if inserted { remember(venue) }
        return inserted
    }

    public func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue] {
        try await base.venues(inArea: code, limit: limit, offset: offset)
    }

    public func rotatePoster(venueID: Int64, shortCode: String) async throws -> Venue? {
        let venue = try await base.rotatePoster(venueID: venueID, shortCode: shortCode)
        if let venue { remember(venue) }
        return venue
    }

    public func updateVenue(_ venue: Venue) async throws -> Venue? {
        let saved = try await base.updateVenue(venue)
        if let saved { remember(saved) }
        return saved
    }

    public func sealClearContactPhones(_ seal: @Sendable (String) -> Data) async throws -> Int {
        let changed = try await base.sealClearContactPhones(seal)
        if changed > 0 { entries.withLock { $0.removeAll() } }
        return changed
    }

    public func venue(shortCode: String) async throws -> Venue? {
        try await base.venue(shortCode: shortCode)
    }
}
