import Foundation

/// Clusters found from the data rather than built by hand: a venue where two or more confirmed cases were present
/// within their infectious windows, each within `days` of another's presence there (overlapping in time or not).
public enum Clusters {
    /// The default gap, in days, between one case's presence at a venue and the next that still joins the cluster.
    public static let defaultDays = 7.0

    /// A case's presence at a venue, clipped to the case's infectious window.
    public struct CasePresence: Sendable, Equatable, Hashable {
        public let caseID: Int64
        public let presence: Presence
        public init(caseID: Int64, presence: Presence) {
            self.caseID = caseID
            self.presence = presence
        }
    }

    /// Two cases at the venue at overlapping times: a likely transmission link.
    public struct Link: Sendable, Equatable, Hashable {
        public let caseA: Int64
        public let caseB: Int64
        public let from: Date
        public let to: Date
        public init(caseA: Int64, caseB: Int64, from: Date, to: Date) {
            self.caseA = caseA
            self.caseB = caseB
            self.from = from
            self.to = to
        }
    }

    public struct Cluster: Sendable, Equatable {
        public let venueID: Int64
        /// Oldest first.
        public let presences: [CasePresence]
        /// The cases in the order of their first presence.
        public var caseIDs: [Int64] {
            var seen = Set<Int64>()
            return presences.map(\.caseID).filter { seen.insert($0).inserted }
        }
        public var from: Date { presences.map(\.presence.start).min()! }
        public var to: Date { presences.map(\.presence.end).max()! }

        /// Pairs of different cases whose presences overlap, each pair once with its longest shared stretch.
        public var links: [Link] {
            var best: [String: Link] = [:]
            for (i, a) in presences.enumerated() {
                for b in presences[(i + 1)...] where b.caseID != a.caseID {
                    let from = max(a.presence.start, b.presence.start), to = min(a.presence.end, b.presence.end)
                    guard to > from else { continue }
                    let (x, y) = a.caseID < b.caseID ? (a.caseID, b.caseID) : (b.caseID, a.caseID)
                    let key = "\(x)-\(y)"
                    if let old = best[key], old.to.timeIntervalSince(old.from) >= to.timeIntervalSince(from) { continue }
                    best[key] = Link(caseA: x, caseB: y, from: from, to: to)
                }
            }
            return best.values.sorted { ($0.from, $0.caseA, $0.caseB) < ($1.from, $1.caseA, $1.caseB) }
        }
    }

    /// At each venue, the presences in time order, split where the next begins more than `days` after every earlier
    /// one has ended; a part with two or more cases is a cluster. Venues by id, clusters oldest first.
    public static func find(_ presences: [CasePresence], days: Double = defaultDays) -> [Cluster] {
        let gap = days * 86_400
        var out: [Cluster] = []
        for (venue, list) in Dictionary(grouping: presences, by: \.presence.venueID).sorted(by: { $0.key < $1.key }) {
            let sorted = list.sorted { ($0.presence.start, $0.caseID, $0.presence.visitID) < ($1.presence.start, $1.caseID, $1.presence.visitID) }
            var run: [CasePresence] = []
            var reach = Date.distantPast
            func close() {
                if Set(run.map(\.caseID)).count >= 2 { out.append(Cluster(venueID: venue, presences: run)) }
                run = []
            }
            for p in sorted {
                if !run.isEmpty && p.presence.start.timeIntervalSince(reach) > gap { close() }
                if run.isEmpty { reach = p.presence.end }
                run.append(p)
                reach = max(reach, p.presence.end)
            }
            close()
        }
        return out
    }
}
