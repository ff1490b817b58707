import Foundation
import Testing
import TruyVetCore
import TruyVetTestSupport

/// Presences in memory, answered by filtering: what the store does with its indexes.
struct ArraySource: PresenceSource {
    let all: [Presence]
    func presences(people: [StayRange]) async throws -> [[Presence]] {
        people.map { r in all.filter { $0.personID == r.id && $0.end > r.from && $0.start < r.to } }
    }
    func presences(venues: [StayRange]) async throws -> [[Presence]] {
        venues.map { r in all.filter { $0.venueID == r.id && $0.end > r.from && $0.start < r.to } }
    }
}

@Suite struct OverlapTests {
    let t0 = Date(timeIntervalSince1970: 1_637_254_800)  // 2021-11-19 00:00 +07:00
    func p(_ visit: Int64, _ person: Int64, _ venue: Int64, _ from: Double, _ to: Double) -> Presence {
        Presence(visitID: visit, personID: person, venueID: venue, start: t0.addingTimeInterval(from * 60), end: t0.addingTimeInterval(to * 60))
    }

    @Test func touchingVisitsNeverOverlapEvenWithZeroMinimum() throws {
        let rules = Overlap.Rules(minOverlapMinutes: 0)
        #expect(Overlap.exposure(of: p(2, 2, 1, 60, 90), to: p(1, 1, 1, 0, 60), rules: rules) == nil)
        #expect(Overlap.exposure(of: p(2, 2, 1, 59, 90), to: p(1, 1, 1, 0, 60), rules: rules)?.minutes == 1)
        #expect(Overlap.exposure(of: p(2, 2, 2, 0, 60), to: p(1, 1, 1, 0, 60), rules: rules) == nil, "another venue")
    }

    @Test func theMinimumAndTheBufferApply() throws {
        let source = p(1, 1, 1, 0, 60)
        #expect(Overlap.exposure(of: p(2, 2, 1, 46, 120), to: source, rules: .init(minOverlapMinutes: 15)) == nil)
        #expect(Overlap.exposure(of: p(2, 2, 1, 45, 120), to: source, rules: .init(minOverlapMinutes: 15))?.minutes == 15)
        // Arriving after the case left still counts while the air lingers.
        #expect(Overlap.exposure(of: p(2, 2, 1, 65, 120), to: source, rules: .init(minOverlapMinutes: 10, bufferMinutes: 30))?.minutes == 25)
    }

    @Test func enclosedCategoriesCountAnyOverlap() throws {
        let rules = Overlap.Rules(minOverlapByCategory: Overlap.Rules.enclosedCategories)
        let bus = Presence(visitID: 1, personID: 1, venueID: 9, start: t0, end: t0.addingTimeInterval(3600), category: .passengerTransport)
        let rider = Presence(visitID: 2, personID: 2, venueID: 9, start: t0.addingTimeInterval(3300), end: t0.addingTimeInterval(7200), category: .passengerTransport)
        #expect(Overlap.exposure(of: rider, to: bus, rules: rules)?.minutes == 5)
        let cafe = Presence(visitID: 1, personID: 1, venueID: 9, start: t0, end: t0.addingTimeInterval(3600), category: .restaurant)
        #expect(Overlap.exposure(of: rider, to: cafe, rules: rules) == nil, "5 minutes in a café is not enough")
    }

    @Test func aPersonAppearsOnceAtTheLowestTierAndTheCaseNever() async throws {
        // Case 1 at the café 0–60; An (2) 30–90 there → F1; An at the market 100–160 with Bình (3) 120–200 → F2;
        // Bình meets the case again much later (not in the case window) and Chi (4) meets both An and Bình.
        let all = [p(1, 1, 1, 0, 60), p(2, 2, 1, 30, 90), p(3, 2, 2, 100, 160), p(4, 3, 2, 120, 200),
                   p(5, 1, 3, 2000, 2100), p(6, 3, 3, 2000, 2100), p(7, 4, 2, 110, 190)]
        let contacts = try await Overlap.trace(person: 1, window: (t0, t0.addingTimeInterval(120 * 60)), degree: 3,
                                               rules: .init(), source: ArraySource(all: all))
        #expect(contacts.map(\.personID) == [2, 4, 3])
        #expect(contacts.map(\.tier) == [.f1, .f2, .f2])
        #expect(contacts.first { $0.personID == 4 }?.exposures.map(\.through) == [2])
        #expect(!contacts.contains { $0.personID == 1 })
    }

