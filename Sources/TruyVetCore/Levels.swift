import Foundation

/// The epidemic-level rules of Resolution 128/NQ-CP and Decision 4800/QĐ-BYT as data: thresholds,
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

/// One week's figures of an area, as entered by the health office (any may be unknown; percentages 0–100).
public struct WeekFigures: Sendable, Equatable, Decodable {
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
    /// For a province, every commune in it by level (a yellow ward inside a green district shows here); nil otherwise.
    public var communes: [Int: Int]?
    public var communesUnassessed: Int?
}

/// Weekly levels of every area from community case counts: pure, bottom-up over the tree, one pass per week looked
/// back (the capacity rule needs last week's level), arrays indexed by area.
public enum LevelCalculator {
    /// Weeks looked back for the capacity rule (the previous week's level, and its own previous week...).
    public static let weeksBack = 4

    public struct Input: Sendable {
        public var areas: [Area]
        /// Community cases by area code and week back from the assessed day: `[0]` in (d − 7, d], `[1]` in
        /// (d − 14, d − 7], … Communes from tracing and reports; districts and provinces from reports. Missing weeks
        /// count as none.
        public var cases: [String: [Int]]
        /// Figures by area code and the day they were entered for; a week's figures are the latest in (d − 7, d].
        public var figures: [String: [Day: WeekFigures]]
        public init(areas: [Area], cases: [String: [Int]], figures: [String: [Day: WeekFigures]]) {
            self.areas = areas
            self.cases = cases
            self.figures = figures
        }
    }

    /// Weeks of case counts `assess` can use (this week, last week, and those of the earlier weeks it looks back at).
    public static let weeks = weeksBack + 2

    /// The day range of figures `assess` needs for `date`.
    public static func span(for date: Day) -> ClosedRange<Day> {
        date.adding(-7 * weeks + 1)...date
    }

    /// Daily counts as the weekly buckets `Input.cases` holds, for `date`.
    public static func weekly(_ byDay: [String: [Day: Int]], date: Day) -> [String: [Int]] {
        byDay.mapValues { days in
            var buckets = [Int](repeating: 0, count: weeks)
            for (day, n) in days where day <= date {
                let back = (date.number - day.number) / 7
                if back < weeks { buckets[back] += n }
            }
            return buckets
        }
    }

    /// Areas whose figures say treatment capacity was not met in the span: only their provinces need the earlier weeks.
    public static func capacityNotMet(_ figures: [String: [Day: WeekFigures]]) -> Set<String> {
        Set(figures.filter { $0.value.values.contains { $0.capacityMet == false } }.keys)
    }

    /// Every area's assessment on `date`, or why it has none (no population).
    public static func assess(_ input: Input, date: Day, rules book: LevelRuleBook) -> [String: Result<Assessment, AppError>] {
        let tree = Tree(input.areas)
        let cases = tree.areas.map { input.cases[$0.code] ?? [] }
        let figures = tree.areas.map { input.figures[$0.code] }
        var previous = [Int?](repeating: nil, count: tree.areas.count)
        // Earlier weeks only matter where capacity was not met at some point.
        let needsHistory = figures.contains { $0?.values.contains { $0.capacityMet == false } ?? false }
        if needsHistory {
            for back in stride(from: weeksBack, through: 1, by: -1) {
                previous = pass(tree, cases: cases, figures: figures, date: date.adding(-7 * back), back: back, rules: book, previous: previous).levels
            }
        }
        return pass(tree, cases: cases, figures: figures, date: date, back: 0, rules: book, previous: previous, materialize: true).results
    }

    struct Tree {
        /// Communes first, then districts, then provinces: children before parents.
        let areas: [Area]
        let children: [[Int]]
        /// The province of each area (its own index for a province), for the rule set.
        let province: [Int?]

        init(_ all: [Area]) {
            let order: [AreaLevel: Int] = [.commune: 0, .district: 1, .province: 2]
            let areas = all.sorted { (order[$0.level]!, $0.code) < (order[$1.level]!, $1.code) }
            self.areas = areas
            var index: [String: Int] = [:]
            for (i, a) in areas.enumerated() { index[a.code] = i }
            var children = [[Int]](repeating: [], count: areas.count)
            var parent = [Int?](repeating: nil, count: areas.count)
            for (i, a) in areas.enumerated() {
                if let p = a.parentCode.flatMap({ index[$0] }) { children[p].append(i); parent[i] = p }
            }
            self.children = children
            province = areas.indices.map { i in
                var j = i
                while let p = parent[j] { j = p }
                return areas[j].level == .province ? j : nil
            }
        }
    }

