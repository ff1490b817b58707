import Foundation

/// A confirmed case's rules: its infectious window and its classification (domain.md §2–3).
public enum CaseRules {
    public struct Settings: Sendable, Equatable {
        /// Days before symptom onset (or before the sample date when asymptomatic) the window opens, at local 00:00.
        public var daysBefore: Int = 2
        public init(daysBefore: Int = 2) { self.daysBefore = daysBefore }
    }

    /// From local 00:00, `daysBefore` days before onset (or the sample date when there is no onset), until isolation
    /// (or confirmation when isolation is unknown). Dates are local days `YYYY-MM-DD`.
    public static func infectiousWindow(sampleDate: String, onsetDate: String?, confirmedAt: Date, isolatedAt: Date?,
                                        settings: Settings = Settings()) throws(AppError) -> (from: Date, to: Date) {
        let field = onsetDate == nil ? "sampleDate" : "onsetDate"
        let day = try localMidnight(onsetDate ?? sampleDate, field: field)
        let from = day.addingTimeInterval(-Double(settings.daysBefore) * 86400)
        let to = isolatedAt ?? confirmedAt
        guard to > from else {
            throw .invalid(isolatedAt == nil ? "confirmedAt" : "isolatedAt", "the infectious window would end before it starts (\(Instant.format(from)))")
        }
        return (from, to)
    }

    /// 00:00 in Vietnam of a `YYYY-MM-DD` day.
    public static func localMidnight(_ day: String, field: String) throws(AppError) -> Date {
        try Instant.parse(day + "T00:00:00+07:00", field: field)
    }

    public enum Classification: String, Sendable, Codable, CaseIterable {
        /// Found in the community: counts for the epidemic level.
        case community
        /// Already under a quarantine recorded here when confirmed.
        case quarantine
        /// Found inside a lockdown zone.
        case lockdown
    }

    /// A tracer's choice wins; otherwise quarantine if a recorded quarantine was active at confirmation, lockdown if
    /// detected in a lockdown zone, community otherwise.
    public static func classify(override: Classification?, quarantinedSince: Date?, quarantineEnds: Date?,
                                detectedInLockdown: Bool, confirmedAt: Date) -> Classification {
        if let override { return override }
        if let since = quarantinedSince, since <= confirmedAt, quarantineEnds.map({ confirmedAt < $0 }) ?? true { return .quarantine }
        return detectedInLockdown ? .lockdown : .community
    }
}
