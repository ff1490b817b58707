import Foundation
import TruyVetCore

/// The weekly epidemic level of every area, its inputs, announcements (the 48-hour rule) and what applies to a venue.
extension TruyVet {
    // MARK: Inputs

    public func setPopulation(code: String, population: Int?, by principal: Principal) async throws -> Area {
        try principal.require(.health, .admin)
        guard let area = try await store.area(code: code) else { throw AppError.notFound("area \(code)") }
        guard let population else { throw AppError.missing("population") }
        try Self.checkPopulation(population)
        try await store.setPopulation(code: area.code, population: population)
        return try await store.area(code: code) ?? area
    }

    /// An area's figures for the week ending `day` (percentages 0–100; criterion 3 yes or no).
    public func setFigures(code: String, day: Day, _ input: WeekFigures, by principal: Principal, now: Date = Date()) async throws {
        try principal.require(.health, .admin)
        guard try await store.area(code: code) != nil else { throw AppError.notFound("area \(code)") }
        try Self.checkFigures(input, names: ("adultFirstDose", "olderFullyVaccinated"))
        guard input.adultFirstDose != nil || input.olderFullyVaccinated != nil || input.capacityMet != nil else {
            throw AppError(.badRequest, code: "missing_field", message: "give adultFirstDose, olderFullyVaccinated or capacityMet", field: "body")
        }
        try await store.setWeekFigures(code: code, day: day, input, by: principal.label, at: now)
    }

    static func checkPopulation(_ population: Int, field: String = "population") throws(AppError) {
        guard (1...200_000_000).contains(population) else { throw AppError.invalid(field, "\(field) must be a whole number from 1 to 200,000,000") }
    }

    static func checkFigures(_ input: WeekFigures, names: (String, String)) throws(AppError) {
        for (name, value) in [(names.0, input.adultFirstDose), (names.1, input.olderFullyVaccinated)] {
            if let value, !(0...100).contains(value) { throw AppError.invalid(name, "\(name) is a percentage from 0 to 100") }
        }
    }

    static func checkCases(_ count: Int, field: String = "communityCases") throws(AppError) {
        guard (0...10_000_000).contains(count) else { throw AppError.invalid(field, "\(field) must be a whole number ≥ 0") }
    }

    /// Community cases an area reports without tracing, for a day (usually the last day of a week). Reporting the
    /// same area and day again replaces the earlier number; cases registered through tracing are counted apart.
    public func reportCases(code: String, day: Day, count: Int?, by principal: Principal) async throws {
        try principal.require(.health, .admin)
        guard try await store.area(code: code) != nil else { throw AppError.notFound("area \(code)") }
        guard let count else { throw AppError.missing("communityCases") }
        try Self.checkCases(count)
        try await store.setReportedCases(code: code, day: day, count: count)
    }

    public static let figureColumns = ["code", "date", "population", "adult_first_dose", "older_fully_vaccinated", "capacity_met", "community_cases"]

