import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TruyVetCore

/// Check-in by poster (page and API), check-out, venue tools and imports.
extension Routes {
    static let deviceCookie = "tv_device"

    // MARK: Limits

    func clientKey(_ context: AppRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    func limitAddress(_ context: AppRequestContext) throws {
        try app.limitAddress(clientKey(context))
    }


    // MARK: API

    struct CheckinBody: Decodable {
        var token: String?
        var shortCode: String?
        var phone: String?
        var name: String?
        var idNumber: String?
        var at: String?
        var idempotencyKey: String?
        var deviceToken: String?

        /// A flat object of strings is read by hand (the hot path); anything else by `JSONDecoder`, for its errors.
        static func decode(_ buffer: ByteBuffer) throws -> CheckinBody {
            guard buffer.readableBytes > 0 else { throw JSON.emptyBody }
            if let m = buffer.withUnsafeReadableBytes(FlatJSON.parse) {
                func get(_ key: String) -> String? { m[key] ?? nil }
                return CheckinBody(token: get("token"), shortCode: get("shortCode"), phone: get("phone"), name: get("name"),
                                   idNumber: get("idNumber"), at: get("at"), idempotencyKey: get("idempotencyKey"),
                                   deviceToken: get("deviceToken"))
            }
            return try JSON.decode(CheckinBody.self, from: buffer)
        }
    }

    /// The venue a poster token (or a whole check-in URL) or a typed short code stands for; one 404 for anything else.
    func venue(token: String?, shortCode: String?) async throws -> Venue {
        if let token {
            if let venue = try await app.verifyPoster(token: Self.bare(token)) { return venue }
        } else if let shortCode {
            if let venue = try await app.venue(shortCode: shortCode) { return venue }
        } else {
            throw AppError.missing("token")
        }
        throw Page.invalidCodeError
    }

    /// The token of a whole check-in URL (or the token itself).
    static func bare(_ token: String) -> String {
        token.split(separator: "/").last.map(String.init) ?? token
    }

    /// `POST /v1/checkins`: the body read (a flat object by hand, anything else by `JSONDecoder` for its errors), the
    /// address and sender limits, then the one check-in operation.
    func apiCheckin(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let client = clientKey(context)
        try app.limitAddress(client)
        let body = try CheckinBody.decode(try await request.body.collect(upTo: JSON.maxBody))
        let venue = try await venue(token: body.token, shortCode: body.shortCode)
        let person = try PersonInput(name: body.name, phone: body.phone, idNumber: body.idNumber)
        // The device: the app's token, else the browser's cookie, else a new token returned with the receipt (the
        // same one again when the same check-in is retried with its idempotency key).
        let given = try body.deviceToken.map { raw throws(AppError) in try Self.deviceToken(raw) } ?? deviceID(request)
        let issued = given == nil ? Self.newDeviceToken(idempotencyKey: body.idempotencyKey, phone: person.phone, app: app) : nil
        let device = app.deviceHash(given ?? issued!)
        // A device the caller just got counts for nothing: such check-ins are limited by phone and address.
        try app.limitSender(phone: person.phone, device: given == nil ? nil : device, client: client)
        let at = try body.at.map { raw throws(AppError) in try Instant.parse(raw, field: "at") }
        let receipt = try await app.checkin(venue: venue, person: app.seal(person), at: at, now: Date(), source: .api,
                                            idempotencyKey: body.idempotencyKey, device: device)
        let status: HTTPResponse.Status = if case .alreadyOpen = receipt.outcome { .ok } else { .created }
        var json = ReceiptJSON(receipt).json
        if let issued { json = String(json.dropLast()) + ",\"deviceToken\":\"\(issued)\"}" }
        return HTTPAnswer.json(json, status: status).response
    }

    struct CheckoutBody: Decodable { var checkoutSecret: String? }

    func apiCheckout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let ref = context.parameter("id") ?? ""
        let principal = try await optionalPrincipal(request, context)
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        var secret: String?
        if buffer.readableBytes > 0 {
            secret = try JSON.decode(CheckoutBody.self, from: Data(buffer: buffer)).checkoutSecret
        }
        if secret == nil && principal == nil { throw AppError.missing("checkoutSecret") }
        let receipt = try await app.checkout(visitRef: ref, secret: secret, principal: secret == nil ? principal : nil)
        return JSON.response(ReceiptJSON(receipt))
    }

    // MARK: Venue tools

