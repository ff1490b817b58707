import Foundation
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetTestSupport

struct CheckinReply: Decodable {
    struct VenueRef: Decodable { let id: Int64; let name: String }
    struct Code: Decodable { let word: String; let color: String }
    let visitId: String
    let checkoutSecret: String
    let venue: VenueRef
    let checkedInAt: String
    let checkedOutAt: String?
    let status: String
    let dayCode: Code
}

extension TestApp.Client {
    /// A device cookie, as the check-in page sets it (22 base64url characters).
    static func device(_ n: Int) -> String { "tv_device=" + Base64URL.encode((0..<16).map { UInt8(truncatingIfNeeded: n + $0) }) }

    /// `token`: another code of the venue (a door screen's) instead of its poster.
    func checkin(_ reg: Registered, name: String = "Nguyễn Văn An", phone: String = "0912 345 678", extra: String = "",
                 token: String? = nil) async throws -> TestApp.Reply {
        try await call(.post, "/v1/checkins", json: #"{"token": "\#(token ?? reg.venue.checkinUrl)", "name": "\#(name)", "phone": "\#(phone)"\#(extra)}"#)
    }
}

@Suite struct CheckinAPITests {
    @Test(arguments: [false, true]) func checkingInAnswersAReceiptAndASecondScanReturnsTheSameVisit(live: Bool) async throws {
        try await TestApp.make().run(live: live) { plain in
            let c = plain.withCookie(TestApp.Client.device(1))
            let reg = try await c.register()
            let first = try await c.checkin(reg)
            #expect(first.status == 201)
            let r = try first.json(CheckinReply.self)
            #expect(r.venue.id == reg.venue.id && r.venue.name == "Quán Phở Bà Tư" && r.status == "checked_in")
            #expect(r.checkedInAt.hasSuffix("+07:00") && r.checkoutSecret.count == 16 && r.visitId.count == 11 && Int(r.visitId) == nil)
            let again = try await c.checkin(reg, phone: "+84912345678")
            #expect(again.status == 200)
            #expect(try again.json(CheckinReply.self).visitId == r.visitId)
            #expect(try again.json(CheckinReply.self).status == "already_checked_in")
            // The same phone from anywhere else is a visit of its own, and learns nothing of the first.
            let other = try await plain.checkin(reg)
            #expect(try other.status == 201 && other.json(CheckinReply.self).visitId != r.visitId)
        }
    }

    @Test(arguments: [false, true]) func aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer(live: Bool) async throws {
        try await TestApp.make().run(live: live) { c in
            let reg = try await c.register()
            let key = #", "idempotencyKey": "req-7f3a""#
            let a = try await c.checkin(reg, extra: key).json(CheckinReply.self)
            _ = try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", json: #"{"checkoutSecret": "\#(a.checkoutSecret)"}"#)
            let b = try await c.checkin(reg, extra: key)
            #expect(try b.status == 201 && b.json(CheckinReply.self).visitId == a.visitId)
            // Without the key, a new visit after the check-out.
            #expect(try await c.checkin(reg).json(CheckinReply.self).visitId != a.visitId)
        }
    }

