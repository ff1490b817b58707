import Foundation

/// Validation of free text typed by people: NFC-normalised, trimmed, bounded, no control characters.
public enum Text {
    public static func clean(_ raw: String?, field: String, max: Int, required: Bool = true) throws(AppError) -> String? {
        guard let raw else {
            if required { throw .missing(field) }
            return nil
        }
        let value = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty {
            if required { throw .invalid(field, "\(field) must not be empty") }
            return nil
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format && $0 != "\u{200D}" }) {
            throw .invalid(field, "\(field) must not contain control characters")
        }
        if value.count > max {
            throw .invalid(field, "\(field) must be at most \(max) characters, got \(value.count)")
        }
        return value
    }

    public static func required(_ raw: String?, field: String, max: Int) throws(AppError) -> String {
        try clean(raw, field: field, max: max, required: true)!
    }
}