    @Test func quarantineEndsTheOnwardWindow() async throws {
        let all = [p(1, 1, 1, 0, 60), p(2, 2, 1, 0, 60), p(3, 2, 2, 600, 700), p(4, 3, 2, 600, 700)]
        let open = try await Overlap.trace(person: 1, window: (t0, t0.addingTimeInterval(86400)), degree: 2, rules: .init(),
                                           source: ArraySource(all: all))
        #expect(open.map(\.personID) == [2, 3])
        let quarantined = try await Overlap.trace(person: 1, window: (t0, t0.addingTimeInterval(86400)), degree: 2, rules: .init(),
                                                  source: ArraySource(all: all),
                                                  quarantineStarts: { $0.contains(2) ? [2: self.t0.addingTimeInterval(300 * 60)] : [:] })
        #expect(quarantined.map(\.personID) == [2])
    }

    /// Random worlds, the engine against the brute-force reference, degrees 1 to 3.
    @Test(arguments: 0..<60)
    func agreesWithBruteForce(seed: Int) async throws {
        var rng = SplitMix(seed: UInt64(seed))
        let people = Int64(2 + Int(rng.next() % 30)), venues = Int64(1 + Int(rng.next() % 5))
        var all: [Presence] = []
        var visitID: Int64 = 0
        for person in 1...people {
            // Check-ins over three days (crossing midnights), sorted; some never checked out.
            var starts = (0..<Int(rng.next() % 6)).map { _ in t0.addingTimeInterval(Double(rng.next() % (3 * 1440)) * 60) }
            starts.sort()
            for (i, start) in starts.enumerated() {
                visitID += 1
                let checkout: Date? = rng.next() % 10 < 3 ? nil : start.addingTimeInterval(Double(rng.next() % 300) * 60)
                let end = Stay.effectiveEnd(checkin: start, checkout: checkout, defaultStayMinutes: 30 + Int(rng.next() % 180),
                                            nextCheckin: i + 1 < starts.count ? starts[i + 1] : nil)
                let venue = 1 + Int64(rng.next() % UInt64(venues))
                // Venue 1 is a bus: with the enclosed-space defaults any overlap counts there.
                all.append(Presence(visitID: visitID, personID: person, venueID: venue, start: start, end: end,
                                    category: venue == 1 ? .passengerTransport : .restaurant))
            }
        }
        let rules = Overlap.Rules(minOverlapMinutes: [0, 5, 15][Int(rng.next() % 3)],
                                  minOverlapByCategory: rng.next() % 2 == 0 ? [:] : Overlap.Rules.enclosedCategories,
                                  bufferMinutes: [0, 30][Int(rng.next() % 2)],
                                  onwardDays: [1, 14][Int(rng.next() % 2)])
        let quarantine: [Int64: Date] = Dictionary(uniqueKeysWithValues: (1...people).filter { _ in rng.next() % 5 == 0 }
            .map { ($0, t0.addingTimeInterval(Double(rng.next() % (3 * 1440)) * 60)) })
        let window = (t0.addingTimeInterval(Double(rng.next() % 1440) * 60), t0.addingTimeInterval(Double(1440 + rng.next() % 1440) * 60))
        for degree in 1...3 {
            let engine = try await Overlap.trace(person: 1, window: window, degree: degree, rules: rules, source: ArraySource(all: all),
                                                 quarantineStarts: { ids in quarantine.filter { ids.contains($0.key) } })
            let reference = bruteForce(all, person: 1, window: window, degree: degree, rules: rules, quarantine: quarantine)
            #expect(Set(engine.map(\.personID)) == Set(reference.keys), "seed \(seed) degree \(degree)")
            for c in engine {
                #expect(c.tier.rawValue == reference[c.personID]?.tier, "seed \(seed) person \(c.personID)")
                let mine = Set(c.exposures.map { [$0.visitID, $0.sourceVisitID, Int64($0.start.timeIntervalSince1970), Int64($0.end.timeIntervalSince1970)] })
                #expect(mine == reference[c.personID]?.exposures, "seed \(seed) person \(c.personID)")
            }
            // Sorted by tier, then longest exposure.
            #expect(engine.map(\.tier) == engine.map(\.tier).sorted())
        }
    }
}