    /// `code,date,population,adult_first_dose,older_fully_vaccinated,capacity_met,community_cases`: empty cells change
    /// nothing; a row is applied whole or not at all: every cell is checked before anything is written, and a bad row
    /// is rejected with its line and reason while the good ones are kept.
    public func importFigures(csv text: String, by principal: Principal, now: Date = Date()) async throws -> ImportReport {
        try principal.require(.health, .admin)
        let rows: [CSV.Row]
        do { rows = try CSV.parse(text) } catch { return ImportReport(accepted: 0, rejected: [.init(line: error.line, field: nil, reason: error.message)]) }
        guard let header = rows.first, header.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) == Self.figureColumns else {
            throw AppError.invalid("body", "expected the header \(Self.figureColumns.joined(separator: ","))")
        }
        var report = ImportReport(accepted: 0, rejected: [])
        for row in rows.dropFirst() {
            do {
                var f = row.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                guard f.count == Self.figureColumns.count else { throw AppError.invalid("row", "expected \(Self.figureColumns.count) fields, found \(f.count)") }
                var repairs: [CSV.Repair] = []
                if let code = SpreadsheetCell.areaCode(f[0]) {
                    repairs.append(.init(line: row.line, field: "code", from: f[0], to: code))
                    f[0] = code
                }
                guard try await store.area(code: f[0]) != nil else { throw AppError.invalid("code", "\(f[0]) is not a known area code") }
                let day = try SpreadsheetCell.day(f[1], field: "date")
                func number(_ i: Int) throws(AppError) -> Double? {
                    guard !f[i].isEmpty else { return nil }
                    guard let n = Double(f[i].replacingOccurrences(of: ",", with: ".")), n.isFinite else {
                        throw AppError.invalid(Self.figureColumns[i], "\(Self.figureColumns[i]) must be a number")
                    }
                    return n
                }
                let population = try number(2), adult = try number(3), older = try number(4), cases = try number(6)
                var capacity: Bool?
                switch f[5].lowercased() {
                case "": capacity = nil
                case "1", "true", "yes", "có", "đạt": capacity = true
                case "0", "false", "no", "không", "không đạt": capacity = false
                default: throw AppError.invalid("capacity_met", "capacity_met must be yes or no")
                }
                if let population, population != population.rounded() { throw AppError.invalid("population", "population must be a whole number") }
                if let cases, cases != cases.rounded() { throw AppError.invalid("community_cases", "community_cases must be a whole number") }
                let people = try population.map { p throws(AppError) -> Int in
                    let n = Int(exactly: p) ?? -1
                    try Self.checkPopulation(n)
                    return n
                }
                let figures = WeekFigures(adultFirstDose: adult, olderFullyVaccinated: older, capacityMet: capacity)
                try Self.checkFigures(figures, names: ("adult_first_dose", "older_fully_vaccinated"))
                let count = try cases.map { c throws(AppError) -> Int in
                    let n = Int(exactly: c) ?? -1
                    try Self.checkCases(n, field: "community_cases")
                    return n
                }
                // Checked whole: now written.
                if let people { _ = try await setPopulation(code: f[0], population: people, by: principal) }
                if adult != nil || older != nil || capacity != nil { try await setFigures(code: f[0], day: day, figures, by: principal, now: now) }
                if let count { try await reportCases(code: f[0], day: day, count: count, by: principal) }
                report.accepted += 1
                report.repaired += repairs
            } catch let error as AppError {
                report.rejected.append(.init(line: row.line, field: error.field, reason: error.message))
            }
        }
        return report
    }

    // MARK: Assessment

    /// Every area's assessment on `day` (or only those of one province), from stored counts and figures.
    public func assess(day: Day, province: String? = nil) async throws -> [String: Result<Assessment, AppError>] {
        let all = try await store.allAreas()
        // Each area's province, through its parents.
        let parents = Dictionary(all.map { ($0.code, $0.parentCode) }, uniquingKeysWith: { a, _ in a })
        func provinceOf(_ code: String) -> String {
            var c = code
            while let p = parents[c] ?? nil { c = p }
            return c
        }
        let areas = province.map { p in all.filter { provinceOf($0.code) == p } } ?? all
        let figures = try await store.weekFigures(days: LevelCalculator.span(for: day))
        // This week and last week for every area; the earlier weeks (the capacity rule) only in provinces that need them.
        var cases = try await store.communityCases(weeksEnding: day, weeks: 2, codes: province == nil ? nil : areas.map(\.code))
        let deep = Set(LevelCalculator.capacityNotMet(figures).map(provinceOf))
        if !deep.isEmpty {
            let codes = areas.filter { deep.contains(provinceOf($0.code)) }.map(\.code)
            cases.merge(try await store.communityCases(weeksEnding: day, weeks: LevelCalculator.weeks, codes: codes)) { $1 }
        }
        return LevelCalculator.assess(LevelCalculator.Input(areas: areas, cases: cases, figures: figures), date: day, rules: levelRules)
    }

    /// An assessment with its area's announcements: what was announced for that day, and the level in force at its end.
    public struct LevelView: Sendable {
        public let assessment: Assessment
        public let announced: Announcement?
        public let inForce: Announcement?
        public let upcoming: Announcement?
        public let color: LevelRuleSet.Color
    }

    public func levelViews(_ assessments: [Assessment]) async throws -> [LevelView] {
        let all = try await store.announcements(codes: assessments.map(\.code))
        return assessments.map { a in
            let list = all[a.code] ?? []
            let endOfDay = a.date.adding(1).start.addingTimeInterval(-1)
            let timeline = Announcement.timeline(list, at: endOfDay)
            return LevelView(assessment: a, announced: list.last { $0.date == a.date }, inForce: timeline.inForce, upcoming: timeline.upcoming,
                             color: levelRules.rules(province: nil, on: a.date).color(a.level))
        }
    }

    /// The province of an area code (from the tree).
    func province(of code: String) async throws -> Area {
        let path = try await areaPath(code)
        guard let province = path.last, province.level == .province else { throw AppError.notFound("area \(code)") }
        return province
    }

    public func level(code: String, day: Day) async throws -> LevelView {
        let province = try await province(of: code)
        guard let result = try await assess(day: day, province: province.code)[code] else { throw AppError.notFound("area \(code)") }
        return try await levelViews([try result.get()])[0]
    }

    /// The children of an area (provinces when `parent` is nil), each assessed or with the reason it cannot be.
    public func levels(parent: String?, day: Day) async throws -> (views: [LevelView], problems: [(area: Area, error: AppError)]) {
        let children = try await store.areas(parent: parent)
        var province: String?
        if let parent { province = try await self.province(of: parent).code }
        let results = try await assess(day: day, province: province)
        var ok: [Assessment] = [], problems: [(Area, AppError)] = []
        for child in children {
            switch results[child.code] {
            case .success(let a)?: ok.append(a)
            case .failure(let e)?: problems.append((child, e))
            case nil: problems.append((child, AppError.notFound("area \(child.code)")))
            }
        }
        return (try await levelViews(ok), problems)
    }

    /// Weekly assessments of an area, every 7 days back from `to` while on or after `from` (at most 53).
    public func history(code: String, from: Day, to: Day) async throws -> [LevelView] {
        guard from <= to else { throw AppError.invalid("from", "from must not be after to") }
        let province = try await province(of: code).code
        var out: [Assessment] = []
        var day = to
        while day >= from, out.count < 53 {
            if let a = try await assess(day: day, province: province)[code] { out.append(try a.get()) }
            day = day.adding(-7)
        }
        return try await levelViews(out.reversed())
    }

    // MARK: Announcements

    /// What announcing `code`'s assessment of `day` at `at` would do: the level, and when it would take effect (a
    /// raise after the rule set's notice, anything else at once). Reads only.
    public func announcementPreview(code: String, day: Day, at: Date) async throws -> (level: Int, effectiveFrom: Date) {
        let province = try await province(of: code)
        guard let own = try await assess(day: day, province: province.code)[code] else { throw AppError.notFound("area \(code)") }
        let level = try own.get().level
        let stamp = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        let inForce = Announcement.timeline(try await store.announcements(codes: [code])[code] ?? [], at: stamp).inForce?.level
        return (level, Announcement.effectiveFrom(level: level, inForce: inForce, announcedAt: stamp, rules: levelRules.rules(province: province.code, on: day)))
    }

    /// Announces the assessed level of `code` for `day` (and of every area beneath it): a raise takes effect
    /// 48 hours (the rule set's notice) after `at`, anything else at once.
    public func announce(code: String, day: Day, at: Date, by principal: Principal, includeChildren: Bool = true, now: Date = Date()) async throws -> [Announcement] {
        try principal.require(.health, .admin)
        guard at <= now.addingTimeInterval(Self.clockSkew) else { throw AppError.invalid("announcedAt", "announcedAt is in the future") }
        let province = try await province(of: code)
        let results = try await assess(day: day, province: province.code)
        guard let own = results[code] else { throw AppError.notFound("area \(code)") }
        _ = try own.get()
        var codes = [code]
        if includeChildren {
            let all = try await store.allAreas()
            var frontier = [code]
            while !frontier.isEmpty {
                let kids = all.filter { frontier.contains($0.parentCode ?? "") }.map(\.code)
                codes += kids
                frontier = kids
            }
        }
        let existing = try await store.announcements(codes: codes)
        var made: [Announcement] = []
        let stamp = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        for c in codes {
            guard case .success(let a)? = results[c] else { continue }
            let rules = levelRules.rules(province: province.code, on: day)
            let inForce = Announcement.timeline(existing[c] ?? [], at: stamp).inForce?.level
            var announcement = Announcement(code: c, date: day, level: a.level, announcedAt: stamp,
                                            effectiveFrom: Announcement.effectiveFrom(level: a.level, inForce: inForce, announcedAt: stamp, rules: rules),
                                            announcedBy: principal.label)
            announcement.id = try await store.addAnnouncement(announcement)
            made.append(announcement)
        }
        return made
    }

    // MARK: Venues

    public struct VenueStatus: Sendable {
        public let venue: Venue
        public let commune: Area
        public let at: Date
        public let inForce: Announcement?
        public let upcoming: Announcement?
        /// The latest assessment of the commune (its day is `at`'s), announced or not.
        public let assessed: Result<Assessment, AppError>?
    }

    public func venueStatus(_ venue: Venue, at: Date) async throws -> VenueStatus {
        guard let commune = try await store.area(code: venue.areaCode) else { throw AppError.notFound("area \(venue.areaCode)") }
        let timeline = Announcement.timeline(try await store.announcements(codes: [commune.code])[commune.code] ?? [], at: at)
        let province = try await province(of: commune.code).code
        return VenueStatus(venue: venue, commune: commune, at: at, inForce: timeline.inForce, upcoming: timeline.upcoming,
                           assessed: try await assess(day: Day(at), province: province)[commune.code])
    }

    /// The one CSV of assessments.
    public static func levelsCSV(_ views: [LevelView]) -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "" }
        func yes(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "" }
        return CSV.render(header: ["code", "name", "date", "population", "cases_this_week", "cases_last_week", "rate_per_100k", "band",
                                   "adult_first_dose", "older_fully_vaccinated", "vaccination_met", "capacity_met", "level", "color",
                                   "announced_at", "effective_from"],
                          rows: views.map { v in
                              let a = v.assessment
                              return [a.code, a.name, a.date.description, String(a.population), String(a.casesThisWeek), String(a.casesLastWeek),
                                      String(format: "%.2f", a.rate), String(a.band), pct(a.adultFirstDose), pct(a.olderFullyVaccinated),
                                      yes(a.vaccinationMet), yes(a.capacityMet), String(a.level), v.color.name,
                                      v.announced.map { Instant.format($0.announcedAt) } ?? "", v.announced.map { Instant.format($0.effectiveFrom) } ?? ""]
                          })
    }
}

