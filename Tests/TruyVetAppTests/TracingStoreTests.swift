import Foundation
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetTestSupport

@Suite struct TracingStoreTests {
    static func utc(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(secondsFromGMT: 0)
        return f.string(from: d)
    }

    static func minusFive(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(secondsFromGMT: -5 * 3600)
        return f.string(from: d)
    }

    /// Random visits imported into SQLite, traced through the store, against the brute force over presences the test
    /// derives itself from what it imported.
    @Test(arguments: 0..<8)
    func storeTracingAgreesWithBruteForce(seed: Int) async throws {
        let t = try await TestApp.make()
        let app = t.app
        var rng = SplitMix(seed: UInt64(seed))
        var venues: [(id: Int64, stay: Int)] = []
        for i in 0..<3 {
            let stay = [30, 60, 120][i]
            let v = try await app.registerVenue(VenueRegistration(name: "Địa điểm \(i)", address: "x", areaCode: "01843", category: "restaurant",
                                                                  defaultStayMinutes: stay, contactPhone: "0912345678")).venue
            venues.append((v.id, stay))
        }
        let t0 = Date(timeIntervalSince1970: 1_637_254_800)
        var csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n"
        var planned: [(phone: String, venue: Int, start: Date, checkout: Date?)] = []
        for person in 0..<15 {
            let phone = String(format: "0912%06d", person)
            var starts = (0..<Int(rng.next() % 5)).map { _ in t0.addingTimeInterval(Double(rng.next() % (2 * 1440)) * 60) }
            starts = Array(Set(starts)).sorted()
            for start in starts {
                let venue = Int(rng.next() % 3)
                let checkout: Date? = rng.next() % 3 == 0 ? nil : start.addingTimeInterval(Double(1 + rng.next() % 240) * 60)
                planned.append((phone, venue, start, checkout))
                // Paper logs come with any offset: the same instants written in UTC, in Vietnam time or at -05:00.
                let write = [Instant.format, Self.utc, Self.minusFive][Int(rng.next() % 3)]
                csv += "\(venues[venue].id),\(phone),Khách,,\(write(start)),\(checkout.map(write) ?? "")\n"
            }
        }
        let report = try await app.importVisits(csv: csv, principal: Principal(role: .admin, label: "test"))
        #expect(report.rejected.isEmpty)

        // Expected presences, derived here from the plan.
        var expected: [Presence] = []
        var personIDs: [String: Int64] = [:]
        for phone in Set(planned.map(\.phone)) {
            personIDs[phone] = try await app.store.personID(phoneHash: app.cipher.lookupHash("phone", "+84" + phone.dropFirst()))
        }
        for (i, v) in planned.enumerated() {
            let next = planned.filter { $0.phone == v.phone && $0.start > v.start }.map(\.start).min()
            let end = Stay.effectiveEnd(checkin: v.start, checkout: v.checkout, defaultStayMinutes: venues[v.venue].stay, nextCheckin: next)
            expected.append(Presence(visitID: Int64(i), personID: personIDs[v.phone]!, venueID: venues[v.venue].id, start: v.start, end: end))
        }
        guard let index = personIDs["0912000000"] else { return }  // the case: person 0, if they visited anywhere
        let window = (t0, t0.addingTimeInterval(2 * 86400))
        let rules = Overlap.Rules(minOverlapMinutes: 10)
        for degree in 1...3 {
            let traced = try await Overlap.trace(person: index, window: window, degree: degree, rules: rules, source: StorePresences(app: app))
            let reference = bruteForce(expected, person: index, window: window, degree: degree, rules: rules, quarantine: [:])
            #expect(Dictionary(uniqueKeysWithValues: traced.map { ($0.personID, $0.tier.rawValue) }) == reference.mapValues(\.tier),
                    "seed \(seed) degree \(degree)")
        }
    }
}
