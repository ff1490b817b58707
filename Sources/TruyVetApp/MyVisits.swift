import Foundation
import TruyVetCore

/// A visitor's own history, with no account: the check-ins made from this device (the browser's cookie or an app's
/// device token, both stored only as keyed hashes), each marked when it overlaps a window a tracer published. Nothing
/// in it comes from another device or says anything about anyone else.
extension TruyVet {
    public struct MyVisit: Sendable {
        public let visit: Visit
        public let ref: String
        public let checkoutSecret: String
        public let venue: Venue
        /// The venue's commune and district.
        public let place: String
        /// Still inside (no check-out, and the venue's usual stay has not ended).
        public let open: Bool
        /// The stay as tracing counts it (check-out, or the usual stay, or the next check-in from the same device).
        public let end: Date
        /// The parts of this stay inside published exposure windows at this venue.
        public let exposures: [ExposureWindow]
    }

    public struct History: Sendable {
        public let visits: [MyVisit]
        public let since: Date
        /// How many days back it reaches: the retention.
        public let days: Int
        public let advice: ExposureAdvice
    }

    /// What the health department tells a visitor whose visit overlaps an exposure window.
    public struct ExposureAdvice: Sendable, Equatable {
        public var vi: String
        public var en: String

        public static let standard = ExposureAdvice(
            vi: "Theo dõi sức khoẻ trong 14 ngày kể từ lần có mặt này. Nếu sốt, ho, khó thở hoặc mất vị giác: ở nhà, hạn chế tiếp xúc và gọi trạm y tế phường/xã hoặc đường dây nóng 1900 9095 để được hướng dẫn xét nghiệm.",
            en: "Watch your health for 14 days from this visit. If you have a fever, cough, shortness of breath or loss of taste: stay home, limit contact with others and call your commune health station or the 1900 9095 hotline to be told where to get tested.")
        static let viSetting = "exposure_advice_vi"
        static let enSetting = "exposure_advice_en"
        public static let maxLength = 2_000
    }

    /// The device's id as it is kept: a keyed hash.
    public func deviceHash(_ deviceID: String) -> Data { cipher.lookupHash("device", deviceID) }

    /// The check-ins made from this device in the retention window, newest first, with published exposures marked.
    public func history(device: Data?, now: Date = Date()) async throws -> History {
        let kept = try await retentionDays()
        let days = kept > 0 ? kept : Self.defaultRetentionDays
        let since = now.addingTimeInterval(-Double(days) * 86_400)
        var visits: [Visit] = []
        if let device { visits = try await store.deviceVisits(deviceHash: device, since: since, limit: DeviceHistory.maxVisits) }
        // Each visit's stay as tracing counts it, read through the overlap engine's source.
        let people = Array(Set(visits.map(\.personID))).sorted()
        let stays = try await StorePresences(app: self).presences(people: people.map {
            StayRange(id: $0, from: since, to: now.addingTimeInterval(60))
        })
        var presence: [Int64: Presence] = [:]
        for p in stays.joined() { presence[p.visitID] = p }
        var venues: [Int64: Venue] = [:]
        var places: [String: String] = [:]
        var published: [Int64: [PublishedWindow]] = [:]
        var out: [MyVisit] = []
        for visit in visits {
            if venues[visit.venueID] == nil {
                guard let venue = try await self.venues.venue(id: visit.venueID) else { continue }
                venues[visit.venueID] = venue
                published[visit.venueID] = try await store.publishedWindows(venueID: visit.venueID, area: nil, since: since)
            }
            guard let venue = venues[visit.venueID] else { continue }
            if places[venue.areaCode] == nil {
                places[venue.areaCode] = try await areaPath(venue.areaCode).prefix(2).map(\.name).joined(separator: ", ")
            }
            let stay = presence[visit.id] ?? Presence(
                visitID: visit.id, personID: visit.personID, venueID: visit.venueID, start: visit.checkinAt,
                end: Stay.effectiveEnd(checkin: visit.checkinAt, checkout: visit.checkoutAt, defaultStayMinutes: venue.defaultStayMinutes,
                                       nextCheckin: nil),
                category: venue.category)
            // Any shared moment counts, even a stay the next check-in ended at once: a visitor is better told.
            let exposures = (published[visit.venueID] ?? []).compactMap { w -> ExposureWindow? in
                guard stay.start <= w.to, w.from <= stay.end else { return nil }
                return ExposureWindow(from: max(stay.start, w.from), to: min(stay.end, w.to), venueImportedOnly: false)
            }
            out.append(MyVisit(visit: visit, ref: cipher.visitRef(visit.id), checkoutSecret: cipher.secret("checkout", visit.id),
                               venue: venue, place: places[venue.areaCode] ?? "",
                               open: visit.checkoutAt == nil && visit.checkinAt <= now && now < stay.end, end: stay.end,
                               exposures: Self.merged(exposures)))
        }
        return History(visits: out, since: since, days: days, advice: try await exposureAdvice())
    }

    /// "Forget this device": its visits stay for tracing until retention, no longer linked to it; what it declared
    /// for one-tap check-ins is deleted. Returns how many visits were unlinked.
    public func forgetDevice(_ device: Data) async throws -> Int {
        try await store.forgetDevice(device)
    }

    public func exposureAdvice() async throws -> ExposureAdvice {
        ExposureAdvice(vi: try await store.setting(ExposureAdvice.viSetting) ?? ExposureAdvice.standard.vi,
                       en: try await store.setting(ExposureAdvice.enSetting) ?? ExposureAdvice.standard.en)
    }

    /// The health department's text for exposed visitors, in both languages (health officers and admins; audited).
    public func setExposureAdvice(vi: String?, en: String?, by principal: Principal, now: Date = Date()) async throws -> ExposureAdvice {
        try principal.require(.health, .admin)
        func text(_ raw: String?, _ field: String) throws(AppError) -> String {
            let value = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw AppError.missing(field) }
            guard value.count <= ExposureAdvice.maxLength else {
                throw AppError.invalid(field, "\(field) is at most \(ExposureAdvice.maxLength) characters")
            }
            return value
        }
        let advice = ExposureAdvice(vi: try text(vi, "vi"), en: try text(en, "en"))
        try await store.setSetting(ExposureAdvice.viSetting, advice.vi)
        try await store.setSetting(ExposureAdvice.enSetting, advice.en)
        try await audit(principal, action: "exposure_advice.set", caseID: nil, reason: "changed the advice shown to exposed visitors", now: now)
        return advice
    }
}
