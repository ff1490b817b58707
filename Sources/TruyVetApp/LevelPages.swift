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
        /// Since the assessment a week before: "↑ 1", "↓ 2", "=".
        let change: String
        /// A health officer's page of the area.
        let manage: String?
        let rateValue: Double
    }

    struct MeasureRow { let activity: String; let en: String; let levels: [String] }

    struct LevelsView {
        let date: Views.Field
        let heading: String?
        let up: Views.Link?
        let rows: [LevelRow], hasRows: Bool
        let communes: [LevelRow], hasCommunes: Bool
        let sorts: [Choice], levels: [Choice]
        let areaCode: String
        let manages: Bool
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
        let manages = try await session(request, context).map { [.health, .admin].contains($0.principal.role) } ?? false
        func rows(_ views: [TruyVet.LevelView], links: Bool, district: String? = nil) -> [LevelRow] {
            views.map { v in
                let a = v.assessment
                let change = a.previousLevel.map { $0 == a.level ? "=" : $0 < a.level ? "↑ \(a.level - $0)" : "↓ \($0 - a.level)" } ?? "—"
                return LevelRow(code: a.code, name: a.name, href: links ? "/levels?area=\(a.code)&date=\(day)" : nil, district: district,
                                level: a.level, label: v.color.vi, rate: String(format: "%.1f", a.rate), cases: a.casesThisWeek,
                                population: a.population.formatted(.number.grouping(.automatic)),
                                inForce: v.inForce.map { "\($0.level) (\(Instant.readable($0.effectiveFrom)))" }, change: change,
                                manage: manages ? "/areas/\(a.code)?date=\(day)" : nil, rateValue: a.rate)
            }
        }
        // Sorted by rate or level (highest first) or by name; filtered to one level.
        let sort = q["sort"] ?? ""
        let only = q["level"].flatMap { Int($0) }
        func arrange(_ list: [LevelRow]) -> [LevelRow] {
            let kept = only.map { l in list.filter { $0.level == l } } ?? list
            switch sort {
            case "rate": return kept.sorted { ($0.rateValue, $1.name) > ($1.rateValue, $0.name) }
            case "level": return kept.sorted { ($0.level, $0.rateValue) > ($1.level, $1.rateValue) }
            default: return kept
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
            rows: arrange(rows(views, links: area?.level != .district)), hasRows: !views.isEmpty,
            communes: arrange(communes), hasCommunes: !communes.isEmpty,
            sorts: [("", "Theo tên / by name"), ("rate", "Theo tỷ lệ / by rate"), ("level", "Theo cấp độ / by level")]
                .map { Choice(value: $0.0, label: $0.1, selected: $0.0 == sort) },
            levels: [Choice(value: "", label: "Tất cả / all", selected: only == nil)]
                + (1...4).map { Choice(value: String($0), label: "Cấp \($0) / level \($0)", selected: $0 == only) },
            areaCode: area?.code ?? "", manages: manages, unassessed: unassessed, hasUnassessed: !unassessed.isEmpty,
            measures: measures, everyLevel: table.everyLevel.map { "\($0.vi) / \($0.en)" }, problem: nil), status: problem?.httpStatus ?? .ok)
    }
}
