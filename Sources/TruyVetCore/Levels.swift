import Foundation

/// The epidemic-level rules of Resolution 128/NQ-CP and Decision 4800/QĐ-BYT as data (domain.md §3): thresholds,
/// coverage, the decision table, the capacity rule, colours. Versioned, with the day it takes effect.
public struct LevelRuleSet: Codable, Sendable, Equatable {
    public struct OlderGroup: Codable, Sendable, Equatable {
        /// From this day on, the older group of criterion 2 is people of `minAge` and over.
        public var from: String
        public var minAge: Int
    }
    public struct Coverage: Codable, Sendable, Equatable {
        /// Percent of adults (18+) with at least one dose.
        public var adultFirstDose: Double
        /// Percent of the older group fully vaccinated.
        public var olderFullyVaccinated: Double
    }
    /// Level by band (index 0 = band 1), for each state of criterion 2.
    public struct Decision: Codable, Sendable, Equatable {
        public var coverageMet: [Int]
        public var coverageNotMet: [Int]
        public var coverageUnknown: [Int]
    }
    public struct Color: Codable, Sendable, Equatable {
        public var level: Int
        public var name: String
        public var vi: String
        public var hex: String
    }

    public var version: String
    public var effectiveFrom: String
    public var source: String
    /// Criterion 1: new community cases per 100,000 per week; band n+1 from `bandThresholds[n]` on.
    public var bandThresholds: [Double]
    public var olderGroups: [OlderGroup]
    public var coverage: Coverage
    public var decision: Decision
    /// Criterion 3: when treatment capacity is not met, the level is not lower than the previous week's.
    public var capacityNotMetKeepsPreviousLevel: Bool
    /// Raising a level is announced this many hours before it applies; lowering applies when announced.
    public var raiseNoticeHours: Double
    public var colors: [Color]

    /// Checks the rule set is usable; `field` names where it came from.
    public func validate(field: String) throws(AppError) {
        func bad(_ why: String) -> AppError { .invalid(field, "rule set \(version): \(why)") }
        guard Day(effectiveFrom) != nil else { throw bad("effectiveFrom must be YYYY-MM-DD") }
        guard bandThresholds.count == 3, bandThresholds == bandThresholds.sorted(), bandThresholds.allSatisfy({ $0 > 0 }) else {
            throw bad("bandThresholds must be three increasing positive numbers")
        }
        for table in [decision.coverageMet, decision.coverageNotMet, decision.coverageUnknown] {
            guard table.count == 4, table.allSatisfy({ (1...4).contains($0) }) else { throw bad("each decision row needs 4 levels from 1 to 4") }
        }
        guard !olderGroups.isEmpty, olderGroups.allSatisfy({ Day($0.from) != nil }) else { throw bad("olderGroups need from dates") }
        guard Set(colors.map(\.level)) == [1, 2, 3, 4] else { throw bad("colors must name levels 1–4") }
        guard raiseNoticeHours >= 0 else { throw bad("raiseNoticeHours must be ≥ 0") }
    }

    /// Band 1–4 of a rate; no rounding before comparing.
    public func band(rate: Double) -> Int {
        1 + bandThresholds.filter { rate >= $0 }.count
    }

    public func olderGroupMinAge(on day: Day) -> Int {
        olderGroups.filter { Day($0.from).map { $0 <= day } ?? false }.max { Day($0.from)! < Day($1.from)! }?.minAge
            ?? olderGroups[0].minAge
    }

    public func color(_ level: Int) -> Color {
        colors.first { $0.level == level } ?? Color(level: level, name: "unknown", vi: "?", hex: "#999999")
    }
}

/// The rule sets in force: a default list, and per-province lists that replace it. The set used on a day is the one
/// with the latest `effectiveFrom` on or before it.
public struct LevelRuleBook: Sendable {
    public let standard: [LevelRuleSet]
    public let provinces: [String: [LevelRuleSet]]

