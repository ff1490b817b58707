import Foundation
import Hummingbird
import TruyVetCore

/// Epidemic levels over HTTP: inputs (health), assessments and history (anyone), announcements (health), venue status.
extension Routes {
    func registerLevelRoutes(on v1: RouterGroup<AppRequestContext>) {
        v1.put("areas/:code/population") { request, context in try await setPopulation(request, context) }
        v1.put("areas/:code/weeks/:date") { request, context in try await setFigures(request, context) }
        v1.post("areas/:code/case-counts") { request, context in try await reportCases(request, context) }
        v1.post("areas/figures/import") { request, context in try await importFigures(request, context) }
        v1.get("areas/:code/level") { request, context in try await areaLevel(request, context) }
        v1.get("areas/:code/levels") { request, context in try await areaHistory(request, context) }
        v1.post("areas/:code/announcements") { request, context in try await announce(request, context) }
        v1.get("areas/:code/announcements") { request, context in try await timeline(request, context) }
        v1.get("levels") { request, context in try await childLevels(request, context) }
        v1.get("areas/:code/adoption") { request, context in try await adoption(request, context) }
        v1.get("level-rules") { _, _ in try JSON.response(LevelRulesJSON(app)) }
        v1.get("venues/:id/status") { request, context in try await venueStatus(request, context) }
    }

    func areaCode(_ context: AppRequestContext) -> String { context.parameter("code") ?? "" }

    /// `date=YYYY-MM-DD`, default today in Vietnam.
    func day(_ request: Request, _ name: String = "date") throws(AppError) -> Day {
        guard let raw = request.uri.queryParameters.get(name) else { return Day(Date()) }
        return try Day.parse(String(raw), field: name)
    }

    struct PopulationBody: Decodable { var population: Int? }

    func setPopulation(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.health, .admin)
        let body = try await JSON.decode(PopulationBody.self, from: request, context: context)
        let area = try await app.setPopulation(code: areaCode(context), population: body.population, by: principal)
        return try JSON.response(area)
    }

    func setFigures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.health, .admin)
        let day = try Day.parse(context.parameter("date") ?? "", field: "date")
        let body = try await JSON.decode(WeekFigures.self, from: request, context: context)
        try await app.setFigures(code: areaCode(context), day: day, body, by: principal)
        // What is stored now for that week (fields not sent keep their earlier values).
        let stored = try await app.store.weekFigures(days: day...day)[areaCode(context)]?[day] ?? body
        return try JSON.response(FiguresJSON(code: areaCode(context), date: day.description, adultFirstDose: stored.adultFirstDose,
                                             olderFullyVaccinated: stored.olderFullyVaccinated, capacityMet: stored.capacityMet))
    }

    struct CaseCountBody: Decodable { var date: String?; var communityCases: Int? }

    func reportCases(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.health, .admin)
        let body = try await JSON.decode(CaseCountBody.self, from: request, context: context)
        guard let date = body.date else { throw AppError.missing("date") }
        let day = try Day.parse(date, field: "date")
        try await app.reportCases(code: areaCode(context), day: day, count: body.communityCases, by: principal)
        return try JSON.response(CaseCountJSON(code: areaCode(context), date: day.description, communityCases: body.communityCases ?? 0))
    }

    func importFigures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.health, .admin)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw AppError.invalid("body", "the CSV must be UTF-8 text") }
        return try JSON.response(try await app.importFigures(csv: text, by: principal))
    }

    func areaLevel(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try JSON.response(LevelJSON(try await app.level(code: areaCode(context), day: try day(request)), app: app))
    }

    func areaHistory(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let to = try day(request, "to")
        let from = try request.uri.queryParameters.get("from").map { raw throws(AppError) in try Day.parse(String(raw), field: "from") } ?? to.adding(-7 * 8)
        let wantsCSV = try CSVDownload.requested(request)
        let views = try await app.history(code: areaCode(context), from: from, to: to)
        if wantsCSV { return CSVDownload.response(TruyVet.levelsCSV(views), filename: "truyvet-levels-\(areaCode(context)).csv") }
        var items: [LevelJSON] = []
        for v in views { items.append(LevelJSON(v, app: app)) }
        return try JSON.response(items)
    }

    func childLevels(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parent = request.uri.queryParameters.get("parent").map { String($0) }
        if let parent, try await app.store.area(code: parent) == nil { throw AppError.invalid("parent", "parent \(parent) is not a known area code") }
        let wantsCSV = try CSVDownload.requested(request)
        let day = try day(request)
        let (views, problems) = try await app.levels(parent: parent, day: day)
        if wantsCSV { return CSVDownload.response(TruyVet.levelsCSV(views), filename: "truyvet-levels-\(parent ?? "vn")-\(day).csv") }
        var items: [LevelJSON] = []
        for v in views { items.append(LevelJSON(v, app: app)) }
        return try JSON.response(LevelListJSON(parent: parent, date: day.description, items: items,
                                               unassessed: problems.map { .init(code: $0.area.code, name: $0.area.name, problem: $0.error.message) }))
    }

    func adoption(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let wantsCSV = try CSVDownload.requested(request)
        let report = try await app.adoption(code: areaCode(context), day: try day(request), by: principal)
        if wantsCSV { return CSVDownload.response(TruyVet.adoptionCSV(report), filename: "truyvet-adoption-\(report.area.code)-\(report.to).csv") }
        return try JSON.response(AdoptionJSON(report))
    }

    struct AnnounceBody: Decodable { var date: String?; var announcedAt: String?; var includeChildren: Bool? }

    func announce(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.health, .admin)
        let body = try await JSON.decode(AnnounceBody.self, from: request, context: context)
        guard let date = body.date else { throw AppError.missing("date") }
        let day = try Day.parse(date, field: "date")
        let at = try body.announcedAt.map { raw throws(AppError) in try Instant.parse(raw, field: "announcedAt") } ?? Date()
        let made = try await app.announce(code: areaCode(context), day: day, at: at, by: principal, includeChildren: body.includeChildren ?? true)
        return try JSON.response(made.map { AnnouncementJSON($0) }, status: .created)
    }

    /// The area's timeline: every announcement, and whether it is past, in force, upcoming or replaced at `at`.
    func timeline(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let code = areaCode(context)
        guard try await app.store.area(code: code) != nil else { throw AppError.notFound("area \(code)") }
        let at = try request.uri.queryParameters.get("at").map { raw throws(AppError) in try Instant.parse(String(raw), field: "at") } ?? Date()
        let all = try await app.store.announcements(codes: [code])[code] ?? []
        return try JSON.response(Announcement.statuses(all, at: at).map { AnnouncementJSON($0.announcement, status: $0.status.rawValue) })
    }

    func venueStatus(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await app.venue(try venueID(context))
        let at = try request.uri.queryParameters.get("at").map { raw throws(AppError) in try Instant.parse(String(raw), field: "at") } ?? Date()
        let status = try await app.venueStatus(venue, at: at)
        return try JSON.response(VenueStatusJSON(status, app: app))
    }
}

