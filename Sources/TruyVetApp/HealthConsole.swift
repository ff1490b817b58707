import Foundation
import Hummingbird
import TruyVetCore

/// The health officer's page of one area: this week's answer and the inputs behind it, the weekly history as an SVG
/// chart with the band thresholds, the announcements, and forms for the inputs and for announcing (the 48-hour rule
/// shown before confirming). Every form calls the same operation as the JSON API.
extension Routes {
    func registerHealthConsole(on router: Router<AppRequestContext>) {
        router.get("/areas/:code") { request, context in try await console { try await areaPage(request, context) } }
        router.post("/areas/:code/population") { request, context in try await console { try await populationForm(request, context) } }
        router.post("/areas/:code/figures") { request, context in try await console { try await figuresForm(request, context) } }
        router.post("/areas/:code/case-counts") { request, context in try await console { try await caseCountForm(request, context) } }
        router.post("/areas/:code/announce") { request, context in try await console { try await announceForm(request, context) } }
        router.get("/areas/:code/adoption") { request, context in try await console { try await adoptionPage(request, context) } }
        router.get("/figures/import") { request, context in try await console { try await figuresImportPage(request, context) } }
        router.post("/figures/import") { request, context in try await console { try await figuresImportForm(request, context) } }
    }

    struct FiguresImportView {
        let session: Views.SessionView
        let columns: String
        let report: ImportReportView?
        let problem: String?
    }

