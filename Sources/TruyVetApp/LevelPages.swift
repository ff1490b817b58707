import Foundation
import Hummingbird
import TruyVetCore

/// `GET /levels`, no sign-in: the level of every province, then a province's districts and all its communes (a yellow
/// ward inside a green district shows), and what each level means for each kind of venue. Always the number beside
/// the colour.
extension Routes {
    struct LevelRow {
        let code: String, name: String, href: String?, district: String?
        let level: Int, label: String, rate: String, cases: Int, population: String
        let inForce: String?
    }

    struct MeasureRow { let activity: String; let en: String; let levels: [String] }

    struct LevelsView {
        let date: Views.Field
        let heading: String?
        let up: Views.Link?
        let rows: [LevelRow], hasRows: Bool
        let communes: [LevelRow], hasCommunes: Bool
        let unassessed: [String], hasUnassessed: Bool
        let measures: [MeasureRow]
        let everyLevel: [String]
        let problem: String?
        let visitor = true
    }

    func levelsPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let q = queryForm(request)
        var problem: AppError?
        var day = Day(app.config.clock())
        if let raw = q["date"], !raw.isEmpty { do { day = try Day.parse(raw, field: "date") } catch { problem = error } }
        let code = q["area"].flatMap { $0.isEmpty ? nil : $0 }
        var area: Area?
        if let code {
            area = try await app.store.area(code: code)
            if area == nil || area?.level == .commune { throw AppError.notFound("area \(code) (choose a province or a district)") }
        }
        func rows(_ views: [TruyVet.LevelView], links: Bool, district: String? = nil) -> [LevelRow] {
            views.map { v in
                let a = v.assessment
                return LevelRow(code: a.code, name: a.name, href: links ? "/levels?area=\(a.code)&date=\(day)" : nil, district: district,
                                level: a.level, label: v.color.vi, rate: String(format: "%.1f", a.rate), cases: a.casesThisWeek,
                                population: a.population.formatted(.number.grouping(.automatic)),
                                inForce: v.inForce.map { "\($0.level) (\(Instant.readable($0.effectiveFrom)))" })
            }
        }
        let (views, problems) = try await app.levels(parent: area?.code, day: day)
        var communes: [LevelRow] = []
        var unassessed = problems.map { "\($0.area.name): \(ErrorMessages.vietnamese($0.error)) / \($0.error.message)" }
        if area?.level == .province {
            for district in views {
                let (inside, missing) = try await app.levels(parent: district.assessment.code, day: day)
                communes += rows(inside, links: false, district: district.assessment.name)
                unassessed += missing.map { "\($0.area.name): \(ErrorMessages.vietnamese($0.error)) / \($0.error.message)" }
            }
        }
        var up: Views.Link?
        if let area {
            let path = try await app.areaPath(area.code)
            up = path.count > 1 ? Views.Link(href: "/levels?area=\(path[1].code)&date=\(day)", label: path[1].name, en: "up")
                : Views.Link(href: "/levels?date=\(day)", label: "Cả nước", en: "the whole country")
        }
        var date = Views.Field(name: "date", label: "Ngày đánh giá", en: "Assessment day", value: day.description, error: Views.beside(problem, "date"))
        date.type = "date"
        let table = app.measures
        let measures = table.activities.map { a in
            MeasureRow(activity: a.vi, en: a.en, levels: (1...4).map { level in
                (a.levels[String(level)] ?? []).compactMap { table.statuses[$0].map { "\($0.vi) / \($0.en)" } }.joined(separator: "; ")
            })
        }
        return Views.page("levels", LevelsView(
            date: date, heading: area?.name, up: up,
            rows: rows(views, links: area?.level != .district), hasRows: !views.isEmpty,
            communes: communes, hasCommunes: !communes.isEmpty, unassessed: unassessed, hasUnassessed: !unassessed.isEmpty,
            measures: measures, everyLevel: table.everyLevel.map { "\($0.vi) / \($0.en)" }, problem: nil), status: problem?.httpStatus ?? .ok)
    }
}