struct LevelJSON: Encodable {
    struct Announced: Encodable { let level: Int; let color: String; let announcedAt: String; let effectiveFrom: String }
    let code: String, name: String, kind: String, date: String
    let population: Int
    let casesThisWeek: Int, casesLastWeek: Int
    let rate: Double
    let band: Int
    let adultFirstDose: Double?, olderFullyVaccinated: Double?, olderGroupMinAge: Int
    let vaccinationMet: Bool?, capacityMet: Bool?
    let previousLevel: Int?
    let level: Int, color: String, colorHex: String, label: String
    let rulesVersion: String
    /// This day's assessment as announced (nil until announced).
    let announcedAt: String?, effectiveFrom: String?
    /// At the end of this day: the level in force and the next one announced.
    let inForce: Announced?, upcoming: Announced?
    let children: [String: Int]
    let childrenUnassessed: Int
    /// Provinces only: every commune by level, beside the districts of `children`.
    let communes: [String: Int]?
    let communesUnassessed: Int?

    init(_ v: TruyVet.LevelView, app: TruyVet) {
        let a = v.assessment
        code = a.code; name = a.name; kind = a.areaLevel.rawValue; date = a.date.description
        population = a.population; casesThisWeek = a.casesThisWeek; casesLastWeek = a.casesLastWeek
        rate = (a.rate * 100).rounded() / 100
        band = a.band
        adultFirstDose = a.adultFirstDose; olderFullyVaccinated = a.olderFullyVaccinated; olderGroupMinAge = a.olderGroupMinAge
        vaccinationMet = a.vaccinationMet; capacityMet = a.capacityMet; previousLevel = a.previousLevel
        level = a.level; color = v.color.name; colorHex = v.color.hex; label = v.color.vi; rulesVersion = a.rulesVersion
        announcedAt = v.announced.map { Instant.format($0.announcedAt) }
        effectiveFrom = v.announced.map { Instant.format($0.effectiveFrom) }
        func announced(_ x: Announcement?) -> Announced? {
            x.map { Announced(level: $0.level, color: app.levelRules.rules(province: nil, on: $0.date).color($0.level).name, announcedAt: Instant.format($0.announcedAt), effectiveFrom: Instant.format($0.effectiveFrom)) }
        }
        inForce = announced(v.inForce)
        upcoming = announced(v.upcoming)
        children = Dictionary(uniqueKeysWithValues: a.children.map { (String($0.key), $0.value) })
        childrenUnassessed = a.childrenUnassessed
        communes = a.communes.map { Dictionary(uniqueKeysWithValues: $0.map { (String($0.key), $0.value) }) }
        communesUnassessed = a.communesUnassessed
    }
}

