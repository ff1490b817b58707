import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TruyVetCore

/// A visitor's own history: the `/me` page (the browser's device cookie) and `/v1/me` (an app's device token in the
/// `Device-Token` header). Never cached; nothing in an answer comes from another device.
extension Routes {
    static let deviceTokenHeader = HTTPField.Name("Device-Token")!

    func registerMyRoutes(on router: Router<AppRequestContext>) {
        router.get("/me") { request, context in try await myPage(request, context) }
        router.post("/me/checkout") { request, context in try await myCheckout(request, context) }
        router.post("/me/forget") { request, context in try await myForget(request, context) }
        router.get("/v1/me/visits") { request, context in try await myVisitsJSON(request, context) }
        router.delete("/v1/me") { request, context in try await myForgetJSON(request, context) }
        router.get("/v1/exposure-advice") { _, _ in try JSON.response(AdviceJSON(try await app.exposureAdvice())) }
        router.put("/v1/exposure-advice") { request, context in
            let principal = try await principal(request, context)
            let body = try await JSON.decode(AdviceJSON.self, from: request, context: context)
            return try JSON.response(AdviceJSON(try await app.setExposureAdvice(vi: body.vi, en: body.en, by: principal)))
        }
    }

    /// The app's device: its token in `Device-Token` (a malformed one is a 400), else the browser's cookie.
    func apiDevice(_ request: Request) throws -> Data {
        if let raw = request.headers[Self.deviceTokenHeader] {
            return app.deviceHash(try Self.deviceToken(raw.trimmingCharacters(in: .whitespaces), field: "Device-Token"))
        }
        guard let id = deviceID(request) else { throw AppError.missing("Device-Token") }
        return app.deviceHash(id)
    }

    // MARK: Pages

    struct MyVisitView {
        let ref: String, secret: String, venue: String, place: String, time: String
        let open: Bool, checkedOut: Bool, exposed: Bool
        let exposures: [String]
    }

    struct MyPageView {
        let days: Int
        let visits: [MyVisitView]
        let hasVisits: Bool
        let exposed: Bool
        let advice: TruyVet.ExposureAdvice
        let known: Bool
        let visitor = true
    }

    func myPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try limitAddress(context)
        let history = try await app.history(device: deviceID(request).map(app.deviceHash), now: app.config.clock())
        let visits = history.visits.map { v in
            MyVisitView(ref: v.ref, secret: v.checkoutSecret, venue: v.venue.name, place: v.place,
                        time: v.visit.checkoutAt.map { Instant.readable(from: v.visit.checkinAt, to: $0) } ?? Instant.readable(v.visit.checkinAt),
                        open: v.open, checkedOut: v.visit.checkoutAt != nil, exposed: !v.exposures.isEmpty,
                        exposures: v.exposures.map { Instant.readable(from: $0.from, to: $0.to) })
        }
        return Views.page("me", MyPageView(days: history.days, visits: visits, hasVisits: !visits.isEmpty, exposed: visits.contains { $0.exposed },
                                           advice: history.advice, known: deviceID(request) != nil))
    }

    /// Check-out from the history: the visit's own secret, as on its receipt; back to the history.
    func myCheckout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try limitAddress(context)
        let form = Page.formFields(try await request.body.collect(upTo: 64 * 1024))
        do {
            _ = try await app.checkout(visitRef: form["ref"] ?? "", secret: form["s"] ?? "", principal: nil)
        } catch let error as AppError where error.kind == .notFound {
            return Page.invalidReceipt()
        }
        return Response(status: .seeOther, headers: [.location: "/me", .cacheControl: "no-store"])
    }

    /// "Forget this device": the visits stay for tracing, unlinked; the cookie is removed.
    func myForget(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try limitAddress(context)
        if let id = deviceID(request) { _ = try await app.forgetDevice(app.deviceHash(id)) }
        let secure = app.config.resolvedPublicURL.hasPrefix("https:") ? "; Secure" : ""
        return Response(status: .seeOther, headers: [.location: "/me", .cacheControl: "no-store",
                                                     .setCookie: "\(Self.deviceCookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax\(secure)"])
    }

    // MARK: The health department's advice (console)

    func registerAdviceConsole(on router: Router<AppRequestContext>) {
        router.get("/advice") { request, context in try await console { try await advicePage(request, context) } }
        router.post("/advice") { request, context in try await console { try await adviceForm(request, context) } }
    }

    struct AdviceView { let session: Views.SessionView; let vi: String; let en: String; let notice: String?; let problem: String? }

    func advicePage(_ request: Request, _ context: AppRequestContext, notice: String? = nil, error: AppError? = nil,
                    values: TruyVet.ExposureAdvice? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.health, .admin)
        var advice = values
        if advice == nil { advice = try await app.exposureAdvice() }
        return Views.page("advice", AdviceView(session: view, vi: advice?.vi ?? "", en: advice?.en ?? "", notice: notice, problem: error?.bilingual),
                          status: error?.httpStatus ?? .ok)
    }

    func adviceForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = Page.formFields(try await request.body.collect(upTo: 64 * 1024))
        let (session, _) = try await signedInStaff(request, context, form: form)
        do {
            _ = try await app.setExposureAdvice(vi: form["vi"], en: form["en"], by: session.principal)
            return try await advicePage(request, context, notice: "Đã lưu / Saved")
        } catch let error as AppError where error.kind == .badRequest {
            return try await advicePage(request, context, error: error, values: .init(vi: form["vi"] ?? "", en: form["en"] ?? ""))
        }
    }

    // MARK: API

    struct MyVisitJSON: Encodable {
        let visitId: String
        let checkoutSecret: String
        let venue: VenueRef
        let checkedInAt: String
        let checkedOutAt: String?
        let endsAt: String
        let open: Bool
        let exposures: [WindowJSON]
        struct VenueRef: Encodable { let id: Int64; let name: String; let place: String }
        struct WindowJSON: Encodable { let from: String; let to: String }
    }

    struct MyHistoryJSON: Encodable {
        let since: String
        let visits: [MyVisitJSON]
        let exposed: Bool
        let advice: AdviceJSON
    }

    struct AdviceJSON: Codable {
        var vi: String?
        var en: String?
        init(_ a: TruyVet.ExposureAdvice) { vi = a.vi; en = a.en }
    }

    func myVisitsJSON(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try limitAddress(context)
        let history = try await app.history(device: try apiDevice(request), now: app.config.clock())
        let visits = history.visits.map { v in
            MyVisitJSON(visitId: v.ref, checkoutSecret: v.checkoutSecret,
                        venue: .init(id: v.venue.id, name: v.venue.name, place: v.place),
                        checkedInAt: Instant.format(v.visit.checkinAt), checkedOutAt: v.visit.checkoutAt.map(Instant.format),
                        endsAt: Instant.format(v.end), open: v.open,
                        exposures: v.exposures.map { .init(from: Instant.format($0.from), to: Instant.format($0.to)) })
        }
        return try JSON.response(MyHistoryJSON(since: Instant.format(history.since), visits: visits,
                                               exposed: visits.contains { !$0.exposures.isEmpty }, advice: AdviceJSON(history.advice)),
                                 headers: [.cacheControl: "no-store"])
    }

    func myForgetJSON(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try limitAddress(context)
        return try JSON.response(["unlinkedVisits": try await app.forgetDevice(try apiDevice(request))], headers: [.cacheControl: "no-store"])
    }
}
