import Foundation
import TruyVetCore

/// Clusters for tracers, found from check-ins and cases (`Clusters.find`), ranked by cases and then by the people
/// exposed there, with each case's F1 at the venue (the one overlap rule), the likely links between cases, and the
/// tracer's review. Cases appear by id and classification: names only on their own pages.
extension TruyVet {
    public struct ClusterCase: Sendable {
        public let record: CaseRecord
        /// Its presences at the venue (clipped to its infectious window).
        public let presences: [Presence]
        /// People exposed to it there by the overlap rule (other cases of the cluster not counted).
        public let f1: Int
    }

    public struct ClusterReview: Sendable, Equatable {
        public let at: Date
        public let by: String
        public let note: String
        public let caseIDs: [Int64]
    }

    public struct FoundCluster: Sendable {
        public let venue: Venue
        public let place: String
        public let cases: [ClusterCase]
        public let from: Date
        public let to: Date
        /// Distinct people exposed to any of its cases there.
        public let f1: Int
        public let links: [Clusters.Link]
        /// The latest review of this venue's cluster that covers some of its cases, and the cases it did not see.
        public let review: ClusterReview?
        public let newSinceReview: [Int64]
    }

    public struct ClusterList: Sendable {
        public let clusters: [FoundCluster]
        public let since: Date
        public let days: Double
        /// How many cases were looked at, and whether the newest `maxClusterCases` were all of them.
        public let casesConsidered: Int
        public let truncated: Bool
    }

    /// The most cases one cluster search reads (the newest confirmed).
    public static let maxClusterCases = 5_000
    static let clusterReviewAction = "cluster.review"

    /// Clusters at venues of `area` (a province, district or commune; everywhere when nil) among cases whose
    /// infectious window reaches past `since`. Tracers only; audited.
    public func clusters(area: String?, since: Date, days: Double? = nil, by principal: Principal, now: Date = Date()) async throws -> ClusterList {
        try Self.requireContactReader(principal)
        let days = days ?? Clusters.defaultDays
        guard (0...60).contains(days) else { throw AppError.invalid("days", "days must be from 0 to 60") }
        if let area {
            guard let found = try await areaPath(area).first, found.code == area else { throw AppError.invalid("area", "area \(area) is not a known area code") }
        }
        try await audit(principal, action: "clusters", caseID: nil, reason: "listed clusters", now: now,
                        detail: "area=\(area ?? "all") since=\(Instant.format(since)) days=\(days)")
        // Cases newest first, until their confirmation is before `since` (a window never ends after its confirmation).
        var cases: [CaseRecord] = []
        var before: (confirmedAt: Date, id: Int64)? = nil
        var truncated = false
        paging: while true {
            let page = try await store.cases(CaseFilter(before: before, limit: 500))
            for record in page {
                if record.confirmedAt < since && record.windowTo < since { break paging }
                guard cases.count < Self.maxClusterCases else { truncated = true; break paging }
                if record.windowTo >= since { cases.append(record) }
            }
            guard let last = page.last, page.count == 500 else { break }
            before = (last.confirmedAt, last.id)
        }
        // Each case's presences inside its window (from `since`), through the overlap engine's source.
        let source = StorePresences(app: self)
        let windows = cases.map { (from: max($0.windowFrom, since), to: $0.windowTo) }
        let owns = try await source.presences(people: zip(cases, windows).map { StayRange(id: $0.personID, from: $1.from, to: $1.to) })
        var all: [Clusters.CasePresence] = []
        for ((record, window), list) in zip(zip(cases, windows), owns) {
            all += Overlap.clip(list, from: window.from, to: window.to).map { Clusters.CasePresence(caseID: record.id, presence: $0) }
        }
        var found: [(Clusters.Cluster, Venue)] = []
        var venues: [Int64: Venue?] = [:]
        for cluster in Clusters.find(all, days: days) {
            if venues[cluster.venueID] == nil { venues[cluster.venueID] = .some(try await self.venues.venue(id: cluster.venueID)) }
            guard let venue = venues[cluster.venueID] ?? nil else { continue }
            if let area {
                let code = switch area.count { case 2: venue.provinceCode; case 3: venue.districtCode; default: venue.areaCode }
                guard code == area else { continue }
            }
            found.append((cluster, venue))
        }
        // The F1 of each case at the venue: one read of every cluster presence's stretch.
        let rules = config.overlap
        let ranges = found.flatMap { cluster, _ in
            cluster.presences.map { StayRange(id: cluster.venueID, from: $0.presence.start, to: $0.presence.end.addingTimeInterval(rules.bufferMinutes * 60)) }
        }
        var candidates = try await source.presences(venues: ranges).makeIterator()
        let byID = Dictionary(uniqueKeysWithValues: cases.map { ($0.id, $0) })
        let reviews = try await clusterReviews(since: since)
        var places: [String: String] = [:]
        var out: [FoundCluster] = []
        for (cluster, venue) in found {
            let casePeople = Set(cluster.presences.map(\.presence.personID))
            var exposedBy: [Int64: Set<Int64>] = [:]
            for p in cluster.presences {
                let here = candidates.next() ?? []
                for candidate in here where !casePeople.contains(candidate.personID) {
                    if Overlap.exposure(of: candidate, to: p.presence, rules: rules) != nil { exposedBy[p.caseID, default: []].insert(candidate.personID) }
                }
            }
            let members = cluster.caseIDs.compactMap { id in byID[id].map { record in
                ClusterCase(record: record, presences: cluster.presences.filter { $0.caseID == id }.map(\.presence), f1: exposedBy[id]?.count ?? 0)
            } }
            if places[venue.areaCode] == nil { places[venue.areaCode] = try await placeName(venue.areaCode) }
            let ids = Set(cluster.caseIDs)
            let review = reviews[venue.id]?.first { !ids.isDisjoint(with: $0.caseIDs) }
            out.append(FoundCluster(venue: venue, place: places[venue.areaCode] ?? "", cases: members, from: cluster.from, to: cluster.to,
                                    f1: exposedBy.values.reduce(into: Set<Int64>()) { $0.formUnion($1) }.count, links: cluster.links,
                                    review: review, newSinceReview: review.map { r in cluster.caseIDs.filter { !r.caseIDs.contains($0) } } ?? []))
        }
        out.sort { ($1.cases.count, $1.f1, $1.to, $0.venue.id) < ($0.cases.count, $0.f1, $0.to, $1.venue.id) }
        return ClusterList(clusters: out, since: since, days: days, casesConsidered: cases.count, truncated: truncated)
    }

