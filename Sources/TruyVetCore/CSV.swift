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
    /// return is prefixed with `'` so it is read as text, never as a formula (`+84912345678` → `'+84912345678`).
    public static func cell(_ value: String) -> String {
        var v = value
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
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
}

