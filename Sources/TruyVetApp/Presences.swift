import Foundation
import TruyVetCore

/// The store as the overlap engine's source: visits with their effective ends (`Stay`), by venue or person.
public struct StorePresences: PresenceSource {
    let store: any Store

    public init(app: TruyVet) {
        self.store = app.store
    }

    public func presences(people ranges: [StayRange]) async throws -> [[Presence]] {
        try await read(byVenue: false, ranges)
    }

    public func presences(venues ranges: [StayRange]) async throws -> [[Presence]] {
        try await read(byVenue: true, ranges)
    }

    /// Visits that overlap [from, to) checked in at most `Stay.maximum` before `from`.
    private func read(byVenue: Bool, _ ranges: [StayRange]) async throws -> [[Presence]] {
        let stays = try await store.stays(byVenue: byVenue, ranges: ranges)
        var out: [[Presence]] = []
        out.reserveCapacity(ranges.count)
        for (range, list) in zip(ranges, stays) {
            out.append(list.map(\.presence).filter { $0.end > range.from })
        }
        return out
    }
}