    @Test(arguments: [false, true]) func checkinTimesMustBeCloseToTheServerClock(live: Bool) async throws {
        try await TestApp.make().run(live: live) { c in
            let reg = try await c.register()
            let now = Instant.format(Date())
            #expect(try await c.checkin(reg, extra: #", "at": "\#(now)""#).status == 201)
            let old = Instant.format(Date().addingTimeInterval(-600))
            let r = try await c.checkin(reg, name: "Trần Bình", phone: "0987654321", extra: #", "at": "\#(old)""#)
            #expect(r.status == 400 && r.error?.field == "at")
            #expect(try await c.checkin(reg, name: "Trần Bình", phone: "0987654321", extra: #", "at": "2021-11-19T08:30:00""#).error?.field == "at")
        }
    }

    @Test(arguments: [
        (#"{"name": "An", "phone": "0912345678"}"#, 400, "token"),
        (#"{"token": "AAAA", "name": "An", "phone": "0912345678"}"#, 404, nil),
        (#"{"shortCode": "ZZZZ-ZZZZ-ZZ", "name": "An", "phone": "0912345678"}"#, 404, nil),
        (#"{"token": "TOKEN", "phone": "0912345678"}"#, 400, "name"),
        (#"{"token": "TOKEN", "name": "=HYPERLINK(\"http://x\")", "phone": "0912345678"}"#, 400, "name"),
        (#"{"token": "TOKEN", "name": "An"}"#, 400, "phone"),
        (#"{"token": "TOKEN", "name": "An", "phone": "12"}"#, 400, "phone"),
        (#"{"token": "TOKEN", "name": "An", "phone": "0912345678", "idNumber": "12"}"#, 400, "idNumber"),
        (#"{"token": "TOKEN", "name": "An", "phone": 912345678}"#, 400, "phone"),
    ] as [(String, Int, String?)])
    func badCheckinsAreClearErrors(body: String, status: Int, field: String?) async throws {
        for live in [false, true] {
            try await TestApp.make().run(live: live) { c in
                let reg = try await c.register()
                let token = String(reg.checkinPath.dropFirst(3))
                let r = try await c.call(.post, "/v1/checkins", json: body.replacingOccurrences(of: "TOKEN", with: token))
                #expect(r.status == status, "live: \(live)")
                #expect(r.error?.field == field, "live: \(live)")
            }
        }
    }

    @Test(arguments: [false, true]) func theShortCodeWorksForManualEntry(live: Bool) async throws {
        try await TestApp.make().run(live: live) { c in
            let reg = try await c.register()
            let r = try await c.call(.post, "/v1/checkins", json: #"{"shortCode": "\#(reg.venue.shortCode.lowercased())", "name": "An", "phone": "0912345678"}"#)
            #expect(try r.status == 201 && r.json(CheckinReply.self).venue.id == reg.venue.id)
        }
    }

    @Test func checkoutNeedsTheSecretOrTheVenue() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Khác")
            let a = try await c.checkin(reg).json(CheckinReply.self)
            #expect(try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", json: #"{"checkoutSecret": "AAAAAAAAAAAAAAAA"}"#).status == 404)
            #expect(try await c.call(.post, "/v1/visits/\(a.visitId)/checkout").error?.field == "checkoutSecret")
            #expect(try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", token: other.managementToken).status == 404)
            #expect(try await c.call(.post, "/v1/visits/999999/checkout", json: #"{"checkoutSecret": "x"}"#).status == 404)
            let out = try await c.call(.post, "/v1/visits/\(a.visitId)/checkout", json: #"{"checkoutSecret": "\#(a.checkoutSecret)"}"#)
            #expect(out.status == 200)
            let r = try out.json(CheckinReply.self)
            #expect(r.status == "checked_out" && r.checkedOutAt != nil)
            let b = try await c.checkin(reg, name: "Trần Bình", phone: "0987654321").json(CheckinReply.self)
            #expect(try await c.call(.post, "/v1/visits/\(b.visitId)/checkout", token: reg.managementToken).status == 200)
        }
    }
}

@Suite struct VenueToolTests {
    @Test func theVenueLogShowsEffectiveEndsAndIsFormulaSafeCSV() async throws {
        try await TestApp.make().run { c in
            let cafe = try await c.register(name: "Cà phê")
            let market = try await c.register(name: "Chợ")
            let anPhone = c.withCookie(TestApp.Client.device(7))
            _ = try await anPhone.checkin(cafe, name: "Nguyễn Văn An", phone: "0912345678")
            _ = try await c.checkin(cafe, name: "Lê Thị Bình", phone: "0987654321", extra: #", "idNumber": "001099012345""#)
            _ = try await anPhone.checkin(market, name: "Nguyễn Văn An", phone: "0912345678")  // An moves on: the café visit ends
            let log = try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: cafe.managementToken)
            #expect(log.status == 200)
            struct Log: Decodable { struct V: Decodable { let name: String; let phone: String; let idNumber: String?; let checkinAt: String; let effectiveEnd: String }; let visits: [V] }
            let visits = try log.json(Log.self).visits
            #expect(visits.map(\.name) == ["Nguyễn Văn An", "Lê Thị Bình"])
            #expect(visits[1].idNumber == "001099012345")
            let an = try Instant.parse(visits[0].effectiveEnd, field: "x").timeIntervalSince(try Instant.parse(visits[0].checkinAt, field: "x"))
            #expect(an < 60, "ended by the same device's next check-in elsewhere")
            let bình = try Instant.parse(visits[1].effectiveEnd, field: "x").timeIntervalSince(try Instant.parse(visits[1].checkinAt, field: "x"))
            #expect(bình == 7200, "default stay")

            let csv = try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits?format=csv", token: cafe.managementToken)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let rows = try CSV.parse(csv.text)
            #expect(rows[0].fields.prefix(3) == ["visit_id", "name", "phone"])
            #expect(rows[1].fields[2] == "'+84912345678", "a phone never runs as a formula and still reads as the phone")
            #expect(csv.body.starts(with: [0xEF, 0xBB, 0xBF]), "a BOM, for Excel")
            #expect(rows[0].fields.suffix(2) == ["checkin_local", "checkout_local"])
            #expect(rows[1].fields[8].range(of: #"^\d\d/\d\d/\d{4} \d\d:\d\d$"#, options: .regularExpression) != nil)
            #expect(try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits", token: market.managementToken).status == 403)
            #expect(try await c.call(.get, "/v1/venues/\(cafe.venue.id)/visits?from=yesterday", token: cafe.managementToken).error?.field == "from")
        }
    }

    @Test func occupancyAndClosingTime() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            for (i, name) in ["An", "Bình", "Chi"].enumerated() { _ = try await c.checkin(reg, name: name, phone: "091234567\(i)") }
            struct Occ: Decodable { let count: Int; let capacity: Int? }
            let occ = try await c.call(.get, "/v1/venues/\(reg.venue.id)/occupancy", token: reg.managementToken).json(Occ.self)
            #expect(occ.count == 3 && occ.capacity == 40)
            let all = try await c.call(.post, "/v1/venues/\(reg.venue.id)/checkout-all", token: reg.managementToken)
            #expect(all.text == #"{"checkedOut":3}"#)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)/occupancy", token: reg.managementToken).json(Occ.self).count == 0)
        }
    }

    @Test func theReceiptCarriesTheVenuesCodeOfTheDay() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Khác")
            let r = try await c.checkin(reg).json(CheckinReply.self)
            struct Day: Decodable { let word: String; let color: String }
            let staff = try await c.call(.get, "/v1/venues/\(reg.venue.id)/day-code", token: reg.managementToken).json(Day.self)
            #expect(staff.word == r.dayCode.word && staff.color == r.dayCode.color)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)/day-code", token: other.managementToken).status == 403)
        }
    }
}

@Suite struct ImportTests {
    @Test func aPaperLogImportsWithAPerRowReportAndNoDuplicates() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Khác")
            let v = reg.venue.id
            // A venue imports its own paper log from since it registered (a few seconds here).
            let now = Date()
            let t = Instant.format(now), before = Instant.format(now.addingTimeInterval(-3600))
            let csv = """
                venue_id,phone,name,id_number,checkin_at,checkout_at
                \(v),0912345678,Nguyễn Văn An,,\(t),\(t)
                \(v),0987654321,"Lê Thị Bình",001099012345,\(t),
                \(v),12,Bad Phone,,\(t),
                \(v),0911111111,Chi,,2021-11-19 08:40,
                \(v),0922222222,Dũng,,\(t),\(before)
                4242,0933333333,Em,,\(t),
                \(other.venue.id),0944444444,Giang,,\(t),
                \(v),0955555555,=CMD(),,\(t),
                """
            #expect(try await c.call(.post, "/v1/visits/import", body: Array(csv.utf8)).status == 401)
            struct Report: Decodable { struct R: Decodable { let line: Int; let field: String? }; let accepted: Int; let duplicates: Int; let rejected: [R] }
            let first = try await c.call(.post, "/v1/visits/import", token: reg.managementToken, body: Array(csv.utf8)).json(Report.self)
            #expect(first.accepted == 2 && first.duplicates == 0)
            #expect(first.rejected.map(\.line) == [4, 5, 6, 7, 8, 9])
            #expect(first.rejected.map(\.field) == ["phone", "checkin_at", "checkout_at", "venue_id", "venue_id", "name"])
            let again = try await c.call(.post, "/v1/visits/import", token: reg.managementToken, body: Array(csv.utf8)).json(Report.self)
            #expect(again.accepted == 0 && again.duplicates == 2)
            let log = try await c.call(.get, "/v1/venues/\(v)/visits", token: reg.managementToken)
            #expect(log.text.components(separatedBy: "visitId").count - 1 == 2)
            #expect(try await c.call(.post, "/v1/visits/import", token: TestApp.adminToken, body: Array("a,b\n".utf8)).error?.field == "body")
        }
    }
}

@Suite struct AbuseTests {
    /// Limits count in fixed windows: the tests pin the clock so no window ends mid-test.
    static let pinned: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_030) }

    @Test(arguments: [false, true]) func tooManyCheckinsFromOneAddressGetA429(live: Bool) async throws {
        try await TestApp.make { $0.checkinRateLimit = 3; $0.clock = Self.pinned }.run(live: live) { c in
            let reg = try await c.register()
            for i in 0..<3 { #expect(try await c.checkin(reg, name: "An", phone: "091234500\(i)").status == 201) }
            let r = try await c.checkin(reg, name: "An", phone: "0912345009")
            #expect(r.status == 429 && r.error?.error == "rate_limited")
            #expect(Int(r.headers[.retryAfter] ?? "") != nil)
        }
    }

    @Test func guessingPosterCodesIsRateLimited() async throws {
        try await TestApp.make { $0.clock = Self.pinned }.run { c in
            for i in 0..<20 { #expect(try await c.call(.get, "/c/guess\(i)").status == 404) }
            let r = try await c.call(.get, "/c/guess-more")
            #expect(r.status == 429 && r.headers[.retryAfter] != nil)
        }
    }

    @Test func zeroTurnsTheLimitOff() async throws {
        try await TestApp.make { $0.checkinRateLimit = 0 }.run { c in
            let reg = try await c.register()
            for i in 0..<40 { #expect(try await c.checkin(reg, name: "An", phone: "09123450\(String(format: "%02d", i))").status == 201) }
        }
    }

    @Test(arguments: [false, true]) func aBurstAboveCapacityIsFlaggedForTheVenueAndTracers(live: Bool) async throws {
        try await TestApp.make { $0.checkinRateLimit = 0; $0.clock = Self.pinned }.run(live: live) { c in
            let reply = try await c.call(.post, "/v1/venues", json: """
                {"name": "Karaoke Hát Cho Nhau", "address": "1 Trường Chinh", "areaCode": "01843", "category": "high_risk_service",
                 "contactPhone": "0912345678", "capacity": 3}
                """)
            let reg = try reply.json(Registered.self)
            for i in 0..<5 { _ = try await c.checkin(reg, name: "Khách", phone: "09123450\(String(format: "%02d", i))") }
            let flags = try await c.call(.get, "/v1/venues/\(reg.venue.id)/flags", token: reg.managementToken)
            #expect(flags.text.contains("checkin_burst") && flags.text.contains("4 check-ins within a minute, more than the venue's capacity of 3"))
            let tracer = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer"}"#).json(TokenReply.self)
            #expect(try await c.call(.get, "/v1/flags", token: tracer.token).text.contains("\(reg.venue.id)"))
            #expect(try await c.call(.get, "/v1/flags", token: reg.managementToken).status == 403)
        }
    }
}

@Suite struct CheckinPageTests {
    func cookie(_ reply: TestApp.Reply) -> String? {
        reply.headers[.setCookie]?.split(separator: ";").first.map(String.init)
    }

    @Test func aVisitorChecksInAndOutThroughThePagesAndIsRememberedNextTime() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let page = try await c.call(.get, reg.checkinPath, accept: "text/html")
            #expect(page.status == 200 && page.text.contains("<form method=\"post\"") && page.text.contains("Họ và tên"))

            let form = "name=Nguy%E1%BB%85n+V%C4%83n+An&phone=0912+345+678&idNumber="
            let posted = try await c.call(.post, reg.checkinPath, body: Array(form.utf8))
            #expect(posted.status == 303)
            let location = try #require(posted.headers[.location])
            #expect(location.hasPrefix("/r/"))
            let device = try #require(cookie(posted))
            #expect(device.hasPrefix("tv_device=") && !device.contains("0912"))

            let receipt = try await c.call(.get, location)
            #expect(receipt.text.contains("ĐÃ VÀO") && receipt.text.contains("Quán Phở Bà Tư"))
            let secret = String(location.split(separator: "=").last!)
            let visit = location.dropFirst(3).split(separator: "?").first!
            let out = try await c.call(.post, "/r/\(visit)/checkout", body: Array("s=\(secret)".utf8))
            #expect(out.status == 200 && out.text.contains("ĐÃ RA"))
            #expect(try await c.call(.get, "/r/\(visit)?s=AAAAAAAAAAAAAAAA").status == 404)

            // Next scan from the same phone: one tap, showing only a masked name.
            let client = c.withCookie(device)
            let again = try await client.call(.get, reg.checkinPath, accept: "text/html")
            #expect(again.text.contains("Nguyễn V. A. · ••• 678") && !again.text.contains("0912345678"))
            let tap = try await client.call(.post, reg.checkinPath, body: Array("useDevice=1".utf8))
            #expect(tap.status == 303)
        }
    }

    @Test func aBadFormShowsTheErrorAndKeepsWhatWasTyped() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let r = try await c.call(.post, reg.checkinPath, body: Array("name=Tr%E1%BA%A7n+B%C3%ACnh&phone=12".utf8))
            #expect(r.status == 400 && r.text.contains("value=\"Trần Bình\""))
            // The message sits beside the phone field, in Vietnamese, then the API's English.
            #expect(r.text.contains(#"aria-describedby="f-phone-err""#) && r.text.contains(#"<p class="field-err" id="f-phone-err">Số điện thoại chưa đúng"#))
            var tampered = Array(reg.checkinPath)
            tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
            #expect(try await c.call(.post, String(tampered), body: Array("name=An&phone=0912345678".utf8)).status == 404)
        }
    }
}

@Suite struct PersonalCardTests {
    @Test func staffScanACardToCheckItsHolderInAndOut() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Khác")
            let body = #"{"name": "Bà Nguyễn Thị Tư", "phone": "0912 000 111"}"#
            #expect(try await c.call(.post, "/v1/people/cards", json: body).status == 401)
            // At the door: the venue issues the card and its holder is checked in there at once.
            let issued = try await c.call(.post, "/v1/people/cards", token: reg.managementToken, json: body)
            #expect(issued.status == 201)
            struct Issued: Decodable { let code: String; let checkin: CheckinReply? }
            let card = try issued.json(Issued.self)
            let code = card.code
            #expect(code.hasPrefix("TVP2-") && code.count == 27 && !code.contains("0912"))
            #expect(card.checkin?.venue.id == reg.venue.id && card.checkin?.status == "checked_in")

