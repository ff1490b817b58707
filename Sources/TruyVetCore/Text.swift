import Foundation

/// Validation of free text typed by people: NFC-normalised, trimmed, bounded, no control characters.
public enum Text {
    public static func clean(_ raw: String?, field: String, max: Int, required: Bool = true) throws(AppError) -> String? {
        guard let raw else {
            if required { throw .missing(field) }
            return nil
        }
        let value = trimmed(nfc(raw))
        if value.isEmpty {
            if required { throw .invalid(field, "\(field) must not be empty") }
            return nil
        }
        if !value.unicodeScalars.allSatisfy(plainLatin),
           value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format && $0 != "\u{200D}" }) {
            throw .invalid(field, "\(field) must not contain control characters")
        }
        if value.count > max {
            throw .invalid(field, "\(field) must be at most \(max) characters, got \(value.count)")
        }
        return value
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