    func venueVisits(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        let now = Date()
        let from = try request.uri.queryParameters.get("from").map { raw throws(AppError) in try Instant.parse(String(raw), field: "from") }
            ?? now.addingTimeInterval(-Stay.maximum)
        let to = try request.uri.queryParameters.get("to").map { raw throws(AppError) in try Instant.parse(String(raw), field: "to") }
            ?? now.addingTimeInterval(60)
        let wantsCSV = try CSVDownload.requested(request)
        let entries = try await app.visitLog(venue: venue, from: from, to: to)
        if wantsCSV {
            return CSVDownload.response(TruyVet.csv(entries), filename: "truyvet-\(venue.id)-visits.csv")
        }
        return try JSON.response(VisitListJSON(venueId: venue.id, from: from, to: to, visits: entries.map(VisitJSON.init)))
    }

    func occupancy(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        let inside = try await app.present(venue: venue)
        return try JSON.response(OccupancyJSON(venueId: venue.id, count: inside.count, capacity: venue.capacity,
                                               visitors: inside.map(VisitJSON.init)))
    }

    func checkoutAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        return try JSON.response(["checkedOut": try await app.checkoutEveryone(venue: venue)])
    }

    func dayCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        return try JSON.response(app.dayCode(venueID: venue.id, at: Date()))
    }

    func venueFlags(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        return try JSON.response(try await app.store.flags(venueID: venue.id, since: Date().addingTimeInterval(-30 * 86400), limit: 1000))
    }

    func allFlags(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let since = try request.uri.queryParameters.get("since").map { raw throws(AppError) in try Instant.parse(String(raw), field: "since") }
            ?? Date().addingTimeInterval(-7 * 86400)
        return try JSON.response(try await app.flags(since: since, by: principal))
    }

    func importVisits(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw AppError.invalid("body", "the CSV must be UTF-8 text")
        }
        return try JSON.response(try await app.importVisits(csv: text, principal: principal))
    }

    // MARK: Personal cards

    struct CardBody: Decodable { var name: String?; var phone: String?; var idNumber: String? }

    /// Staff tokens issue cards: ward offices, tracers and admins to anyone; a venue only to someone at its door, who is
    /// checked in there at once (the staff desk). `?format=pdf` answers the printable card.
    func issueCard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let body = try await JSON.decode(CardBody.self, from: request, context: context)
        let person = try PersonInput(name: body.name, phone: body.phone, idNumber: body.idNumber)
        if principal.role == .venue { try limitAddress(context) }
        let card = try await app.issueCard(person, by: principal)
        if request.uri.queryParameters.get("format") == "pdf" {
            return Response(status: .created, headers: [.contentType: "application/pdf", .cacheControl: "no-store",
                                                        .contentDisposition: "inline; filename=\"truyvet-card.pdf\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: card.pdf)))
        }
        let checkin = card.receipt.map { ReceiptJSON($0).json } ?? "null"
        return HTTPAnswer.json("{\"code\":\"\(card.code)\",\"checkin\":\(checkin)}", status: .created).response
    }

    struct ScanBody: Decodable { var code: String?; var action: String? }

    /// A venue scanned a visitor's personal card.
    func scanCard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        let body = try await JSON.decode(ScanBody.self, from: request, context: context)
        guard let code = body.code else { throw AppError.missing("code") }
        guard let action = TruyVet.ScanAction(rawValue: body.action ?? "in") else {
            throw AppError.invalid("action", "action must be in or out")
        }
        try limitAddress(context)
        if let hash = app.cardHash(code) { try app.limitSender(phone: "", device: hash, client: clientKey(context)) }
        let receipt = try await app.scan(card: code, action: action, venue: venue).receipt
        let status: HTTPResponse.Status = if case .created = receipt.outcome { .created } else { .ok }
        return JSON.response(ReceiptJSON(receipt), status: status)
    }

    // MARK: Pages

    func deviceID(_ request: Request) -> String? { Self.deviceID(cookie: request.headers[.cookie]) }

    /// A device id is 16 random bytes as 22 base64url characters (the cookie's value, an app's `deviceToken`).
    static func isDeviceID(_ s: Substring) -> Bool { s.count == 22 && Base64URL.decode(String(s)) != nil }

    /// An app's device token, checked.
    static func deviceToken(_ raw: String, field: String = "deviceToken") throws(AppError) -> String {
        guard isDeviceID(Substring(raw)) else { throw AppError.invalid(field, "\(field) must be the 22-character token a check-in returned") }
        return raw
    }

    /// A new device id: random, or, for a check-in with an idempotency key, derived from it with a server key, so a
    /// retried check-in gets the token of its first try.
    static func newDeviceToken(idempotencyKey: String?, phone: String, app: TruyVet) -> String {
        guard let key = idempotencyKey else { return Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }) }
        return Base64URL.encode(Array(app.cipher.lookupHash("device-token", phone + "\u{0}" + key).prefix(16)))
    }

    /// The device cookie's id in a `Cookie` header (22 base64url characters), if any.
    static func deviceID(cookie: String?) -> String? {
        guard let cookie else { return nil }
        for part in cookie.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == Self.deviceCookie, isDeviceID(kv[1]) { return String(kv[1]) }
        }
        return nil
    }

    /// What this device declared last (the phone's person, the device's own name and ID number), for one tap.
    func rememberedPerson(_ request: Request) async throws -> (id: Int64, sealed: SealedPerson)? {
        guard let device = deviceID(request), let known = try await app.store.device(hash: app.cipher.lookupHash("device", device)) else { return nil }
        return (known.personID, known.declared)
    }

    func checkinPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = context.parameter("token") ?? ""
        guard let venue = try await app.verifyPoster(token: token) else { return try invalidCode(request, context) }
        let areaLine = try await app.areaPath(venue.areaCode).map(\.name).joined(separator: ", ")
        guard Page.wantsHTML(request) else { return Page.venueJSON(venue, areaLine: areaLine) }
        let remembered = try await rememberedPerson(request)
        // On the way out the poster is scanned again: this device's holder is inside, so check-out comes first.
        var inside: TruyVet.Receipt? = nil
        if let remembered, let device = deviceID(request) {
            inside = try await app.openVisit(device: app.cipher.lookupHash("device", device), personID: remembered.id, venue: venue,
                                             now: app.config.clock())
        }
        return Page.checkinForm(venue: venue, areaLine: areaLine, token: token, known: try remembered.map { try app.open($0.sealed) },
                                error: nil, inside: inside)
    }

    /// The same answer for forged, tampered, rotated and unknown tokens (page and form alike), and a limit on how many
    /// one address gets, so codes cannot be enumerated.
    func invalidCode(_ request: Request, _ context: AppRequestContext) throws -> Response {
        let now = app.config.clock()
        let html = request.method == .post || Page.wantsHTML(request)
        guard app.guards.invalidCodes.allow(clientKey(context), now: now) else {
            AppMetrics.rateLimited("invalid_code")
            let limited = RateLimited(retryAfter: app.guards.invalidCodes.retryAfter(now: now), message: "too many invalid check-in codes from this address")
            guard html else { throw limited }
            return Page.tooManyRequests(limited)
        }
        return Page.invalidCode(wantsHTML: html)
    }

    func checkinForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = context.parameter("token") ?? ""
        guard let venue = try await app.verifyPoster(token: token) else { return try invalidCode(request, context) }
        let areaLine = try await app.areaPath(venue.areaCode).map(\.name).joined(separator: ", ")
        let form = Page.formFields(try await request.body.collect(upTo: 64 * 1024))
        do {
            try limitAddress(context)
            let receipt: TruyVet.Receipt
            let device = deviceID(request) ?? Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
            let deviceHash = app.cipher.lookupHash("device", device)
            // The remembered person is read only for a one-tap check-in (and to redraw the form after an error).
            if form["useDevice"] == "1", let remembered = try await rememberedPerson(request) {
                try app.limitSender(phone: "", device: deviceHash, client: clientKey(context))
                receipt = try await app.checkin(venue: venue, person: remembered.sealed, source: .scan, device: deviceHash)
            } else {
                let person = try PersonInput(name: form["name"], phone: form["phone"], idNumber: form["idNumber"])
                try app.limitSender(phone: person.phone, device: deviceHash, client: clientKey(context))
                let sealed = app.seal(person)
                receipt = try await app.checkin(venue: venue, person: sealed, source: .scan, device: deviceHash)
                try await app.store.linkDevice(deviceHash, personID: receipt.visit.personID, declared: sealed)
            }
            var headers: HTTPFields = [.location: "/r/\(receipt.ref)?s=\(receipt.checkoutSecret)"]
            let secure = app.config.resolvedPublicURL.hasPrefix("https:") ? "; Secure" : ""
            headers[.setCookie] = "\(Self.deviceCookie)=\(device); Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax\(secure)"
            return Response(status: .seeOther, headers: headers)
        } catch let error as AppError {
            let known = try await rememberedPerson(request).map { try app.open($0.sealed) }
            return Page.checkinForm(venue: venue, areaLine: areaLine, token: token, known: known, error: error, form: form)
                .with(status: error.httpStatus)
        } catch let error as RateLimited {
            var page = Page.checkinForm(venue: venue, areaLine: areaLine, token: token, known: nil,
                                        error: AppError(.tooManyRequests, code: "rate_limited", message: error.message), form: form)
                .with(status: .tooManyRequests)
            page.headers[.retryAfter] = String(error.retryAfter)
            return page
        }
    }

    func receiptVisit(_ request: Request, _ context: AppRequestContext, secret: String?) async throws -> TruyVet.Receipt? {
        guard let ref = context.parameter("id"), let secret else { return nil }
        do { return try await app.receipt(ref: ref, secret: secret) } catch let error as AppError where error.kind == .notFound { return nil }
    }

    func receiptPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let receipt = try await receiptVisit(request, context, secret: request.uri.queryParameters.get("s").map { String($0) }) else {
            return Page.invalidReceipt()
        }
        return Page.receipt(receipt)
    }

    func checkoutForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = Page.formFields(try await request.body.collect(upTo: 64 * 1024))
        guard let receipt = try await receiptVisit(request, context, secret: form["s"]) else { return Page.invalidReceipt() }
        let done = try await app.checkout(visitRef: receipt.ref, secret: form["s"], principal: nil)
        return Page.receipt(done)
    }
}

