import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import TruyVetCore

/// Request context: Hummingbird's core storage plus the peer address (rate limits, audit).
/// Who made a request, as `AuthMiddleware` found it.
public enum Identity: Sendable {
    case anonymous
    /// An `Authorization` header that is malformed, unknown or revoked: 401 wherever a caller is needed.
    case invalidToken
    case token(Principal)
    case session(TruyVet.Session)
}

public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var identity: Identity = .anonymous

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// A path parameter, percent-decoded (the one place where that happens): `/v1/people/0926%20986%20255/…` names
    /// the phone `0926 986 255`.
    public func parameter(_ name: String) -> String? {
        guard let raw = parameters.get(name) else { return nil }
        return raw.removingPercentEncoding ?? raw
    }

    /// Large enough for CSV imports; JSON bodies are checked field by field.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

extension AppError {
    var httpStatus: HTTPResponse.Status { HTTPResponse.Status(code: status) }
}

/// The JSON body of every error: `{"error": code, "message": ..., "field": ... or null}`.
struct ErrorBody: Encodable {
    let error: String
    let message: String
    let field: String?

    func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey { case error, message, field }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(error, forKey: .error)
        try c.encode(message, forKey: .message)
        try c.encode(field, forKey: .field)  // always present: null when no field is at fault
    }
}

/// A whole answer in memory: what `Response` carries for small bodies, and what the connection guard writes to the
/// channel itself for a request it cannot parse.
struct HTTPAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    static let jsonType = "application/json; charset=utf-8"

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> HTTPAnswer {
        json(ByteBuffer(string: text), status: status)
    }

    static func json(_ body: ByteBuffer, status: HTTPResponse.Status) -> HTTPAnswer {
        HTTPAnswer(status: status, headers: [.contentType: jsonType], body: body)
    }

    var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }
}

enum JSON {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = HTTPAnswer.jsonType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func error(_ e: AppError, language: Language = .en) -> Response { errorAnswer(e, language: language).response }

    static func errorAnswer(_ e: AppError, language: Language = .en) -> HTTPAnswer {
        // Encoding this struct cannot fail.
        let body = (try? encoder.encode(ErrorBody(error: e.code, message: e.message(in: language), field: e.field))) ?? Data()
        return HTTPAnswer.json(ByteBuffer(bytes: body), status: e.httpStatus)
    }

    /// The largest JSON request body.
    static let maxBody = 1024 * 1024

    /// Decodes a JSON body; every failure becomes a 400 naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        try decode(type, from: try await request.body.collect(upTo: maxBody))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        guard buffer.readableBytes > 0 else { throw emptyBody }
        return try decode(type, from: Data(buffer: buffer))
    }

    static let emptyBody = AppError(.badRequest, code: "empty_body", message: "a JSON object is required in the request body", field: "body")

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw culprit(of: error, in: data, as: T.self) ?? AppError(decoding: error)
        }
    }

    /// Foundation on Linux reports a value that does not fit its type (`1.5` for a whole number) as invalid JSON with no
    /// path. When the body is valid JSON, decode each top-level member alone (request fields are optional) to name it.
    static func culprit<T: Decodable>(of error: DecodingError, in data: Data, as type: T.Type) -> AppError? {
        guard case let .dataCorrupted(context) = error, context.codingPath.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        for key in object.keys.sorted() {
            guard let single = try? JSONSerialization.data(withJSONObject: [key: object[key]!]) else { continue }
            do { _ = try JSONDecoder().decode(T.self, from: single) } catch let e as DecodingError {
                if case .keyNotFound = e { continue }
                if case let .dataCorrupted(c) = e, c.codingPath.isEmpty {
                    return .invalid(key, "\(key) has a value of the wrong type or out of range")
                }
                return AppError(decoding: e)
            } catch { continue }
        }
        return nil
    }
}

extension AppError {
    init(decoding error: DecodingError) {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? nil : text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .typeMismatch(type, context):
            let field = path(context) ?? "body"
            self = .invalid(field, "\(field) must be \(Self.describe(type))")
        case let .valueNotFound(_, context):
            self = .missing(path(context) ?? "body")
        case let .keyNotFound(key, context):
            self = .missing(path(context, key) ?? key.stringValue)
        case let .dataCorrupted(context):
            if let field = path(context) {
                self = .invalid(field, "\(field) has an invalid value")
            } else {
                self = AppError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON", field: "body")
            }
        @unknown default:
            self = AppError(.badRequest, code: "invalid_json", message: "the request body could not be read", field: "body")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "of type \(type)"
        }
    }
}

/// Turns every error into the one JSON shape. Client errors keep their 4xx; anything unexpected is logged and is a 500.
/// A path that exists with other methods answers 405 with `Allow`. Every answer carries the security headers.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        let language = Language.preferred(request.headers[.acceptLanguage])
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            let route = "unmatched"
            // The router found no route: another method may be allowed here.
            let allowed = routes.methods(at: request.uri.path)
            if allowed.isEmpty {
                response = JSON.answer(for: error, logger: context.logger, path: route, language: language).response
            } else {
                response = JSON.error(AppError(.methodNotAllowed, code: "method_not_allowed",
                                               message: "\(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))"),
                                      language: language)
                response.headers[.allow] = allowed.joined(separator: ", ")
            }
        } catch {
            response = JSON.answer(for: error, logger: context.logger, path: context.endpointPath ?? "unmatched", language: language).response
        }
        SecurityHeaders.add(to: &response.headers)
        return response
    }
}

