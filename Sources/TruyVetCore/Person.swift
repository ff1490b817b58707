import Foundation

/// A visitor as typed at check-in, validated: NFC name, E.164 phone, optional ID-card number.
public struct PersonInput: Sendable, Equatable {
    public let name: String
    public let phone: String
    public let idNumber: String?

    public static let nameLength = 1...100

    public init(name rawName: String?, phone rawPhone: String?, idNumber rawID: String?) throws(AppError) {
        let name = try Self.name(rawName)
        guard let rawPhone else { throw .missing("phone") }
        self.name = name
        self.phone = try Phone.normalize(rawPhone, field: "phone")
        self.idNumber = try Self.idNumber(rawID)
    }

    init(validatedName: String, phone: String, idNumber: String?) {
        self.name = validatedName
        self.phone = phone
        self.idNumber = idNumber
    }

    /// True for a person recorded by ID card number alone (the staff desk), who has no phone.
    public var hasPhone: Bool { !phone.isEmpty }

    /// Latin letters (with every Vietnamese diacritic) and combining diacritics: accepted in names without a Unicode
    /// property lookup (a test checks every one of them is a letter or a mark).
    public static let latinLetters: [ClosedRange<UInt32>] = [0x41...0x5A, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x24F,
                                                              0x300...0x36F, 0x1E00...0x1EFF]

    /// A person's name: NFC, trimmed, single-spaced, 1–100 characters of letters, spaces, apostrophes, hyphens and dots.
    public static func name(_ rawName: String?, field: String = "name") throws(AppError) -> String {
        let name = try Text.required(rawName, field: field, max: Self.nameLength.upperBound)
        // Letters of any script, combining marks, spaces, apostrophes, hyphens and dots: real names, never formulas.
        let allowed = name.unicodeScalars.allSatisfy { s in
            // Latin letters with any Vietnamese diacritics, without a Unicode property lookup.
            if PersonInput.latinLetters.contains(where: { $0.contains(s.value) }) { return true }
            return switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark: true
            default: s == " " || s == "'" || s == "’" || s == "-" || s == "." || s == "\u{2010}"
            }
        }
        guard allowed, name.contains(where: \.isLetter) else {
            throw .invalid(field, "\(field) may contain letters, spaces, apostrophes, hyphens and dots only")
        }
        return name.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// CCCD (12 digits) or the older CMND (9 digits); spaces and dots are ignored.
    public static func idNumber(_ raw: String?) throws(AppError) -> String? {
        guard let raw else { return nil }
        let digits = raw.filter { $0 != " " && $0 != "." }
        if digits.isEmpty { return nil }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count == 12 || digits.count == 9 else {
            throw .invalid("idNumber", "idNumber must be a 12-digit CCCD (or a 9-digit CMND)")
        }
        return digits
    }
}

/// How long a visit lasts when nobody checked out: the one rule every query uses.
public enum Stay {
    /// No stay lasts longer than this, checked out or not (NHS ends stays at midnight, luca at 24 h).
    public static let maximum: TimeInterval = 24 * 3600

    /// The explicit check-out when there is one; otherwise the earliest of check-in + the venue's default stay,
    /// the same person's next check-in that may end it (`ends`; a later one in the same second ends it at once), and
    /// check-in + 24 h. Never before the check-in, never past 24 h.
    public static func effectiveEnd(checkin: Date, checkout: Date?, defaultStayMinutes: Int, nextCheckin: Date?) -> Date {
        let cap = checkin.addingTimeInterval(maximum)
        if let checkout { return min(max(checkout, checkin), cap) }
        var end = min(checkin.addingTimeInterval(TimeInterval(defaultStayMinutes) * 60), cap)
        if let nextCheckin, nextCheckin >= checkin { end = min(end, nextCheckin) }
        return end
    }

    /// Whether a later check-in of the same person may end an earlier open visit: only when both came from the same
    /// device or personal card, or the later one is a tracer's or admin's import. Anything that the phone number alone
    /// lets anyone make (another device, a bare API call, a venue's own import) never shortens a recorded visit: a
    /// missed contact costs more than an extra call.
    public static func ends(earlierDevice: Data?, laterDevice: Data?, laterSource: VisitSource) -> Bool {
        if laterSource.isTrusted { return true }
        guard let earlierDevice, let laterDevice else { return false }
        return earlierDevice == laterDevice
    }
}
