import Foundation

/// Something a venue and tracers should look at: a burst of check-ins, more people than capacity.
public struct Flag: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// More check-ins in a minute than the venue's capacity or its usual rate allows.
        case checkinBurst = "checkin_burst"
    }
    public var venueID: Int64
    public var at: Date
    public var kind: Kind
    public var detail: String

    public init(venueID: Int64, at: Date, kind: Kind, detail: String) {
        self.venueID = venueID
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}
