import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

/// The health officer's area page: the inputs behind the answer, the chart, the forms, announcing with the 48 hours
/// shown before confirming.
@Suite struct HealthConsoleTests {
    static let admin = Principal(role: .admin, label: "test")

    @Test func aHealthOfficerSetsAPopulationPreviewsAndAnnouncesARaiseFortyEightHoursAhead() async throws {
        let clock = TestClock()
        clock.set(try Instant.parse("2021-11-22T09:00:00+07:00", field: "now"))
        let test = try await TestApp.make { $0.passwordCost = 4; $0.clock = clock.read }
        _ = try await test.app.fillDemo(venueCount: 60, peopleCount: 400)
        _ = try await test.app.createAccount(username: "minh", role: "health", password: "mat khau cua minh", by: Self.admin)
        _ = try await test.app.createAccount(username: "lan", role: "tracer", password: "mat khau cua lan", by: Self.admin)
        try await test.run { c in
            let (signedIn, health) = try await c.staffSignIn("minh", "mat khau cua minh")
            #expect(signedIn.headers[.location] == "/levels")
            let page = try await health.call(.get, "/areas/01840?date=2021-11-21")
            #expect(page.status == 200 && page.text.contains("Phường Đức Xuân") && page.text.contains("<svg") && page.text.contains(#"id="level""#))
            #expect(page.text.contains("14.000") || page.text.contains("14,000"))
            // A smaller population (the ward's registered residents): the same five cases make it yellow.
            let csrf = try await health.csrf(on: "/areas/01840")
            let saved = try await health.form("/areas/01840/population", ["csrf": csrf, "population": "9000", "day": "2021-11-21"])
            #expect(saved.status == 200 && saved.text.contains("Population saved"), "\(saved.text)")
            #expect(saved.text.contains(#"id="f-date-announce" name="date" type="date" value="2021-11-21""#), "the page stays on its day")
            let bad = try await health.form("/areas/01840/population", ["csrf": csrf, "population": "many"])
            #expect(bad.status == 400 && bad.text.contains("f-population-err"))
            let preview = try await health.form("/areas/01840/announce", ["csrf": csrf, "date": "2021-11-21"])
            #expect(preview.status == 200 && preview.text.contains("Level 2 takes effect on 09:00 24/11/2021"), "\(preview.text)")
            #expect(try await test.app.store.announcements(codes: ["01840"])["01840"]?.isEmpty ?? true, "a preview announces nothing")
            let done = try await health.form("/areas/01840/announce", ["csrf": csrf, "date": "2021-11-21", "confirm": "1"])
            #expect(done.status == 200 && done.text.contains("Announced for 1 areas"), "\(done.text)")
            let announced = try #require(try await test.app.store.announcements(codes: ["01840"])["01840"]?.last)
            #expect(announced.level == 2 && announced.effectiveFrom == clock.read().addingTimeInterval(48 * 3600))
            // Figures and reported counts name their fields; without CSRF nothing changes.
            #expect(try await health.form("/areas/01840/figures", ["csrf": csrf, "date": "2021-11-21", "adultFirstDose": "120"]).status == 400)
            #expect(try await health.form("/areas/01840/figures", ["csrf": csrf, "date": "2021-11-21", "adultFirstDose": "85.5", "capacityMet": "true"]).status == 200)
            #expect(try await health.form("/areas/01840/case-counts", ["csrf": csrf, "date": "2021-11-20", "communityCases": "-1"]).status == 400)
            #expect(try await health.form("/areas/01840/population", ["population": "1"]).status == 403)
            // Tracers and the public do not open it.
            let (_, tracer) = try await c.staffSignIn("lan", "mat khau cua lan")
            #expect(try await tracer.call(.get, "/areas/01840").status == 403)
            #expect(try await c.call(.get, "/areas/01840").status == 303)
            // The levels table links a health officer to each area's page, sorts and filters.
            let table = try await health.call(.get, "/levels?area=06&date=2021-11-21&sort=rate")
            #expect(table.text.contains(#"href="/areas/01840?date=2021-11-21""#))
            let yellow = try await health.call(.get, "/levels?area=06&date=2021-11-21&level=2")
            #expect(yellow.text.contains("Phường Đức Xuân") && !yellow.text.contains("Phường Sông Cầu"))
        }
    }
}

