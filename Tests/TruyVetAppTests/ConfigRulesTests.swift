import Foundation
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetTestSupport

/// Tracing defaults and level rules come from configuration.
@Suite struct ConfigRulesTests {
    @Test func tracingDefaultsFromTheEnvironment() throws {
        let c = try AppConfig.fromEnvironment(["TRUYVET_MIN_OVERLAP_BY_CATEGORY": "restaurant=5, office=30", "TRUYVET_MIN_OVERLAP_MINUTES": "10",
                                               "TRUYVET_INFECTIOUS_DAYS_BEFORE": "3", "TRUYVET_ONWARD_DAYS": "7", "TRUYVET_QUARANTINE_DAYS": "7"])
        #expect(c.overlap.minOverlapByCategory == [.restaurant: 5, .office: 30] && c.overlap.minOverlapMinutes == 10)
        #expect(c.overlap.minimum(at: .restaurant) == 5 && c.overlap.minimum(at: .hotel) == 10 && c.overlap.onwardDays == 7)
        #expect(c.caseRules.daysBefore == 3 && c.quarantineDays == 7)
        #expect(try AppConfig.fromEnvironment(["TRUYVET_MIN_OVERLAP_BY_CATEGORY": ""]).overlap.minOverlapByCategory.isEmpty)
        #expect(AppConfig().overlap.minimum(at: .passengerTransport) == 0 && AppConfig().overlap.minimum(at: .highRiskService) == 0)
        for bad in [["TRUYVET_MIN_OVERLAP_BY_CATEGORY": "bus=0"], ["TRUYVET_MIN_OVERLAP_BY_CATEGORY": "restaurant"],
                    ["TRUYVET_MIN_OVERLAP_MINUTES": "-1"], ["TRUYVET_INFECTIOUS_DAYS_BEFORE": "two"]] {
            #expect(throws: AppError.self) { try AppConfig.fromEnvironment(bad) }
        }
    }

    @Test func theInfectiousWindowFollowsConfiguration() async throws {
        try await TestApp.make { $0.caseRules.daysBefore = 3 }.run { c in
            let tracer = try await c.token("tracer")
            let r = try await c.call(.post, "/v1/cases", token: tracer, json: #"{"phone": "0901000000", "areaCode": "01840", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21T20:00:00+07:00"}"#)
            #expect(try r.json(CaseReply.self).infectiousWindow.from == "2021-11-18T00:00:00+07:00")
        }
    }

    @Test func aProvinceCanHaveItsOwnRules() async throws {
        let dir = try Tools.temporaryDirectory()
        // Bắc Kạn decides band 2 starts at 10 cases per 100,000 (its own instruction), from 1 November 2021.
        let bundled = try AppConfig().levelRuleBook().standard[0]
        var own = bundled
        own.version = "Bắc Kạn 698/KH-UBND"
        own.effectiveFrom = "2021-11-01"
        own.bandThresholds = [10, 50, 150]
        let path = try Tools.write(Array(try JSONEncoder().encode([own])), "bac-kan.json", in: dir)
        var env = ["TRUYVET_LEVEL_RULES_PROVINCES": "06=\(path)"]
        let config = try AppConfig.fromEnvironment(env)
        let book = try config.levelRuleBook()
        #expect(book.rules(province: "06", on: Day("2021-11-19")!).version == "Bắc Kạn 698/KH-UBND")
        #expect(book.rules(province: "01", on: Day("2021-11-19")!).version == bundled.version)
        try await TestApp.make { $0.provinceLevelRules = config.provinceLevelRules }.run { c in
            let health = try await c.token("health"), tracer = try await c.token("tracer")
            _ = try await c.call(.put, "/v1/areas/01840/population", token: health, json: #"{"population": 10000}"#)
            try await c.confirm(2, phonePrefix: "0905555", tracer: tracer)   // A = 10
            let l = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19").json(LevelReply.self)
            #expect(l.band == 2 && l.level == 2)
        }
        env["TRUYVET_LEVEL_RULES_PROVINCES"] = "06=/nonexistent.json"
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(env).levelRuleBook() }
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(["TRUYVET_LEVEL_RULES_PROVINCES": "Bắc Kạn"]) }
    }
}
