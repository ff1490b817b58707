import Foundation
import TruyVetCore
import TruyVetQR

/// Personal QR cards, for people without a smartphone: staff scan the card to check its holder in or out.
/// The code is random (only its keyed hash is stored) and carries nothing about the person; it lets a venue record the
/// holder's presence and reads nothing. A card keeps what was declared for it: issuing one never changes what is
/// stored about a person, and the answer is the same whether the phone was known or not.
extension TruyVet {
    static let cardPrefix = "TVP2-"

    /// The stored lookup hash of a card code (also the "device" of the visits the card makes); nil for anything that is
    /// not shaped like a card code.
    func cardHash(_ code: String) -> Data? {
        let text = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(Self.cardPrefix) else { return nil }
        let random = String(text.dropFirst(Self.cardPrefix.count))
        guard random.utf8.count == 22, let bytes = Base64URL.decode(random), bytes.count == 16 else { return nil }
        return cipher.lookupHash("card", random)
    }

    public struct Card: Sendable {
        public let code: String
        public let pdf: [UInt8]
        /// The holder's check-in when a venue issued the card at its door.
        public let receipt: Receipt?
    }

    /// Issues a card: an ID-1 sized PDF with the QR code 4 cm wide. Ward offices, tracers and admins issue cards to
    /// anyone; a venue's own token issues them only at its door, so the holder is checked in there at the same time.
    public func issueCard(_ person: PersonInput, by principal: Principal, now: Date = Date()) async throws -> Card {
        let random = Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        let code = Self.cardPrefix + random
        let hash = cipher.lookupHash("card", random)
        let sealed = seal(person)
        let door: Venue? = principal.role == .venue ? try await venue(principal.venueID ?? 0) : nil
        _ = try await store.addCard(codeHash: hash, person: sealed, at: now)
        var receipt: Receipt?
        if let door { receipt = try await checkin(venue: door, person: sealed, now: now, source: .staff, device: hash) }
        let pdf = try Poster.card(PersonalCard(holder: person.name, phoneHint: "••• " + person.phone.suffix(3), payload: code))
        return Card(code: code, pdf: pdf, receipt: receipt)
    }

    public enum ScanAction: String, Sendable { case checkin = "in", checkout = "out" }

    /// A venue scanned a personal card: check the holder in, or out of the open visit this card made here. Answers the
    /// receipt and what was declared for the card.
    public func scan(card code: String, action: ScanAction, venue: Venue, now: Date = Date()) async throws -> (receipt: Receipt, holder: SealedPerson) {
        guard let hash = cardHash(code), let card = try await store.useCard(codeHash: hash, at: now) else {
            throw AppError.invalid("code", "this is not a valid TruyVet personal card")
        }
        switch action {
        case .checkin:
            return (try await checkin(venue: venue, person: card.declared, now: now, source: .staff, device: hash), card.declared)
        case .checkout:
            guard let visit = try await store.latestVisit(personID: card.personID, device: hash), visit.venueID == venue.id, visit.checkoutAt == nil,
                  now < Stay.effectiveEnd(checkin: visit.checkinAt, checkout: nil, defaultStayMinutes: venue.defaultStayMinutes, nextCheckin: nil) else {
                throw AppError(.conflict, code: "not_checked_in", message: "the card holder has no open visit at this venue", field: "code")
            }
            guard let updated = try await store.checkout(visitID: visit.id, at: now) else { throw AppError.notFound("visit") }
            return (receipt(.alreadyOpen(updated), venue: venue), card.declared)
        }
    }
}