@Suite struct AdoptionTests {
    @Test func theAdoptionReportCountsVenuesByKindCheckInsAndCheckOutsForTheAreaAndEachPart() async throws {
        let test = try await TestApp.make { $0.passwordCost = 4 }
        _ = try await test.app.createAccount(username: "minh", role: "health", password: "mat khau cua minh", by: HealthConsoleTests.admin)
        try await test.run { c in
            let pho = try await c.register(name: "Quán Phở", area: "01843", category: "restaurant")
            _ = try await c.register(name: "Chợ Sáng", area: "01840", category: "retail")
            // Two check-ins at the restaurant today, one of them checked out.
            let first = try await c.checkin(pho, name: "An", phone: "0912000001").json(CheckinReply.self)
            _ = try await c.checkin(pho, name: "Bình", phone: "0912000002")
            _ = try await c.call(.post, "/v1/visits/\(first.visitId)/checkout", json: #"{"checkoutSecret": "\#(first.checkoutSecret)"}"#)
            let health = try await c.token("health")
            struct Row: Decodable { let code: String; let venues: Int; let venuesByCategory: [String: Int]; let activeVenues: Int; let checkins: Int; let checkoutShare: Double? }
            struct Report: Decodable { let total: Row; let areas: [Row]; let days: Int }
            let today = Instant.day(Date())
            let district = try await c.call(.get, "/v1/areas/058/adoption?date=\(today)", token: health).json(Report.self)
            #expect(district.days == 7 && district.total.venues == 2 && district.total.checkins == 2 && district.total.checkoutShare == 0.5)
            let kien = try #require(district.areas.first { $0.code == "01843" })
            #expect(kien.venuesByCategory == ["restaurant": 1] && kien.activeVenues == 1 && kien.checkins == 2)
            let xuan = try #require(district.areas.first { $0.code == "01840" })
            #expect(xuan.venues == 1 && xuan.activeVenues == 0 && xuan.checkoutShare == nil)
            let province = try await c.call(.get, "/v1/areas/06/adoption?date=\(today)", token: health).json(Report.self)
            #expect(province.areas.count == 8 && province.areas.first { $0.code == "058" }?.checkins == 2)
            let csv = try await c.call(.get, "/v1/areas/058/adoption?date=\(today)&format=csv", token: health)
            #expect(csv.status == 200 && csv.text.split(separator: "\r\n").count == 1 + 1 + district.areas.count)
            #expect(try await c.call(.get, "/v1/areas/058/adoption", token: pho.managementToken).status == 403)
            #expect(try await c.call(.get, "/v1/areas/99999/adoption", token: health).status == 404)
            let (_, officer) = try await c.staffSignIn("minh", "mat khau cua minh")
            let page = try await officer.call(.get, "/areas/058/adoption?date=\(today)")
            #expect(page.status == 200 && page.text.contains("Phường Phùng Chí Kiên") && page.text.contains("50 %"))
        }
    }
}

@Suite struct FiguresUploadTests {
    @Test func aHealthOfficerUploadsFiguresAndSeesThePerRowReport() async throws {
        let test = try await TestApp.make { $0.passwordCost = 4 }
        _ = try await test.app.createAccount(username: "minh", role: "health", password: "mat khau cua minh", by: HealthConsoleTests.admin)
        try await test.run { c in
            let (_, officer) = try await c.staffSignIn("minh", "mat khau cua minh")
            let csrf = try await officer.csrf(on: "/figures/import")
            let csv = """
                code,date,population,adult_first_dose,older_fully_vaccinated,capacity_met,community_cases
                1840,2021-11-21,14000,,,,
                01843,2021-11-21,many,,,,

                """
            func upload(_ parts: [(name: String, filename: String?, value: String)]) async throws -> TestApp.Reply {
                try await officer.client.execute(uri: "/figures/import", method: .post,
                                                 headers: [.contentType: "multipart/form-data; boundary=XyZ", .cookie: officer.cookie ?? ""],
                                                 body: .init(bytes: PaperLogUploadTests.multipart(parts, boundary: "XyZ"))) { r in
                    TestApp.Reply(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
                }
            }
            #expect(try await upload([(name: "body", filename: "f.csv", value: csv)]).status == 403)
            let done = try await upload([(name: "csrf", filename: nil, value: csrf), (name: "body", filename: "f.csv", value: csv)])
            #expect(done.status == 200 && done.text.contains(#"<strong id="import-accepted">1</strong>"#), "\(done.text)")
            #expect(done.text.contains(#"id="import-rejected""#) && done.text.contains("1840 → 01840"))
            #expect(try await test.app.store.area(code: "01840")?.population == 14000)
            let venue = try await c.register()
            let asVenue = try await c.signIn(venue.managementToken)
            #expect(try await asVenue.call(.get, "/figures/import").status == 403)
        }
    }
}
