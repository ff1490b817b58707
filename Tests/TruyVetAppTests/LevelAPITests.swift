import Foundation
import Testing
import TruyVetApp
import TruyVetCore

struct LevelReply: Decodable {
    struct Announced: Decodable { let level: Int; let effectiveFrom: String }
    let code: String
    let population: Int
    let casesThisWeek: Int
    let casesLastWeek: Int
    let rate: Double
    let band: Int
    let level: Int
    let color: String
    let vaccinationMet: Bool?
    let announcedAt: String?
    let effectiveFrom: String?
    let inForce: Announced?
    let children: [String: Int]
    let childrenUnassessed: Int
}

struct StatusReply: Decodable {
    struct Measure: Decodable { let activity: String?; let statuses: [String]; let vi: String; let en: String }
    struct Ref: Decodable { let level: Int; let color: String; let effectiveFrom: String; let measure: Measure }
    let inForce: Ref?
    let upcoming: Ref?
}

extension TestApp.Client {
    func confirm(_ n: Int, phonePrefix: String, area: String = "01840", day: String = "2021-11-18", tracer: String, extra: String = "") async throws {
        for i in 0..<n {
            let r = try await call(.post, "/v1/cases", token: tracer, json: """
                {"phone": "\(phonePrefix)\(String(format: "%03d", i))", "areaCode": "\(area)", "sampleDate": "\(day)",
                 "confirmedAt": "\(day)T19:00:00+07:00"\(extra)}
                """)
            guard r.status == 201 else { throw TestFailure("case: \(r.text)") }
        }
    }
}

