import Foundation
import Testing
import TruyVetCore

/// Clusters against a brute-force reference: every pair of case presences at a venue within the gap linked, the
/// connected groups with two or more cases kept.
@Suite struct ClusterTests {
    let t0 = Date(timeIntervalSince1970: 1_637_254_800)  // 2021-11-19 00:00 +07:00

    func reference(_ all: [Clusters.CasePresence], days: Double) -> Set<Set<Clusters.CasePresence>> {
        var parent = Array(all.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
        for i in all.indices {
            for j in all.indices where j > i && all[i].presence.venueID == all[j].presence.venueID {
                let (a, b) = all[i].presence.start <= all[j].presence.start ? (all[i].presence, all[j].presence) : (all[j].presence, all[i].presence)
                if b.start.timeIntervalSince(a.end) <= days * 86_400 { parent[root(j)] = root(i) }
            }
        }
        let groups = Dictionary(grouping: all.indices, by: root).values.map { Set($0.map { all[$0] }) }
        return Set(groups.filter { Set($0.map(\.caseID)).count >= 2 })
    }

    @Test(arguments: 0..<200) func randomWorldsMatchTheReference(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed))
        let venues = Int64.random(in: 1...6, using: &rng)
        let cases = Int64.random(in: 1...8, using: &rng)
        let days = [0, 0.5, 1, 3, 7][Int.random(in: 0..<5, using: &rng)]
        var all: [Clusters.CasePresence] = []
        for visit in 0..<Int.random(in: 0...40, using: &rng) {
            let start = t0.addingTimeInterval(Double(Int.random(in: 0..<(30 * 24), using: &rng)) * 3600)
            let end = start.addingTimeInterval(Double(Int.random(in: 0...360, using: &rng)) * 60)
            let caseID = Int64.random(in: 1...cases, using: &rng)
            all.append(.init(caseID: caseID, presence: Presence(visitID: Int64(visit), personID: caseID + 100, venueID: Int64.random(in: 1...venues, using: &rng),
                                                                start: start, end: end)))
        }
        let found = Clusters.find(all, days: days)
        #expect(Set(found.map { Set($0.presences) }) == reference(all, days: days), "seed \(seed)")
        for cluster in found {
            #expect(cluster.caseIDs.count >= 2 && Set(cluster.presences.map(\.presence.venueID)) == [cluster.venueID])
            // Links: exactly the pairs of different cases that overlap.
            var pairs = Set<String>()
            for a in cluster.presences { for b in cluster.presences where a.caseID < b.caseID
                && min(a.presence.end, b.presence.end) > max(a.presence.start, b.presence.start) { pairs.insert("\(a.caseID)-\(b.caseID)") } }
            #expect(Set(cluster.links.map { "\($0.caseA)-\($0.caseB)" }) == pairs)
        }
    }

    @Test func casesAWeekApartAtOneVenueAreOneClusterAndOneCaseAloneIsNone() {
        func p(_ caseID: Int64, _ venue: Int64, _ hours: Double, _ length: Double) -> Clusters.CasePresence {
            .init(caseID: caseID, presence: Presence(visitID: Int64(hours), personID: caseID, venueID: venue,
                                                     start: t0.addingTimeInterval(hours * 3600), end: t0.addingTimeInterval((hours + length) * 3600)))
        }
        let found = Clusters.find([p(1, 9, 0, 2), p(2, 9, 1, 2), p(3, 9, 2 + 7 * 24, 1), p(4, 9, 4 + 15 * 24, 1), p(1, 8, 0, 1), p(1, 8, 5, 1)])
        #expect(found.count == 1)
        #expect(found[0].venueID == 9 && found[0].caseIDs == [1, 2, 3])
        #expect(found[0].links == [Clusters.Link(caseA: 1, caseB: 2, from: t0.addingTimeInterval(3600), to: t0.addingTimeInterval(2 * 3600))])
        #expect(Clusters.find([p(1, 9, 0, 2), p(2, 9, 2 + 7 * 24 + 0.01, 1)]).isEmpty, "just over a week after")
    }
}