            // The printed card (from a ward office) scans to its code and names its holder.
            let pdf = try await c.call(.post, "/v1/people/cards?format=pdf", token: TestApp.adminToken, json: body)
            #expect(pdf.headers[.contentType] == "application/pdf")
            let printed = try Tools.scanPDF(pdf.body)
            #expect(printed.count == 1 && printed[0].hasPrefix("TVP2-") && printed[0] != code)
            #expect(try Tools.pdfText(pdf.body).contains("Bà Nguyễn Thị Tư"))
            #expect(try await c.call(.post, "/v1/venues/\(other.venue.id)/scan", token: other.managementToken, json: #"{"code": "\#(printed[0])"}"#).status == 201)

            let scanIn = try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)"}"#)
            #expect(try scanIn.status == 200 && scanIn.json(CheckinReply.self).visitId == card.checkin?.visitId, "already in since the card was issued")
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: other.managementToken, json: #"{"code": "\#(code)"}"#).status == 403)
            let out = try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)", "action": "out"}"#)
            #expect(try out.json(CheckinReply.self).status == "checked_out")
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)", "action": "out"}"#).status == 409)

            var forged = Array(code)
            forged[forged.count - 1] = forged.last == "A" ? "B" : "A"
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(String(forged))"}"#).error?.field == "code")
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/scan", token: reg.managementToken, json: #"{"code": "\#(code)", "action": "sideways"}"#).error?.field == "action")
            // The card reads nothing: no route takes it to show a history.
            #expect(try await c.call(.get, "/c/\(code)").status == 404)
        }
    }
}
