import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import TruyVetCore
import TruyVetQR

/// The HTTP API. Every handler authenticates with `principal(_:)` and throws `AppError` for anything a client did wrong.
struct Routes: Sendable {
    let app: TruyVet

    init(app: TruyVet) {
        self.app = app
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/metrics") { request, context in try await metrics(request, context) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.response() }
        router.get("/healthz") { _, _ in Response(status: .ok, headers: .contentType("text/plain"), body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/c/:token") { request, context in try await checkinPage(request, context) }
        router.post("/c/:token") { request, context in try await checkinForm(request, context) }
        router.get("/r/:id") { request, context in try await receiptPage(request, context) }
        router.post("/r/:id/checkout") { request, context in try await checkoutForm(request, context) }

        let v1 = router.group("v1")
        v1.get("categories") { _, _ in try JSON.response(VenueCategory.allCases.map(CategoryJSON.init)) }
        v1.get("areas") { request, context in try await listAreas(request, context) }
        v1.get("areas/:code") { _, context in try await showArea(context) }
        v1.post("areas/import") { request, context in try await importAreas(request, context) }

        v1.post("venues") { request, context in try await registerVenue(request, context) }
        v1.get("venues") { request, context in try await listVenues(request, context) }
        v1.get("venues/:id") { request, context in try await showVenue(request, context) }
        v1.patch("venues/:id") { request, context in try await editVenue(request, context) }
        v1.get("venues/:id/:file") { request, context in try await poster(request, context) }
        v1.post("venues/:id/key") { request, context in try await replaceKey(request, context) }
        v1.post("venues/:id/poster/rotate") { request, context in try await rotate(request, context) }
        v1.get("posters") { request, context in try await batchPosters(request, context) }

        v1.post("tokens") { request, context in try await createToken(request, context) }
        v1.get("tokens") { request, context in try await listTokens(request, context) }
        v1.delete("tokens/:id") { request, context in try await revokeToken(request, context) }

        v1.post("checkins") { request, context in try await apiCheckin(request, context) }
        v1.post("visits/import") { request, context in try await importVisits(request, context) }
        v1.post("visits/:id/checkout") { request, context in try await apiCheckout(request, context) }
        v1.get("venues/:id/visits") { request, context in try await venueVisits(request, context) }
        v1.get("venues/:id/occupancy") { request, context in try await occupancy(request, context) }
        v1.post("venues/:id/checkout-all") { request, context in try await checkoutAll(request, context) }
        v1.get("venues/:id/day-code") { request, context in try await dayCode(request, context) }
        v1.get("venues/:id/flags") { request, context in try await venueFlags(request, context) }
        v1.get("flags") { request, context in try await allFlags(request, context) }
        v1.post("people/cards") { request, context in try await issueCard(request, context) }
        v1.post("venues/:id/scan") { request, context in try await scanCard(request, context) }
        registerCaseRoutes(on: v1)
        registerClusterRoutes(on: v1)
        registerLevelRoutes(on: v1)
        registerConsoleRoutes(on: router)
        registerMyRoutes(on: router)
    }

    // MARK: Auth

    /// Who is calling, resolved once per request by `AuthMiddleware`: a bearer token (a malformed, unknown or revoked
    /// one is remembered as such), else a console session's cookie.
    func identify(_ request: Request) async throws -> Identity {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                  let principal = try await app.authenticate(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
                return .invalidToken
            }
            return .token(principal)
        }
        if let cookie = request.cookies[TruyVet.sessionCookie]?.value, cookie.count == 43,
           let session = try await app.session(cookie: cookie, now: app.config.clock()) {
            return .session(session)
        }
        return .anonymous
    }

    func principal(_ request: Request, _ context: AppRequestContext) async throws -> Principal {
        guard let principal = try await optionalPrincipal(request, context) else { throw AppError.unauthorized }
        return principal
    }

    /// The caller of a JSON route: a bearer token, or, for reading (GET and HEAD) only, a console session, so that a
    /// signed-in browser can open the poster PDF or the log CSV. Nil when neither is given; 401 for a malformed or
    /// unknown token. (A console form that changes something checks the session's CSRF token: `ConsoleRoutes.signedIn`.)
    /// What the principal may do is decided by the operation it calls.
    func optionalPrincipal(_ request: Request, _ context: AppRequestContext) async throws -> Principal? {
        switch context.identity {
        case .anonymous: nil
        case .invalidToken: throw AppError.unauthorized
        case .token(let principal): principal
        case .session(let session): request.method == .get || request.method == .head ? session.principal : nil
        }
    }

    func venueID(_ context: AppRequestContext) throws -> Int64 {
        guard let raw = context.parameter("id"), let id = Int64(raw), id > 0 else {
            throw AppError.invalid("id", "venue id must be a positive whole number")
        }
        return id
    }

    /// The venue, if the caller may manage it; 403 otherwise (after 401 for no token).
    func managedVenue(_ request: Request, _ context: AppRequestContext) async throws -> Venue {
        let principal = try await principal(request, context)
        let id = try venueID(context)
        guard principal.mayManage(venue: id) else {
            throw AppError.forbidden("this token cannot manage venue \(id)")
        }
        return try await app.venue(id)
    }

    // MARK: Venues

    func registerVenue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let caller = try await optionalPrincipal(request, context)
        let registration = try await JSON.decode(VenueRegistration.self, from: request, context: context)
        let registered = try await app.registerVenue(registration, by: caller)
        let venue = try await venueJSON(registered.venue)
        return try JSON.response(RegisteredJSON(venue: venue, managementToken: registered.managementToken), status: .created,
                                 headers: [.location: venue.links.venue])
    }

