import Foundation

/// Validation of free text typed by people: NFC-normalised, trimmed, bounded, no control characters.
public enum Text {
    public static func clean(_ raw: String?, field: String, max: Int, required: Bool = true) throws(AppError) -> String? {
        guard let raw else {
            if required { throw .missing(field) }
            return nil
        }
        // Bounded in bytes before any normalisation (a letter with 450,000 combining marks is one "character").
        guard raw.utf8.count <= max * maxBytesPerCharacter * 2 else { throw tooLong(field, max) }
        let value = trimmed(nfc(raw))
        if value.isEmpty {
            if required { throw .invalid(field, "\(field) must not be empty") }
            return nil
        }
        if !value.unicodeScalars.allSatisfy(plainLatin),
           value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format && $0 != "\u{200D}" }) {
            throw .invalid(field, "\(field) must not contain control characters")
        }
        if value.count > max || value.utf8.count > max * maxBytesPerCharacter { throw tooLong(field, max) }
        if !value.unicodeScalars.allSatisfy({ $0.value < 0x300 || (0x1E00...0x1EFF).contains($0.value) }) {
            for character in value where character.unicodeScalars.count > 1 + maxMarks {
                let marks = character.unicodeScalars.dropFirst().filter(isMark).count
                if marks > maxMarks {
                    throw .invalid(field, "\(field) has a letter with \(marks) accents or marks; at most \(maxMarks) are allowed")
                }
            }
        }
        return value
    }

    /// A character of text people type takes at most this many bytes in UTF-8 (after NFC), on average.
    public static let maxBytesPerCharacter = 4
    /// Combining marks on one letter (Vietnamese needs two at most: ệ is e + circumflex + dot below).
    public static let maxMarks = 3

    static func isMark(_ s: Unicode.Scalar) -> Bool {
        if (0x300...0x36F).contains(s.value) { return true }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func tooLong(_ field: String, _ max: Int) -> AppError {
        .invalid(field, "\(field) must be at most \(max) characters (\(max * maxBytesPerCharacter) bytes in UTF-8)")
    }

    /// NFC. Text with no scalar that NFC could change (below U+0300, or precomposed Latin letters U+1E00–U+1EFF,
    /// which is all of Vietnamese as phones type it) is returned as it is, without a round trip through Foundation.
    public static func nfc(_ s: String) -> String {
        if s.unicodeScalars.allSatisfy({ $0.value < 0x300 || (0x1E00...0x1EFF).contains($0.value) }) { return s }
        return s.precomposedStringWithCanonicalMapping
    }

    /// Printable ASCII, Latin-1 and Latin Extended-A/B (but the soft hyphen), combining diacritics, and Latin Extended
    /// Additional (all of Vietnamese): no control or format character among them, so no Unicode property lookup.
    public static func plainLatin(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20...0x7E, 0xA0...0xAC, 0xAE...0x24F, 0x300...0x36F, 0x1E00...0x1EFF: true
        default: false
        }
    }

    static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f.isWhitespace { sub.removeFirst() }
        while let l = sub.last, l.isWhitespace { sub.removeLast() }
        return String(sub)
    }

    public static func required(_ raw: String?, field: String, max: Int) throws(AppError) -> String {
        try clean(raw, field: field, max: max, required: true)!
    }
}
