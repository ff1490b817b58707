import Foundation
import TruyVetCore

/// Retention: check-in data is kept for a fixed time after each stay ends, then hard-deleted.
extension TruyVet {
    public static let defaultRetentionDays = 21
    static let retentionSetting = "retention_days"

    /// The retention in force: configuration, else the store's setting, else 21 days. 0: nothing is deleted.
    public func retentionDays() async throws -> Int {
        if let days = config.retentionDays { return days }
        if let stored = try await store.setting(Self.retentionSetting), let days = Int(stored) { return days }
        return Self.defaultRetentionDays
    }

    public struct PurgeReport: Sendable, Equatable {
        public var days = 0
        public var cutoff: Date?
        public var visits = 0
        public var people = 0
        public var records = 0
    }

    /// Deletes visits whose stay ended more than the retention ago, the people and devices left with nothing, old
    /// idempotency keys (after 2 days), devices and personal cards unused for the whole retention, and flags; then
    /// empties the write-ahead log so nothing deleted stays in the files. Cases, quarantines and the audit log are
    /// kept. It works in small transactions and rests twice as long as each took (`pause` at least), so it takes at most a third of the one
    /// writer that check-ins need, and a check-in never waits behind more than one small transaction.
    public func purge(now: Date = Date(), chunk: Int = 200, pause: Duration = .milliseconds(20)) async throws -> PurgeReport {
        _ = try await purgeSessions(now: now)  // expired console sessions go whatever the retention
        var report = PurgeReport(days: try await retentionDays())
        guard report.days > 0 else { return report }
        let cutoff = now.addingTimeInterval(-Double(report.days) * 86400)
        report.cutoff = cutoff
        let clock = ContinuousClock()
        while true {
            let started = clock.now
            let (visits, people) = try await store.purgeVisits(endedBefore: cutoff, limit: chunk)
            report.visits += visits
            report.people += people
            if visits < chunk { break }
            if pause > .zero { try await Task.sleep(for: max(pause, (clock.now - started) * 2)) }
        }
        let (records, people) = try await store.purgeRecords(keysBefore: now.addingTimeInterval(-2 * 86400), devicesBefore: cutoff, flagsBefore: cutoff)
        report.records = records
        report.people += people
        AppMetrics.purged(visits: report.visits, people: report.people, records: report.records)
        // What was deleted must not stay readable in the database's files either.
        if report.visits + report.people + report.records > 0 { try await store.eraseFreedSpace() }
        return report
    }
}