    func showVenue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try JSON.response(try await venueJSON(try await managedVenue(request, context)))
    }

    func editVenue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let id = try venueID(context)
        let changes = try await JSON.decode(TruyVet.VenueChanges.self, from: request, context: context)
        return try JSON.response(try await venueJSON(try await app.editVenue(id, changes, by: principal)))
    }

    func replaceKey(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let key = try await app.replaceVenueKey(try venueID(context), by: principal)
        return try JSON.response(["managementToken": key], status: .created)
    }

    func listVenues(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await principal(request, context).require(.admin, .tracer, .health)
        guard let area = request.uri.queryParameters.get("area") else { throw AppError.missing("area") }
        guard try await app.store.area(code: area) != nil else { throw AppError.invalid("area", "area \(area) is not a known area code") }
        let limit = try intParameter(request, "limit", default: 100, range: 1...1000)
        let offset = try intParameter(request, "offset", default: 0, range: 0...10_000_000)
        let venues = try await app.store.venues(inArea: area, limit: limit, offset: offset)
        var items: [VenueJSON] = []
        for venue in venues { items.append(try await venueJSON(venue, includeLinks: false)) }
        return try JSON.response(ListJSON(items: items, limit: limit, offset: offset))
    }

    func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = request.uri.queryParameters.get(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw AppError.invalid(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func poster(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let file = context.parameter("file") ?? ""
        guard file.hasPrefix("poster."), let format = TruyVet.PosterFormat(rawValue: String(file.dropFirst("poster.".count))) else {
            throw AppError.notFound("resource \(file)")
        }
        let venue = try await managedVenue(request, context)
        let scale = try intParameter(request, "scale", default: 8, range: 1...64)
        let fullPage = request.uri.queryParameters.get("layout") == "page"
        let bytes = try await app.poster(venue, format: format, scale: scale, fullPage: fullPage)
        let filename = "truyvet-\(venue.id)-poster.\(format.rawValue)"
        return Response(status: .ok,
                         headers: [.contentType: format.contentType, .contentDisposition: "inline; filename=\"\(filename)\"",
                                   .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func rotate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        return try JSON.response(try await venueJSON(try await app.rotatePoster(venue.id)))
    }

    func batchPosters(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await principal(request, context).require(.admin)
        guard let area = request.uri.queryParameters.get("area") else { throw AppError.missing("area") }
        let (pdf, count) = try await app.posters(area: area)
        return Response(status: .ok, headers: [.contentType: "application/pdf",
                                               .contentDisposition: "attachment; filename=\"truyvet-posters-\(area).pdf\"",
                                               HTTPField.Name("X-Poster-Count")!: String(count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: pdf)))
    }

    // MARK: Tokens

    struct TokenRequest: Decodable {
        var role: String?
        var venueId: Int64?
        var label: String?
    }

    func createToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await principal(request, context).require(.admin)
        let body = try await JSON.decode(TokenRequest.self, from: request, context: context)
        let role = try Role.parse(body.role)
        let label = try Text.clean(body.label, field: "label", max: 200, required: false) ?? role.rawValue
        let token = try await app.createToken(role: role, venueID: body.venueId, label: label)
        let id = try await app.store.principal(tokenHash: BearerToken.hash(token))?.tokenID
        return try JSON.response(TokenJSON(id: id, token: token, role: role.rawValue, venueId: body.venueId, label: label), status: .created)
    }

    func listTokens(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try JSON.response(try await app.tokens(by: try await principal(request, context)).map(TokenInfoJSON.init))
    }

    func revokeToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        guard let raw = context.parameter("id"), let id = Int64(raw), id > 0 else {
            throw AppError.invalid("id", "token id must be a positive whole number")
        }
        return try JSON.response(TokenInfoJSON(try await app.revokeToken(id: id, by: principal)))
    }

    // MARK: Areas

    func listAreas(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parent = request.uri.queryParameters.get("parent").map { String($0) }
        if let parent, try await app.store.area(code: parent) == nil { throw AppError.invalid("parent", "parent \(parent) is not a known area code") }
        return try JSON.response(try await app.store.areas(parent: parent))
    }

    func showArea(_ context: AppRequestContext) async throws -> Response {
        let code = context.parameter("code") ?? ""
        let path = try await app.areaPath(code)
        guard let area = path.first else { throw AppError.notFound("area \(code)") }
        return try JSON.response(AreaJSON(area: area, path: path.dropFirst().map { AreaRef(code: $0.code, name: $0.name, level: $0.level.rawValue) }))
    }

    func importAreas(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await principal(request, context).require(.admin)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw AppError.invalid("body", "the CSV must be UTF-8 text")
        }
        return try JSON.response(try await app.importAreas(csv: text))
    }

    // MARK: Check-in page


    // MARK: JSON shapes

    func venueJSON(_ venue: Venue, includeLinks: Bool = true) async throws -> VenueJSON {
        let base = app.config.resolvedPublicURL
        let path = try await app.areaPath(venue.areaCode)
        let self_ = "\(base)/v1/venues/\(venue.id)"
        return VenueJSON(
            id: venue.id, name: venue.name, address: venue.address, category: venue.category.rawValue,
            areaCode: venue.areaCode, area: path.map { AreaRef(code: $0.code, name: $0.name, level: $0.level.rawValue) },
            defaultStayMinutes: venue.defaultStayMinutes, contactPhone: app.contactPhone(of: venue), capacity: venue.capacity,
            openingHours: venue.openingHours, shortCode: venue.formattedShortCode, posterGeneration: venue.posterGeneration,
            screenOnly: venue.screenOnly, createdAt: venue.createdAt, checkinUrl: app.checkinURL(venue),
            links: Links(venue: self_, posterPdf: "\(self_)/poster.pdf", posterPng: "\(self_)/poster.png",
                         posterSvg: "\(self_)/poster.svg", rotatePoster: "\(self_)/poster/rotate"))
    }
}

