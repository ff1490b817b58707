import Foundation

/// The SQL that states a rule of the domain, shared by both stores (standard SQL, the same in SQLite and PostgreSQL),
/// so the two cannot drift apart.
public enum StoreSQL {
    /// The same person's next check-in after visit `v` that may end it (`Stay.ends`: the same device or card, or a
    /// tracer's or an admin's import), within the longest stay, as `next_checkin`; a later visit in the same second
    /// counts. (A range seek on the person's `(person_id, checkin_at)` index, bounded by `Stay.maximum`.) NULL for a
    /// visit checked out, without seeking: its check-out ends it.
    public static let nextCheckin = nextCheckin(alsoWithin: nil)

    /// The same, with `alsoWithin` (two SQL expressions known before the query runs, such as bound parameters) as
    /// outer bounds of `n.checkin_at` that hold for every row: a store whose visits are split by day plans the seek in
    /// those days only.
    public static func nextCheckin(alsoWithin bounds: (from: String, to: String)?) -> String {
        """
        (CASE WHEN v.checkout_at IS NULL THEN
          (SELECT MIN(n.checkin_at) FROM visits n WHERE n.person_id = v.person_id AND n.checkin_at >= v.checkin_at
            AND n.checkin_at < v.checkin_at + \(Int64(Stay.maximum))\(bounds.map { " AND n.checkin_at >= \($0.from) AND n.checkin_at < \($0.to)" } ?? "")
            AND NOT (n.checkin_at = v.checkin_at AND n.id <= v.id)
            AND (n.source = \(VisitSource.importFile.rawValue) OR (n.device_hash IS NOT NULL AND n.device_hash = v.device_hash)))
        END) AS next_checkin
        """
    }

    /// Whether the visit `alias` may still be present after `from` (an SQL expression): checked in after it, or its
    /// check-out (when open, its check-in plus its venue's default stay) is after it. The effective end
    /// (`Stay.effectiveEnd`) is never later than that, so this drops only visits that had ended — before the next
    /// check-in is sought for them. (The venue by its key, only for an open visit: PostgreSQL, given the venue as a
    /// join here, hashed every venue.)
    public static func mayLastPast(_ alias: String, _ from: String) -> String {
        """
        (\(alias).checkin_at > \(from) OR (CASE WHEN \(alias).checkout_at IS NULL
          THEN \(alias).checkin_at + (SELECT s.default_stay_minutes FROM venues s WHERE s.id = \(alias).venue_id) * 60
          ELSE \(alias).checkout_at END) > \(from))
        """
    }

    /// The venues column that holds an area code of this length (province 2 digits, district 3, commune 5).
    public static func venueAreaColumn(_ code: String) -> String {
        switch code.count {
        case 2: "province_code"
        case 3: "district_code"
        default: "area_code"
        }
    }

    /// Text for a LIKE pattern (with `ESCAPE '\'`), its wildcards taken literally.
    public static func likeEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
