import Foundation

/// Instants: accepted as ISO 8601 with an offset, stored in UTC; days and clocks shown to people are in Vietnam time.
public enum Instant {
    /// Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
    public static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// `2021-11-19T08:30:00+07:00`, `2021-11-19T01:30:00Z`, with or without fractional seconds. No offset → error.
    public static func parse(_ raw: String, field: String) throws(AppError) -> Date {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = fractional.date(from: text) { return d }
        throw .invalid(field, "\(field) must be ISO 8601 with an offset, e.g. 2021-11-19T08:30:00+07:00, got '\(raw)'")
    }

    /// `2021-11-19T08:30:00+07:00`.
    public static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = zone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// `08:30 19/11/2021`, for pages people read.
    public static func readable(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%02d:%02d %02d/%02d/%04d", c.hour!, c.minute!, c.day!, c.month!, c.year!)
    }

    public static var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c
    }

    /// The local day (`YYYY-MM-DD`) of an instant.
    public static func day(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
