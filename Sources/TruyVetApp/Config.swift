import Foundation
import Logging
import TruyVetCore

/// Settings from flags and environment variables (flags win). Every variable is documented in README.md.
public struct AppConfig: Sendable {
    /// `TRUYVET_DATA_DIR`: database and keys. Default `./data`.
    public var dataDir: String = "./data"
    /// `TRUYVET_DATABASE_URL`: default the SQLite file `truyvet.sqlite` in the data directory.
    public var databaseURL: String?
    /// `TRUYVET_HOST`, `TRUYVET_PORT`.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// `TRUYVET_PUBLIC_URL`: the base printed in QR codes. Default `http://HOST:PORT`.
    public var publicURL: String?
    /// `TRUYVET_ADMIN_TOKEN`: if set, the admin token; otherwise one is generated on first start and printed once.
    public var adminToken: String?
    /// `TRUYVET_OPEN_REGISTRATION`: `true` (default) lets anyone register a venue; `false` restricts it to admins.
    public var openRegistration: Bool = true
    /// `TRUYVET_SIGNING_KEYS`: `id:base64key,...` (the last is used for new posters); default: the keys file in the data directory.
    public var signingKeys: String?
    /// `TRUYVET_DATA_KEY`: base64 of 32 bytes; default: the keys file in the data directory.
    public var dataKey: String?
    /// `TRUYVET_CHECKIN_RATE_LIMIT`: check-ins per minute per client address; 0 turns the limit off.
    public var checkinRateLimit: Int = 30
    /// Check-ins per hour per person (phone), against scripted mass check-ins.
    public var personRateLimit: Int = 60
    /// `TRUYVET_INFECTIOUS_DAYS_BEFORE`: the infectious window opens this many days before onset (or sample). Default 2.
    public var caseRules = CaseRules.Settings()
    /// Tracing defaults: `TRUYVET_MIN_OVERLAP_MINUTES` (15), `TRUYVET_MIN_OVERLAP_BY_CATEGORY`
    /// (`passenger_transport=0,high_risk_service=0`: any overlap counts there), `TRUYVET_ONWARD_DAYS` (14: an F1's or F2's
    /// onward window without a recorded quarantine).
    public var overlap = Overlap.Rules(minOverlapByCategory: Overlap.Rules.enclosedCategories)
    /// `TRUYVET_QUARANTINE_DAYS`: how long a recorded quarantine lasts when the tracer gives no end. Default 14.
    public var quarantineDays = 14
    /// `TRUYVET_LEVEL_RULES`: a JSON file of level rule sets replacing the bundled default;
    /// `TRUYVET_LEVEL_RULES_PROVINCES`: `06=/path/bac-kan.json,01=/path/ha-noi.json`, per-province replacements.
    public var levelRulesFile: String?
    public var provinceLevelRules: [String: String] = [:]
    /// `TRUYVET_MEASURES`: a JSON measures table replacing the bundled one.
    public var measuresFile: String?
    /// `TRUYVET_RETENTION_DAYS`: visits are hard-deleted this many days after their stay ended (0: kept). When not
    /// set, the store's own setting (the demo store keeps its 2021 visits), else 21 days.
    public var retentionDays: Int?
    /// Connection timeouts, in seconds: `TRUYVET_HEADER_TIMEOUT` (10) for a request's headers to arrive,
    /// `TRUYVET_BODY_TIMEOUT` (60) for its whole body, `TRUYVET_IDLE_TIMEOUT` (60) for a kept-alive connection to send
    /// its next request. A connection that takes longer is closed, so slow or idle clients cannot hold the server.
    public var headerTimeout: Double = 10
    public var bodyTimeout: Double = 60
    public var idleTimeout: Double = 60
    /// `TRUYVET_METRICS_TOKEN`: a token that may read `GET /metrics` and nothing else (admins may too).
    public var metricsToken: String?
    /// `TRUYVET_LOG_LEVEL`: `info` (default: a line per request), or trace, debug, notice, warning, error, critical.
    public var logLevel: Logger.Level = .info
    /// The time source of rate limits and burst detection (tests pin it).
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(AppError) -> AppConfig {
        var c = AppConfig()
        if let v = env["TRUYVET_DATA_DIR"], !v.isEmpty { c.dataDir = v }
        if let v = env["TRUYVET_DATABASE_URL"], !v.isEmpty { c.databaseURL = v }
        if let v = env["TRUYVET_HOST"], !v.isEmpty { c.host = v }
        if let v = env["TRUYVET_PORT"], !v.isEmpty {
            guard let p = Int(v), (1...65535).contains(p) else { throw .invalid("TRUYVET_PORT", "TRUYVET_PORT must be a port number 1–65535, got '\(v)'") }
            c.port = p
        }
        if let v = env["TRUYVET_PUBLIC_URL"], !v.isEmpty { c.publicURL = v }
        if let v = env["TRUYVET_ADMIN_TOKEN"], !v.isEmpty { c.adminToken = v }
        if let v = env["TRUYVET_OPEN_REGISTRATION"], !v.isEmpty {
            switch v.lowercased() {
            case "1", "true", "yes", "on": c.openRegistration = true
            case "0", "false", "no", "off": c.openRegistration = false
            default: throw .invalid("TRUYVET_OPEN_REGISTRATION", "TRUYVET_OPEN_REGISTRATION must be true or false, got '\(v)'")
            }
        }
        if let v = env["TRUYVET_SIGNING_KEYS"], !v.isEmpty { c.signingKeys = v }
        if let v = env["TRUYVET_DATA_KEY"], !v.isEmpty { c.dataKey = v }
        if let v = env["TRUYVET_CHECKIN_RATE_LIMIT"], !v.isEmpty {
            guard let n = Int(v), n >= 0 else {
                throw .invalid("TRUYVET_CHECKIN_RATE_LIMIT", "TRUYVET_CHECKIN_RATE_LIMIT must be a whole number ≥ 0 (0 = no limit), got '\(v)'")
            }
            c.checkinRateLimit = n
        }
        func number(_ name: String, _ range: ClosedRange<Int>) throws(AppError) -> Int? {
            guard let v = env[name], !v.isEmpty else { return nil }
            guard let n = Int(v), range.contains(n) else {
                throw .invalid(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
            }
            return n
        }
        if let n = try number("TRUYVET_INFECTIOUS_DAYS_BEFORE", 0...30) { c.caseRules.daysBefore = n }
        if let n = try number("TRUYVET_MIN_OVERLAP_MINUTES", 0...1440) { c.overlap.minOverlapMinutes = Double(n) }
        if let n = try number("TRUYVET_ONWARD_DAYS", 1...60) { c.overlap.onwardDays = Double(n) }
        if let n = try number("TRUYVET_QUARANTINE_DAYS", 1...60) { c.quarantineDays = n }
        if let n = try number("TRUYVET_RETENTION_DAYS", 0...3650) { c.retentionDays = n }
        if let v = env["TRUYVET_METRICS_TOKEN"], !v.isEmpty {
            guard v.count >= 24 else { throw .invalid("TRUYVET_METRICS_TOKEN", "TRUYVET_METRICS_TOKEN must be at least 24 characters") }
            c.metricsToken = v
        }
        if let v = env["TRUYVET_LOG_LEVEL"], !v.isEmpty {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw .invalid("TRUYVET_LOG_LEVEL", "TRUYVET_LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(v)'")
            }
            c.logLevel = level
        }
        if let n = try number("TRUYVET_HEADER_TIMEOUT", 1...3600) { c.headerTimeout = Double(n) }
        if let n = try number("TRUYVET_BODY_TIMEOUT", 1...3600) { c.bodyTimeout = Double(n) }
        if let n = try number("TRUYVET_IDLE_TIMEOUT", 1...3600) { c.idleTimeout = Double(n) }
        if let v = env["TRUYVET_LEVEL_RULES"], !v.isEmpty { c.levelRulesFile = v }
        if let v = env["TRUYVET_MEASURES"], !v.isEmpty { c.measuresFile = v }
        if let v = env["TRUYVET_LEVEL_RULES_PROVINCES"], !v.isEmpty {
            for item in v.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].count == 2, parts[0].allSatisfy(\.isNumber) else {
                    throw .invalid("TRUYVET_LEVEL_RULES_PROVINCES", "TRUYVET_LEVEL_RULES_PROVINCES must be PROVINCE=FILE pairs separated by commas, e.g. 06=/etc/truyvet/bac-kan.json")
                }
                c.provinceLevelRules[parts[0]] = parts[1]
            }
        }
        if let v = env["TRUYVET_MIN_OVERLAP_BY_CATEGORY"] {
            c.overlap.minOverlapByCategory = try Self.categoryMinutes(v, field: "TRUYVET_MIN_OVERLAP_BY_CATEGORY")
        }
        return c
    }

    /// The level rule book: the bundled default (or `levelRulesFile`), with per-province replacements.
    public func levelRuleBook() throws -> LevelRuleBook {
        func load(_ path: String?, field: String, resource: String) throws -> Data {
            if let path {
                guard let data = FileManager.default.contents(atPath: path) else { throw AppError.invalid(field, "cannot read \(path)") }
                return data
            }
            guard let url = Bundle.module.url(forResource: resource, withExtension: "json") else {
                throw AppError(.unavailable, code: "missing_resource", message: "the bundled \(resource).json is missing from this build")
            }
            return try Data(contentsOf: url)
        }
        let standard = try LevelRuleBook.parse(try load(levelRulesFile, field: "TRUYVET_LEVEL_RULES", resource: "level-rules"), field: "TRUYVET_LEVEL_RULES")
        var provinces: [String: [LevelRuleSet]] = [:]
        for (code, path) in provinceLevelRules {
            provinces[code] = try LevelRuleBook.parse(try load(path, field: "TRUYVET_LEVEL_RULES_PROVINCES", resource: ""), field: "TRUYVET_LEVEL_RULES_PROVINCES")
        }
        return try LevelRuleBook(standard: standard, provinces: provinces)
    }

    public func measureTable() throws -> MeasureTable {
        if let measuresFile {
            guard let data = FileManager.default.contents(atPath: measuresFile) else { throw AppError.invalid("TRUYVET_MEASURES", "cannot read \(measuresFile)") }
            return try MeasureTable.parse(data, field: "TRUYVET_MEASURES")
        }
        guard let url = Bundle.module.url(forResource: "measures", withExtension: "json") else {
            throw AppError(.unavailable, code: "missing_resource", message: "the bundled measures.json is missing from this build")
        }
        return try MeasureTable.parse(try Data(contentsOf: url), field: "measures.json")
    }

    /// `category=minutes,...` (empty: no category has its own minimum).
    static func categoryMinutes(_ text: String, field: String) throws(AppError) -> [VenueCategory: Double] {
        var out: [VenueCategory: Double] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let minutes = Int(parts[1]), (0...1440).contains(minutes) else {
                throw .invalid(field, "\(field) must be category=minutes pairs separated by commas, e.g. passenger_transport=0, got '\(item)'")
            }
            out[try VenueCategory.parse(parts[0], field: field)] = Double(minutes)
        }
        return out
    }

    /// The base of check-in URLs, without a trailing slash.
    public var resolvedPublicURL: String {
        var base = publicURL ?? "http://\(host):\(port)"
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// The SQLite file path (the only storage so far).
    public func sqlitePath() throws(AppError) -> String {
        guard let url = databaseURL else { return (dataDir as NSString).appendingPathComponent("truyvet.sqlite") }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw AppError(.badRequest, code: "unsupported_database", message: "PostgreSQL storage is not available in this version; use a SQLite path or sqlite:// URL", field: "TRUYVET_DATABASE_URL")
        }
        if url.hasPrefix("sqlite://") { return String(url.dropFirst("sqlite://".count)) }
        if url.contains("://") {
            throw .invalid("TRUYVET_DATABASE_URL", "TRUYVET_DATABASE_URL must be a file path, sqlite:///path or postgres://…")
        }
        return url
    }
}
