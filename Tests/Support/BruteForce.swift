import Foundation
import TruyVetCore

/// The reference: every pair of presences, no indexes, overlap counted in whole seconds.
public func bruteForce(_ all: [Presence], person: Int64, window: (Date, Date), degree: Int, rules: Overlap.Rules,
                quarantine: [Int64: Date]) -> [Int64: (tier: Int, exposures: Set<[Int64]>)] {
    var result: [Int64: (tier: Int, exposures: Set<[Int64]>)] = [:]
    var sources: [(Int64, Date, Date)] = [(person, window.0, window.1)]
    for tier in 1...max(1, degree) where tier <= degree {
        var found: [Int64: (first: Date, exposures: Set<[Int64]>)] = [:]
        for (who, from, to) in sources {
            for s in all where s.personID == who {
                let ss = max(s.start, from), se = min(s.end, to)
                guard se > ss else { continue }
                let reach = se.addingTimeInterval(rules.bufferMinutes * 60)
                for c in all where c.venueID == s.venueID && c.personID != person && c.personID != who && result[c.personID] == nil {
                    let start = max(c.start, ss), end = min(c.end, reach)
                    let seconds = Int(end.timeIntervalSince(start).rounded())
                    guard seconds > 0, Double(seconds) >= rules.minimum(at: s.category) * 60 else { continue }
                    var f = found[c.personID] ?? (start, [])
                    f.first = min(f.first, start)
                    f.exposures.insert([c.visitID, s.visitID, Int64(start.timeIntervalSince1970), Int64(end.timeIntervalSince1970)])
                    found[c.personID] = f
                }
            }
        }
        sources = []
        for (id, f) in found {
            result[id] = (tier, f.exposures)
            let to = quarantine[id] ?? f.first.addingTimeInterval(rules.onwardDays * 86400)
            if to > f.first { sources.append((id, f.first, to)) }
        }
    }
    return result
}