    static func pass(_ tree: Tree, cases: [[Int]], figures: [[Day: WeekFigures]?], date: Day, back: Int, rules book: LevelRuleBook,
                     previous: [Int?], materialize: Bool = false) -> (levels: [Int?], results: [String: Result<Assessment, AppError>]) {
        let n = tree.areas.count
        var population = [Int?](repeating: nil, count: n)
        var b = [Int](repeating: 0, count: n), c = [Int](repeating: 0, count: n)
        var adultWeighted = [Double](repeating: 0, count: n), olderWeighted = [Double](repeating: 0, count: n)
        var coverageKnown = [Bool](repeating: false, count: n)
        var levels = [Int?](repeating: nil, count: n)
        var results: [String: Result<Assessment, AppError>] = [:]
        if materialize { results.reserveCapacity(n) }
        var rulesOf: [Int: (rules: LevelRuleSet, olderGroup: Int)] = [:]
        let weekStart = date.adding(-7)

        for i in 0..<n {
            let area = tree.areas[i], kids = tree.children[i]
            let weeks = cases[i]
            b[i] = back < weeks.count ? weeks[back] : 0
            c[i] = back + 1 < weeks.count ? weeks[back + 1] : 0
            var own: WeekFigures?
            if let entered = figures[i] {
                own = entered.filter { $0.key > weekStart && $0.key <= date }.max { $0.key < $1.key }?.value
            }
            if kids.isEmpty {
                population[i] = area.population
            } else {
                var sum = 0, allPopulated = true, allCovered = true
                for k in kids {
                    b[i] += b[k]
                    c[i] += c[k]
                    if let p = population[k] { sum += p } else { allPopulated = false }
                    allCovered = allCovered && coverageKnown[k]
                    adultWeighted[i] += adultWeighted[k]
                    olderWeighted[i] += olderWeighted[k]
                }
                // Population: the sum over children when every child has one, else the area's own figure.
                population[i] = allPopulated && sum > 0 ? sum : area.population
                coverageKnown[i] = allPopulated && allCovered
            }
            var adult: Double?, older: Double?
            if let own, let a = own.adultFirstDose, let o = own.olderFullyVaccinated {
                // The area's own figures win over its children's.
                adult = a
                older = o
                coverageKnown[i] = true
                if let p = population[i] { adultWeighted[i] = a * Double(p); olderWeighted[i] = o * Double(p) }
            } else if !kids.isEmpty, coverageKnown[i], let p = population[i], p > 0 {
                adult = adultWeighted[i] / Double(p)
                older = olderWeighted[i] / Double(p)
            } else {
                coverageKnown[i] = false
            }

            guard let people = population[i], people > 0 else {
                if materialize {
                    results[area.code] = .failure(AppError(.conflict, code: "population_unknown",
                        message: "the population of \(area.name) (\(area.code)) is \(population[i] == 0 ? "0" : "not known"); set it with PUT /v1/areas/\(area.code)/population",
                        field: "population"))
                }
                continue
            }
            let p = tree.province[i] ?? -1
            if rulesOf[p] == nil {
                let r = book.rules(province: p >= 0 ? tree.areas[p].code : nil, on: date)
                rulesOf[p] = (r, r.olderGroupMinAge(on: date))
            }
            let (rules, olderGroup) = rulesOf[p]!
            let rate = Double(b[i] + c[i]) / (2 * Double(people)) * 100_000
            let band = rules.band(rate: rate)
            let met: Bool? = if let adult, let older {
                adult >= rules.coverage.adultFirstDose && older >= rules.coverage.olderFullyVaccinated
            } else { nil }
            var level = switch met {
            case true?: rules.decision.coverageMet[band - 1]
            case false?: rules.decision.coverageNotMet[band - 1]
            case nil: rules.decision.coverageUnknown[band - 1]
            }
            if own?.capacityMet == false, rules.capacityNotMetKeepsPreviousLevel, let prev = previous[i] { level = max(level, prev) }
            levels[i] = level
            guard materialize else { continue }
            var children: [Int: Int] = [1: 0, 2: 0, 3: 0, 4: 0]
            var unassessed = 0
            for k in kids {
                if let l = levels[k] { children[l, default: 0] += 1 } else { unassessed += 1 }
            }
            var communes: [Int: Int]?
            var communesUnassessed: Int?
            if area.level == .province {
                var byLevel: [Int: Int] = [1: 0, 2: 0, 3: 0, 4: 0], missing = 0
                for k in kids {
                    for g in tree.children[k] {
                        if let l = levels[g] { byLevel[l, default: 0] += 1 } else { missing += 1 }
                    }
                }
                communes = byLevel
                communesUnassessed = missing
            }
            results[area.code] = .success(Assessment(
                code: area.code, name: area.name, areaLevel: area.level, date: date, population: people,
                casesThisWeek: b[i], casesLastWeek: c[i], rate: rate, band: band, adultFirstDose: adult, olderFullyVaccinated: older,
                olderGroupMinAge: olderGroup, vaccinationMet: met, capacityMet: own?.capacityMet,
                previousLevel: previous[i], level: level, rulesVersion: rules.version, children: children,
                childrenUnassessed: unassessed, communes: communes, communesUnassessed: communesUnassessed))
        }
        return (levels, results)
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
        let live = statuses(all, at: at).filter { $0.status != .replaced }.map(\.announcement)
        return (live.last { $0.effectiveFrom <= at }, live.last { $0.effectiveFrom > at })
    }

    public enum Status: String, Sendable {
        /// Took effect, and a later one has since.
        case past
        case inForce = "in_force"
        /// Announced, not yet in effect (a raise waits).
        case upcoming
        /// Another announcement came before it took effect: it never applies.
        case replaced
    }

    /// Every announcement made by `at`, oldest first, with what it is at `at`.
    public static func statuses(_ all: [Announcement], at: Date) -> [(announcement: Announcement, status: Status)] {
        let sorted = all.filter { $0.announcedAt <= at }.sorted { ($0.announcedAt, $0.id) < ($1.announcedAt, $1.id) }
        var out: [(announcement: Announcement, status: Status)] = []
        for (i, a) in sorted.enumerated() {
            let replaced = sorted[(i + 1)...].contains { $0.announcedAt < a.effectiveFrom }
            out.append((a, replaced ? .replaced : (a.effectiveFrom > at ? .upcoming : .past)))
        }
        if let current = out.lastIndex(where: { $0.status == .past }) { out[current].status = .inForce }
        return out
    }
}
