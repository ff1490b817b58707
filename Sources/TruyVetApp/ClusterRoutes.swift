import Foundation
import HTTPTypes
import Hummingbird
import TruyVetCore

/// Clusters for tracers: `GET /v1/clusters`, `POST /v1/clusters/{venueId}/review`, and the console's `/clusters`.
extension Routes {
    func registerClusterRoutes(on v1: RouterGroup<AppRequestContext>) {
        v1.get("clusters") { request, context in
            let principal = try await principal(request, context)
            let list = try await app.clusters(area: try clusterArea(request), since: try clusterSince(request), days: try clusterDays(request),
                                              by: principal)
            return try JSON.response(ClusterListJSON(list), headers: [.cacheControl: "no-store"])
        }
        v1.post("clusters/:id/review") { request, context in
            let principal = try await principal(request, context)
            let body = try await JSON.decode(ReviewBody.self, from: request, context: context)
            let review = try await app.reviewCluster(venueID: try venueID(context), caseIDs: body.caseIds ?? [], note: body.note, by: principal)
            return try JSON.response(ClusterListJSON.Review(review), status: .created)
        }
    }

    func registerClusterConsole(on router: Router<AppRequestContext>) {
        router.get("/clusters") { request, context in try await console { try await clustersPage(request, context) } }
        router.post("/clusters/:id/review") { request, context in try await console { try await clusterReviewForm(request, context) } }
    }

    struct ReviewBody: Decodable { var caseIds: [Int64]?; var note: String? }

    func clusterArea(_ request: Request) throws -> String? {
        guard let raw = request.uri.queryParameters.get("area").map { String($0) }, !raw.isEmpty else { return nil }
        return raw
    }

    /// `since`: a day or an instant; 14 days ago when left out.
    func clusterSince(_ request: Request) throws -> Date {
        guard let raw = request.uri.queryParameters.get("since").map { String($0) }, !raw.isEmpty else {
            return Day(app.config.clock()).adding(-14).start
        }
        if raw.count == 10 { return try Day.parse(raw, field: "since").start }
        return try Instant.parse(raw, field: "since")
    }

    func clusterDays(_ request: Request) throws -> Double? {
        guard let raw = request.uri.queryParameters.get("days").map { String($0) }, !raw.isEmpty else { return nil }
        guard let days = Double(raw) else { throw AppError.invalid("days", "days must be a number of days, from 0 to 60") }
        return days
    }

    struct ClusterListJSON: Encodable {
        struct VenueRef: Encodable { let id: Int64; let name: String; let category: String; let place: String }
        struct Span: Encodable { let from: String; let to: String }
        struct Case: Encodable {
            let id: Int64, classification: String, confirmedDay: String
            let presences: [Span]
            let f1: Int
            let contacts: String
        }
        struct Link: Encodable { let caseA: Int64, caseB: Int64, from: String, to: String }
        struct Review: Encodable {
            let at: String, by: String, note: String, caseIds: [Int64]
            init(_ r: TruyVet.ClusterReview) { at = Instant.format(r.at); by = r.by; note = r.note; caseIds = r.caseIDs }
        }
        struct Cluster: Encodable {
            let venue: VenueRef
            let from: String, to: String
            let caseCount: Int, f1: Int
            let cases: [Case]
            let links: [Link]
            let review: Review?
            let newSinceReview: [Int64]
            let exposureSites: String
        }
        let since: String
        let days: Double
        let casesConsidered: Int
        let truncated: Bool
        let clusters: [Cluster]

        init(_ list: TruyVet.ClusterList) {
            since = Instant.format(list.since)
            days = list.days
            casesConsidered = list.casesConsidered
            truncated = list.truncated
            clusters = list.clusters.map { c in
                Cluster(venue: VenueRef(id: c.venue.id, name: c.venue.name, category: c.venue.category.rawValue, place: c.place),
                        from: Instant.format(c.from), to: Instant.format(c.to), caseCount: c.cases.count, f1: c.f1,
                        cases: c.cases.map { k in
                            Case(id: k.record.id, classification: k.record.classification.rawValue, confirmedDay: Instant.day(k.record.confirmedAt),
                                 presences: k.presences.map { Span(from: Instant.format($0.start), to: Instant.format($0.end)) }, f1: k.f1,
                                 contacts: "/v1/cases/\(k.record.id)/contacts")
                        },
                        links: c.links.map { Link(caseA: $0.caseA, caseB: $0.caseB, from: Instant.format($0.from), to: Instant.format($0.to)) },
                        review: c.review.map(Review.init), newSinceReview: c.newSinceReview,
                        exposureSites: "/v1/exposure-sites?area=\(c.venue.areaCode)")
            }
        }
    }