struct FiguresJSON: Encodable {
    let code: String, date: String
    let adultFirstDose: Double?, olderFullyVaccinated: Double?, capacityMet: Bool?
}

struct CaseCountJSON: Encodable { let code: String; let date: String; let communityCases: Int }

struct LevelListJSON: Encodable {
    struct Problem: Encodable { let code: String; let name: String; let problem: String }
    let parent: String?
    let date: String
    let items: [LevelJSON]
    let unassessed: [Problem]
}

struct AnnouncementJSON: Encodable {
    let code: String, date: String, level: Int, announcedAt: String, effectiveFrom: String, announcedBy: String
    let status: String?
    init(_ a: Announcement, status: String? = nil) {
        code = a.code; date = a.date.description; level = a.level
        announcedAt = Instant.format(a.announcedAt); effectiveFrom = Instant.format(a.effectiveFrom); announcedBy = a.announcedBy
        self.status = status
    }
}

struct LevelRulesJSON: Encodable {
    let standard: [LevelRuleSet]
    let provinces: [String: [LevelRuleSet]]
    let measures: MeasureTable
    init(_ app: TruyVet) {
        standard = app.levelRules.standard
        provinces = app.levelRules.provinces
        measures = app.measures
    }
}

struct VenueStatusJSON: Encodable {
    struct MeasureJSON: Encodable {
        let activity: String?, activityVi: String?, statuses: [String], vi: String, en: String
        init(_ m: MeasureTable.Measure) {
            activity = m.activity?.id; activityVi = m.activity?.vi; statuses = m.statuses; vi = m.vi; en = m.en
        }
    }
    struct LevelRef: Encodable {
        let level: Int, color: String, colorHex: String, label: String, announcedAt: String, effectiveFrom: String
        let measure: MeasureJSON
    }
    struct Assessed: Encodable { let date: String; let level: Int?; let color: String?; let problem: String? }
    let venueId: Int64, name: String, category: String
    let commune: AreaRef
    let at: String
    /// The level in force now (announced, effective), and the measure it sets for this venue.
    let inForce: LevelRef?
    /// An announced level not yet in force (a raise waits 48 hours), and its measure.
    let upcoming: LevelRef?
    let assessed: Assessed?
    let everyLevel: [MeasureTable.Rule]

    init(_ s: TruyVet.VenueStatus, app: TruyVet) {
        func ref(_ a: Announcement?) -> LevelRef? {
            a.map { a in
                let color = app.levelRules.rules(province: nil, on: a.date).color(a.level)
                return LevelRef(level: a.level, color: color.name, colorHex: color.hex, label: color.vi, announcedAt: Instant.format(a.announcedAt),
                                effectiveFrom: Instant.format(a.effectiveFrom), measure: MeasureJSON(app.measures.measure(for: s.venue.category, level: a.level)))
            }
        }
        venueId = s.venue.id; name = s.venue.name; category = s.venue.category.rawValue
        commune = AreaRef(code: s.commune.code, name: s.commune.name, level: s.commune.level.rawValue)
        at = Instant.format(s.at)
        inForce = ref(s.inForce)
        upcoming = ref(s.upcoming)
        switch s.assessed {
        case .success(let a)?:
            assessed = Assessed(date: a.date.description, level: a.level, color: app.levelRules.rules(province: nil, on: a.date).color(a.level).name, problem: nil)
        case .failure(let e)?: assessed = Assessed(date: Day(s.at).description, level: nil, color: nil, problem: e.message)
        case nil: assessed = nil
        }
        everyLevel = app.measures.everyLevel
    }
}

struct AdoptionJSON: Encodable {
    struct Row: Encodable {
        let code: String, name: String
        let venues: Int
        let venuesByCategory: [String: Int]
        let activeVenues: Int, checkins: Int
        let checkinsPerDay: Double
        /// Absent without check-ins.
        let checkoutShare: Double?
        init(_ r: TruyVet.AdoptionRow, days: Int) {
            code = r.area.code; name = r.area.name; venues = r.venues
            venuesByCategory = Dictionary(uniqueKeysWithValues: r.counts.venuesByCategory.map { ($0.key.rawValue, $0.value) })
            activeVenues = r.counts.activeVenues; checkins = r.counts.checkins
            checkinsPerDay = (r.perDay(days) * 10).rounded() / 10
            checkoutShare = r.checkoutShare.map { ($0 * 1000).rounded() / 1000 }
        }
    }
    let code: String, name: String, from: String, to: String, days: Int
    let total: Row
    let areas: [Row]
    init(_ r: TruyVet.AdoptionReport) {
        code = r.area.code; name = r.area.name; from = r.from.description; to = r.to.description; days = r.days
        total = Row(r.total, days: r.days)
        areas = r.rows.map { Row($0, days: r.days) }
    }
}