    public init(standard: [LevelRuleSet], provinces: [String: [LevelRuleSet]] = [:]) throws(AppError) {
        guard !standard.isEmpty else { throw .invalid("rules", "at least one rule set is needed") }
        for set in standard { try set.validate(field: "rules") }
        for (code, sets) in provinces {
            guard code.count == 2, !sets.isEmpty else { throw .invalid("rules", "province rule sets need a 2-digit province code") }
            for set in sets { try set.validate(field: "rules \(code)") }
        }
        self.standard = standard
        self.provinces = provinces
    }

    /// Parses a JSON file holding one rule set or a list of them.
    public static func parse(_ data: Data, field: String) throws(AppError) -> [LevelRuleSet] {
        let decoder = JSONDecoder()
        if let list = try? decoder.decode([LevelRuleSet].self, from: data) { return list }
        do { return [try decoder.decode(LevelRuleSet.self, from: data)] } catch {
            throw .invalid(field, "not a rule set: \(error)")
        }
    }

    public func rules(province: String?, on day: Day) -> LevelRuleSet {
        let sets = province.flatMap { provinces[$0] } ?? standard
        return sets.filter { Day($0.effectiveFrom)! <= day }.max { Day($0.effectiveFrom)! < Day($1.effectiveFrom)! }
            ?? sets.min { Day($0.effectiveFrom)! < Day($1.effectiveFrom)! }!
    }
}

/// One week's figures of an area, as entered by the health office (any may be unknown).
public struct WeekFigures: Sendable, Equatable {
    public var adultFirstDose: Double?
    public var olderFullyVaccinated: Double?
    public var capacityMet: Bool?
    public init(adultFirstDose: Double? = nil, olderFullyVaccinated: Double? = nil, capacityMet: Bool? = nil) {
        self.adultFirstDose = adultFirstDose
        self.olderFullyVaccinated = olderFullyVaccinated
        self.capacityMet = capacityMet
    }
}

/// The level of one area on one day, and how it was reached.
public struct Assessment: Sendable, Equatable {
    public var code: String
    public var name: String
    public var areaLevel: AreaLevel
    public var date: Day
    public var population: Int
    /// B: community cases confirmed in (d − 7, d]; C: in (d − 14, d − 7].
    public var casesThisWeek: Int
    public var casesLastWeek: Int
    /// A = (B + C) / (2 × D) × 100,000.
    public var rate: Double
    public var band: Int
    public var adultFirstDose: Double?
    public var olderFullyVaccinated: Double?
    public var olderGroupMinAge: Int
    /// nil: unknown.
    public var vaccinationMet: Bool?
    public var capacityMet: Bool?
    public var previousLevel: Int?
    public var level: Int
    public var rulesVersion: String
    /// Direct children by level (districts of a province, communes of a district).
    public var children: [Int: Int]
    public var childrenUnassessed: Int
}

/// Weekly levels of every area from community case counts: pure, one pass per week, bottom-up.
public enum LevelCalculator {
    /// Weeks looked back for the capacity rule (the previous week's level, and its own previous week...).
    public static let weeksBack = 4

    public struct Input: Sendable {
        public var areas: [Area]
        /// Community cases by area code and local day (communes from tracing and reports; districts and provinces
        /// from reports only).
        public var cases: [String: [Day: Int]]
        /// Figures by area code and the day they were entered for; a week's figures are the latest in (d − 7, d].
        public var figures: [String: [Day: WeekFigures]]
        public init(areas: [Area], cases: [String: [Day: Int]], figures: [String: [Day: WeekFigures]]) {
            self.areas = areas
            self.cases = cases
            self.figures = figures
        }
    }

    /// The day range of case counts and figures `assess` needs for `date`.
    public static func span(for date: Day) -> ClosedRange<Day> {
        date.adding(-7 * (weeksBack + 2) + 1)...date
    }