/// 429 with Retry-After.
struct RateLimited: Error, HTTPResponseError {
    let retryAfter: Int
    let message: String
    var status: HTTPResponse.Status { .tooManyRequests }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        answer(language: Language.preferred(request.headers[.acceptLanguage])).response
    }
    func answer(language: Language = .en) -> HTTPAnswer {
        var a = JSON.errorAnswer(AppError(.tooManyRequests, code: "rate_limited", message: message), language: language)
        a.headers[.retryAfter] = String(retryAfter)
        return a
    }
}

/// The receipt answered to a check-in, written by hand: it is on the hot path and its shape is fixed.
struct ReceiptJSON {
    let receipt: TruyVet.Receipt
    init(_ r: TruyVet.Receipt) { receipt = r }

    var status: String {
        switch receipt.outcome {
        case .created, .replayed: "checked_in"
        case .alreadyOpen: receipt.visit.checkoutAt == nil ? "already_checked_in" : "checked_out"
        }
    }

    var json: String {
        let r = receipt
        let out = r.visit.checkoutAt.map { "\"" + Instant.format($0) + "\"" } ?? "null"
        return "{\"visitId\":\"\(r.ref)\",\"checkoutSecret\":\"\(r.checkoutSecret)\",\"venue\":{\"id\":\(r.venue.id),\"name\":"
            + JSON.quote(r.venue.name) + "},\"checkedInAt\":\"\(Instant.format(r.visit.checkinAt))\",\"checkedOutAt\":\(out),"
            + "\"status\":\"\(status)\",\"dayCode\":{\"day\":\"\(r.dayCode.day)\",\"word\":" + JSON.quote(r.dayCode.word)
            + ",\"color\":\"\(r.dayCode.color)\",\"colorName\":" + JSON.quote(r.dayCode.colorName) + "}}"
    }
}

extension JSON {
    static func response(_ receipt: ReceiptJSON, status: HTTPResponse.Status = .ok) -> Response {
        HTTPAnswer.json(receipt.json, status: status).response
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

struct VisitJSON: Encodable {
    let visitId: String
    let name: String
    let phone: String
    let idNumber: String?
    let checkinAt: String
    let checkoutAt: String?
    let effectiveEnd: String
    let source: String

    init(_ e: TruyVet.LogEntry) {
        visitId = e.ref
        name = e.person.name
        phone = e.person.phone
        idNumber = e.person.idNumber
        checkinAt = Instant.format(e.visit.checkinAt)
        checkoutAt = e.visit.checkoutAt.map(Instant.format)
        effectiveEnd = Instant.format(e.effectiveEnd)
        source = e.visit.source.name
    }
}

struct VisitListJSON: Encodable { let venueId: Int64; let from: Date; let to: Date; let visits: [VisitJSON] }
struct OccupancyJSON: Encodable { let venueId: Int64; let count: Int; let capacity: Int?; let visitors: [VisitJSON] }
