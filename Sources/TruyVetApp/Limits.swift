import Foundation
import Synchronization

/// At most `limit` events per key in each fixed window (a minute, an hour). 0 = unlimited.
final class RateLimiter: Sendable {
    private struct State {
        var window: Int64 = 0
        var counts: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let limit: Int
    let window: TimeInterval

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Counts one event; false when the key is over its limit in this window.
    func allow(_ key: String, now: Date) -> Bool {
        guard limit > 0 else { return true }
        let current = Int64(now.timeIntervalSince1970 / window)
        return state.withLock { s in
            if s.window != current {
                s.window = current
                s.counts.removeAll(keepingCapacity: true)
            }
            let n = s.counts[key, default: 0] + 1
            s.counts[key] = n
            return n <= limit
        }
    }

    /// True when the key has used up its limit in this window (without counting an event).
    func exhausted(_ key: String, now: Date) -> Bool {
        guard limit > 0 else { return false }
        let current = Int64(now.timeIntervalSince1970 / window)
        return state.withLock { s in s.window == current && s.counts[key, default: 0] >= limit }
    }

    /// Seconds until the current window ends (for Retry-After).
    func retryAfter(now: Date) -> Int {
        let t = now.timeIntervalSince1970
        return max(1, Int((floor(t / window) + 1) * window - t))
    }
}