/// Resolves the caller once per request (`Routes.identify`) into `context.identity`; each operation then checks what
/// that principal may do.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: Routes

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = try await routes.identify(request)
        return try await next(request, context)
    }
}

/// One structured line per request — request id (also answered as `X-Request-Id`), method, route pattern, status,
/// milliseconds — and never a name, phone or ID number: the route is logged as its pattern (`/v1/people/:ref/…`),
/// never the path typed, and no query string. Answers of 500 and above are logged at error level.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    static func newID() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 16) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = Self.newID()
        var context = context
        context.logger[metadataKey: "request"] = "\(id)"
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[Self.header] = id
        Self.log(context.logger, method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(response.status.code),
                 started: started)
        return response
    }

    static func log(_ logger: Logger, method: String, route: String, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.log(level: status >= 500 ? .error : .info, "request", metadata: [
            "method": "\(method)", "route": "\(route)", "status": "\(status)", "ms": "\(String(format: "%.1f", ms))",
        ])
    }
}

/// What every answer says to browsers: run no script and load nothing from elsewhere, never be framed, keep the
/// declared content type, and send no referrer (receipt URLs carry a secret).
enum SecurityHeaders {
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func add(to headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    }
}

extension JSON {
    /// The one mapping of errors to answers. `path` is a route pattern, logged
    /// with an unexpected error (never a path as typed: it may hold a phone number).
    /// `language`: what the caller's `Accept-Language` asks for (the code and field stay the same).
    static func answer(for error: any Error, logger: Logger, path: String, language: Language = .en) -> HTTPAnswer {
        switch error {
        case let error as AppError:
            return JSON.errorAnswer(error, language: language)
        case let error as DecodingError:
            return JSON.errorAnswer(AppError(decoding: error), language: language)
        case let error as RateLimited:
            return error.answer(language: language)
        case let error as HTTPParserError:
            return JSON.errorAnswer(protocolError(error), language: language)
        case let error as HTTPError:
            return JSON.errorAnswer(map(status: error.status, message: error.body), language: language)
        case let error as any HTTPResponseError:
            return JSON.errorAnswer(map(status: error.status, message: nil), language: language)
        default:
            AppMetrics.storeError()
            logger.error("internal error", metadata: ["error": "\(String(reflecting: error))", "path": "\(path)"])
            var answer = JSON.errorAnswer(AppError(.unavailable, code: "internal_error", message: "the request failed on the server; it has been logged"),
                                          language: language)
            answer.status = .internalServerError
            return answer
        }
    }

    /// What the HTTP parser could not read: a body cut short, or a request that is not HTTP.
    static func protocolError(_ error: any Error) -> AppError {
        if let error = error as? HTTPParserError, error == .invalidEOFState {
            return AppError(.badRequest, code: "incomplete_body", message: "the request ended before its body was complete (Content-Length)", field: "body")
        }
        return AppError(.badRequest, code: "bad_request", message: "the request is not valid HTTP/1.1")
    }

    static func map(status: HTTPResponse.Status, message: String?) -> AppError {
        switch status.code {
        case 404: AppError(.notFound, code: "not_found", message: message ?? "no such resource")
        case 405: AppError(.methodNotAllowed, code: "method_not_allowed", message: message ?? "this method is not allowed here")
        case 413: AppError(.payloadTooLarge, code: "payload_too_large", message: message ?? "the request body is too large", field: "body")
        case 400: AppError(.badRequest, code: "bad_request", message: message ?? "the request is malformed")
        case 401: AppError.unauthorized
        case 403: AppError.forbidden(message ?? "not allowed")
        default: AppError(.badRequest, code: "http_\(status.code)", message: message ?? status.reasonPhrase)
        }
    }
}

extension Response {
    func with(status: HTTPResponse.Status) -> Response {
        var copy = self
        copy.status = status
        return copy
    }
}

/// Tables as CSV downloads (the text comes from `CSV.render`), and the one `format=json|csv` parameter.
enum CSVDownload {
    /// With a UTF-8 byte order mark first, so that Excel on Windows reads Vietnamese as UTF-8 (every CSV reader here,
    /// and `CSV.parse`, skips it).
    static func response(_ text: String, filename: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                        .contentDisposition: "attachment; filename=\"\(filename)\"", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: "\u{FEFF}" + text)))
    }

    /// true for `format=csv`, false for none or `format=json`; 400 otherwise.
    static func requested(_ request: Request) throws(AppError) -> Bool {
        switch request.uri.queryParameters.get("format") {
        case nil, "json": false
        case "csv": true
        default: throw AppError.invalid("format", "format must be json or csv")
        }
    }
}

extension HTTPFields {
    static func contentType(_ value: String) -> HTTPFields { [.contentType: value] }
}
