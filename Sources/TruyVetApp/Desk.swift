import Foundation
import TruyVetCore

/// The staff desk at a venue's door, for people without a smartphone: a scanned personal card or citizen ID card, or a
/// short form typed by staff. Recorded as `staff` check-ins of the venue whose session or token it is.
extension TruyVet {
    public struct DeskResult: Sendable {
        public let receipt: Receipt
        public let person: OpenedPerson
        public let checkedOut: Bool
    }

    func requireDesk(_ principal: Principal, _ venue: Venue) throws(AppError) {
        guard principal.mayManage(venue: venue.id) else { throw AppError.forbidden("this session cannot use venue \(venue.id)'s desk") }
    }

    /// A code typed or scanned at the desk: a TruyVet personal card (in or out), or the QR text of a citizen ID card
    /// (in; out when the card's holder is inside).
    public func deskScan(_ raw: String?, action: ScanAction, venue: Venue, by principal: Principal, now: Date = Date()) async throws -> DeskResult {
        try requireDesk(principal, venue)
        let text = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AppError.missing("code") }
        if CitizenCard.looksLikeOne(text) {
            let card = try CitizenCard.parse(text)
            if action == .checkout {
                guard let open = try await present(venue: venue, now: now).last(where: { $0.person.idNumber == card.idNumber }) else {
                    throw AppError(.conflict, code: "not_checked_in", message: "the card holder has no open visit at this venue", field: "code")
                }
                let receipt = try await checkout(visitRef: open.ref, secret: nil, principal: principal, now: now)
                return DeskResult(receipt: receipt, person: open.person, checkedOut: true)
            }
            // The card is the "device": scanning it again while its holder is inside answers the same visit.
            return try await deskCheckin(try PersonInput(name: card.name, idNumber: card.idNumber), venue: venue, now: now,
                                         device: cipher.lookupHash("citizen card", card.idNumber))
        }
        guard cardHash(text) != nil else {
            throw AppError.invalid("code", "this is neither a TruyVet personal card nor a citizen ID card's QR code")
        }
        let (receipt, holder) = try await scan(card: text, action: action, venue: venue, now: now)
        return DeskResult(receipt: receipt, person: try open(holder), checkedOut: action == .checkout)
    }

    /// The short form: a name, and a phone or an ID card number (or both).
    public func deskCheckin(name: String?, phone: String?, idNumber: String?, venue: Venue, by principal: Principal,
                            now: Date = Date()) async throws -> DeskResult {
        try requireDesk(principal, venue)
        let phone = phone?.trimmingCharacters(in: .whitespaces) ?? ""
        let person = phone.isEmpty && !(idNumber ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            ? try PersonInput(name: name, idNumber: idNumber)
            : try PersonInput(name: name, phone: phone.isEmpty ? nil : phone, idNumber: idNumber)
        return try await deskCheckin(person, venue: venue, now: now, device: nil)
    }

    func deskCheckin(_ person: PersonInput, venue: Venue, now: Date, device: Data?) async throws -> DeskResult {
        let receipt = try await checkin(venue: venue, person: person, now: now, source: .staff, device: device)
        return DeskResult(receipt: receipt, person: OpenedPerson(name: person.name, phone: person.phone, idNumber: person.idNumber), checkedOut: false)
    }
}
