import Configuration
import Foundation
import Logging
import SystemPackage
import TruyVetCore

/// Settings from flags, environment variables and a config file, in that order of precedence (see `load`). Every
/// setting is listed in `Setting` and documented in README.md.
public struct AppConfig: Sendable {
    /// `TRUYVET_DATA_DIR`: database and keys. Default `./data`.
    public var dataDir: String = "./data"
    /// `TRUYVET_DATABASE_URL`: default the SQLite file `truyvet.sqlite` in the data directory; `postgres://…` for
    /// PostgreSQL (several servers may share it).
    public var databaseURL: String?
    /// `TRUYVET_DATABASE_READ_URL`: with PostgreSQL, a hot standby for tracing and level reads (optional).
    public var databaseReadURL: String?
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
    /// Console sessions: `TRUYVET_SESSION_IDLE_MINUTES` (30) without a request signs the session out;
    /// `TRUYVET_SESSION_HOURS` (12) after sign-in it ends whatever happens.
    public var sessionIdleMinutes = 30
    public var sessionHours = 12
    /// `TRUYVET_SCREEN_CODE_SECONDS` (30): how long each code on a venue's door screen lasts; a code is accepted in its
    /// own step and the next, so a photograph of the screen stops working within two steps.
    public var screenCodeSeconds = 30
    /// bcrypt's cost for staff passwords (12: a quarter of a second here); tests lower it.
    public var passwordCost = 12
    /// `TRUYVET_METRICS_TOKEN`: a token that may read `GET /metrics` and nothing else (admins may too).
    public var metricsToken: String?
    /// `TRUYVET_LOG_LEVEL`: `info` (default: a line per request), or trace, debug, notice, warning, error, critical.
    public var logLevel: Logger.Level = .info
    /// The time source of rate limits and burst detection (tests pin it).
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}

    /// Reads the settings: flags first, then `TRUYVET_…` environment variables, then the JSON config file that
    /// `--config` or `TRUYVET_CONFIG` names (an object of setting keys, e.g. `{"port": 8080, "retentionDays": 21}`).
    public static func load(flags: [Setting: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment,
                            accessReporter: (any AccessReporter)? = nil) async throws -> AppConfig {
        let values = Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey([$0.key.rawValue]), ConfigValue(.string($0.value), isSecret: $0.key.isSecret)) })
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "truyvet"),
        ]
        if let path = SettingsReader(ConfigReader(providers: providers)).text(.config) {
            try Setting.checkFile(path)
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw AppError.invalid(Setting.config.environmentName, "the config file \(path) cannot be read as JSON settings: \(error)")
            }
        }
        return try AppConfig(SettingsReader(ConfigReader(providers: providers, accessReporter: accessReporter)))
    }

    /// The environment alone (benchmarks and tests).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(AppError) -> AppConfig {
        try AppConfig(SettingsReader(ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: env).prefixKeys(with: "truyvet"))))
    }

    init(_ settings: SettingsReader) throws(AppError) {
        var c = AppConfig()
        func text(_ s: Setting) -> String? { settings.text(s) }
        func number(_ s: Setting, _ range: ClosedRange<Int>) throws(AppError) -> Int? {
            guard let v = text(s) else { return nil }
            guard let n = Int(v), range.contains(n) else {
                throw .invalid(s.environmentName, "\(s.environmentName) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
            }
            return n
        }
        if let v = text(.dataDir) { c.dataDir = v }
        if let v = text(.databaseURL) { c.databaseURL = v }
        if let v = text(.databaseReadURL) { c.databaseReadURL = v }
        if let v = text(.host) { c.host = v }
        if let v = text(.port) {
            guard let p = Int(v), (1...65535).contains(p) else { throw .invalid("TRUYVET_PORT", "TRUYVET_PORT must be a port number 1–65535, got '\(v)'") }
            c.port = p
        }
        if let v = text(.publicURL) { c.publicURL = v }
        if let v = text(.adminToken) { c.adminToken = v }
        if let v = text(.openRegistration) {
            switch v.lowercased() {
            case "1", "true", "yes", "on": c.openRegistration = true
            case "0", "false", "no", "off": c.openRegistration = false
            default: throw .invalid("TRUYVET_OPEN_REGISTRATION", "TRUYVET_OPEN_REGISTRATION must be true or false, got '\(v)'")
            }
        }
        if let v = text(.signingKeys) { c.signingKeys = v }
        if let v = text(.dataKey) { c.dataKey = v }
        if let v = text(.checkinRateLimit) {
            guard let n = Int(v), n >= 0 else {
                throw .invalid("TRUYVET_CHECKIN_RATE_LIMIT", "TRUYVET_CHECKIN_RATE_LIMIT must be a whole number ≥ 0 (0 = no limit), got '\(v)'")
            }
            c.checkinRateLimit = n
        }
        if let n = try number(.infectiousDaysBefore, 0...30) { c.caseRules.daysBefore = n }
        if let n = try number(.minOverlapMinutes, 0...1440) { c.overlap.minOverlapMinutes = Double(n) }
        if let n = try number(.onwardDays, 1...60) { c.overlap.onwardDays = Double(n) }
        if let n = try number(.quarantineDays, 1...60) { c.quarantineDays = n }
        if let n = try number(.retentionDays, 0...3650) { c.retentionDays = n }
        if let n = try number(.sessionIdleMinutes, 1...1440) { c.sessionIdleMinutes = n }
        if let n = try number(.sessionHours, 1...168) { c.sessionHours = n }
        if let n = try number(.screenCodeSeconds, 10...600) { c.screenCodeSeconds = n }
        if let v = text(.metricsToken) {
            guard v.count >= 24 else { throw .invalid("TRUYVET_METRICS_TOKEN", "TRUYVET_METRICS_TOKEN must be at least 24 characters") }
            c.metricsToken = v
        }
        if let v = text(.logLevel) {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw .invalid("TRUYVET_LOG_LEVEL", "TRUYVET_LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(v)'")
            }
            c.logLevel = level
        }
        if let n = try number(.headerTimeout, 1...3600) { c.headerTimeout = Double(n) }
        if let n = try number(.bodyTimeout, 1...3600) { c.bodyTimeout = Double(n) }
        if let n = try number(.idleTimeout, 1...3600) { c.idleTimeout = Double(n) }
        if let v = text(.levelRules) { c.levelRulesFile = v }
        if let v = text(.measures) { c.measuresFile = v }
        if let v = text(.levelRulesProvinces) {
            for item in v.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].count == 2, parts[0].allSatisfy(\.isNumber) else {
                    throw .invalid("TRUYVET_LEVEL_RULES_PROVINCES", "TRUYVET_LEVEL_RULES_PROVINCES must be PROVINCE=FILE pairs separated by commas, e.g. 06=/etc/truyvet/bac-kan.json")
                }
                c.provinceLevelRules[parts[0]] = parts[1]
            }
        }
        // Set but empty means "no category has its own minimum", so this one reads empty values too.
        if let v = settings.text(.minOverlapByCategory, allowEmpty: true) {
            c.overlap.minOverlapByCategory = try Self.categoryMinutes(v, field: "TRUYVET_MIN_OVERLAP_BY_CATEGORY")
        }
        self = c
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
    /// The PostgreSQL URL when `TRUYVET_DATABASE_URL` names one.
    public var postgresURL: String? {
        guard let url = databaseURL, url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else { return nil }
        return url
    }

    /// The SQLite file; an error when the database is PostgreSQL.
    public func sqlitePath() throws(AppError) -> String {
        guard let url = databaseURL else { return (dataDir as NSString).appendingPathComponent("truyvet.sqlite") }
        if postgresURL != nil {
            throw AppError(.badRequest, code: "not_sqlite", message: "TRUYVET_DATABASE_URL names a PostgreSQL database, not a SQLite file", field: "TRUYVET_DATABASE_URL")
        }
        if url.hasPrefix("sqlite://") { return String(url.dropFirst("sqlite://".count)) }
        if url.contains("://") {
            throw .invalid("TRUYVET_DATABASE_URL", "TRUYVET_DATABASE_URL must be a file path, sqlite:///path or postgres://…")
        }
        return url
    }
}