    /// Every area's assessment on `date`, or why it has none (no population).
    public static func assess(_ input: Input, date: Day, rules book: LevelRuleBook) -> [String: Result<Assessment, AppError>] {
        let tree = Tree(input.areas)
        var previous: [String: Int] = [:]
        var result: [String: Result<Assessment, AppError>] = [:]
        for back in stride(from: weeksBack, through: 0, by: -1) {
            result = week(input, tree: tree, date: date.adding(-7 * back), rules: book, previous: previous)
            previous = result.compactMapValues { try? $0.get().level }
        }
        return result
    }

    struct Tree {
        let byCode: [String: Area]
        let children: [String: [String]]
        /// Communes first, then districts, then provinces: children before parents.
        let bottomUp: [Area]
        init(_ areas: [Area]) {
            byCode = Dictionary(areas.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            var children: [String: [String]] = [:]
            for a in areas { if let p = a.parentCode { children[p, default: []].append(a.code) } }
            self.children = children
            let order: [AreaLevel: Int] = [.commune: 0, .district: 1, .province: 2]
            bottomUp = areas.sorted { (order[$0.level]!, $0.code) < (order[$1.level]!, $1.code) }
        }
    }

    static func week(_ input: Input, tree: Tree, date: Day, rules book: LevelRuleBook, previous: [String: Int]) -> [String: Result<Assessment, AppError>] {
        struct Totals { var population: Int?; var b = 0; var c = 0; var adultWeighted = 0.0; var olderWeighted = 0.0; var coverageKnown = true }
        var totals: [String: Totals] = [:]
        var out: [String: Result<Assessment, AppError>] = [:]
        func count(_ code: String, _ range: ClosedRange<Day>) -> Int {
            guard let days = input.cases[code] else { return 0 }
            return days.reduce(0) { range.contains($1.key) ? $0 + $1.value : $0 }
        }
        func figures(_ code: String) -> WeekFigures? {
            input.figures[code]?.filter { $0.key > date.adding(-7) && $0.key <= date }.max { $0.key < $1.key }?.value
        }
        let thisWeek = date.adding(-6)...date, lastWeek = date.adding(-13)...date.adding(-7)
        for area in tree.bottomUp {
            let kids = tree.children[area.code] ?? []
            var t = Totals()
            t.b = count(area.code, thisWeek)
            t.c = count(area.code, lastWeek)
            let own = figures(area.code)
            if area.level == .commune || kids.isEmpty {
                t.population = area.population
                t.coverageKnown = own?.adultFirstDose != nil && own?.olderFullyVaccinated != nil
            } else {
                let childTotals = kids.compactMap { totals[$0] }
                t.b += childTotals.reduce(0) { $0 + $1.b }
                t.c += childTotals.reduce(0) { $0 + $1.c }
                // Population: the sum over children when every child has one, else the area's own figure.
                let childPops = childTotals.compactMap(\.population)
                t.population = childPops.count == kids.count && childPops.reduce(0, +) > 0 ? childPops.reduce(0, +) : area.population
                t.coverageKnown = childTotals.count == kids.count && childTotals.allSatisfy(\.coverageKnown) && childPops.count == kids.count
                t.adultWeighted = childTotals.reduce(0) { $0 + $1.adultWeighted }
                t.olderWeighted = childTotals.reduce(0) { $0 + $1.olderWeighted }
            }
            var adult: Double?, older: Double?
            if let own, let a = own.adultFirstDose, let o = own.olderFullyVaccinated {
                // The area's own figures win over its children's.
                adult = a
                older = o
                t.coverageKnown = true
                if let p = t.population { t.adultWeighted = a * Double(p); t.olderWeighted = o * Double(p) }
            } else if area.level == .commune || kids.isEmpty {
                t.coverageKnown = false
            } else if t.coverageKnown, let p = t.population, p > 0 {
                adult = t.adultWeighted / Double(p)
                older = t.olderWeighted / Double(p)
            } else {
                t.coverageKnown = false
            }
            totals[area.code] = t

            guard let population = t.population, population > 0 else {
                out[area.code] = .failure(AppError(.conflict, code: "population_unknown",
                                                   message: "the population of \(area.name) (\(area.code)) is \(t.population == 0 ? "0" : "not known"); set it with PUT /v1/areas/\(area.code)/population",
                                                   field: "population"))
                continue
            }
            let province = switch area.level {
            case .province: area.code
            case .district: area.parentCode
            case .commune: tree.byCode[area.parentCode ?? ""]?.parentCode
            }
            let rules = book.rules(province: province, on: date)
            let rate = Double(t.b + t.c) / (2 * Double(population)) * 100_000
            let band = rules.band(rate: rate)
            let met: Bool? = (adult != nil && older != nil) ? (adult! >= rules.coverage.adultFirstDose && older! >= rules.coverage.olderFullyVaccinated) : nil
            var level = switch met {
            case true?: rules.decision.coverageMet[band - 1]
            case false?: rules.decision.coverageNotMet[band - 1]
            case nil: rules.decision.coverageUnknown[band - 1]
            }
            let capacity = own?.capacityMet
            if capacity == false, rules.capacityNotMetKeepsPreviousLevel, let prev = previous[area.code] { level = max(level, prev) }
            var children: [Int: Int] = [1: 0, 2: 0, 3: 0, 4: 0]
            var unassessed = 0
            for kid in kids {
                if case .success(let a)? = out[kid] { children[a.level, default: 0] += 1 } else { unassessed += 1 }
            }
            out[area.code] = .success(Assessment(
                code: area.code, name: area.name, areaLevel: area.level, date: date, population: population,
                casesThisWeek: t.b, casesLastWeek: t.c, rate: rate, band: band, adultFirstDose: adult, olderFullyVaccinated: older,
                olderGroupMinAge: rules.olderGroupMinAge(on: date), vaccinationMet: met, capacityMet: capacity,
                previousLevel: previous[area.code], level: level, rulesVersion: rules.version, children: children,
                childrenUnassessed: unassessed))
        }
        return out
    }
}

/// A level as announced: the 48-hour rule sets when it takes effect.
public struct Announcement: Sendable, Equatable {
    public var id: Int64
    public var code: String
    /// The assessment day it announces.
    public var date: Day
    public var level: Int
    public var announcedAt: Date
    public var effectiveFrom: Date
    public var announcedBy: String

