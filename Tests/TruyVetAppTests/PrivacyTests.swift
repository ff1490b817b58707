import Crypto
import Foundation
import GRDB
import Testing
import TruyVetApp
import TruyVetSetup
import TruyVetCore
import TruyVetStore
import TruyVetTestSupport

/// Each test is an attack by someone who holds a self-registered venue's token or knows a phone number, written as the
/// request sequence that worked before, with the assertion that it no longer does, and the legitimate path beside it.
@Suite struct PrivacyTests {
    static func caseBody(phone: String, confirmedAt: Date) -> String {
        #"{"phone": "\#(phone)", "areaCode": "01843", "sampleDate": "\#(Instant.day(confirmedAt))", "confirmedAt": "\#(Instant.format(confirmedAt))"}"#
    }

    struct Window: Decodable { let from: String; let to: String; let venueImportedOnly: Bool? }
    struct Sites: Decodable {
        struct Site: Decodable { let venueId: Int64; let windows: [Window] }
        let sites: [Site]
    }

    /// A venue registered `daysAgo` days ago (an attacker can register long before they strike), with its token.
    static func oldVenue(_ app: TruyVet, name: String, daysAgo: Double) async throws -> (venue: Venue, token: String) {
        let fresh = try await app.registerVenue(VenueRegistration(name: name, address: "x", areaCode: "01843", category: "restaurant",
                                                                  contactPhone: "0912345678")).venue
        var venue = fresh
        venue.id = fresh.id + 1
        venue.shortCode = String(fresh.shortCode.reversed())
        venue.createdAt = Date().addingTimeInterval(-daysAgo * 86400)
        #expect(try await app.store.insertVenue(venue))
        return (venue, try await app.createToken(role: .venue, venueID: venue.id, label: "venue \(venue.id)"))
    }

