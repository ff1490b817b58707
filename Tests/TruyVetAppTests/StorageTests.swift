import Foundation
import Testing
import TruyVetApp
import TruyVetSetup
import TruyVetCore

/// A file-backed application in a fresh data directory, as `truyvet serve` opens it.
func openInTemporaryDirectory() async throws -> (TruyVet, AppConfig) {
    var config = AppConfig()
    config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path
    return (try await TruyVet.open(config: config), config)
}

@Suite struct PersonalDataAtRestTests {
    @Test func noNamePhoneOrIDNumberIsStoredInClear() async throws {
        let (app, config) = try await openInTemporaryDirectory()
        let dir = config.dataDir
        let reg = try await app.registerVenue(VenueRegistration(name: "Quán Phở", address: "x", areaCode: "01843", category: "restaurant", contactPhone: "02093870123"))
        let people = [("Phạm Thị Xuân Quỳnh", "0912 876 543", "001099876543"), ("Hoàng Minh Tuấn", "0987 111 222", nil)]
        for (name, phone, id) in people {
            _ = try await app.checkin(venue: reg.venue, person: try PersonInput(name: name, phone: phone, idNumber: id), source: .api)
        }
        let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(reg.venue.id),0933444555,Đặng Thu Thảo,079188001122,\(Instant.format(Date().addingTimeInterval(-3600))),\n"
        _ = try await app.importVisits(csv: csv, principal: Principal(role: .admin, label: "test"))
        // Every file of the data directory (database, WAL, keys) as raw bytes.
        var haystack = Data()
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            haystack.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
        }
        #expect(haystack.count > 10_000)
        for needle in ["Phạm Thị Xuân Quỳnh", "Xuân Quỳnh", "Hoàng Minh Tuấn", "Đặng Thu Thảo", "912876543", "987111222", "933444555",
                       "001099876543", "079188001122", "2093870123"] {
            #expect(haystack.range(of: Data(needle.utf8)) == nil, "\(needle) is readable in the data directory")
        }
        // … and the tracer-facing reads decrypt them.
        let log = try await app.visitLog(venue: reg.venue, from: Date(timeIntervalSince1970: 0), to: Date().addingTimeInterval(60))
        #expect(Set(log.map(\.person.name)) == ["Phạm Thị Xuân Quỳnh", "Hoàng Minh Tuấn", "Đặng Thu Thảo"])
        #expect(log.first { $0.person.name == "Phạm Thị Xuân Quỳnh" }?.person.phone == "+84912876543")
    }
}

@Suite struct GroupCommitTests {
    @Test func concurrentCheckinsAreAllCommittedAndNoneDuplicated() async throws {
        let (app, config) = try await openInTemporaryDirectory()
        let venue = try await app.registerVenue(VenueRegistration(name: "Bến xe", address: "x", areaCode: "01843", category: "passenger_transport", contactPhone: "02093870123")).venue
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<400 {
                group.addTask {
                    // Each person twice from their own device: the second is the same open visit.
                    let person = try PersonInput(name: "Hành Khách", phone: String(format: "0912%06d", i % 200), idNumber: nil)
                    let device = app.cipher.lookupHash("device", "phone-\(i % 200)")
                    return try await app.checkin(venue: venue, person: person, source: .api, device: device).visit.id
                }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(ids.count == 400)
        #expect(Set(ids).count == 200)
        #expect(try await app.store.visitCount() == 200)
        // A reopened database has every acknowledged visit.
        let reopened = try await TruyVet.open(config: config)
        #expect(try await reopened.store.visitCount() == 200)
    }
}

@Suite struct SameSecondTests {
    @Test func checkingInAgainRightAfterCheckingOutIsANewVisit() async throws {
        let (app, _) = try await openInTemporaryDirectory()
        let venue = try await app.registerVenue(VenueRegistration(name: "Quầy", address: "x", areaCode: "01843", category: "retail", contactPhone: "02093870123")).venue
        let person = try PersonInput(name: "An", phone: "0912345678", idNumber: nil)
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let first = try await app.checkin(venue: venue, person: person, at: now, now: now, source: .api)
        _ = try await app.store.checkout(visitID: first.visit.id, at: now)
        let second = try await app.checkin(venue: venue, person: person, at: now, now: now, source: .api)
        #expect(second.visit.id != first.visit.id)
        #expect(second.visit.checkoutAt == nil)
        #expect(second.visit.checkinAt == now)
    }
}
