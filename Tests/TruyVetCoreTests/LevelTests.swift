import Foundation
import Testing
import TruyVetCore

/// The default reading of Resolution 128 / Decision 4800 (the bundled `level-rules.json` has the same values; the app
/// tests check that file).
let rules128 = try! LevelRuleBook.parse(Data("""
    {"version": "test", "effectiveFrom": "2021-10-12", "source": "test", "bandThresholds": [20, 50, 150],
     "olderGroups": [{"from": "2021-01-01", "minAge": 65}, {"from": "2021-11-01", "minAge": 50}],
     "coverage": {"adultFirstDose": 70, "olderFullyVaccinated": 80},
     "decision": {"coverageMet": [1, 1, 2, 3], "coverageNotMet": [1, 2, 3, 4], "coverageUnknown": [1, 2, 3, 4]},
     "capacityNotMetKeepsPreviousLevel": true, "raiseNoticeHours": 48,
     "colors": [{"level": 1, "name": "green", "vi": "1", "hex": "#0"}, {"level": 2, "name": "yellow", "vi": "2", "hex": "#0"},
                {"level": 3, "name": "orange", "vi": "3", "hex": "#0"}, {"level": 4, "name": "red", "vi": "4", "hex": "#0"}]}
    """.utf8), field: "test")[0]

@Suite struct LevelTests {
    let d = Day("2021-11-19")!
    let book = try! LevelRuleBook(standard: [rules128])

    /// Province 99 ⊃ district 991 ⊃ communes 99101, 99102; district 992 ⊃ commune 99201.
    func areas(_ pops: [String: Int?] = ["99101": 100_000, "99102": 100_000, "99201": 50_000]) -> [Area] {
        [Area(code: "99", name: "Tỉnh Thử", level: .province, parentCode: nil),
         Area(code: "991", name: "Huyện Một", level: .district, parentCode: "99"),
         Area(code: "992", name: "Huyện Hai", level: .district, parentCode: "99"),
         Area(code: "99101", name: "Xã Một", level: .commune, parentCode: "991", population: pops["99101"] ?? nil),
         Area(code: "99102", name: "Xã Hai", level: .commune, parentCode: "991", population: pops["99102"] ?? nil),
         Area(code: "99201", name: "Xã Ba", level: .commune, parentCode: "992", population: pops["99201"] ?? nil)]
    }

    func assess(_ areas: [Area], cases: [String: [Day: Int]] = [:], figures: [String: [Day: WeekFigures]] = [:],
                on day: Day? = nil) -> [String: Result<Assessment, AppError>] {
        LevelCalculator.assess(.init(areas: areas, cases: LevelCalculator.weekly(cases, date: day ?? d), figures: figures), date: day ?? d, rules: book)
    }

    func level(_ r: [String: Result<Assessment, AppError>], _ code: String) throws -> Assessment { try r[code]!.get() }

    @Test(arguments: [(39, 1), (40, 2), (99, 2), (100, 3), (299, 3), (300, 4)])
    func bandEdgesAreExact(cases: Int, band: Int) throws {
        // Population 100,000: A = (B + C) / 2, so 40 cases is exactly 20, 100 exactly 50, 300 exactly 150.
        let r = assess(areas(), cases: ["99101": [d: cases - cases / 2, d.adding(-7): cases / 2]])
        let a = try level(r, "99101")
        #expect(a.band == band && a.level == band, "coverage unknown: level = band")
        #expect(a.casesThisWeek + a.casesLastWeek == cases && a.rate == Double(cases) / 2)
    }

    @Test func weeksAreHalfOpenLocalDays() throws {
        // (d − 7, d] and (d − 14, d − 7]: a case on d − 7 is last week's, on d − 14 is neither.
        let r = assess(areas(), cases: ["99101": [d: 1, d.adding(-6): 2, d.adding(-7): 4, d.adding(-13): 8, d.adding(-14): 16, d.adding(1): 32]])
        let a = try level(r, "99101")
        #expect(a.casesThisWeek == 3 && a.casesLastWeek == 12)
    }

    @Test func theSeedsProvincePopulation() throws {
        // Bắc Kạn, D = 316,463: 127 cases over two weeks is A ≈ 20.07 (band 2), 126 is A ≈ 19.91 (band 1).
        let province = [Area(code: "06", name: "Tỉnh Bắc Kạn", level: .province, parentCode: nil, population: 316_463)]
        for (n, band) in [(126, 1), (127, 2)] {
            let a = try level(assess(province, cases: ["06": [d: n]]), "06")
            #expect(a.band == band && a.population == 316_463)
            #expect(abs(a.rate - Double(n) / (2 * 316_463) * 100_000) < 1e-9)
        }
    }