    /// Many areas' figures at once (population, coverage, capacity, reported cases) from a spreadsheet, with the
    /// per-row report: the same import as `POST /v1/areas/figures/import`.
    func figuresImportPage(_ request: Request, _ context: AppRequestContext, report: ImportReport? = nil, error: AppError? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.health, .admin)
        return Views.page("figures-import", FiguresImportView(
            session: view, columns: TruyVet.figureColumns.joined(separator: ","),
            report: report.map { ImportReportView(accepted: $0.accepted, duplicates: nil, rejected: $0.rejected, repaired: $0.repaired) },
            problem: error?.bilingual), status: error?.httpStatus ?? .ok)
    }

    func figuresImportForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let upload = try await uploadedCSV(request, context)
        let (session, _) = try await signedInStaff(request, context, form: ["csrf": upload.csrf])
        do {
            let report = try await app.importFigures(csv: try upload.text.get(), by: session.principal, now: app.config.clock())
            return try await figuresImportPage(request, context, report: report)
        } catch let error as AppError where error.kind == .badRequest {
            return try await figuresImportPage(request, context, error: error)
        }
    }

    struct AdoptionRowView {
        let name: String, href: String?
        let venues: Int, categories: String, active: Int, perDay: String, share: String
    }

    struct AdoptionView {
        let session: Views.SessionView
        let name: String, from: String, to: String
        let date: Views.Field
        let total: AdoptionRowView
        let rows: [AdoptionRowView], hasRows: Bool
        let csvURL: String, areaHref: String
    }

    /// The QR adoption report of an area over the 7 days to a date: the area, then each district or commune.
    func adoptionPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let code = context.parameter("code") ?? ""
        var day = Day(app.config.clock())
        if let raw = queryForm(request)["date"], !raw.isEmpty { day = try Day.parse(raw, field: "date") }
        let report = try await app.adoption(code: code, day: day, by: session.principal)
        func row(_ r: TruyVet.AdoptionRow, link: Bool) -> AdoptionRowView {
            let categories = VenueCategory.allCases.compactMap { c in r.counts.venuesByCategory[c].map { "\(c.vietnamese) \($0)" } }.joined(separator: " · ")
            return AdoptionRowView(name: r.area.name, href: link && r.area.level != .commune ? "/areas/\(r.area.code)/adoption?date=\(day)" : nil,
                                   venues: r.venues, categories: categories, active: r.counts.activeVenues,
                                   perDay: String(format: "%.1f", r.perDay(report.days)),
                                   share: r.checkoutShare.map { String(format: "%.0f %%", $0 * 100) } ?? "—")
        }
        var date = Views.Field(name: "date", label: "Đến ngày", en: "Up to", value: day.description)
        date.type = "date"
        return Views.page("adoption", AdoptionView(
            session: view, name: report.area.name, from: report.from.description, to: report.to.description, date: date,
            total: row(report.total, link: false), rows: report.rows.map { row($0, link: true) }, hasRows: !report.rows.isEmpty,
            csvURL: "/v1/areas/\(code)/adoption?date=\(day)&format=csv", areaHref: "/areas/\(code)?date=\(day)"))
    }

    struct AnnouncementRow { let day: String; let level: Int; let announced: String; let effective: String; let status: String; let by: String }

    struct AreaView {
        let session: Views.SessionView
        let code: String, name: String, path: String
        let day: String
        let level: Int?, label: String?, rate: String?, band: String?
        let facts: [Fact]
        let problem: String?
        let chart: LevelChart?
        let announcements: [AnnouncementRow], hasAnnouncements: Bool
        let population: Views.Field
        let figuresDate: Views.Field, adultFirstDose: Views.Field, olderFullyVaccinated: Views.Field
        let capacity: [Choice]
        let countDate: Views.Field, communityCases: Views.Field
        let announceDate: Views.Field
        let preview: String?
        let previewDate: String?
        let notice: String?, formProblem: String?
        let levelsHref: String
    }

    struct Fact { let label: String; let value: String }

    func areaPage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil,
                  notice: String? = nil, preview: (text: String, day: Day)? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.health, .admin)
        let code = context.parameter("code") ?? ""
        guard let area = try await app.store.area(code: code) else { throw AppError.notFound("area \(code)") }
        let path = try await app.areaPath(code)
        var day = Day(app.config.clock())
        if let raw = queryForm(request)["date"] ?? values["day"], !raw.isEmpty { day = (try? Day.parse(raw, field: "date")) ?? day }
        var assessed: TruyVet.LevelView?
        var problem: String?
        do { assessed = try await app.level(code: code, day: day) } catch let e as AppError { problem = e.bilingual }
        var facts: [Fact] = []
        if let a = assessed?.assessment {
            func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0) } ?? "—" }
            facts = [
                Fact(label: "Dân số / Population", value: a.population.formatted(.number.grouping(.automatic))),
                Fact(label: "Ca cộng đồng tuần này (B) / Community cases this week", value: String(a.casesThisWeek)),
                Fact(label: "Tuần trước (C) / Last week", value: String(a.casesLastWeek)),
                Fact(label: "Ca mới/100.000 dân/tuần / per 100,000 a week", value: String(format: "%.1f", a.rate)),
                Fact(label: "Người lớn tiêm ≥ 1 liều / Adults with a first dose", value: pct(a.adultFirstDose)),
                Fact(label: "Người \(a.olderGroupMinAge)+ tiêm đủ / Aged \(a.olderGroupMinAge)+ fully vaccinated", value: pct(a.olderFullyVaccinated)),
                Fact(label: "Đáp ứng thu dung, điều trị / Treatment capacity met",
                     value: a.capacityMet.map { $0 ? "Có / yes" : "Không / no" } ?? "—"),
                Fact(label: "Cấp tuần trước / Last week's level", value: a.previousLevel.map(String.init) ?? "—"),
            ]
        }
        let history = (try? await app.history(code: code, from: day.adding(-7 * 11), to: day)) ?? []
        let announcements = Announcement.statuses(try await app.store.announcements(codes: [code])[code] ?? [], at: app.config.clock()).reversed().map {
            AnnouncementRow(day: $0.announcement.date.description, level: $0.announcement.level, announced: Instant.readable($0.announcement.announcedAt),
                            effective: Instant.readable($0.announcement.effectiveFrom), status: Self.announcementStatus($0.status), by: $0.announcement.announcedBy)
        }
        func field(_ name: String, _ label: String, _ en: String, _ value: String, type: String = "text") -> Views.Field {
            var f = Views.Field(name: name, label: label, en: en, value: values[name] ?? value, error: Views.beside(error, name))
            f.type = type
            if type == "number" { f.inputmode = "decimal" }
            return f
        }
        var countDate = field("date", "Ngày", "Day", day.description, type: "date"); countDate.idSuffix = "count"
        var figuresDate = field("date", "Tuần kết thúc ngày", "Week ending", day.description, type: "date"); figuresDate.idSuffix = "figures"
        var announceDate = field("date", "Ngày đánh giá", "Assessment day", day.description, type: "date"); announceDate.idSuffix = "announce"
        countDate.required = true; figuresDate.required = true; announceDate.required = true
        let capacity = values["capacityMet"] ?? ""
        return Views.page("area", AreaView(
            session: view, code: code, name: area.name, path: path.map(\.name).joined(separator: ", "), day: day.description,
            level: assessed?.assessment.level, label: assessed?.color.vi, rate: assessed.map { String(format: "%.1f", $0.assessment.rate) },
            band: assessed.map { "\($0.assessment.band)" }, facts: facts, problem: problem,
            chart: history.isEmpty ? nil : LevelChart(history),
            announcements: announcements, hasAnnouncements: !announcements.isEmpty,
            population: field("population", "Dân số", "Population", area.population.map(String.init) ?? "", type: "number"),
            figuresDate: figuresDate,
            adultFirstDose: field("adultFirstDose", "% người lớn tiêm ≥ 1 liều", "% adults with a first dose", "", type: "number"),
            olderFullyVaccinated: field("olderFullyVaccinated", "% người cao tuổi tiêm đủ", "% older people fully vaccinated", "", type: "number"),
            capacity: [Choice(value: "", label: "— không đổi / unchanged —", selected: capacity.isEmpty),
                       Choice(value: "true", label: "Có / yes", selected: capacity == "true"),
                       Choice(value: "false", label: "Không / no", selected: capacity == "false")],
            countDate: countDate,
            communityCases: field("communityCases", "Số ca cộng đồng báo cáo trong ngày", "Community cases reported that day", "", type: "number"),
            announceDate: announceDate, preview: preview?.text, previewDate: preview?.day.description,
            notice: notice, formProblem: Views.above(error, placed: ["population", "date", "adultFirstDose", "olderFullyVaccinated", "communityCases"]),
            levelsHref: "/levels?area=\(path.dropFirst().first?.code ?? code)&date=\(day)"), status: error?.httpStatus ?? .ok)
    }

    static func announcementStatus(_ s: Announcement.Status) -> String {
        switch s {
        case .past: "Đã qua / past"
        case .upcoming: "Sắp áp dụng / upcoming"
        case .replaced: "Đã thay / replaced"
        default: "Đang áp dụng / in force"
        }
    }

    /// Runs a form's operation and shows the area page again, with what happened or what was wrong.
    func areaForm(_ request: Request, _ context: AppRequestContext,
                  _ work: (TruyVet.Session, [String: String], String) async throws -> String) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let code = context.parameter("code") ?? ""
        do {
            // The page stays on the day it showed (the population form has no day of its own).
            return try await areaPage(request, context, values: ["day": fields["day"] ?? fields["date"] ?? ""], notice: try await work(session, fields, code))
        } catch let error as AppError where error.kind == .badRequest {
            return try await areaPage(request, context, values: fields, error: error)
        }
    }

    func populationForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await areaForm(request, context) { session, fields, code in
            let area = try await app.setPopulation(code: code, population: try Self.number(fields, "population"), by: session.principal)
            return "Đã lưu dân số \(area.population.map(String.init) ?? "—"). / Population saved."
        }
    }

    func figuresForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await areaForm(request, context) { session, fields, code in
            let day = try Day.parse(fields["date"] ?? "", field: "date")
            func percent(_ name: String) throws(AppError) -> Double? {
                guard let raw = fields[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
                guard let v = Double(raw.replacingOccurrences(of: ",", with: ".")) else { throw AppError.invalid(name, "\(name) must be a percentage") }
                return v
            }
            let capacity: Bool? = switch fields["capacityMet"] { case "true": true; case "false": false; default: nil }
            try await app.setFigures(code: code, day: day, WeekFigures(adultFirstDose: try percent("adultFirstDose"),
                                                                       olderFullyVaccinated: try percent("olderFullyVaccinated"), capacityMet: capacity),
                                     by: session.principal, now: app.config.clock())
            return "Đã lưu số liệu tuần \(day). / Figures saved for the week to \(day)."
        }
    }

    func caseCountForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await areaForm(request, context) { session, fields, code in
            let day = try Day.parse(fields["date"] ?? "", field: "date")
            try await app.reportCases(code: code, day: day, count: try Self.number(fields, "communityCases"), by: session.principal)
            return "Đã lưu số ca ngày \(day). / Case count saved for \(day)."
        }
    }

    /// Without `confirm`: what announcing would do (the level and when it takes effect); with it, the announcement.
    func announceForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let code = context.parameter("code") ?? ""
        do {
            let day = try Day.parse(fields["date"] ?? "", field: "date")
            let now = app.config.clock()
            if fields["confirm"] == nil {
                let (level, effective) = try await app.announcementPreview(code: code, day: day, at: now)
                return try await areaPage(request, context, values: ["day": day.description],
                                          preview: ("Cấp \(level) sẽ có hiệu lực từ \(Instant.readable(effective)). / Level \(level) takes effect on \(Instant.readable(effective)).", day))
            }
            let made = try await app.announce(code: code, day: day, at: now, by: session.principal, now: now)
            let own = made.first { $0.code == code }
            return try await areaPage(request, context, values: ["day": day.description],
                                      notice: "Đã công bố cấp \(own?.level ?? 0) (hiệu lực \(own.map { Instant.readable($0.effectiveFrom) } ?? "")) cho \(made.count) địa bàn. / Announced for \(made.count) areas.")
        } catch let error as AppError where error.kind == .badRequest {
            return try await areaPage(request, context, values: fields, error: error)
        }
    }
}

