import Foundation

/// Vietnam's administrative units: province (2-digit code) ⊃ district (3) ⊃ commune (5).
public enum AreaLevel: String, Codable, Sendable, CaseIterable {
    case province, district, commune

    public var codeLength: Int {
        switch self {
        case .province: 2
        case .district: 3
        case .commune: 5
        }
    }

    public var parentLevel: AreaLevel? {
        switch self {
        case .province: nil
        case .district: .province
        case .commune: .district
        }
    }
}

public struct Area: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var level: AreaLevel
    public var parentCode: String?
    /// People living there, when known (needed by the level calculator).
    public var population: Int?

    public init(code: String, name: String, level: AreaLevel, parentCode: String?, population: Int? = nil) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
        self.population = population
    }
}

/// A per-row report of an import: what was accepted and every rejected row with its line and reason.
public struct ImportReport: Sendable, Codable, Equatable {
    public struct Rejection: Sendable, Codable, Equatable {
        public let line: Int
        public let field: String?
        public let reason: String
        public init(line: Int, field: String?, reason: String) {
            self.line = line
            self.field = field
            self.reason = reason
        }
    }
    public var accepted: Int
    public var rejected: [Rejection]
    /// Cells a spreadsheet had mangled and the import put right (a dropped leading zero), for the person to check.
    public var repaired: [CSV.Repair]
    public init(accepted: Int = 0, rejected: [Rejection] = [], repaired: [CSV.Repair] = []) {
        self.accepted = accepted
        self.rejected = rejected
        self.repaired = repaired
    }
}

public enum AreaCSV {
    public static let columns = ["code", "name", "level", "parent_code", "population"]

    /// Reads `code,name,level,parent_code[,population]` (header row required). Parents must be in the same
    /// file or among `known` codes, with the right level; a bad row is reported and never drops the good ones.
    public static func read(_ text: String, known: (String) -> AreaLevel?) -> (areas: [Area], report: ImportReport) {
        var report = ImportReport()
        let rows: [CSV.Row]
        do { rows = try CSV.parse(text) } catch {
            report.rejected.append(.init(line: error.line, field: nil, reason: error.message))
            return ([], report)
        }
        guard let header = rows.first else {
            report.rejected.append(.init(line: 1, field: nil, reason: "the file is empty; expected a header row: code,name,level,parent_code[,population]"))
            return ([], report)
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard names.count >= 4, Array(names.prefix(4)) == Array(columns.prefix(4)), names.count == 4 || names[4] == "population" else {
            report.rejected.append(.init(line: header.line, field: nil, reason: "expected the header code,name,level,parent_code[,population]"))
            return ([], report)
        }
        var levels: [String: AreaLevel] = [:]
        var areas: [Area] = []
        for row in rows.dropFirst() {
            do {
                let (area, repairs) = try parseRow(row, columnCount: names.count)
                if let parent = area.parentCode {
                    let parentLevel = levels[parent] ?? known(parent)
                    guard parentLevel == area.level.parentLevel else {
                        throw AppError.invalid("parent_code", parentLevel == nil ? "parent \(parent) is not a known area" : "parent \(parent) is a \(parentLevel!.rawValue), expected a \(area.level.parentLevel!.rawValue)")
                    }
                }
                if levels[area.code] != nil { throw AppError.invalid("code", "code \(area.code) appears twice in the file") }
                levels[area.code] = area.level
                areas.append(area)
                report.repaired += repairs
            } catch let error as AppError {
                report.rejected.append(.init(line: row.line, field: error.field, reason: error.message))
            } catch {
                report.rejected.append(.init(line: row.line, field: nil, reason: "\(error)"))
            }
        }
        report.accepted = areas.count
        return (areas, report)
    }

    /// A code as the file has it, with the leading zeros a spreadsheet dropped put back for its level.
    public static func code(_ raw: String, level: AreaLevel) -> String {
        SpreadsheetCell.areaCode(raw, length: level.codeLength) ?? raw
    }

    private static func parseRow(_ row: CSV.Row, columnCount: Int) throws(AppError) -> (Area, [CSV.Repair]) {
        guard row.fields.count == columnCount else {
            throw .invalid("row", "expected \(columnCount) fields, found \(row.fields.count)")
        }
        let f = row.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let level = AreaLevel(rawValue: f[2].lowercased()) else {
            throw .invalid("level", "level must be province, district or commune, got '\(f[2])'")
        }
        var repairs: [CSV.Repair] = []
        let code = Self.code(f[0], level: level)
        if code != f[0] { repairs.append(.init(line: row.line, field: "code", from: f[0], to: code)) }
        guard code.count == level.codeLength, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid("code", "a \(level.rawValue) code has \(level.codeLength) digits, got '\(code)'")
        }
        let name = try Text.required(f[1], field: "name", max: 200)
        var parent: String? = f[3].isEmpty ? nil : f[3]
        if let raw = parent, let parentLevel = level.parentLevel {
            parent = Self.code(raw, level: parentLevel)
            if parent != raw { repairs.append(.init(line: row.line, field: "parent_code", from: raw, to: parent!)) }
        }
        if level == .province && parent != nil { throw .invalid("parent_code", "a province has no parent") }
        if level != .province && parent == nil { throw .invalid("parent_code", "a \(level.rawValue) needs its parent's code") }
        var population: Int?
        if columnCount == 5 && !f[4].isEmpty {
            guard let p = Int(f[4]), p >= 0 else { throw .invalid("population", "population must be a whole number ≥ 0, got '\(f[4])'") }
            population = p
        }
        return (Area(code: code, name: name, level: level, parentCode: parent, population: population), repairs)
    }
}
