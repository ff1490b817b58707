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
        // Mobile numbers have 9 national digits; landlines 9–10 (area code + subscriber).
        guard (9...10).contains(national.count) else {
            throw .invalid(field, "\(field) is not a Vietnamese phone number: expected 10 digits starting with 0, e.g. 0912 345 678")
        }
        return "+84" + national
    }
}

