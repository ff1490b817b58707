import Foundation
import Testing
import TruyVetCore

@Suite struct BurstDetectorTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func minute(_ m: Int, second: Int = 0) -> Date { t0.addingTimeInterval(TimeInterval(m * 60 + second)) }

    @Test func moreThanCapacityInAMinuteIsABurstReportedOnce() throws {
        let d = BurstDetector()
        var bursts: [BurstDetector.Burst] = []
        for i in 0..<10 { if let b = d.record(venueID: 1, capacity: 4, now: minute(0, second: i)) { bursts.append(b) } }
        #expect(bursts == [BurstDetector.Burst(count: 5, threshold: 4, reason: .capacity)])
        // The next minute starts afresh.
        #expect(d.record(venueID: 1, capacity: 4, now: minute(1)) == nil)
        #expect(d.record(venueID: 2, capacity: 4, now: minute(1)) == nil, "venues are counted apart")
    }

    @Test func farAboveTheLearnedNormalRateIsABurst() throws {
        let d = BurstDetector()
        // Three hours of a busy market: 30 check-ins a minute, never flagged.
        for m in 0..<180 {
            for s in 0..<30 { #expect(d.record(venueID: 7, capacity: nil, now: minute(m, second: s)) == nil) }
        }
        // Then 149 in one minute is still under 5 × 30; the 151st crosses it.
        var burst: BurstDetector.Burst?
        for s in 0..<160 { burst = burst ?? d.record(venueID: 7, capacity: nil, now: minute(180, second: s % 60)) }
        #expect(burst?.reason == .normalRate)
        #expect(burst?.count == 151 && burst?.threshold == 150)
    }

    @Test func aQuietVenueIsNotFlaggedForASmallGroupButIsForACrowd() throws {
        let d = BurstDetector()
        for s in 0..<40 { #expect(d.record(venueID: 3, capacity: nil, now: minute(0, second: s)) == nil) }
        var burst: BurstDetector.Burst?
        for s in 0..<61 { burst = burst ?? d.record(venueID: 3, capacity: nil, now: minute(5, second: s % 60)) }
        #expect(burst == BurstDetector.Burst(count: 61, threshold: 60, reason: .normalRate))
    }
}