/// Every setting the server reads. Its key in a config file is the raw value; in the environment it is `TRUYVET_`
/// and the key in upper snake case (`retentionDays` → `TRUYVET_RETENTION_DAYS`).
public enum Setting: String, CaseIterable, Sendable {
    case config, dataDir, databaseURL, databaseReadURL, host, port, publicURL, adminToken, openRegistration, signingKeys, dataKey
    case checkinRateLimit, infectiousDaysBefore, minOverlapMinutes, minOverlapByCategory, onwardDays, quarantineDays
    case headerTimeout, bodyTimeout, idleTimeout, logLevel, metricsToken, retentionDays, levelRules, levelRulesProvinces, measures
    case sessionIdleMinutes, sessionHours, screenCodeSeconds

    public var environmentName: String {
        var out = "TRUYVET_"
        var previousLower = false
        for ch in rawValue {
            if ch.isUppercase && previousLower { out += "_" }
            out += ch.uppercased()
            previousLower = ch.isLowercase
        }
        return out
    }

    /// Never written to logs or access reports.
    var isSecret: Bool { [.adminToken, .signingKeys, .dataKey, .metricsToken, .databaseURL, .databaseReadURL].contains(self) }

    /// A config file must be a JSON object whose keys are all settings: a misspelt key is an error, not silently ignored.
    static func checkFile(_ path: String) throws(AppError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(Setting.config.environmentName, "cannot read the config file \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalid(Setting.config.environmentName, "the config file \(path) must hold one JSON object, e.g. {\"port\": 8080}")
        }
        let known = Set(Setting.allCases.map(\.rawValue)).subtracting([Setting.config.rawValue])
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid(Setting.config.environmentName, "the config file \(path) has an unknown setting '\(unknown)'; the settings are \(known.sorted().joined(separator: ", "))")
        }
    }
}

/// Reads one setting as text whatever its type in the source (a config file may hold `8080` or `true`).
struct SettingsReader {
    let reader: ConfigReader
    init(_ reader: ConfigReader) { self.reader = reader }

    func text(_ setting: Setting, allowEmpty: Bool = false) -> String? {
        let key = ConfigKey(setting.rawValue)
        let secret = setting.isSecret
        let value = reader.string(forKey: key, isSecret: secret)
            ?? reader.int(forKey: key, isSecret: secret).map(String.init)
            ?? reader.double(forKey: key, isSecret: secret).map { String($0) }
            ?? reader.bool(forKey: key, isSecret: secret).map(String.init)
        guard let value, allowEmpty || !value.isEmpty else { return nil }
        return value
    }
}
