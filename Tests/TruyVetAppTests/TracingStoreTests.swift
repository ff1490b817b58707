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

    /// Random visits of three kinds stored in SQLite — a tracer's import (trusted), a venue's own import, and check-ins
    /// from one of each person's two devices — traced through the store, against the brute force over presences the
    /// test derives itself from the plan: a visit without check-out ends at the same person's next check-in only when
    /// that one is a trusted import or came from the same device.
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
        enum Kind { case trusted, venueImport, device(Int) }
        let t0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 4 * 86400)
        var csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n"
        var planned: [(phone: String, venue: Int, start: Date, checkout: Date?, kind: Kind)] = []
        for person in 0..<15 {
            let phone = String(format: "0912%06d", person)
            var starts = (0..<Int(rng.next() % 6)).map { _ in t0.addingTimeInterval(Double(rng.next() % (2 * 1440)) * 60) }
            starts = Array(Set(starts)).sorted()
            for start in starts {
                let venue = Int(rng.next() % 3)
                let checkout: Date? = rng.next() % 3 == 0 ? start.addingTimeInterval(Double(1 + rng.next() % 240) * 60) : nil
                let kind: Kind = switch rng.next() % 4 {
                case 0: .trusted
                case 1: .venueImport
                default: .device(Int(rng.next() % 2))
                }
                planned.append((phone, venue, start, checkout, kind))
                let sealed = app.seal(try PersonInput(name: "Khách", phone: phone, idNumber: nil))
                switch kind {
                case .trusted:
                    // Paper logs come with any offset: the same instants written in UTC, in Vietnam time or at -05:00.
                    let write = [Instant.format, Self.utc, Self.minusFive][Int(rng.next() % 3)]
                    csv += "\(venues[venue].id),\(phone),Khách,,\(write(start)),\(checkout.map(write) ?? "")\n"
                case .venueImport:
                    _ = try await app.store.importVisits([ImportedVisit(line: 0, venueID: venues[venue].id, person: sealed, checkinAt: start,
                                                                       checkoutAt: checkout, source: .venueImport)])
                case .device(let d):
                    let outcome = try await app.store.checkin(CheckinRequest(
                        venueID: venues[venue].id, defaultStayMinutes: venues[venue].stay, person: sealed, at: start, source: .scan,
                        idempotencyKey: nil, device: app.cipher.lookupHash("device", "\(phone)-\(d)")))
                    // A second scan from the same device while its visit here is open is that visit, not a new one.
                    guard case .created(let visit) = outcome else { planned.removeLast(); continue }
                    if let checkout { _ = try await app.store.checkout(visitID: visit.id, at: checkout) }
                }
            }
        }
        let report = try await app.importVisits(csv: csv, principal: Principal(role: .admin, label: "test"))
        #expect(report.rejected.isEmpty)

        // Expected presences, derived here from the plan.
        func device(_ k: Kind) -> Int? { if case .device(let d) = k { d } else { nil } }
        func trusted(_ k: Kind) -> Bool { if case .trusted = k { true } else { false } }
        var expected: [Presence] = []
        var personIDs: [String: Int64] = [:]
        for phone in Set(planned.map(\.phone)) {
            personIDs[phone] = try await app.store.personID(phoneHash: app.cipher.lookupHash("phone", "+84" + phone.dropFirst()))
        }
        for (i, v) in planned.enumerated() {
            let next = planned.filter { n in
                n.phone == v.phone && n.start > v.start && (trusted(n.kind) || (device(v.kind) != nil && device(v.kind) == device(n.kind)))
            }.map(\.start).min()
            let end = Stay.effectiveEnd(checkin: v.start, checkout: v.checkout, defaultStayMinutes: venues[v.venue].stay, nextCheckin: next)
            expected.append(Presence(visitID: Int64(i), personID: personIDs[v.phone]!, venueID: venues[v.venue].id, start: v.start, end: end))
        }
        // Presences as the store reads them, for hundreds of stretches at once (a store may split them among its
        // connections) and one at a time: both exactly the plan's that overlap each stretch, none dropped early.
        func key(_ p: Presence) -> String { "\(p.personID)@\(p.venueID) \(p.start.timeIntervalSince1970)–\(p.end.timeIntervalSince1970)" }
        let stretches = (0..<700).map { _ in
            let from = t0.addingTimeInterval(Double(rng.next() % (3 * 1440)) * 60 - 86400)
            return StayRange(id: venues[Int(rng.next() % 3)].id, from: from, to: from.addingTimeInterval(Double(1 + rng.next() % 600) * 60))
        }
        let source = StorePresences(app: app)
        let together = try await source.presences(venues: stretches)
        for (i, stretch) in stretches.enumerated() {
            let want = expected.filter { $0.venueID == stretch.id && $0.end > stretch.from && $0.start < stretch.to }.map(key).sorted()
            #expect(together[i].map(key).sorted() == want, "seed \(seed) stretch \(i)")
            if i % 50 == 0 { #expect(try await source.presences(venues: [stretch])[0].map(key).sorted() == want, "seed \(seed) stretch \(i) alone") }
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

/// "Already checked in here", as each store decides it, against `CheckinRules.isSameOpenVisit` at the edges: the last
/// second of the venue's default stay, the first second after it, another venue, after a check-out, a scan dated before
/// the open visit, another device, and a stay longer than the cap.
@Suite struct OpenVisitRuleTests {
    @Test func eachStoreAnswersAlreadyOpenExactlyWhenTheRuleSays() async throws {
        let t = try await TestApp.make()
        let app = t.app
        func venue(_ stay: Int) async throws -> Venue {
            try await app.registerVenue(VenueRegistration(name: "Quán \(stay)", address: "x", areaCode: "01843", category: "restaurant",
                                                          defaultStayMinutes: stay, contactPhone: "0912345678")).venue
        }
        let short = try await venue(30), other = try await venue(60), long = try await venue(24 * 60)
        let t0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3 * 86400).rounded(.down))
        var n = 0
        func request(_ v: Venue, _ at: Date, phone: String, device: String? = "d") throws -> CheckinRequest {
            CheckinRequest(venueID: v.id, defaultStayMinutes: v.defaultStayMinutes,
                           person: app.seal(try PersonInput(name: "Khách", phone: phone, idNumber: nil)), at: at, source: .scan,
                           idempotencyKey: nil, device: device.map { app.cipher.lookupHash("device", "\(phone)-\($0)") })
        }
        // (venue of the second scan, its offset from the first, what it is); the first scan is at `short` or `long`.
        let cases: [(first: Venue, second: Venue, offset: TimeInterval, device: String?, checkedOut: Bool, same: Bool)] = [
            (short, short, 0, "d", false, true),
            (short, short, 30 * 60 - 1, "d", false, true),
            (short, short, 30 * 60, "d", false, false),
            (short, other, 60, "d", false, false),
            (short, short, 60, "d", true, false),
            (short, short, -1, "d", false, false),
            (short, short, 60, "e", false, false),
            (short, short, 60, nil, false, false),
            (long, long, Stay.maximum - 1, "d", false, true),
            (long, long, Stay.maximum, "d", false, false),
        ]
        for c in cases {
            n += 1
            let phone = String(format: "0916%06d", n)
            guard case .created(let first) = try await app.store.checkin(try request(c.first, t0, phone: phone)) else {
                Issue.record("case \(n): the first scan was not a new visit"); continue
            }
            if c.checkedOut { _ = try await app.store.checkout(visitID: first.id, at: t0.addingTimeInterval(30)) }
            let latest = try #require(try await app.store.visit(id: first.id))
            let second = try request(c.second, t0.addingTimeInterval(c.offset), phone: phone, device: c.device)
            let outcome = try await app.store.checkin(second)
            let rule = c.device == "d" && CheckinRules.isSameOpenVisit(latest, second)
            #expect(rule == c.same, "case \(n): the rule itself")
            switch outcome {
            case .alreadyOpen(let v): #expect(c.same && v.id == first.id, "case \(n): answered already open")
            case .created(let v): #expect(!c.same && v.id != first.id, "case \(n): answered a new visit")
            case .replayed: Issue.record("case \(n): answered a replay without a key")
            }
        }
    }
}