    /// Marks the cluster at a venue reviewed, for the cases it has now, with a note. Tracers only; the review is the
    /// audit log's entry.
    public func reviewCluster(venueID: Int64, caseIDs: [Int64], note: String?, by principal: Principal, now: Date = Date()) async throws -> ClusterReview {
        try Self.requireContactReader(principal)
        let note = try Self.reason(note, field: "note")
        guard try await venues.venue(id: venueID) != nil else { throw AppError.notFound("venue \(venueID)") }
        guard !caseIDs.isEmpty, caseIDs.count <= Self.maxClusterCases else { throw AppError.missing("caseIds") }
        for id in caseIDs { _ = try await caseRecord(id) }
        let ids = Array(Set(caseIDs)).sorted()
        try await audit(principal, action: Self.clusterReviewAction, caseID: ids.first, reason: note, now: now,
                        detail: "venue=\(venueID) cases=\(ids.map(String.init).joined(separator: ","))")
        return ClusterReview(at: now, by: principal.label, note: note, caseIDs: ids)
    }

    /// Reviews by venue, newest first.
    func clusterReviews(since: Date) async throws -> [Int64: [ClusterReview]] {
        var out: [Int64: [ClusterReview]] = [:]
        for entry in try await store.audit(AuditFilter(since: since.addingTimeInterval(-60 * 86_400), action: Self.clusterReviewAction, limit: 10_000)) {
            var venue: Int64?
            var ids: [Int64] = []
            for part in entry.detail.split(separator: " ") {
                if part.hasPrefix("venue=") { venue = Int64(part.dropFirst(6)) }
                if part.hasPrefix("cases=") { ids = part.dropFirst(6).split(separator: ",").compactMap { Int64($0) } }
            }
            guard let venue else { continue }
            out[venue, default: []].append(ClusterReview(at: entry.at, by: entry.label, note: entry.reason, caseIDs: ids))
        }
        return out.mapValues { $0.sorted { $0.at > $1.at } }
    }
}