@Suite struct LevelAPITests {
    @Test func aCommuneTurnsYellowTheRaiseWaitsFortyEightHoursAndTheKaraokeLearnsItsMeasure() async throws {
        try await TestApp.make().run { c in
            let health = try await c.token("health"), tracer = try await c.token("tracer")
            let karaoke = try await c.register(name: "Karaoke Ánh Dương", area: "01840", category: "high_risk_service")
            // Without a population there is no level: a clear error naming it.
            let none = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19")
            #expect(none.status == 409 && none.error?.field == "population")
            #expect(try await c.call(.put, "/v1/areas/01840/population", token: health, json: #"{"population": 0}"#).error?.field == "population")
            #expect(try await c.call(.put, "/v1/areas/01840/population", token: tracer, json: #"{"population": 10000}"#).status == 403)
            #expect(try await c.call(.put, "/v1/areas/01840/population", json: #"{"population": 10000}"#).status == 401)
            #expect(try await c.call(.put, "/v1/areas/01840/population", token: health, json: #"{"population": 10000}"#).status == 200)
            for code in ["058": 40_000, "06": 316_463] {
                #expect(try await c.call(.put, "/v1/areas/\(code.key)/population", token: health, json: #"{"population": \#(code.value)}"#).status == 200)
            }

            // 3 community cases in a commune of 10,000: A = 15, green. The 4th makes A = 20: yellow.
            try await c.confirm(3, phonePrefix: "0901111", tracer: tracer)
            var l = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19").json(LevelReply.self)
            #expect(l.casesThisWeek == 3 && l.rate == 15 && l.band == 1 && l.level == 1 && l.color == "green")
            // Cases found in quarantine or lockdown do not count.
            try await c.confirm(2, phonePrefix: "0902222", tracer: tracer, extra: #", "detectedIn": "lockdown""#)
            #expect(try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19").json(LevelReply.self).casesThisWeek == 3)
            try await c.confirm(1, phonePrefix: "0903333", day: "2021-11-12", tracer: tracer)
            l = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19").json(LevelReply.self)
            #expect(l.casesThisWeek == 3 && l.casesLastWeek == 1 && l.rate == 20 && l.band == 2 && l.level == 2 && l.color == "yellow")
            #expect(l.vaccinationMet == nil && l.announcedAt == nil)

            // The district and the province on their own totals.
            let district = try await c.call(.get, "/v1/areas/058/level?date=2021-11-19").json(LevelReply.self)
            #expect(district.population == 40_000 && district.casesThisWeek == 3 && district.level == 1 && district.children["2"] == 1)
            let province = try await c.call(.get, "/v1/areas/06/level?date=2021-11-19").json(LevelReply.self)
            #expect(province.population == 316_463 && province.casesThisWeek + province.casesLastWeek == 4 && province.children["1"] == 1)
            #expect(province.childrenUnassessed == 7, "seven districts have no population")

            // Announced on the 19th at 18:00: the raise to yellow applies 48 hours later.
            let made = try await c.call(.post, "/v1/areas/06/announcements", token: health,
                                        json: #"{"date": "2021-11-19", "announcedAt": "2021-11-19T18:00:00+07:00"}"#)
            #expect(made.status == 201, "\(made.text)")
            struct Made: Decodable { let code: String; let level: Int; let effectiveFrom: String }
            let list = try made.json([Made].self)
            #expect(list.first { $0.code == "01840" }?.effectiveFrom == "2021-11-21T18:00:00+07:00")
            #expect(list.first { $0.code == "06" }?.effectiveFrom == "2021-11-19T18:00:00+07:00", "level 1: at once")
            #expect(try await c.call(.post, "/v1/areas/06/announcements", token: tracer, json: #"{"date": "2021-11-19"}"#).status == 403)

            let status = "/v1/venues/\(karaoke.venue.id)/status"
            let before = try await c.call(.get, status + "?at=2021-11-20T12:00:00%2B07:00").json(StatusReply.self)
            #expect(before.inForce == nil && before.upcoming?.level == 2 && before.upcoming?.effectiveFrom == "2021-11-21T18:00:00+07:00")
            let after = try await c.call(.get, status + "?at=2021-11-22T08:00:00%2B07:00").json(StatusReply.self)
            #expect(after.inForce?.level == 2 && after.inForce?.color == "yellow" && after.upcoming == nil)
            #expect(after.inForce?.measure.activity == "4.4" && after.inForce?.measure.statuses == ["stop", "restricted"])
            #expect(after.inForce?.measure.vi == "Dừng hoạt động hoặc Hạn chế hoạt động" && after.inForce?.measure.en == "stop or restricted")
            #expect(try await c.call(.get, status + "?at=tomorrow").error?.field == "at")

            // The level answer shows the announcement; the week after it shows the level in force.
            l = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-19").json(LevelReply.self)
            #expect(l.announcedAt == "2021-11-19T18:00:00+07:00" && l.effectiveFrom == "2021-11-21T18:00:00+07:00")
            let next = try await c.call(.get, "/v1/areas/01840/level?date=2021-11-26").json(LevelReply.self)
            #expect(next.inForce?.level == 2 && next.casesLastWeek == 3)

            // Children of the district, as JSON and CSV; weekly history.
            struct List: Decodable { struct P: Decodable { let code: String }; let items: [LevelReply]; let unassessed: [P] }
            let children = try await c.call(.get, "/v1/levels?parent=058&date=2021-11-19").json(List.self)
            #expect(children.items.map(\.code) == ["01840"] && children.unassessed.count == 7)
            let csv = try await c.call(.get, "/v1/levels?parent=058&date=2021-11-19&format=csv")
            #expect(csv.text.hasPrefix("\u{FEFF}code,name,date,population,cases_this_week,cases_last_week,rate_per_100k,band,"))
            #expect(csv.text.contains("01840,Phường Đức Xuân,2021-11-19,10000,3,1,20.00,2,,,,,2,yellow,2021-11-19T18:00:00+07:00,2021-11-21T18:00:00+07:00"))
            let history = try await c.call(.get, "/v1/areas/01840/levels?from=2021-11-05&to=2021-11-19").json([LevelReply].self)
            #expect(history.map(\.level) == [1, 1, 2])

            // Announced again before the raise took effect: the new announcement replaces the first; the timeline says so.
            _ = try await c.call(.post, "/v1/areas/01840/announcements", token: health, json: #"{"date": "2021-11-19", "announcedAt": "2021-11-20T09:00:00+07:00", "includeChildren": false}"#)
            struct Entry: Decodable { let level: Int; let status: String }
            let timeline = try await c.call(.get, "/v1/areas/01840/announcements?at=2021-11-20T10:00:00%2B07:00").json([Entry].self)
            #expect(timeline.map(\.status) == ["replaced", "upcoming"], "the same level 2 again: still a raise over nothing in force")
        }
    }

    @Test func badLevelRequestsAreClear() async throws {
        try await TestApp.make().run { c in
            let health = try await c.token("health")
            #expect(try await c.call(.get, "/v1/areas/01840/level?date=2021-13-01").error?.field == "date")
            #expect(try await c.call(.get, "/v1/areas/99999/level?date=2021-11-19").status == 404)
            #expect(try await c.call(.get, "/v1/levels?parent=99999").error?.field == "parent")
            #expect(try await c.call(.get, "/v1/areas/01840/levels?from=2021-12-01&to=2021-11-01").error?.field == "from")
            #expect(try await c.call(.put, "/v1/areas/01840/weeks/2021-11-19", token: health, json: #"{"adultFirstDose": 120}"#).error?.field == "adultFirstDose")
            #expect(try await c.call(.put, "/v1/areas/01840/weeks/2021-11-19", token: health, json: #"{}"#).error?.field == "body")
            #expect(try await c.call(.put, "/v1/areas/01840/weeks/someday", token: health, json: #"{"capacityMet": true}"#).error?.field == "date")
            #expect(try await c.call(.post, "/v1/areas/01840/case-counts", token: health, json: #"{"date": "2021-11-19", "communityCases": -1}"#).error?.field == "communityCases")
            #expect(try await c.call(.post, "/v1/areas/01840/case-counts", token: health, json: #"{"communityCases": 1}"#).error?.field == "date")
            #expect(try await c.call(.post, "/v1/areas/01840/announcements", token: health, json: #"{"date": "2021-11-19"}"#).error?.field == "population")
        }
    }

    @Test func reportedCountsAddToTracedOnesAndAReportReplacesTheLast() async throws {
        try await TestApp.make().run { c in
            let health = try await c.token("health"), tracer = try await c.token("tracer")
            _ = try await c.call(.put, "/v1/areas/01843/population", token: health, json: #"{"population": 10000}"#)
            try await c.confirm(2, phonePrefix: "0904444", area: "01843", tracer: tracer)
            #expect(try await c.call(.post, "/v1/areas/01843/case-counts", token: health, json: #"{"date": "2021-11-19", "communityCases": 5}"#).status == 200)
            #expect(try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self).casesThisWeek == 7)
            _ = try await c.call(.post, "/v1/areas/01843/case-counts", token: health, json: #"{"date": "2021-11-19", "communityCases": 3}"#)
            #expect(try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self).casesThisWeek == 5)

            // Coverage and capacity from a CSV, with a per-row report; coverage met lowers band 2 to level 1.
            let csv = """
                code,date,population,adult_first_dose,older_fully_vaccinated,capacity_met,community_cases
                01843,2021-11-19,,85.5,91,yes,
                01843,2021-11-19,,abc,,,
                99999,2021-11-19,100,,,,
                01846,2021-11-19,12000,,,,
                01849,2021-11-19,9000,70,80,,-3
                01849,2021-11-19,9000,120,,,

                """
            let report = try await c.call(.post, "/v1/areas/figures/import", token: health, body: Array(csv.utf8))
            struct Report: Decodable { struct R: Decodable { let line: Int; let field: String? }; let accepted: Int; let rejected: [R] }
            let r = try report.json(Report.self)
            #expect(r.accepted == 2 && r.rejected.map(\.line) == [3, 4, 6, 7] && r.rejected.map(\.field) == ["adult_first_dose", "code", "community_cases", "adult_first_dose"])
            // A rejected row is applied whole or not at all: neither its population nor its coverage was written.
            let rejected = try await c.call(.get, "/v1/areas/01849/level?date=2021-11-19")
            #expect(rejected.error?.field == "population", "\(rejected.text)")
            let l = try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self)
            #expect(l.band == 2 && l.vaccinationMet == true && l.level == 1)
            #expect(try await c.call(.get, "/v1/areas/01846/level?date=2021-11-19").json(LevelReply.self).population == 12_000)
        }
    }

    @Test func withoutTreatmentCapacityLastWeeksLevelHolds() async throws {
        try await TestApp.make().run { c in
            let health = try await c.token("health")
            _ = try await c.call(.put, "/v1/areas/01843/population", token: health, json: #"{"population": 10000}"#)
            // 40 cases on 4 November: level 4 on the 12th (A = 200), none in the two weeks to the 19th.
            _ = try await c.call(.post, "/v1/areas/01843/case-counts", token: health, json: #"{"date": "2021-11-04", "communityCases": 40}"#)
            #expect(try await c.call(.get, "/v1/areas/01843/level?date=2021-11-12").json(LevelReply.self).level == 4)
            #expect(try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self).level == 1)
            // Figures are stored even where no level can be computed yet, and merge field by field.
            let saved = try await c.call(.put, "/v1/areas/01846/weeks/2021-11-18", token: health, json: #"{"adultFirstDose": 75}"#)
            #expect(saved.status == 200 && saved.text.contains(#""adultFirstDose":75"#))
            let merged = try await c.call(.put, "/v1/areas/01846/weeks/2021-11-18", token: health, json: #"{"capacityMet": true}"#)
            #expect(merged.text.contains(#""adultFirstDose":75"#) && merged.text.contains(#""capacityMet":true"#))
            _ = try await c.call(.put, "/v1/areas/01843/weeks/2021-11-18", token: health, json: #"{"capacityMet": false}"#)
            let held = try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self)
            #expect(held.band == 1 && held.level == 4)
            _ = try await c.call(.put, "/v1/areas/01843/weeks/2021-11-18", token: health, json: #"{"capacityMet": true}"#)
            #expect(try await c.call(.get, "/v1/areas/01843/level?date=2021-11-19").json(LevelReply.self).level == 1)
        }
    }

    @Test func theBundledRulesAreTheDocumentedDefault() async throws {
        try await TestApp.make().run { c in
            struct Rules: Decodable {
                struct Set: Decodable {
                    struct Decision: Decodable { let coverageMet: [Int]; let coverageNotMet: [Int]; let coverageUnknown: [Int] }
                    let bandThresholds: [Double]
                    let decision: Decision
                    let capacityNotMetKeepsPreviousLevel: Bool
                    let raiseNoticeHours: Double
                }
                let standard: [Set]
            }
            let rules = try await c.call(.get, "/v1/level-rules").json(Rules.self).standard[0]
            #expect(rules.bandThresholds == [20, 50, 150] && rules.raiseNoticeHours == 48 && rules.capacityNotMetKeepsPreviousLevel)
            #expect(rules.decision.coverageMet == [1, 1, 2, 3] && rules.decision.coverageNotMet == [1, 2, 3, 4] && rules.decision.coverageUnknown == [1, 2, 3, 4])
        }
    }
}