/// The API's contract (OpenAPI 3.1), kept by hand beside the routes: a test checks that both list the same operations.
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            fatalError("openapi.json is missing from the bundle")
        }
        return [UInt8](data)
    }()

    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: HTTPAnswer.jsonType, .cacheControl: "public, max-age=3600"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

struct AreaRef: Encodable { let code: String; let name: String; let level: String }

struct AreaJSON: Encodable {
    let area: Area
    let path: [AreaRef]
    func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey { case code, name, level, parentCode, population, parents }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(area.code, forKey: .code)
        try c.encode(area.name, forKey: .name)
        try c.encode(area.level, forKey: .level)
        try c.encode(area.parentCode, forKey: .parentCode)
        try c.encode(area.population, forKey: .population)
        try c.encode(path, forKey: .parents)
    }
}

struct CategoryJSON: Encodable {
    let code: String, vi: String, en: String
    init(_ c: VenueCategory) { code = c.rawValue; vi = c.vietnamese; en = c.english }
}

struct Links: Encodable {
    let venue: String, posterPdf: String, posterPng: String, posterSvg: String, rotatePoster: String
}

struct VenueJSON: Encodable {
    let id: Int64
    let name: String
    let address: String
    let category: String
    let areaCode: String
    let area: [AreaRef]
    let defaultStayMinutes: Int
    let contactPhone: String
    let capacity: Int?
    let openingHours: String?
    let shortCode: String
    let posterGeneration: UInt32
    let screenOnly: Bool
    let createdAt: Date
    let checkinUrl: String
    let links: Links
}

struct RegisteredJSON: Encodable {
    let venue: VenueJSON
    /// Shown once: the bearer token that manages this venue.
    let managementToken: String
}

struct ListJSON<T: Encodable>: Encodable {
    let items: [T]
    let limit: Int
    let offset: Int
}

struct TokenJSON: Encodable {
    let id: Int64?, token: String, role: String, venueId: Int64?, label: String
}

/// A token as listed: never the secret.
struct TokenInfoJSON: Encodable {
    let id: Int64, role: String, venueId: Int64?, label: String, createdAt: String, lastUsedAt: String?, revokedAt: String?
    init(_ t: TokenInfo) {
        id = t.id
        role = t.role.rawValue
        venueId = t.venueID
        label = t.label
        createdAt = Instant.format(t.createdAt)
        lastUsedAt = t.lastUsedAt.map(Instant.format)
        revokedAt = t.revokedAt.map(Instant.format)
    }
}
