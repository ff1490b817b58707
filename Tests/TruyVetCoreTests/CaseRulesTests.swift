import Foundation
import Testing
import TruyVetCore

@Suite struct CaseRulesTests {
    let confirmed = try! Instant.parse("2021-11-19T14:00:00+07:00", field: "x")

    @Test func theWindowOpensAtLocalMidnightTwoDaysBeforeOnset() throws {
        let w = try CaseRules.infectiousWindow(sampleDate: "2021-11-18", onsetDate: "2021-11-17", confirmedAt: confirmed, isolatedAt: nil)
        #expect(Instant.format(w.from) == "2021-11-15T00:00:00+07:00")
        #expect(w.to == confirmed)
    }

    @Test func withoutOnsetTheSampleDateCountsAndIsolationEndsTheWindow() throws {
        let isolated = try Instant.parse("2021-11-19T09:30:00+07:00", field: "x")
        let w = try CaseRules.infectiousWindow(sampleDate: "2021-11-18", onsetDate: nil, confirmedAt: confirmed, isolatedAt: isolated,
                                               settings: .init(daysBefore: 3))
        #expect(Instant.format(w.from) == "2021-11-15T00:00:00+07:00")
        #expect(w.to == isolated)
    }

    @Test func badDatesNameTheirField() throws {
        do { _ = try CaseRules.infectiousWindow(sampleDate: "18/11/2021", onsetDate: nil, confirmedAt: confirmed, isolatedAt: nil); Issue.record() }
        catch { #expect(error.field == "sampleDate") }
        do { _ = try CaseRules.infectiousWindow(sampleDate: "2021-11-18", onsetDate: "2021-13-01", confirmedAt: confirmed, isolatedAt: nil); Issue.record() }
        catch { #expect(error.field == "onsetDate") }
        let early = try Instant.parse("2021-11-01T00:00:00+07:00", field: "x")
        do { _ = try CaseRules.infectiousWindow(sampleDate: "2021-11-18", onsetDate: nil, confirmedAt: confirmed, isolatedAt: early); Issue.record() }
        catch { #expect(error.field == "isolatedAt") }
    }

    @Test func classification() throws {
        let before = confirmed.addingTimeInterval(-3 * 86400), after = confirmed.addingTimeInterval(86400)
        #expect(CaseRules.classify(override: nil, quarantinedSince: before, quarantineEnds: after, detectedIn: nil, confirmedAt: confirmed) == .quarantine)
        #expect(CaseRules.classify(override: nil, quarantinedSince: before, quarantineEnds: nil, detectedIn: .lockdown, confirmedAt: confirmed) == .quarantine)
        #expect(CaseRules.classify(override: nil, quarantinedSince: before, quarantineEnds: before.addingTimeInterval(86400), detectedIn: nil, confirmedAt: confirmed) == .community, "quarantine over")
        #expect(CaseRules.classify(override: nil, quarantinedSince: after, quarantineEnds: nil, detectedIn: nil, confirmedAt: confirmed) == .community, "quarantined only later")
        #expect(CaseRules.classify(override: nil, quarantinedSince: nil, quarantineEnds: nil, detectedIn: .lockdown, confirmedAt: confirmed) == .lockdown)
        #expect(CaseRules.classify(override: nil, quarantinedSince: nil, quarantineEnds: nil, detectedIn: .quarantine, confirmedAt: confirmed) == .quarantine)
        #expect(CaseRules.classify(override: .community, quarantinedSince: before, quarantineEnds: nil, detectedIn: nil, confirmedAt: confirmed) == .community)
    }
}