/// The weekly rate per 100,000 of an area as an SVG line, with the band thresholds (20, 50, 150) drawn and each
/// point labelled with its level: no JavaScript.
struct LevelChart {
    struct Point { let x: Int; let y: Int; let level: Int; let label: String; let rate: String; let labelY: Int }
    struct Threshold { let y: Int; let label: String }
    let width = 640, height = 240
    let points: [Point]
    let line: String
    let thresholds: [Threshold]

    init(_ history: [TruyVet.LevelView]) {
        let top = max(200, (history.map(\.assessment.rate).max() ?? 0) * 1.15)
        let left = 44, right = 620, bottom = 210, upper = 16
        func y(_ rate: Double) -> Int { bottom - Int(Double(bottom - upper) * min(rate, top) / top) }
        let step = history.count > 1 ? (right - left) / (history.count - 1) : 0
        points = history.enumerated().map { i, v in
            let py = y(v.assessment.rate)
            return Point(x: left + i * step, y: py, level: v.assessment.level, label: String(v.assessment.date.description.suffix(5)),
                         rate: String(format: "%.0f", v.assessment.rate), labelY: py - 9)
        }
        line = points.map { "\($0.x),\($0.y)" }.joined(separator: " ")
        thresholds = [20.0, 50, 150].filter { $0 < top }.map { Threshold(y: y($0), label: String(Int($0))) }
    }
}