    // 1. Case-status oracle.
    @Test func aVenueCannotLearnWhetherAPhonesOwnerIsACase() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let attacker = try await c.register(name: "Quán Giả")
            let now = Date()
            // The attacker imports chosen phones into its own venue: the victim's among them.
            let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n"
                + "\(attacker.venue.id),0901234567,Ai Đó,,\(Instant.format(now)),\n"
                + "\(attacker.venue.id),0907654321,Người Khác,,\(Instant.format(now)),\n"
            struct Report: Decodable { let accepted: Int }
            #expect(try await c.call(.post, "/v1/visits/import", token: attacker.managementToken, body: Array(csv.utf8)).json(Report.self).accepted == 2)
            // The victim is confirmed.
            let kase = try await c.call(.post, "/v1/cases", token: tracer, json: Self.caseBody(phone: "0901234567", confirmedAt: now.addingTimeInterval(120)))
            let id = try kase.json(CaseReply.self).id
            // The venue's own exposures and the public list show nothing: no window appears where the victim is a case.
            let own = try await c.call(.get, "/v1/venues/\(attacker.venue.id)/exposures", token: attacker.managementToken).json(Sites.self)
            #expect(own.sites.isEmpty)
            #expect(try await c.call(.get, "/v1/exposure-sites?area=01843").json(Sites.self).sites.isEmpty)
            // The tracer sees the window, marked as resting only on the venue's own import.
            let traced = try await c.call(.get, "/v1/cases/\(id)/exposure-sites", token: tracer).json(Sites.self)
            #expect(traced.sites.map(\.venueId) == [attacker.venue.id])
            #expect(traced.sites.first?.windows.first?.venueImportedOnly == true)
        }
    }

    // 2. ID-number leak and renaming.
    @Test func aVenueSeesOnlyWhatWasDeclaredAtItAndNobodyRenamesAnyone() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let cafe = try await c.register(name: "Cà phê Thật")
            let attacker = try await c.register(name: "Quán Giả")
            let victim = c.withCookie(TestApp.Client.device(11))
            #expect(try await victim.checkin(cafe, name: "Nguyễn Thị Hoa", phone: "0901234567", extra: #", "idNumber": "001199012345""#).status == 201)
            // Import the victim's phone with an empty ID column, and check in with it under another name.
            let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(attacker.venue.id),0901234567,Kẻ Gian,,\(Instant.format(Date())),\n"
            _ = try await c.call(.post, "/v1/visits/import", token: attacker.managementToken, body: Array(csv.utf8))
            #expect(try await c.checkin(attacker, name: "Kẻ Gian", phone: "0901234567", extra: #", "idNumber": "079099999999""#).status == 201)
            let theirs = try await c.call(.get, "/v1/venues/\(attacker.venue.id)/visits", token: attacker.managementToken)
            #expect(!theirs.text.contains("001199012345") && !theirs.text.contains("Nguyễn Thị Hoa"), "nothing declared elsewhere")
            #expect(theirs.text.contains("Kẻ Gian"))
            // The café's log and the tracer keep what the victim declared.
            let log = try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: cafe.managementToken)
            #expect(log.text.contains("Nguyễn Thị Hoa") && log.text.contains("001199012345") && !log.text.contains("Kẻ Gian") && !log.text.contains("079099999999"))
            // Someone types the victim's ID number with their own phone: a case registered by that ID number alone is
            // not silently given to either of them.
            #expect(try await c.checkin(attacker, name: "Kẻ Khác", phone: "0905555555", extra: #", "idNumber": "001199012345""#).status == 201)
            let byID = try await c.call(.post, "/v1/cases", token: tracer, json: #"{"idNumber": "001199012345", "areaCode": "01843", "sampleDate": "\#(Instant.day(Date()))", "confirmedAt": "\#(Instant.format(Date()))"}"#)
            #expect(byID.status == 409 && byID.error?.field == "phone")
            let kase = try await c.call(.post, "/v1/cases", token: tracer, json: Self.caseBody(phone: "0901234567", confirmedAt: Date()))
            struct Case: Decodable { struct P: Decodable { let name: String; let names: [String]; let idNumber: String? }; let person: P }
            let person = try kase.json(Case.self).person
            #expect(person.name == "Nguyễn Thị Hoa" && person.idNumber == "001199012345")
            #expect(person.names == ["Nguyễn Thị Hoa", "Kẻ Gian"], "every name typed with the phone, for the tracer")
        }
    }

    // 3. Presence oracle and forced check-out.
    @Test(arguments: [false, true]) func nobodyLearnsAnotherCheckinOrItsSecret(live: Bool) async throws {
        try await TestApp.make().run(live: live) { c in
            let reg = try await c.register()
            let victim = c.withCookie(TestApp.Client.device(21))
            let first = try await victim.checkin(reg, name: "Nạn Nhân", phone: "0901234567").json(CheckinReply.self)
            // A stranger types the victim's phone at the public poster: a visit of its own, nothing of the victim's.
            let probe = try await c.checkin(reg, name: "Kẻ Gian", phone: "0901234567")
            #expect(probe.status == 201)
            let r = try probe.json(CheckinReply.self)
            #expect(r.status == "checked_in" && r.visitId != first.visitId && r.checkoutSecret != first.checkoutSecret)
            #expect(r.checkedInAt >= first.checkedInAt)
            #expect(!probe.text.contains(first.visitId) && !probe.text.contains(first.checkoutSecret))
            // The victim's visit is still open; the same device still gets it back.
            let again = try await victim.checkin(reg, name: "Nạn Nhân", phone: "0901234567")
            #expect(try again.status == 200 && again.json(CheckinReply.self).visitId == first.visitId)
        }
    }

    @Test func theCheckinFormFromAnotherDeviceLeadsToItsOwnReceipt() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let form = Array("name=N%E1%BA%A1n+Nh%C3%A2n&phone=0901234567".utf8)
            let victim = try await c.call(.post, reg.checkinPath, body: form)
            let attacker = try await c.call(.post, reg.checkinPath, body: Array("name=K%E1%BA%BB+Gian&phone=0901234567".utf8))
            let a = try #require(victim.headers[.location]), b = try #require(attacker.headers[.location])
            #expect(a != b && a.hasPrefix("/r/") && b.hasPrefix("/r/"))
        }
    }

    // 4. Erasing a contact after the fact.
    @Test func aBackdatedVenueImportDoesNotShortenAContactsStay() async throws {
        let t = try await TestApp.make()
        let app = t.app
        let tracer = Principal(role: .tracer, label: "tracer")
        let cafe = try await app.registerVenue(VenueRegistration(name: "Cà phê", address: "x", areaCode: "01843", category: "restaurant",
                                                                 contactPhone: "0912345678")).venue
        let attacker = try await Self.oldVenue(app, name: "Quán Giả", daysAgo: 3)
        let now = Date()
        func at(_ minutes: Double) -> String { Instant.format(now.addingTimeInterval(minutes * 60)) }
        // A tracer's passenger list: the case and the contact at the café (the contact never checked out).
        let list = "venue_id,phone,name,id_number,checkin_at,checkout_at\n"
            + "\(cafe.id),0900000001,Ca Bệnh,,\(at(-180)),\(at(-60))\n" + "\(cafe.id),0900000002,Tiếp Xúc,,\(at(-175)),\n"
        #expect(try await app.importVisits(csv: list, principal: tracer).accepted == 2)
        // The attacker's venue imports one backdated row of the contact, a minute later.
        let forged = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(attacker.venue.id),0900000002,Tiếp Xúc,,\(at(-174)),\n"
        let venuePrincipal = try #require(try await app.authenticate(bearer: attacker.token))
        #expect(try await app.importVisits(csv: forged, principal: venuePrincipal).accepted == 1)
        let input = try JSONDecoder().decode(TruyVet.CaseInput.self, from: Data(Self.caseBody(phone: "0900000001", confirmedAt: now).utf8))
        let kase = try await app.registerCase(input, by: tracer, now: now)
        let contacts = try await app.trace(caseID: kase.id, query: .init(degree: 1), principal: tracer, reason: "test", action: "contacts", now: now)
        #expect(contacts.contacts.count == 1, "the contact is still an F1")
        #expect((contacts.contacts.first?.longestMinutes ?? 0) >= 110)
        // A tracer's own later record of the contact is trusted: it does end the open visit.
        let later = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(attacker.venue.id),0900000002,Tiếp Xúc,,\(at(-170)),\(at(-160))\n"
        #expect(try await app.importVisits(csv: later, principal: tracer).accepted == 1)
        let cut = try await app.trace(caseID: kase.id, query: .init(degree: 1), principal: tracer, reason: "test", action: "contacts", now: now)
        #expect(cut.contacts.isEmpty, "5 minutes together: below the 15-minute minimum")
    }

    @Test func aCardScannedElsewhereOrAStrangersCheckinDoesNotEndAVisit() async throws {
        try await TestApp.make().run { c in
            let cafe = try await c.register(name: "Cà phê")
            let attacker = try await c.register(name: "Quán Giả")
            let victim = c.withCookie(TestApp.Client.device(31))
            _ = try await victim.checkin(cafe, name: "Nạn Nhân", phone: "0901234567")
            // In real time: a card for the victim's phone issued and checked in at the attacker's door, and an API check-in.
            #expect(try await c.call(.post, "/v1/people/cards", token: attacker.managementToken, json: #"{"name": "Nạn Nhân", "phone": "0901234567"}"#).status == 201)
            #expect(try await c.checkin(attacker, name: "Nạn Nhân", phone: "0901234567").status == 201)
            struct Log: Decodable { struct V: Decodable { let checkinAt: String; let effectiveEnd: String }; let visits: [V] }
            let v = try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: cafe.managementToken).json(Log.self).visits[0]
            let stay = try Instant.parse(v.effectiveEnd, field: "x").timeIntervalSince(try Instant.parse(v.checkinAt, field: "x"))
            #expect(stay == 7200, "the default stay, not cut by someone else's check-in")
            // The victim's own next check-in elsewhere does end it (a forgotten check-out).
            _ = try await victim.checkin(attacker, name: "Nạn Nhân", phone: "0901234567")
            let ended = try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: cafe.managementToken).json(Log.self).visits[0]
            #expect(try Instant.parse(ended.effectiveEnd, field: "x").timeIntervalSince(try Instant.parse(ended.checkinAt, field: "x")) < 60)
        }
    }

    @Test func aVenueImportsOnlyItsOwnRecentPast() async throws {
        let t = try await TestApp.make { $0.retentionDays = nil }
        let app = t.app
        let attacker = try await Self.oldVenue(app, name: "Quán Giả", daysAgo: 30)
        let young = try await Self.oldVenue(app, name: "Quán Mới", daysAgo: 1)
        let venue = try #require(try await app.authenticate(bearer: attacker.token))
        let now = Date()
        func row(_ v: Venue, _ days: Double, _ checkout: String = "") -> String {
            "\(v.id),0900000002,Khách,,\(Instant.format(now.addingTimeInterval(-days * 86400))),\(checkout)\n"
        }
        let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n" + row(attacker.venue, 2) + row(attacker.venue, 15)
            + row(attacker.venue, -0.01) + row(young.venue, 0.5) + row(attacker.venue, 0.1, Instant.format(now.addingTimeInterval(600)))
        let report = try await app.importVisits(csv: csv, principal: venue, now: now)
        #expect(report.accepted == 1)
        #expect(report.rejected.map(\.line) == [3, 4, 5, 6] && report.rejected.map(\.field) == ["checkin_at", "checkin_at", "venue_id", "checkout_at"])
        let youngToken = try #require(try await app.authenticate(bearer: young.token))
        let before = "venue_id,phone,name,id_number,checkin_at,checkout_at\n" + row(young.venue, 2)
        #expect(try await app.importVisits(csv: before, principal: youngToken, now: now).rejected.first?.reason.contains("registered") == true)
    }

    // 5. Phone lockout.
    @Test(arguments: [false, true]) func strangersCannotUseUpAPhonesCheckins(live: Bool) async throws {
        try await TestApp.make { $0.checkinRateLimit = 1000; $0.personRateLimit = 3; $0.clock = AbuseTests.pinned }.run(live: live) { c in
            let reg = try await c.register()
            for _ in 0..<3 { #expect(try await c.checkin(reg, name: "Kẻ Gian", phone: "0901234567").status == 201) }
            let refused = try await c.checkin(reg, name: "Kẻ Gian", phone: "0901234567")
            #expect(refused.status == 429 && refused.headers[.retryAfter] != nil)
            // The phone's owner, from their own device, is not locked out.
            let own = try await c.withCookie(TestApp.Client.device(41)).checkin(reg, name: "Chủ Máy", phone: "0901234567")
            #expect(own.status == 201)
        }
    }

    // 6. Personal cards as an oracle and a pen.
    @Test func issuingACardRevealsNothingAndChangesNothing() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let ward = try await c.token("health")
            let cafe = try await c.register(name: "Cà phê")
            let attacker = try await c.register(name: "Quán Giả")
            _ = try await c.withCookie(TestApp.Client.device(51)).checkin(cafe, name: "Nguyễn Thị Hoa", phone: "0901234567")
            struct Issued: Decodable { let code: String; let checkin: CheckinReply? }
            let known = try await c.call(.post, "/v1/people/cards", token: ward, json: #"{"name": "Kẻ Gian", "phone": "0901234567"}"#)
            let unknown = try await c.call(.post, "/v1/people/cards", token: ward, json: #"{"name": "Kẻ Gian", "phone": "0907777777"}"#)
            #expect(known.status == unknown.status && known.text.count == unknown.text.count, "the same answer for a known and a new phone")
            let codes = [try known.json(Issued.self).code, try unknown.json(Issued.self).code]
            #expect(codes.allSatisfy { $0.hasPrefix("TVP2-") && $0.count == 27 })
            let again = try await c.call(.post, "/v1/people/cards", token: ward, json: #"{"name": "Kẻ Gian", "phone": "0901234567"}"#).json(Issued.self).code
            #expect(again != codes[0], "random, never derived from the person")
            // Nothing stored about the victim changed.
            #expect(try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: cafe.managementToken).text.contains("Nguyễn Thị Hoa"))
            let kase = try await c.call(.post, "/v1/cases", token: tracer, json: Self.caseBody(phone: "0901234567", confirmedAt: Date()))
            #expect(try kase.json(CaseReply.self).person?.name == "Nguyễn Thị Hoa")
            // A venue's token issues a card only with a check-in at its own door.
            let door = try await c.call(.post, "/v1/people/cards", token: attacker.managementToken, json: #"{"name": "Khách", "phone": "0908888888"}"#).json(Issued.self)
            #expect(door.checkin?.venue.id == attacker.venue.id)
            #expect(try await c.call(.get, "/v1/venues/\(attacker.venue.id)/visits", token: attacker.managementToken).text.contains("Khách"))
        }
    }

    @Test func cardScansAreRateLimited() async throws {
        try await TestApp.make { $0.checkinRateLimit = 2; $0.clock = AbuseTests.pinned }.run { c in
            let reg = try await c.register()
            let code = try await c.call(.post, "/v1/people/cards", token: TestApp.adminToken, json: #"{"name": "Bà Tư", "phone": "0912000111"}"#)
                .json([String: AnyCodable].self)["code"]!.string!
            for action in ["in", "out"] {
                #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)", "action": "\#(action)"}"#).status < 300)
            }
            let third = try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)"}"#)
            #expect(third.status == 429)
        }
    }

    // 7. Visit ids as a live feed.
    @Test func unknownForeignAndWronglySecretVisitsLookTheSame() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Khác")
            let a = try await c.checkin(reg, name: "An", phone: "0901000001").json(CheckinReply.self)
            let b = try await c.checkin(reg, name: "Bình", phone: "0901000002").json(CheckinReply.self)
            #expect(Int(a.visitId) == nil && Int(b.visitId) == nil && a.visitId.commonPrefix(with: b.visitId).count < 8, "not sequential")
            let wrongSecret = try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", json: #"{"checkoutSecret": "AAAAAAAAAAAAAAAA"}"#)
            let foreign = try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", token: other.managementToken)
            let unknownRef = String(a.visitId.reversed())
            let unknown = try await c.call(.post, "/v1/visits/\(unknownRef)/checkout", json: #"{"checkoutSecret": "AAAAAAAAAAAAAAAA"}"#)
            #expect(wrongSecret.status == 404 && foreign.status == 404 && unknown.status == 404)
            #expect(wrongSecret.text == foreign.text, "the same answer")
            #expect(unknown.text == wrongSecret.text.replacingOccurrences(of: a.visitId, with: unknownRef))
            #expect(!foreign.text.contains(String(reg.venue.id)))
            // The visit's own secret, and its venue's token, still check out.
            #expect(try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", json: #"{"checkoutSecret": "\#(a.checkoutSecret)"}"#).status == 200)
            #expect(try await c.call(.post, "/v1/visits/\(b.visitId)/checkout", token: reg.managementToken).status == 200)
        }
    }

    // 8. Data past the horizon.
    @Test func purgedDataIsNotLeftInTheFilesAndIdsAreNeverReused() async throws {
        let (app, config) = try await openInTemporaryDirectory()
        let venue = try await app.registerVenue(VenueRegistration(name: "Quán", address: "x", areaCode: "01843", category: "restaurant",
                                                                  contactPhone: "0912345678")).venue
        let first = try await app.checkin(venue: venue, person: try PersonInput(name: "Người Cũ", phone: "0901234567", idNumber: "001199012345"), source: .api)
        let records = try await app.store.visits(venueID: venue.id, from: .distantPast, to: .distantFuture, limit: 10)
        let sealed = try #require(records.first?.person)
        let person = try #require(try await app.store.person(id: first.visit.personID))
        let later = Date().addingTimeInterval(23 * 86400)
        let report = try await app.purge(now: later, pause: .zero)
        #expect(report.visits == 1 && report.people == 1)
        var files = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: config.dataDir) where name.hasPrefix("truyvet.sqlite") {
            files.append(try Data(contentsOf: URL(fileURLWithPath: config.dataDir + "/" + name)))
        }
        for blob in [sealed.name, sealed.idNumber!, person.phone, person.name, person.phoneHash] {
            #expect(files.range(of: blob) == nil, "a deleted value is still in the database files")
        }
        // A new visit and person never take the ids of deleted ones.
        let next = try await app.checkin(venue: venue, person: try PersonInput(name: "Người Mới", phone: "0907654321", idNumber: nil), source: .api)
        #expect(next.visit.id > first.visit.id && next.visit.personID > first.visit.personID)
    }

    @Test func nothingOlderThanTheRetentionIsImportedAndCardOnlyPeopleArePurged() async throws {
        let t = try await TestApp.make { $0.retentionDays = 21 }
        let app = t.app
        let admin = Principal(role: .admin, label: "admin")
        let venue = try await app.registerVenue(VenueRegistration(name: "Quán", address: "x", areaCode: "01843", category: "restaurant",
                                                                  contactPhone: "0912345678")).venue
        let old = Instant.format(Date().addingTimeInterval(-22 * 86400))
        let report = try await app.importVisits(csv: "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(venue.id),0901234567,Cũ,,\(old),\n", principal: admin)
        #expect(report.accepted == 0 && report.rejected.first?.field == "checkin_at")
        let card = try await app.issueCard(try PersonInput(name: "Chỉ Có Thẻ", phone: "0907777777", idNumber: nil), by: admin)
        let phoneHash = app.cipher.lookupHash("phone", "+84907777777")
        #expect(try await app.store.personID(phoneHash: phoneHash) != nil)
        _ = try await app.purge(now: Date().addingTimeInterval(22 * 86400), pause: .zero)
        #expect(try await app.store.personID(phoneHash: phoneHash) == nil, "a card unused for the whole retention goes, and its holder")
        await #expect(throws: AppError.self) { try await app.scan(card: card.code, action: .checkin, venue: venue) }
    }

    // 9. Rotation retires the short code.
    @Test func rotatingThePosterRetiresItsShortCode() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let rotated = try await c.call(.post, "/v1/venues/\(reg.venue.id)/poster/rotate", token: reg.managementToken)
            struct V: Decodable { let shortCode: String }
            let code = try rotated.json(V.self).shortCode
            #expect(code != reg.venue.shortCode)
            let old = try await c.call(.post, "/v1/checkins", json: #"{"shortCode": "\#(reg.venue.shortCode)", "name": "An", "phone": "0912345678"}"#)
            #expect(old.status == 404)
            let new = try await c.call(.post, "/v1/checkins", json: #"{"shortCode": "\#(code)", "name": "An", "phone": "0912345678"}"#)
            #expect(new.status == 201)
        }
    }

    // 10. Files and clear data.
    @Test func everyFileIsPrivateAndContactPhonesAreSealed() async throws {
        var config = AppConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let app = try await TruyVet.open(config: config)
        let venue = try await app.registerVenue(VenueRegistration(name: "Quán", address: "x", areaCode: "01843", category: "restaurant",
                                                                  contactPhone: "0209 387 6543")).venue
        _ = try await app.checkin(venue: venue, person: try PersonInput(name: "An", phone: "0901234567", idNumber: nil), source: .api)
        let names = try FileManager.default.contentsOfDirectory(atPath: config.dataDir)
        #expect(Set(names).isSuperset(of: ["truyvet.sqlite", "truyvet.sqlite-wal", "truyvet.sqlite-shm", "keys.json"]))
        for name in names {
            let mode = try FileManager.default.attributesOfItem(atPath: config.dataDir + "/" + name)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name) is \(String(mode ?? 0, radix: 8))")
        }
        var files = Data()
        for name in names { files.append(try Data(contentsOf: URL(fileURLWithPath: config.dataDir + "/" + name))) }
        #expect(files.range(of: Data("2093876543".utf8)) == nil)
        #expect(app.contactPhone(of: try await app.venue(venue.id)) == "+842093876543")
    }

    @Test func contactPhonesStoredInClearAreSealedAtStart() async throws {
        let db = try AppDatabase.inMemory()
        let store = SQLiteStore(db)
        try await db.writer.write { try $0.execute(sql: """
            INSERT INTO venues (id, name, address, area_code, district_code, province_code, category, default_stay_minutes, contact_phone,
                short_code, created_at) VALUES (7, 'Cũ', 'x', '01843', '058', '06', 'retail', 60, '+842093876543', 'ABCDEFGHJK', 0)
            """) }
        let cipher = PersonalDataCipher(dataKey: .init(size: .bits256))
        #expect(try await store.sealClearContactPhones { cipher.seal($0) } == 1)
        let venue = try #require(try await store.venue(id: 7))
        #expect(try cipher.open(venue.sealedContactPhone) == "+842093876543")
        #expect(try await db.writer.read { try String.fetchOne($0, sql: "SELECT contact_phone FROM venues") } == "")
    }

    // 11. Tokens can be listed and revoked.
    @Test func aRevokedTokenAnswers401AtOnce() async throws {
        try await TestApp.make().run { c in
            let created = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer", "label": "Nguyễn tracer laptop"}"#)
            struct Created: Decodable { let id: Int64; let token: String }
            let tracer = try created.json(Created.self)
            #expect(try await c.call(.get, "/v1/flags", token: tracer.token).status == 200)
            struct Listed: Decodable { let id: Int64; let role: String; let label: String; let createdAt: String; let lastUsedAt: String?; let revokedAt: String? }
            let list = try await c.call(.get, "/v1/tokens", token: TestApp.adminToken)
            #expect(!list.text.contains(tracer.token) && !list.text.contains("hash"))
            let entry = try #require(try list.json([Listed].self).first { $0.id == tracer.id })
            #expect(entry.role == "tracer" && entry.label == "Nguyễn tracer laptop" && entry.lastUsedAt != nil && entry.revokedAt == nil)
            #expect(try await c.call(.get, "/v1/tokens", token: tracer.token).status == 403)
            #expect(try await c.call(.delete, "/v1/tokens/\(tracer.id)", token: tracer.token).status == 403)
            let revoked = try await c.call(.delete, "/v1/tokens/\(tracer.id)", token: TestApp.adminToken)
            #expect(try revoked.status == 200 && revoked.json(Listed.self).revokedAt != nil)
            #expect(try await c.call(.get, "/v1/flags", token: tracer.token).status == 401)
            #expect(try await c.call(.delete, "/v1/tokens/999999", token: TestApp.adminToken).status == 404)
            #expect(try await c.call(.get, "/v1/audit", token: TestApp.adminToken).text.contains("token.revoke"))
        }
    }
}
