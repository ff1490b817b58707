import Foundation
import Synchronization
import TruyVetCore

/// Group commit on PostgreSQL: check-ins that arrive while earlier groups are being stored wait and go together in the
/// next statement (`checkin_visits`, one transaction), so a check-in costs a share of one round trip and one commit
/// instead of its own. Up to `maxRunning` groups are stored at once (each on its own pooled connection; PostgreSQL
/// flushes their commits together too), so one slow group never holds every check-in. A check-in is answered only
/// after its group has committed; a group that fails answers each of its check-ins with that error (nothing of it
/// was stored).
final class PostgresCheckinBatcher: Sendable {
    typealias Store = @Sendable ([CheckinRequest]) async throws -> [CheckinOutcome]
    private struct State {
        var pending: [(CheckinRequest, CheckedContinuation<CheckinOutcome, any Error>)] = []
        var running = 0
    }
    private let state = Mutex(State())
    private let store: Store
    static let maxBatch = 256
    static let maxRunning = 4

    init(store: @escaping Store) {
        self.store = store
    }

    func submit(_ request: CheckinRequest) async throws -> CheckinOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { s in
                s.pending.append((request, continuation))
                guard s.running < Self.maxRunning else { return false }
                s.running += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { s in
                let batch = Array(s.pending.prefix(Self.maxBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.running -= 1 }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await store(batch.map(\.0))
                for (item, outcome) in zip(batch, outcomes) { item.1.resume(returning: outcome) }
            } catch {
                for item in batch { item.1.resume(throwing: error) }
            }
        }
    }
}