extension TruyVet {
    // MARK: QR adoption

    /// One row of the adoption report: an area (a district of a province, a commune of a district) or the total.
    public struct AdoptionRow: Sendable {
        public let area: Area
        public let counts: AdoptionCounts
        public var venues: Int { counts.venuesByCategory.values.reduce(0, +) }
        /// Check-ins per day over the span.
        public func perDay(_ days: Int) -> Double { Double(counts.checkins) / Double(max(days, 1)) }
        /// The share of check-ins that ended with a check-out, nil without check-ins.
        public var checkoutShare: Double? { counts.checkins == 0 ? nil : Double(counts.checkedOut) / Double(counts.checkins) }
    }

    public struct AdoptionReport: Sendable {
        public let area: Area
        public let from: Day, to: Day
        public let total: AdoptionRow
        public let rows: [AdoptionRow]
        public var days: Int { to.number - from.number + 1 }
    }

    /// How far QR check-in has reached in an area, over the 7 days ending on `day`: for the area and each of its
    /// districts (a province) or communes (a district). Health officers and admins; counts only, nobody's data.
    public func adoption(code: String, day: Day, by principal: Principal) async throws -> AdoptionReport {
        try principal.require(.health, .admin)
        guard let area = try await store.area(code: code) else { throw AppError.notFound("area \(code)") }
        let from = day.adding(-6)
        let byCommune = try await store.adoption(area: area.code, from: from.start, to: day.adding(1).start)
        var rows: [AdoptionRow] = []
        switch area.level {
        case .province:
            for district in try await store.areas(parent: area.code) {
                let communes = try await store.areas(parent: district.code).map(\.code)
                rows.append(AdoptionRow(area: district, counts: communes.reduce(AdoptionCounts()) { $0 + (byCommune[$1] ?? AdoptionCounts()) }))
            }
        case .district:
            rows = try await store.areas(parent: area.code).map { AdoptionRow(area: $0, counts: byCommune[$0.code] ?? AdoptionCounts()) }
        case .commune:
            rows = []
        }
        let total = AdoptionRow(area: area, counts: byCommune.values.reduce(AdoptionCounts(), +))
        return AdoptionReport(area: area, from: from, to: day, total: total, rows: rows)
    }

    /// The report as CSV: a row for the area, then one per district or commune.
    public static func adoptionCSV(_ r: AdoptionReport) -> String {
        let categories = VenueCategory.allCases
        var header = ["code", "name", "from", "to", "venues"]
        header += categories.map { "venues_\($0.rawValue)" }
        header += ["venues_with_checkins", "checkins", "checkins_per_day", "checked_out_share"]
        var rows: [[String]] = []
        for row in [r.total] + r.rows {
            var cells = [row.area.code, row.area.name, r.from.description, r.to.description, String(row.venues)]
            cells += categories.map { String(row.counts.venuesByCategory[$0] ?? 0) }
            let share = row.checkoutShare.map { String(format: "%.3f", $0) } ?? ""
            cells += [String(row.counts.activeVenues), String(row.counts.checkins), String(format: "%.1f", row.perDay(r.days)), share]
            rows.append(cells)
        }
        return CSV.render(header: header, rows: rows)
    }
}
