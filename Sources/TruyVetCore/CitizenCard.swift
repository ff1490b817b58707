import Foundation

/// The text of the QR code printed on a chip-based citizen ID card (CCCD):
/// `ID number|old ID number|full name|birth date ddmmyyyy|sex|address|issue date ddmmyyyy`. The staff desk takes the
/// ID number and the name from it, so that a person without a phone or a TruyVet card can still be recorded.
public struct CitizenCard: Sendable, Equatable {
    public let idNumber: String
    public let name: String
    public let birthDate: String

    /// Whether a scanned text is meant as a citizen card (it has the card's separators) rather than a TruyVet code.
    public static func looksLikeOne(_ text: String) -> Bool { text.contains("|") }

    public static func parse(_ raw: String, field: String = "code") throws(AppError) -> CitizenCard {
        let parts = raw.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 7 else {
            throw .invalid(field, "a citizen ID card's QR code has 7 parts separated by |; this one has \(parts.count)")
        }
        guard parts[0].count == 12, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid(field, "the card's ID number must be 12 digits")
        }
        let name: String
        do { name = try PersonInput.name(parts[2], field: field) } catch { throw .invalid(field, "the card's name is not a person's name") }
        for (index, what) in [(3, "birth date"), (6, "issue date")] {
            let d = parts[index]
            guard d.count == 8, d.allSatisfy({ $0.isASCII && $0.isNumber }), let day = Int(d.prefix(2)), let month = Int(d.dropFirst(2).prefix(2)),
                  let year = Int(d.suffix(4)), (1...12).contains(month), (1900...2100).contains(year),
                  day >= 1, day <= Instant.daysIn(month: month, year: year) else {
                throw .invalid(field, "the card's \(what) must be a date ddmmyyyy")
            }
        }
        return CitizenCard(idNumber: parts[0], name: name, birthDate: parts[3])
    }
}

extension PersonInput {
    /// A person recorded by ID card number alone (no phone): the ID number is then the person's key.
    public init(name rawName: String?, idNumber rawID: String?) throws(AppError) {
        guard let id = try Self.idNumber(rawID) else { throw .missing("idNumber") }
        self.init(validatedName: try Self.name(rawName), phone: "", idNumber: id)
    }
}
