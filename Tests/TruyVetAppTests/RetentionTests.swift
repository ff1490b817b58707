import Foundation
import GRDB
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetStore

@Suite struct RetentionTests {
    /// Visits around the 21-day cutoff, by the end of their stay, and what goes with them.
    @Test func oldVisitsAreHardDeletedByTheEndOfTheirStay() async throws {
        let t = try await TestApp.make { $0.retentionDays = nil }
        let app = t.app
        let venue = try await app.registerVenue(VenueRegistration(name: "Chợ Đức Xuân", address: "x", areaCode: "01840", category: "retail",
                                                                  contactPhone: "0912345678")).venue
        let now = try Instant.parse("2021-12-31T12:00:00+07:00", field: "now")
        let cutoff = now.addingTimeInterval(-21 * 86400)
        func at(_ hours: Double) -> String { Instant.format(cutoff.addingTimeInterval(hours * 3600)) }
        let csv = """
            venue_id,phone,name,id_number,checkin_at,checkout_at
            \(venue.id),0901000001,Ra Trước,,\(at(-30)),\(at(-29))
            \(venue.id),0901000002,Ra Sau,,\(at(-2)),\(at(1))
            \(venue.id),0901000003,Không Ra,,\(at(-25)),
            \(venue.id),0901000004,Không Ra Gần,,\(at(-23)),
            \(venue.id),0901000005,Ca Bệnh,,\(at(-40)),\(at(-39))
            \(venue.id),0901000001,Ra Trước,,\(at(-100)),\(at(-99))

            """
        // Imported when they were recent (nothing older than the retention is ever stored).
        let report = try await app.importVisits(csv: csv, principal: Principal(role: .admin, label: "test"), now: cutoff.addingTimeInterval(2 * 3600))
        #expect(report.accepted == 6)
        // Person 5 is a case: their record stays even when their visits go.
        let input = try JSONDecoder().decode(TruyVet.CaseInput.self, from: Data("""
            {"phone": "0901000005", "areaCode": "01840", "sampleDate": "2021-12-01", "confirmedAt": "2021-12-02T10:00:00+07:00"}
            """.utf8))
        _ = try await app.registerCase(input, by: Principal(role: .tracer, label: "t"), now: now)
        let purged = try await app.purge(now: now, chunk: 2, pause: .zero)
        // Gone: 1's two visits (ended 29 h and 99 h before the cutoff), 3's (no check-out: 24 h after 25 h before),
        // 5's visit. Kept: 2's (ended after the cutoff), 4's (open, its 24 h end is after the cutoff).
        #expect(purged.days == 21 && purged.visits == 4 && purged.people == 2, "people 1 and 3; 5 is a case")
        #expect(try await app.store.visitCount() == 2)
        for (phone, kept) in [("+84901000001", false), ("+84901000002", true), ("+84901000003", false), ("+84901000005", true)] {
            #expect((try await app.store.personID(phoneHash: app.cipher.lookupHash("phone", phone)) != nil) == kept, "\(phone)")
        }
        #expect(try await app.purge(now: now).visits == 0, "nothing left to do")
    }

    @Test func retentionComesFromConfigurationThenTheStore() async throws {
        let t = try await TestApp.make { $0.retentionDays = nil }
        #expect(try await t.app.retentionDays() == 21)
        try await t.app.store.setSetting("retention_days", "0")
        #expect(try await t.app.retentionDays() == 0)
        #expect(try await t.app.purge().days == 0)
        let configured = try await TestApp.make { $0.retentionDays = 28 }
        try await configured.app.store.setSetting("retention_days", "0")
        #expect(try await configured.app.retentionDays() == 28)
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(["TRUYVET_RETENTION_DAYS": "-1"]) }
        #expect(try AppConfig.fromEnvironment(["TRUYVET_RETENTION_DAYS": "0"]).retentionDays == 0)
    }
}
