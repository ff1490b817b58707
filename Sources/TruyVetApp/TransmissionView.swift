import Foundation
import TruyVetCore

/// The case, its venues and its contacts drawn as an SVG on the server: tiers as columns (F0, then F1, F2, F3), the
/// venues where each tier met the next between them, a line for each presence. Other cases there at the same time
/// (likely links, in either direction) to the left of F0, through their shared venues, in dashed lines. Capped per
/// column; the caption says how many of how many are drawn, and the table and the linked-case list have them all.
struct TransmissionView {
    struct Node { let x: Int; let y: Int; let label: String; let kind: String; let labelX: Int; let anchor: String }
    /// `kind`: "edge" (a presence behind an exposure) or "link" (a presence shared with another case).
    struct Edge { let x1: Int; let y1: Int; let x2: Int; let y2: Int; let kind: String }
    let width: Int, height: Int
    let nodes: [Node], edges: [Edge]
    let shown: Int, total: Int
    let capped: Bool
    /// Linked cases drawn, and whether some were left out.
    let linked: Int
    let hasLinks: Bool
    let linksCapped: Bool
    let perColumn = TransmissionView.perColumn

    static let perColumn = 30
    static let columnWidth = 190
    static let rowHeight = 22

    init(_ t: TruyVet.Tracing) {
        var columns: [[(key: String, label: String, kind: String)]] = [[("p\(t.record.personID)", t.people[t.record.personID]?.name ?? "F0", "f0")]]
        var links: [(from: String, to: String, kind: String)] = []
        var previous: Set<Int64> = [t.record.personID]
        var shown = 0
        for tier in Tier.allCases where tier.rawValue <= t.degree {
            let people = t.contacts.filter { c in c.tier == tier && c.exposures.contains { previous.contains($0.through) } }.prefix(Self.perColumn)
            guard !people.isEmpty else { break }
            var venues: [Int64] = []
            for c in people {
                for e in c.exposures where previous.contains(e.through) {
                    if !venues.contains(e.venueID), venues.count < Self.perColumn { venues.append(e.venueID) }
                    if venues.contains(e.venueID) {
                        links.append(("p\(e.through)", "v\(tier.rawValue).\(e.venueID)", "edge"))
                        links.append(("v\(tier.rawValue).\(e.venueID)", "p\(c.personID)", "edge"))
                    }
                }
            }
            columns.append(venues.map { ("v\(tier.rawValue).\($0)", t.venues[$0]?.name ?? "#\($0)", "venue") })
            columns.append(people.map { ("p\($0.personID)", t.people[$0.personID]?.name ?? "", tier.name.lowercased()) })
            shown += people.count
            previous = Set(people.map(\.personID))
        }
        // Linked cases, by id (and tier when they are contacts too), and the venues they shared with F0.
        var cases: [(key: String, label: String, kind: String)] = [], shared: [(key: String, label: String, kind: String)] = []
        for link in t.linkedCases {
            let key = "c\(link.caseID)", venue = "l\(link.venueID)"
            if !cases.contains(where: { $0.key == key }), cases.count < Self.perColumn {
                cases.append((key, "Ca #\(link.caseID)" + (t.tiers[link.personID].map { " · \($0.name)" } ?? ""), "case"))
            }
            if !shared.contains(where: { $0.key == venue }), shared.count < Self.perColumn {
                shared.append((venue, t.venues[link.venueID]?.name ?? "#\(link.venueID)", "venue"))
            }
            links.append((key, venue, "link"))
            links.append((venue, "p\(t.record.personID)", "link"))
        }
        if !cases.isEmpty { columns = [cases, shared] + columns }
        let rows = columns.map(\.count).max() ?? 1
        let height = max(rows, 1) * Self.rowHeight + 30
        var position: [String: (Int, Int)] = [:]
        var nodes: [Node] = []
        for (i, column) in columns.enumerated() {
            let x = 14 + i * Self.columnWidth
            let top = (height - column.count * Self.rowHeight) / 2 + Self.rowHeight / 2
            for (j, node) in column.enumerated() {
                let y = top + j * Self.rowHeight
                position[node.key] = (x, y)
                let label = node.label.count > 22 ? String(node.label.prefix(21)) + "…" : node.label
                nodes.append(Node(x: x, y: y, label: label, kind: node.kind, labelX: x + 9, anchor: "start"))
            }
        }
        var seen = Set<String>()
        edges = links.compactMap { link in
            guard seen.insert(link.from + ">" + link.to).inserted, let a = position[link.from], let b = position[link.to] else { return nil }
            return Edge(x1: a.0, y1: a.1, x2: b.0, y2: b.1, kind: link.kind)
        }
        self.nodes = nodes
        width = columns.count * Self.columnWidth
        self.height = height
        self.shown = shown
        total = t.contacts.count
        capped = shown < total
        linked = cases.count
        hasLinks = !cases.isEmpty
        linksCapped = cases.count < Set(t.linkedCases.map(\.caseID)).count
    }
}