    public init(id: Int64 = 0, code: String, date: Day, level: Int, announcedAt: Date, effectiveFrom: Date, announcedBy: String) {
        self.id = id
        self.code = code
        self.date = date
        self.level = level
        self.announcedAt = announcedAt
        self.effectiveFrom = effectiveFrom
        self.announcedBy = announcedBy
    }

    /// A level higher than the one in force (level 1 when none was ever announced) takes effect `raiseNoticeHours`
    /// after it is announced; the same or a lower level when announced.
    public static func effectiveFrom(level: Int, inForce: Int?, announcedAt: Date, rules: LevelRuleSet) -> Date {
        level > (inForce ?? 1) ? announcedAt.addingTimeInterval(rules.raiseNoticeHours * 3600) : announcedAt
    }

    /// An area's timeline at `at`: the level in force and the next one announced. An announcement made before an
    /// earlier one took effect replaces it.
    public static func timeline(_ all: [Announcement], at: Date) -> (inForce: Announcement?, upcoming: Announcement?) {
        let sorted = all.filter { $0.announcedAt <= at }.sorted { ($0.announcedAt, $0.id) < ($1.announcedAt, $1.id) }
        var live: [Announcement] = []
        for (i, a) in sorted.enumerated() {
            let replaced = sorted[(i + 1)...].contains { $0.announcedAt < a.effectiveFrom }
            if !replaced { live.append(a) }
        }
        return (live.last { $0.effectiveFrom <= at }, live.last { $0.effectiveFrom > at })
    }
}
