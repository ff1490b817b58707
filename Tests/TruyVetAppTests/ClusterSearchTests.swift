import Foundation
import Testing
@testable import TruyVetApp
import TruyVetCore
import TruyVetTestSupport

/// Clusters through the store and the API (both stores): random worlds against a brute-force reference from the
/// visits as written, and the demo's outbreak at the top.
@Suite struct ClusterSearchTests {
    struct ClusterList: Decodable {
        struct VenueRef: Decodable { let id: Int64; let name: String; let place: String; let category: String }
        struct Case: Decodable { let id: Int64; let classification: String; let f1: Int; let contacts: String }
        struct Link: Decodable { let caseA: Int64; let caseB: Int64 }
        struct Review: Decodable { let note: String; let caseIds: [Int64] }
        struct Cluster: Decodable {
            let venue: VenueRef; let caseCount: Int; let f1: Int; let cases: [Case]; let links: [Link]
            let review: Review?; let newSinceReview: [Int64]
        }
        let clusters: [Cluster]
        let casesConsidered: Int
    }

    /// People visit venues one after another (never two places at once, so each stay ends at its check-out); some are
    /// confirmed. The reference: every pair of case presences (clipped to the windows) at a venue within the gap linked.
    @Test(arguments: [1, 2, 4, 9]) func randomWorldsMatchTheBruteForceReference(seed: Int) async throws {
        let t = try await TestApp.make()
        let app = t.app
        var rng = SplitMix(seed: UInt64(seed))
        var venues: [Venue] = []
        for i in 0..<4 {
            venues.append(try await app.registerVenue(VenueRegistration(name: "Nơi \(i)", address: "x", areaCode: i == 3 ? "01840" : "01843",
                                                                        category: "retail", contactPhone: "0912345678")).venue)
        }
        let t0 = Date(timeIntervalSince1970: 1_637_254_800)  // 2021-11-19 00:00 +07:00
        var rows: [ImportedVisit] = []
        var line = 0
        for person in 0..<12 {
            let sealed = app.seal(try PersonInput(name: "Người " + String(UnicodeScalar(UInt8(65 + person))), phone: String(format: "09010%05d", person), idNumber: nil))
            var at = t0.addingTimeInterval(Double(Int.random(in: 0..<48, using: &rng)) * 3600)
            for _ in 0..<Int.random(in: 2...8, using: &rng) {
                let length = Double(Int.random(in: 10...240, using: &rng)) * 60
                line += 1
                rows.append(ImportedVisit(line: line, venueID: venues[Int.random(in: 0..<venues.count, using: &rng)].id, person: sealed,
                                          checkinAt: at, checkoutAt: at.addingTimeInterval(length)))
                at = at.addingTimeInterval(length + Double(Int.random(in: 1...60, using: &rng)) * 3600)
            }
        }
        _ = try await app.store.importVisits(rows)
        let tracer = Principal(role: .tracer, label: "test tracer")
        var records: [CaseRecord] = []
        for person in (0..<12).shuffled(using: &rng).prefix(6) {
            let confirmed = t0.addingTimeInterval(Double(Int.random(in: 2...12, using: &rng)) * 86400)
            records.append(try await app.registerCase(.init(phone: String(format: "09010%05d", person), areaCode: "01843",
                                                            sampleDate: Instant.day(confirmed.addingTimeInterval(-86400)),
                                                            confirmedAt: Instant.format(confirmed)), by: tracer, now: confirmed))
        }
        let days = [0.0, 1, 3][seed % 3]  // seed 9: no gap at all
        let found = try await app.clusters(area: nil, since: t0.addingTimeInterval(-30 * 86400), days: days, by: tracer)
        // The reference, from the rows as imported.
        var presences: [(caseID: Int64, venue: Int64, start: Date, end: Date)] = []
        for record in records {
            let hash = try #require(try await app.store.person(id: record.personID)).phoneHash
            for row in rows where row.person.phoneHash == hash {
                let start = max(row.checkinAt, record.windowFrom), end = min(row.checkoutAt!, record.windowTo)
                if end > start { presences.append((record.id, row.venueID, start, end)) }
            }
        }
        var parent = Array(presences.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
        for i in presences.indices {
            for j in presences.indices where j > i && presences[i].venue == presences[j].venue {
                let (a, b) = presences[i].start <= presences[j].start ? (presences[i], presences[j]) : (presences[j], presences[i])
                if b.start.timeIntervalSince(a.end) <= days * 86400 { parent[root(j)] = root(i) }
            }
        }
        let expected = Set(Dictionary(grouping: presences.indices, by: root).values.compactMap { group -> String? in
            let cases = Set(group.map { presences[$0].caseID })
            guard cases.count >= 2 else { return nil }
            return "\(presences[group[0]].venue):\(cases.sorted())"
        })
        #expect(!expected.isEmpty, "a world with clusters in it")
        #expect(Set(found.clusters.map { "\($0.venue.id):\($0.cases.map(\.record.id).sorted())" }) == expected, "seed \(seed)")
        // Ranked by cases, then by F1.
        #expect(zip(found.clusters, found.clusters.dropFirst()).allSatisfy { ($0.cases.count, $0.f1) >= ($1.cases.count, $1.f1) })
        // By area: only the venues there.
        let ward = try await app.clusters(area: "01840", since: t0.addingTimeInterval(-30 * 86400), days: days, by: tracer)
        #expect(ward.clusters.allSatisfy { $0.venue.areaCode == "01840" })
        #expect(Set(ward.clusters.map(\.venue.id)) == Set(found.clusters.filter { $0.venue.areaCode == "01840" }.map(\.venue.id)))
    }

    @Test func theDemosOutbreakInDucXuanIsTheTopCluster() async throws {
        let t = try await TestApp.make { $0.passwordCost = 4 }
        let s = try await t.app.fillDemo(venueCount: 60, peopleCount: 400)
        _ = try await t.app.createAccount(username: "lan", role: "tracer", password: "mat khau cua lan", by: Principal(role: .admin, label: "test"))
        try await t.run { c in
            let tracer = try await c.token("tracer")
            let reply = try await c.call(.get, "/v1/clusters?since=2021-11-01", token: tracer)
            #expect(reply.status == 200 && reply.headers[.cacheControl] == "no-store")
            let list = try reply.json(ClusterList.self)
            let top = try #require(list.clusters.first)
            #expect(top.venue.id == s.karaoke?.venue.id && top.venue.place.contains("Đức Xuân") && top.venue.category == "high_risk_service")
            #expect(top.caseCount >= 5 && top.cases.map(\.id).prefix(2).sorted() == [1, 2])
            #expect(top.links.contains { $0.caseA == 1 && $0.caseB == 2 })
            #expect(top.cases.allSatisfy { $0.contacts == "/v1/cases/\($0.id)/contacts" && $0.classification == "community" })
            // No names or phones: ids and classifications only.
            #expect(!reply.text.contains("+849") && !reply.text.contains("\"name\":\"Nguyễn"))
            // By area: the ward's venues only; a district above it too.
            let ward = try await c.call(.get, "/v1/clusters?since=2021-11-01&area=01840", token: tracer).json(ClusterList.self)
            #expect(ward.clusters.first?.venue.id == top.venue.id)
            // Bad input names the field; other roles are refused.
            #expect(try await c.call(.get, "/v1/clusters?area=99999", token: tracer).error?.field == "area")
            #expect(try await c.call(.get, "/v1/clusters?since=soon", token: tracer).error?.field == "since")
            #expect(try await c.call(.get, "/v1/clusters?days=-1", token: tracer).error?.field == "days")
            #expect(try await c.call(.get, "/v1/clusters", token: s.healthToken).status == 403)
            #expect(try await c.call(.get, "/v1/clusters").status == 401)
            // Reviewed with a note, audited; a case joining later is shown as new since.
            let ids = top.cases.map(\.id).filter { $0 != top.cases.last!.id }
            let body = #"{"caseIds": [\#(ids.map(String.init).joined(separator: ","))], "note": "đã khoanh vùng karaoke"}"#
            #expect(try await c.call(.post, "/v1/clusters/\(top.venue.id)/review", token: tracer, json: #"{"caseIds": [1], "note": "x"}"#).error?.field == "note")
            #expect(try await c.call(.post, "/v1/clusters/\(top.venue.id)/review", token: s.healthToken, json: body).status == 403)
            #expect(try await c.call(.post, "/v1/clusters/\(top.venue.id)/review", token: tracer, json: body).status == 201)
            let again = try await c.call(.get, "/v1/clusters?since=2021-11-01", token: tracer).json(ClusterList.self)
            #expect(again.clusters.first?.review?.note == "đã khoanh vùng karaoke")
            #expect(again.clusters.first?.newSinceReview == [top.cases.last!.id])
            // The first two cases sang on the same evening: a likely link in each one's graph and on its contacts page.
            struct Graph: Decodable {
                struct Node: Decodable { let id: String; let caseId: Int64? }
                struct Edge: Decodable { let kind: String; let from: String; let to: String; let venue: String? }
                let nodes: [Node]; let edges: [Edge]
            }
            let graph = try await c.call(.get, "/v1/cases/1/graph?reason=cluster%20check", token: tracer).json(Graph.self)
            let linked = graph.edges.filter { $0.kind == "case_link" }
            let second = try #require(graph.nodes.first { $0.caseId == 2 })
            #expect(linked.contains { $0.to == second.id && $0.venue == "venue:\(top.venue.id)" })
            #expect(graph.nodes.first?.caseId == 1)
            let (_, console) = try await c.staffSignIn("lan", "mat khau cua lan")
            let page = try await console.call(.get, "/cases/1/contacts?degree=1&reason=cluster%20check")
            #expect(page.text.contains("id=\"linked-cases\"") && page.text.contains("href=\"/cases/2\""))
            // And in its drawing: case 2 to the left of F0, through the karaoke, in dashed lines.
            #expect(page.text.contains("<circle class=\"g-case\"") && page.text.contains("<line class=\"g-link\"") && page.text.contains(">Ca #2"))
            #expect(page.text.contains("Dashed:"))
            let clusters = try await console.call(.get, "/clusters?since=2021-11-01")
            #expect(clusters.status == 200 && clusters.text.contains("Karaoke Ánh Dương") && clusters.text.contains("#1 ↔ #2"))
            let audit = try await c.call(.get, "/v1/audit?action=cluster", token: TestApp.adminToken)
            #expect(audit.text.contains("cluster.review") && audit.text.contains("đã khoanh vùng karaoke"))
        }
    }
}
