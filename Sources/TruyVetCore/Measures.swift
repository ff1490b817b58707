import Foundation

/// What each kind of venue may do at each level (Resolution 128, table 1), as data.
public struct MeasureTable: Codable, Sendable, Equatable {
    public struct Label: Codable, Sendable, Equatable { public var vi: String; public var en: String }
    public struct Activity: Codable, Sendable, Equatable {
        public var id: String
        public var vi: String
        public var en: String
        /// Venue categories this row applies to.
        public var categories: [String]
        /// Level ("1"–"4") → the statuses allowed, strictest first when the table offers a choice ("stop / limited").
        public var levels: [String: [String]]
    }
    public struct Rule: Codable, Sendable, Equatable { public var id: String; public var vi: String; public var en: String }

    public var version: String
    public var statuses: [String: Label]
    public var activities: [Activity]
    /// Rules at every level (e.g. QR check-in).
    public var everyLevel: [Rule]

    public static func parse(_ data: Data, field: String) throws(AppError) -> MeasureTable {
        let table: MeasureTable
        do { table = try JSONDecoder().decode(MeasureTable.self, from: data) } catch { throw .invalid(field, "not a measures table: \(error)") }
        for a in table.activities {
            for c in a.categories where VenueCategory(rawValue: c) == nil { throw .invalid(field, "activity \(a.id): unknown category \(c)") }
            for level in ["1", "2", "3", "4"] {
                guard let s = a.levels[level], !s.isEmpty, s.allSatisfy({ table.statuses[$0] != nil }) else {
                    throw .invalid(field, "activity \(a.id): level \(level) needs statuses from \(table.statuses.keys.sorted().joined(separator: ", "))")
                }
            }
        }
        return table
    }

    /// A venue's measure at a level: its activity row and the statuses allowed.
    public struct Measure: Sendable, Equatable {
        public let activity: Activity?
        public let statuses: [String]
        public let vi: String
        public let en: String
    }

    public func measure(for category: VenueCategory, level: Int) -> Measure {
        guard let activity = activities.first(where: { $0.categories.contains(category.rawValue) }),
              let statuses = activity.levels[String(level)] else {
            return Measure(activity: nil, statuses: [], vi: "Không có quy định riêng; áp dụng các biện pháp chung",
                           en: "No specific measure; general rules apply")
        }
        return Measure(activity: activity, statuses: statuses,
                       vi: statuses.compactMap { self.statuses[$0]?.vi }.joined(separator: " hoặc "),
                       en: statuses.compactMap { self.statuses[$0]?.en }.joined(separator: " or "))
    }
}
