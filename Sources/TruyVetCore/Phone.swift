import Foundation

/// Vietnamese phone numbers normalised to E.164 (`0912 345 678` → `+84912345678`).
public enum Phone {
    /// Accepts spaces, dots, dashes and parentheses as separators; a leading `0`, `84`, `+84` or `0084`
    /// for Vietnam; other `+` country codes are kept as they are (7–15 digits in all).
    public static func normalize(_ raw: String, field: String = "phone") throws(AppError) -> String {
        var digits = ""
        var plus = false
        for (i, ch) in Text.trimmed(raw).enumerated() {
            if ch == "+" && i == 0 { plus = true; continue }
            if ch.isASCII, ch.isNumber { digits.append(ch); continue }
            if " .-()".contains(ch) { continue }
            throw .invalid(field, "\(field) may contain only digits, spaces, dots, dashes, parentheses and a leading +")
        }
        if !plus && digits.hasPrefix("00") { digits.removeFirst(2); plus = true }
        var national: String
        if plus {
            guard digits.hasPrefix("84") else {
                guard (7...15).contains(digits.count) else { throw .invalid(field, "\(field) must have 7 to 15 digits") }
                return "+" + digits
            }
            national = String(digits.dropFirst(2))
        } else if digits.hasPrefix("0") {
            national = String(digits.dropFirst())
        } else if digits.hasPrefix("84") && digits.count >= 11 {
            national = String(digits.dropFirst(2))
        } else {
            throw .invalid(field, "\(field) must start with 0 or +84 (Vietnam) or + and a country code")
        }
        if national.hasPrefix("0") { national.removeFirst() }
        guard isVietnamese(national) else {
            throw .invalid(field, "\(field) is not a Vietnamese phone number: expected a 10-digit mobile (e.g. 0912 345 678) or an 11-digit landline starting with 02 (e.g. 0209 387 0123)")
        }
        return "+84" + national
    }

    /// Vietnam's numbering since 2018: mobiles are 9 national digits with a network prefix (03x, 05x, 07x, 08x, 09x);
    /// landlines are 10 national digits starting with 2 (a 2xx area code and the subscriber).
    static func isVietnamese(_ national: String) -> Bool {
        let d = Array(national.utf8).map { Int($0) - 48 }
        guard d.allSatisfy({ (0...9).contains($0) }) else { return false }
        if d.count == 10 { return d[0] == 2 }
        guard d.count == 9 else { return false }
        switch d[0] {
        case 3: return d[1] >= 2
        case 5: return [2, 5, 6, 8, 9].contains(d[1])
        case 7: return d[1] == 0 || d[1] >= 6
        case 8: return d[1] >= 1
        case 9: return true
        default: return false
        }
    }
}
