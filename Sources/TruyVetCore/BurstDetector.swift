import Foundation
import Synchronization

/// Notices check-in bursts at a venue (photos of a poster used for remote or mass check-ins): a minute with more
/// check-ins than the venue's capacity, or far above the venue's normal rate. The normal rate is learned per venue
/// as an exponentially weighted average of check-ins per minute. Each venue is reported at most once a minute.
public final class BurstDetector: Sendable {
    public struct Rule: Sendable {
        /// A minute is a burst above this many times the venue's normal rate…
        public var factor: Double = 5
        /// …but never below this many check-ins (quiet venues are not flagged for a small group).
        public var floor: Int = 60
        /// Weight of the latest minute in the normal rate.
        public var smoothing: Double = 0.05
        public init() {}
    }

    public struct Burst: Sendable, Equatable {
        public let count: Int
        public let threshold: Int
        public let reason: Reason
        public enum Reason: String, Sendable { case capacity, normalRate = "normal_rate" }
        public init(count: Int, threshold: Int, reason: Reason) {
            self.count = count
            self.threshold = threshold
            self.reason = reason
        }
    }

    private struct Venue {
        var minute: Int64
        var count = 0
        var normal = 0.0
        var reported = false
    }

    private let venues = Mutex<[Int64: Venue]>([:])
    public let rule: Rule

    public init(rule: Rule = Rule()) {
        self.rule = rule
    }

    /// Counts one check-in; returns the burst the first time a venue's minute crosses its threshold.
    public func record(venueID: Int64, capacity: Int?, now: Date) -> Burst? {
        let minute = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        return venues.withLock { all in
            var v = all[venueID] ?? Venue(minute: minute)
            if v.minute != minute {
                // Fold the finished minute into the normal rate, then the empty minutes since.
                let idle = max(0, Int(minute - v.minute) - 1)
                v.normal = v.normal * (1 - rule.smoothing) + Double(v.count) * rule.smoothing
                v.normal *= pow(1 - rule.smoothing, Double(min(idle, 10_000)))
                v = Venue(minute: minute, count: 0, normal: v.normal, reported: false)
            }
            v.count += 1
            defer { all[venueID] = v }
            guard !v.reported else { return nil }
            let rateThreshold = max(rule.floor, Int((v.normal * rule.factor).rounded(.up)))
            if let capacity, v.count > capacity {
                v.reported = true
                return Burst(count: v.count, threshold: capacity, reason: .capacity)
            }
            if v.count > rateThreshold {
                v.reported = true
                return Burst(count: v.count, threshold: rateThreshold, reason: .normalRate)
            }
            return nil
        }
    }
}
