import Foundation

/// Instants: accepted as ISO 8601 with an offset, stored in UTC; days and clocks shown to people are in Vietnam time.
/// Vietnam has kept UTC+7 without daylight saving since 1975, so local time is plain arithmetic here: no formatter
/// objects on the check-in path.
public enum Instant {
    /// Asia/Ho_Chi_Minh.
    public static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: offset)!
    public static let offset = 7 * 3600

    /// `2021-11-19T08:30:00+07:00`, `2021-11-19T01:30:00Z`, with or without fractional seconds (RFC 3339).
    /// No offset, or an impossible date, is an error naming `field`.
    /// `bounded`: the date must be plausible (`checkPlausible`); only calendar tests turn that off.
    public static func parse(_ raw: String, field: String, bounded: Bool = true) throws(AppError) -> Date {
        guard let date = parseRFC3339(Array(raw.trimmingCharacters(in: .whitespaces).utf8)) else {
            throw .invalid(field, "\(field) must be ISO 8601 with an offset, e.g. 2021-11-19T08:30:00+07:00, got '\(raw)'")
        }
        if bounded { try checkPlausible(date, field: field) }
        return date
    }

    /// The first day any date the product takes may fall on (the first cases were reported at the end of 2019).
    public static let earliest = Day(number: daysFromCivil(2019, 1, 1))
    /// Dates run at most this far ahead of today (an announcement for next week, a quarantine's end).
    public static let horizonDays = 366

    /// 2019-01-01 (local) to a year from now: a year 0001 or 9999 is a typing slip, never a real date here.
    public static func checkPlausible(_ date: Date, field: String, now: Date = Date()) throws(AppError) {
        let latest = Day(now).adding(horizonDays)
        guard date >= earliest.start, date < latest.adding(1).start else {
            throw .invalid(field, "\(field) must be between \(earliest) and \(latest)")
        }
    }

    private static func parseRFC3339(_ b: [UInt8]) -> Date? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += n
            return v
        }
        func expect(_ chars: [UInt8]) -> Bool {
            guard i < b.count, chars.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect([0x2D]), let mo = digits(2), expect([0x2D]), let d = digits(2),
              expect([0x54, 0x74, 0x20]), let h = digits(2), expect([0x3A]), let mi = digits(2), expect([0x3A]), let s = digits(2),
              (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60, s < 61 else { return nil }
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds = 0
        if expect([0x5A, 0x7A]) {
            offsetSeconds = 0
        } else if i < b.count, b[i] == 0x2B || b[i] == 0x2D {
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2), expect([0x3A]), let om = digits(2), oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + min(s, 59) - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// `2021-11-19T08:30:00+07:00` (whole seconds).
    public static func format(_ date: Date) -> String {
        let (y, mo, d, h, mi, s) = local(date)
        return "\(pad(y, 4))-\(pad(mo))-\(pad(d))T\(pad(h)):\(pad(mi)):\(pad(s))+07:00"
    }

    /// `21/11/2021 14:05`: local time as Vietnamese spreadsheets write it.
    public static func spreadsheet(_ date: Date) -> String {
        let (y, mo, d, h, mi, _) = local(date)
        return "\(pad(d))/\(pad(mo))/\(pad(y, 4)) \(pad(h)):\(pad(mi))"
    }

    /// `08:30 19/11/2021`, for pages people read.
    public static func readable(_ date: Date) -> String {
        let (y, mo, d, h, mi, _) = local(date)
        return "\(pad(h)):\(pad(mi)) \(pad(d))/\(pad(mo))/\(pad(y, 4))"
    }

    /// `10:30–11:00 19/11/2021` (or both ends in full when the interval spans midnight), for pages people read.
    public static func readable(from: Date, to: Date) -> String {
        guard day(from) == day(to) else { return "\(readable(from)) – \(readable(to))" }
        let (y, mo, d, h, mi, _) = local(from), (_, _, _, h2, mi2, _) = local(to)
        return "\(pad(h)):\(pad(mi))–\(pad(h2)):\(pad(mi2)) \(pad(d))/\(pad(mo))/\(pad(y, 4))"
    }

    /// `2021-11-19T08:30`: the value of a browser's local date-and-time field, in Vietnam's time.
    public static func localInput(_ date: Date) -> String {
        let (y, mo, d, h, mi, _) = local(date)
        return "\(pad(y, 4))-\(pad(mo))-\(pad(d))T\(pad(h)):\(pad(mi))"
    }

    /// A browser's local date-and-time value (`2021-11-19T08:30`, seconds optional) as an instant in Vietnam's time
    /// (`…+07:00`); anything else is returned unchanged, for `parse` to accept or name.
    public static func fromLocalInput(_ raw: String) -> String {
        let chars = Array(raw.utf8)
        guard chars.count == 16 || chars.count == 19, chars.count > 10, chars[10] == UInt8(ascii: "T"),
              !raw.contains("+"), !raw.hasSuffix("Z") else { return raw }
        return raw + (chars.count == 16 ? ":00" : "") + "+07:00"
    }

    /// The local day (`YYYY-MM-DD`) of an instant.
    public static func day(_ date: Date) -> String {
        let (y, mo, d, _, _, _) = local(date)
        return "\(pad(y, 4))-\(pad(mo))-\(pad(d))"
    }

    private static func local(_ date: Date) -> (Int, Int, Int, Int, Int, Int) {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        let (y, m, d) = civilFromDays(days)
        return (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    private static func pad(_ n: Int, _ width: Int = 2) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// A local calendar day in Vietnam (`YYYY-MM-DD`), as a day number for arithmetic.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let number: Int

    public init(number: Int) { self.number = number }

    /// Strict `YYYY-MM-DD`; nil otherwise.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func n(_ r: Range<Int>) -> Int? {
            var v = 0
            for k in r { guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }; v = v * 10 + Int(b[k] - 0x30) }
            return v
        }
        guard let y = n(0..<4), let m = n(5..<7), let d = n(8..<10), (1...12).contains(m), d >= 1, d <= Instant.daysIn(month: m, year: y) else { return nil }
        number = Instant.daysFromCivil(y, m, d)
    }

    /// `YYYY-MM-DD`, from 2019 to a year ahead.
    public static func parse(_ text: String, field: String) throws(AppError) -> Day {
        guard let day = Day(text) else { throw .invalid(field, "\(field) must be a date YYYY-MM-DD, e.g. 2021-11-19, got '\(text)'") }
        try Instant.checkPlausible(day.start, field: field)
        return day
    }

    /// The local day of an instant.
    public init(_ date: Date) {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + Instant.offset
        number = t >= 0 ? t / 86400 : (t - 86399) / 86400
    }

    public func adding(_ days: Int) -> Day { Day(number: number + days) }
    /// 00:00 of this day in Vietnam.
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(number * 86400 - Instant.offset)) }
    public var description: String {
        let (y, m, d) = Instant.civilFromDays(number)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
    public static func < (a: Day, b: Day) -> Bool { a.number < b.number }
}