    // MARK: Console

    struct ClusterCaseRow { let id: Int64; let classification: String; let confirmed: String; let times: String; let f1: Int }
    struct ClusterLinkRow { let a: Int64; let b: Int64; let time: String }
    struct ClusterRow {
        let rank: Int, venueID: Int64, venue: String, category: String, place: String, areaCode: String, span: String
        let caseCount: Int, f1: Int
        let cases: [ClusterCaseRow]
        let links: [ClusterLinkRow]
        let hasLinks: Bool
        let caseIDs: String
        let reviewed: String?
        let note: String?
        let newSince: String?
    }
    struct ClustersView {
        let session: Views.SessionView
        let since: Views.Field, area: Views.Field, days: Views.Field
        let rows: [ClusterRow]
        let hasRows: Bool
        let considered: Int
        let truncated: Bool
        let notice: String?
        let problem: String?
        /// This page's query, to come back to after a review.
        let back: String
    }

    func clustersPage(_ request: Request, _ context: AppRequestContext, notice: String? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let q = queryForm(request)
        var problem: AppError?
        var rows: [ClusterRow] = []
        var considered = 0, truncated = false
        do {
            let list = try await app.clusters(area: try clusterArea(request), since: try clusterSince(request), days: try clusterDays(request),
                                              by: session.principal)
            considered = list.casesConsidered
            truncated = list.truncated
            for (i, c) in list.clusters.prefix(200).enumerated() {
                rows.append(ClusterRow(
                    rank: i + 1, venueID: c.venue.id, venue: c.venue.name, category: c.venue.category.vietnamese + " / " + c.venue.category.english, place: c.place,
                    areaCode: c.venue.areaCode, span: Instant.readable(from: c.from, to: c.to), caseCount: c.cases.count, f1: c.f1,
                    cases: c.cases.map { k in
                        ClusterCaseRow(id: k.record.id, classification: Self.classificationLabel(k.record.classification),
                                       confirmed: Instant.day(k.record.confirmedAt),
                                       times: k.presences.map { Instant.readable(from: $0.start, to: $0.end) }.joined(separator: "; "), f1: k.f1)
                    },
                    links: c.links.map { ClusterLinkRow(a: $0.caseA, b: $0.caseB, time: Instant.readable(from: $0.from, to: $0.to)) },
                    hasLinks: !c.links.isEmpty,
                    caseIDs: c.cases.map { String($0.record.id) }.joined(separator: ","),
                    reviewed: c.review.map { "\(Instant.readable($0.at)) · \($0.by.replacingOccurrences(of: "account ", with: ""))" },
                    note: c.review?.note,
                    newSince: c.newSinceReview.isEmpty ? nil : c.newSinceReview.map { "#\($0)" }.joined(separator: ", ")))
            }
        } catch let error as AppError where error.kind == .badRequest {
            problem = error
        }
        var since = Views.Field(name: "since", label: "Từ ngày", en: "Since", value: q["since"] ?? Day(app.config.clock()).adding(-14).description,
                                error: Views.beside(problem, "since"))
        since.type = "date"
        let area = Views.Field(name: "area", label: "Mã địa bàn (tỉnh, huyện hoặc xã; để trống: tất cả)",
                               en: "Area code (province, district or commune; empty: all)", value: q["area"] ?? "", error: Views.beside(problem, "area"))
        var days = Views.Field(name: "days", label: "Số ngày giữa hai ca", en: "Days between two cases", value: q["days"] ?? "7",
                               error: Views.beside(problem, "days"))
        days.type = "number"
        return Views.page("clusters", ClustersView(session: view, since: since, area: area, days: days, rows: rows, hasRows: !rows.isEmpty,
                                                   considered: considered, truncated: truncated, notice: notice, problem: problem?.message,
                                                   back: request.uri.query.map { "?" + $0 } ?? ""),
                          status: problem?.httpStatus ?? .ok)
    }

    func clusterReviewForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = Page.formFields(try await request.body.collect(upTo: 64 * 1024))
        let (session, _) = try await signedInStaff(request, context, form: form)
        let ids = (form["caseIds"] ?? "").split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        _ = try await app.reviewCluster(venueID: try venueID(context), caseIDs: ids, note: form["note"], by: session.principal)
        var back = "/clusters"
        if let query = form["back"], query.hasPrefix("?") { back += query }
        return Response(status: .seeOther, headers: [.location: back])
    }
}
