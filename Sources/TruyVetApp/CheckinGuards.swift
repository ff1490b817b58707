import Foundation
import TruyVetCore

/// The limits and the burst detector that every check-in passes, whatever its way in (JSON API,
/// the visitor's form, card scans, the staff desk): one instance per `TruyVet`.
final class CheckinGuards: Sendable {
    /// Check-ins per client address and minute.
    let perAddress: RateLimiter
    /// Check-ins per sender (a device, or a phone from one address) and hour.
    let perSender: RateLimiter
    /// Invalid poster codes per client address and minute: codes cannot be enumerated.
    let invalidCodes: RateLimiter
    let bursts = BurstDetector()

    init(config: AppConfig) {
        perAddress = RateLimiter(limit: config.checkinRateLimit, window: 60)
        perSender = RateLimiter(limit: config.checkinRateLimit == 0 ? 0 : config.personRateLimit, window: 3600)
        invalidCodes = RateLimiter(limit: config.checkinRateLimit == 0 ? 0 : 20, window: 60)
    }
}

extension TruyVet {
    func limitAddress(_ client: String) throws {
        let now = config.clock()
        guard guards.perAddress.allow(client, now: now) else {
            AppMetrics.rateLimited("address")
            throw RateLimited(retryAfter: guards.perAddress.retryAfter(now: now), message: "too many check-ins from this address; try again in a minute")
        }
    }

    /// The hourly limit of one sender: a device (cookie or personal card) counts everything it sent; without one, a
    /// phone number counts only what came for it from this address. Nobody else can use up a person's own check-ins.
    func limitSender(phone: String, device: Data?, client: String) throws {
        let now = config.clock()
        let key = device.map { "d:" + Base64URL.encode($0) } ?? "p:\(phone)|\(client)"
        guard guards.perSender.allow(key, now: now) else {
            AppMetrics.rateLimited("sender")
            throw RateLimited(retryAfter: guards.perSender.retryAfter(now: now), message: "too many check-ins from this device or for this phone number in the last hour")
        }
    }

    /// The flag to record if this check-in trips the venue's burst detector.
    func burstFlag(_ receipt: TruyVet.Receipt) -> Flag? {
        guard case .created = receipt.outcome,
              let burst = guards.bursts.record(venueID: receipt.venue.id, capacity: receipt.venue.capacity, now: config.clock()) else { return nil }
        let detail = switch burst.reason {
        case .capacity: "\(burst.count) check-ins within a minute, more than the venue's capacity of \(burst.threshold)"
        case .normalRate: "\(burst.count) check-ins within a minute, far above the venue's normal rate (threshold \(burst.threshold))"
        }
        return Flag(venueID: receipt.venue.id, at: config.clock(), kind: .checkinBurst, detail: detail)
    }
}