    @Test func smallAndZeroPopulations() throws {
        // One case in a hamlet of 900 is band 3 (55.6 per 100,000); a zero or unknown population is a clear error.
        let small = try level(assess(areas(["99101": 900, "99102": 100_000, "99201": 1]), cases: ["99101": [d: 1]]), "99101")
        #expect(small.band == 3)
        let r = assess(areas(["99101": 0, "99102": nil, "99201": 10]))
        for code in ["99101", "99102"] {
            guard case .failure(let e)? = r[code] else { Issue.record("\(code) assessed"); continue }
            #expect(e.field == "population" && e.status == 409 && e.message.contains(code))
        }
        // The district cannot sum unknown populations and has none of its own.
        guard case .failure? = r["991"] else { Issue.record("district assessed"); return }
        #expect(try level(r, "99201").level == 1)
        guard case .failure? = r["99"] else { Issue.record("province summed an incomplete tree"); return }
        // With a population of its own the province is assessed, and counts the district it could not assess.
        var withOwn = areas(["99101": 0, "99102": nil, "99201": 10])
        withOwn[0].population = 500_000
        let province = try level(assess(withOwn), "99")
        #expect(province.population == 500_000 && province.childrenUnassessed == 1 && province.children[1] == 1)
    }

    @Test func coverageLowersOneLevelAndMissingCoverageDoesNot() throws {
        let cases = ["99101": [d: 60]]  // A = 30: band 2
        let met = WeekFigures(adultFirstDose: 70, olderFullyVaccinated: 80, capacityMet: true)
        let notMet = WeekFigures(adultFirstDose: 69.9, olderFullyVaccinated: 95, capacityMet: true)
        #expect(try level(assess(areas(), cases: cases, figures: ["99101": [d.adding(-2): met]]), "99101").level == 1)
        #expect(try level(assess(areas(), cases: cases, figures: ["99101": [d.adding(-2): notMet]]), "99101").level == 2)
        let unknown = try level(assess(areas(), cases: cases, figures: ["99101": [d.adding(-2): WeekFigures(adultFirstDose: 90)]]), "99101")
        #expect(unknown.level == 2 && unknown.vaccinationMet == nil)
        // Figures older than the assessed week do not count.
        #expect(try level(assess(areas(), cases: cases, figures: ["99101": [d.adding(-7): met]]), "99101").vaccinationMet == nil)
        // Band 1 stays level 1 with coverage.
        #expect(try level(assess(areas(), figures: ["99101": [d: met]]), "99101").level == 1)
        #expect(try level(assess(areas(), on: Day("2021-10-30")!), "99101").olderGroupMinAge == 65)
        #expect(try level(assess(areas()), "99101").olderGroupMinAge == 50)
    }

    @Test func withoutTreatmentCapacityTheLevelIsNotLowered() throws {
        // Last week: 300 cases in 2 weeks → level 4. This week few cases → band 2, but capacity is not met: stays 4.
        let cases = ["99101": [d.adding(-7): 150, d.adding(-14): 150, d.adding(-3): 10]]
        let without = WeekFigures(capacityMet: false), with = WeekFigures(capacityMet: true)
        let kept = try level(assess(areas(), cases: cases, figures: ["99101": [d: without]]), "99101")
        #expect(kept.band == 3 && kept.previousLevel == 4 && kept.level == 4)
        let lowered = try level(assess(areas(), cases: cases, figures: ["99101": [d: with]]), "99101")
        #expect(lowered.level == 3)
        // Rising is never held back.
        let rising = try level(assess(areas(), cases: ["99101": [d: 400]], figures: ["99101": [d: without]]), "99101")
        #expect(rising.level == 4)
    }

