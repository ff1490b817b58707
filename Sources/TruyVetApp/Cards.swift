import Foundation
import TruyVetCore
import TruyVetQR

/// Personal QR cards, for people without a smartphone: staff scan the card to check its holder in or out.
/// The code names a person and carries a MAC; it lets a venue record the holder's presence and reads nothing.
extension TruyVet {
    static let cardPrefix = "TVP1-"

    public func cardCode(personID: Int64) -> String {
        Self.cardPrefix + String(personID, radix: 36).uppercased() + "-" + cipher.secret("card", personID, length: 22)
    }

    /// The person a scanned card stands for; nil for anything forged or malformed.
    public func personID(cardCode code: String) -> Int64? {
        let text = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(Self.cardPrefix) else { return nil }
        let parts = text.dropFirst(Self.cardPrefix.count).split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0], radix: 36), id > 0,
              cipher.verifySecret(String(parts[1]), "card", id, length: 22) else { return nil }
        return id
    }

    public struct Card: Sendable {
        public let personID: Int64
        public let code: String
        public let pdf: [UInt8]
    }

    /// Registers (or updates) the person and renders their card: an ID-1 sized PDF with the QR code 4 cm wide.
    public func issueCard(_ person: PersonInput) async throws -> Card {
        let sealed = seal(person)
        let id = try await store.upsertPerson(sealed)
        let code = cardCode(personID: id)
        let pdf = try Poster.card(PersonalCard(holder: person.name, phoneHint: "••• " + person.phone.suffix(3), payload: code))
        return Card(personID: id, code: code, pdf: pdf)
    }

    public enum ScanAction: String, Sendable { case checkin = "in", checkout = "out" }

    /// A venue scanned a personal card: check the holder in, or out of their open visit here.
    public func scan(card code: String, action: ScanAction, venue: Venue, now: Date = Date()) async throws -> Receipt {
        guard let personID = personID(cardCode: code), let sealed = try await store.person(id: personID) else {
            throw AppError.invalid("code", "this is not a valid TruyVet personal card")
        }
        switch action {
        case .checkin:
            let outcome = try await store.checkin(CheckinRequest(venueID: venue.id, defaultStayMinutes: venue.defaultStayMinutes,
                                                                 person: sealed, at: now, source: .staff, idempotencyKey: nil))
            return receipt(outcome, venue: venue)
        case .checkout:
            guard let visit = try await store.latestVisit(personID: personID), visit.venueID == venue.id, visit.checkoutAt == nil,
                  now < Stay.effectiveEnd(checkin: visit.checkinAt, checkout: nil, defaultStayMinutes: venue.defaultStayMinutes, nextCheckin: nil) else {
                throw AppError(.conflict, code: "not_checked_in", message: "the card holder has no open visit at this venue", field: "code")
            }
            guard let updated = try await store.checkout(visitID: visit.id, at: now) else { throw AppError.notFound("visit \(visit.id)") }
            return receipt(.alreadyOpen(updated), venue: venue)
        }
    }
}
