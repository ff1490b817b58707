import Crypto
import Foundation

public enum Role: String, Codable, Sendable, CaseIterable {
    /// Everything, including creating tokens and reading the audit log.
    case admin
    /// Cases and their contacts.
    case tracer
    /// Area figures: population, coverage, levels.
    case health
    /// One venue's poster, visits and status.
    case venue

    public static func parse(_ raw: String?, field: String = "role") throws(AppError) -> Role {
        guard let raw else { throw .missing(field) }
        guard let role = Role(rawValue: raw.lowercased()) else {
            throw .invalid(field, "unknown role '\(raw)'; expected one of: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return role
    }
}

/// Who is calling: the role of a bearer token, and for venue tokens the one venue it manages.
public struct Principal: Sendable, Equatable {
    public let role: Role
    public let venueID: Int64?
    public let tokenID: Int64?
    public let label: String

    public init(role: Role, venueID: Int64? = nil, tokenID: Int64? = nil, label: String) {
        self.role = role
        self.venueID = venueID
        self.tokenID = tokenID
        self.label = label
    }

    /// Admins manage every venue; venue tokens only their own.
    public func mayManage(venue id: Int64) -> Bool {
        role == .admin || (role == .venue && venueID == id)
    }

    public func require(_ roles: Role...) throws(AppError) {
        guard roles.contains(role) else {
            throw .forbidden("this needs a token with role \(roles.map(\.rawValue).joined(separator: " or ")); yours is \(role.rawValue)")
        }
    }
}

/// Bearer tokens: `tv_` + 32 base64url characters (192 random bits). Only their SHA-256 is stored.
public enum BearerToken {
    public static func generate() -> String {
        var g = SystemRandomNumberGenerator()
        return "tv_" + Base64URL.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