    @Test func districtsAndProvincesAreAssessedOnTheirOwnTotals() throws {
        let met = WeekFigures(adultFirstDose: 80, olderFullyVaccinated: 90)
        let r = assess(areas(), cases: ["99101": [d: 60], "99102": [d: 20], "99201": [d: 10], "991": [d: 4]],
                       figures: ["99101": [d: met], "99102": [d: met], "99201": [d: WeekFigures(adultFirstDose: 50, olderFullyVaccinated: 50)]])
        let district = try level(r, "991")
        #expect(district.population == 200_000 && district.casesThisWeek == 84, "communes plus the district's own report")
        #expect(district.rate == 21 && district.band == 2 && district.vaccinationMet == true && district.level == 1)
        #expect(district.children == [1: 1, 2: 0, 3: 0, 4: 0] || district.children == [1: 2, 2: 0, 3: 0, 4: 0])
        let province = try level(r, "99")
        #expect(province.population == 250_000 && province.casesThisWeek == 94)
        // Coverage weighted by population: (80 × 200,000 + 50 × 50,000) / 250,000 = 74.
        #expect(province.adultFirstDose == 74 && province.olderFullyVaccinated == 82)
        #expect(province.children.values.reduce(0, +) == 2)
        // Commune 99101: A = 30, band 2, coverage met → 1; 99102: A = 10 → 1; district children both level 1.
        #expect(district.children[1] == 2)
    }

    @Test func raisesWaitFortyEightHoursAndLoweringsDoNot() throws {
        let t = Day("2021-11-19")!.start.addingTimeInterval(10 * 3600)
        #expect(Announcement.effectiveFrom(level: 2, inForce: 1, announcedAt: t, rules: rules128) == t.addingTimeInterval(48 * 3600))
        #expect(Announcement.effectiveFrom(level: 2, inForce: nil, announcedAt: t, rules: rules128) == t.addingTimeInterval(48 * 3600))
        #expect(Announcement.effectiveFrom(level: 1, inForce: nil, announcedAt: t, rules: rules128) == t)
        #expect(Announcement.effectiveFrom(level: 1, inForce: 3, announcedAt: t, rules: rules128) == t)
        #expect(Announcement.effectiveFrom(level: 3, inForce: 3, announcedAt: t, rules: rules128) == t)
        let one = Announcement(id: 1, code: "x", date: d, level: 1, announcedAt: t, effectiveFrom: t, announcedBy: "")
        let raise = Announcement(id: 2, code: "x", date: d, level: 3, announcedAt: t.addingTimeInterval(3600), effectiveFrom: t.addingTimeInterval(49 * 3600), announcedBy: "")
        var timeline = Announcement.timeline([one, raise], at: t.addingTimeInterval(2 * 3600))
        #expect(timeline.inForce?.level == 1 && timeline.upcoming?.level == 3)
        timeline = Announcement.timeline([one, raise], at: t.addingTimeInterval(49 * 3600))
        #expect(timeline.inForce?.level == 3 && timeline.upcoming == nil)
        // Lowered again before the raise took effect: the raise never applies.
        let lower = Announcement(id: 3, code: "x", date: d, level: 1, announcedAt: t.addingTimeInterval(10 * 3600), effectiveFrom: t.addingTimeInterval(10 * 3600), announcedBy: "")
        timeline = Announcement.timeline([one, raise, lower], at: t.addingTimeInterval(60 * 3600))
        #expect(timeline.inForce?.id == 3 && timeline.upcoming == nil)
        #expect(Announcement.timeline([one], at: t.addingTimeInterval(-1)).inForce == nil, "nothing before the first announcement")
    }

    @Test func ruleSetsAreValidatedAndChosenByDate() throws {
        var later = rules128
        later.version = "later"
        later.effectiveFrom = "2022-01-27"
        later.bandThresholds = [50, 150, 600]
        var bacKan = rules128
        bacKan.version = "06"
        let book = try LevelRuleBook(standard: [rules128, later], provinces: ["06": [bacKan]])
        #expect(book.rules(province: nil, on: Day("2021-12-01")!).version == "test")
        #expect(book.rules(province: "01", on: Day("2022-02-01")!).version == "later")
        #expect(book.rules(province: "06", on: Day("2022-02-01")!).version == "06")
        var broken = rules128
        broken.decision.coverageMet = [1, 1, 2]
        #expect(throws: AppError.self) { try LevelRuleBook(standard: [broken]) }
        broken = rules128
        broken.bandThresholds = [50, 20, 150]
        #expect(throws: AppError.self) { try LevelRuleBook(standard: [broken]) }
        #expect(Day("2021-02-29") == nil && Day("2021-11-19")?.description == "2021-11-19" && Day("19/11/2021") == nil)
    }
}
