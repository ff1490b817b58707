import Foundation

/// RFC 4180 CSV: the one reader and the one writer of the product.
public enum CSV {
    public struct Row: Sendable, Equatable {
        /// 1-based line number where the record starts in the input.
        public let line: Int
        public let fields: [String]
    }

    public struct ParseError: Error, Equatable, Sendable {
        public let line: Int
        public let message: String
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// Parses text into records. Quoted fields may contain commas, quotes (`""`) and line breaks.
    /// A leading UTF-8 BOM is skipped; blank lines are skipped.
    public static func parse(_ text: String) throws(ParseError) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quotedField = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            quotedField = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            } else {
                switch b {
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    if b == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                    endRecord()
                    line += 1
                    recordLine = line
                case UInt8(ascii: "\""):
                    guard field.isEmpty && !quotedField else {
                        throw ParseError(line: line, message: "a quote inside an unquoted field; quote the whole field and double inner quotes")
                    }
                    inQuotes = true
                    quotedField = true
                default:
                    if quotedField {
                        throw ParseError(line: line, message: "text after a closing quote; expected a comma or the end of the line")
                    }
                    field.append(b)
                }
            }
            i += 1
        }
        if inQuotes { throw ParseError(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return rows
    }

    /// One cell, safe to open in a spreadsheet: a value starting with `=`, `+`, `-`, `@`, tab or carriage
    /// return is prefixed with `'` so it is read as text, never as a formula (`+84912345678` → `'+84912345678`), and a
    /// value holding a separator, a quote or a line break is quoted.
    public static func cell(_ value: String) -> String {
        var v = value
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        // Quoted whenever it holds a separator: `,` and also `;`, the list separator of spreadsheets set up for
        // Vietnamese (and much of Europe), where `Quán A;=1+1` would otherwise split into a live formula cell.
        if v.contains(where: { $0 == "," || $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\t" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    /// A whole table with a header row, lines ended by CRLF (RFC 4180).
    public static func render(header: [String], rows: [[String]]) -> String {
        var out = header.map(cell).joined(separator: ",") + "\r\n"
        for row in rows { out += row.map(cell).joined(separator: ",") + "\r\n" }
        return out
    }

    /// A cell an import changed: what the file had and what was stored.
    public struct Repair: Sendable, Codable, Equatable {
        public let line: Int
        public let field: String
        public let from: String
        public let to: String
        public init(line: Int, field: String, from: String, to: String) {
            self.line = line
            self.field = field
            self.from = from
            self.to = to
        }
    }
}

/// What spreadsheets do to the cells people type, undone where it is certain: numbers lose their leading zeros
/// (`01852` → `1852`, `0912345678` → `912345678`) and dates are written `dd/mm/yyyy` in Vietnamese settings.
public enum SpreadsheetCell {
    /// An area code with its leading zeros back when its length tells which kind it was: 1 digit is a province
    /// (`6` → `06`), 4 digits a commune (`1852` → `01852`); `length` (2, 3 or 5) pads to that length. nil: as it is.
    public static func areaCode(_ raw: String, length: Int? = nil) -> String? {
        guard !raw.isEmpty, raw.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let target = length ?? (raw.count == 1 ? 2 : raw.count == 4 ? 5 : raw.count)
        guard raw.count < target else { return nil }
        return String(repeating: "0", count: target - raw.count) + raw
    }

    /// A Vietnamese mobile or landline whose leading 0 was dropped (`912345678` → `0912345678`); nil: as it is.
    public static func phone(_ raw: String) -> String? {
        let digits = raw.filter { $0 != " " && $0 != "." && $0 != "-" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let first = digits.first else { return nil }
        if digits.count == 9, "35789".contains(first) { return "0" + digits }
        if digits.count == 10, first == "2" { return "0" + digits }
        return nil
    }

    /// `YYYY-MM-DD` or `dd/mm/yyyy` (also `d/m/yyyy`).
    public static func day(_ raw: String, field: String) throws(AppError) -> Day {
        if let (d, m, y) = slashDate(Substring(raw)) {
            guard let day = Day(String(format: "%04d-%02d-%02d", y, m, d)) else { throw .invalid(field, "\(field) is not a date: '\(raw)'") }
            return try Day.parse(day.description, field: field)
        }
        return try Day.parse(raw, field: field)
    }

    /// ISO 8601 with an offset, or `dd/mm/yyyy HH:mm[:ss]` in Vietnam time.
    public static func instant(_ raw: String, field: String) throws(AppError) -> Date {
        let parts = raw.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, let (d, m, y) = slashDate(parts[0]) {
            let time = parts[1].split(separator: ":")
            guard (2...3).contains(time.count), let h = Int(time[0]), let mi = Int(time[1]), let s = time.count == 3 ? Int(time[2]) : 0,
                  (0..<24).contains(h), (0..<60).contains(mi), (0..<60).contains(s) else {
                throw .invalid(field, "\(field) must be ISO 8601 with an offset or dd/mm/yyyy HH:mm (Vietnam time), got '\(raw)'")
            }
            return try Instant.parse(String(format: "%04d-%02d-%02dT%02d:%02d:%02d+07:00", y, m, d, h, mi, s), field: field)
        }
        return try Instant.parse(raw, field: field)
    }

    private static func slashDate(_ raw: Substring) -> (Int, Int, Int)? {
        let p = raw.split(separator: "/")
        guard p.count == 3, (1...2).contains(p[0].count), (1...2).contains(p[1].count), p[2].count == 4,
              let d = Int(p[0]), let m = Int(p[1]), let y = Int(p[2]) else { return nil }
        return (d, m, y)
    }
}
