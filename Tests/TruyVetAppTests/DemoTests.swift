import Foundation
import Testing
@testable import TruyVetApp
import TruyVetCore

@Suite struct DemoTests {
    @Test func theDemoFillsAnEmptyStoreWithSomethingToTrace() async throws {
        let t = try await TestApp.make()
        let app = t.app
        let s = try await app.fillDemo(venueCount: 60, peopleCount: 400)
        #expect(s.venues == 60 && s.people == 400 && s.firstDay == "2021-11-01" && s.lastDay == "2021-11-21")
        let venues = try await app.store.venues(inArea: TruyVet.demoProvince, limit: 1000, offset: 0)
        #expect(Set(venues.map(\.category)) == Set(VenueCategory.allCases), "every category")
        #expect(Set(venues.map(\.districtCode)).count > 3, "across the province's districts")
        #expect(try await app.store.visitCount() == s.visits && s.visits > 5000)
        // Some visitors never checked out.
        let log = try await app.visitLog(venue: venues[0], from: try Instant.parse("2021-11-01T00:00:00+07:00", field: "from"),
                                         to: try Instant.parse("2021-11-22T00:00:00+07:00", field: "to"))
        #expect(log.contains { $0.visit.checkoutAt == nil } && log.contains { $0.visit.checkoutAt != nil })
        #expect(s.cases.count == 6 && s.cases.filter { $0.classification == .quarantine }.count == 1)
        #expect(s.cases.filter { $0.areaCode == TruyVet.demoHotCommune }.count >= 5)
        #expect(s.karaoke?.venue.category == .highRiskService && s.karaoke?.venue.areaCode == TruyVet.demoHotCommune)
        let tracer = try #require(try await app.authenticate(bearer: s.tracerToken))
        let traced = try await app.trace(caseID: s.cases[0].id, query: .init(degree: 2), principal: tracer, reason: "demo", action: "contacts")
        #expect(traced.contacts.contains { $0.tier == .f1 } && traced.contacts.contains { $0.tier == .f2 })
        #expect(traced.people[traced.record.personID]?.name.isEmpty == false)
        // Drawn with at most 30 people a column, the caption saying how many of how many; every line joins drawn nodes.
        let drawing = TransmissionView(traced)
        #expect(drawing.total == traced.contacts.count && drawing.shown <= 2 * TransmissionView.perColumn)
        #expect(drawing.capped == (drawing.shown < drawing.total) && drawing.nodes.count > drawing.shown)
        let points = Set(drawing.nodes.map { "\($0.x),\($0.y)" })
        #expect(!drawing.edges.isEmpty && drawing.edges.allSatisfy { points.contains("\($0.x1),\($0.y1)") && points.contains("\($0.x2),\($0.y2)") })
        // Populations add up to the province's, and the outbreak's ward is green on the last day, close to yellow.
        let province = try await app.level(code: TruyVet.demoProvince, day: Day("2021-11-21")!).assessment
        #expect(province.population == 316_463 && province.childrenUnassessed == 0)
        let ward = try await app.level(code: TruyVet.demoHotCommune, day: Day("2021-11-21")!).assessment
        #expect(ward.population == 14_000 && ward.casesThisWeek == 5 && ward.level == 1)
        // Its 2021 visits are kept: retention is off in the demo store.
        #expect(try await app.retentionDays() == 0)
        #expect(try await app.purge().visits == 0)
        // Only into an empty store.
        await #expect(throws: AppError.self) { _ = try await app.fillDemo(venueCount: 10, peopleCount: 10) }
    }
}
