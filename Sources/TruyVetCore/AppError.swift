/// The one error family of the product. Every failure a client can cause maps to one of these,
/// rendered by the HTTP layer as `{"error": code, "message": ..., "field": ...}` with `status`.
public struct AppError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, conflict, payloadTooLarge, tooManyRequests, unavailable
    }

    public let kind: Kind
    /// Stable machine-readable code, e.g. `invalid_field`.
    public let code: String
    public let message: String
    /// The request field at fault, when there is one (`name`, `areaCode`, `body`, ...).
    public let field: String?

    public init(_ kind: Kind, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .unavailable: 503
        }
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    public static func invalid(_ field: String, _ message: String) -> AppError {
        AppError(.badRequest, code: "invalid_field", message: message, field: field)
    }

    public static func missing(_ field: String) -> AppError {
        AppError(.badRequest, code: "missing_field", message: "\(field) is required", field: field)
    }

    public static func notFound(_ what: String) -> AppError {
        AppError(.notFound, code: "not_found", message: "\(what) not found")
    }

    public static let unauthorized = AppError(.unauthorized, code: "unauthorized",
                                              message: "a valid bearer token is required (Authorization: Bearer …)")

    public static func forbidden(_ message: String) -> AppError {
        AppError(.forbidden, code: "forbidden", message: message)
    }
}
