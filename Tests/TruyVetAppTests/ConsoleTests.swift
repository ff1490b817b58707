import Foundation
import Hummingbird
import Synchronization
import Testing
import TruyVetCore
@testable import TruyVetApp

/// A clock the test moves (sessions expire by it).
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var read: @Sendable () -> Date { { [self] in now.withLock { $0 } } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    func set(_ date: Date) { now.withLock { $0 = date } }
}

extension TestApp.Client {
    func form(_ path: String, _ fields: [String: String]) async throws -> TestApp.Reply {
        let body = fields.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return try await call(.post, path, body: Array(body.utf8))
    }

    /// Signs in with a management key; the client carrying the session cookie.
    func signIn(_ key: String) async throws -> TestApp.Client {
        let reply = try await form("/sign-in", ["key": key])
        guard reply.status == 303, let cookie = reply.headers[.setCookie], let value = cookie.split(separator: ";").first else {
            throw TestFailure("sign-in answered \(reply.status): \(reply.text)")
        }
        return withCookie(String(value))
    }

    /// The CSRF token the signed-in page's forms carry.
    func csrf() async throws -> String {
        let page = try await call(.get, "/venue").text
        guard let range = page.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else {
            throw TestFailure("no CSRF token on /venue")
        }
        return String(page[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }
}

@Suite struct ConsoleSessionTests {
    @Test func theKeySignsInWithAStrictHttpOnlyCookieAndTheVenuePageShowsTodaysWord() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let reply = try await c.form("/sign-in", ["key": reg.managementToken])
            #expect(reply.status == 303 && reply.headers[.location] == "/venue")
            let cookie = try #require(reply.headers[.setCookie])
            #expect(cookie.hasPrefix("tv_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"))
            let owner = try await c.signIn(reg.managementToken)
            let receipt = try await c.checkin(reg).json(CheckinReply.self)
            let page = try await owner.call(.get, "/venue")
            #expect(page.status == 200 && page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains(">\(receipt.dayCode.word)</div>") && page.text.contains("Nguyễn Văn An"))
            // Without a session the console sends the browser to sign in.
            let anonymous = try await c.call(.get, "/venue")
            #expect(anonymous.status == 303 && anonymous.headers[.location] == "/sign-in")
        }
    }

    @Test func aFormWithoutTheSessionsCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            _ = try await c.checkin(reg)
            #expect(try await owner.form("/venue/checkout-all", ["confirm": "yes"]).status == 403)
            #expect(try await owner.form("/venue/checkout-all", ["confirm": "yes", "csrf": "forged"]).status == 403)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)/occupancy", token: reg.managementToken).text.contains(#""count":1"#))
            let done = try await owner.form("/venue/checkout-all", ["confirm": "yes", "csrf": try await owner.csrf()])
            #expect(done.status == 200 && done.text.contains("Checked out 1 visitors"))
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)/occupancy", token: reg.managementToken).text.contains(#""count":0"#))
        }
    }

    @Test func theSessionCookieReadsTheVenuesFilesButNeverWritesThroughTheAPI() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Quán Khác")
            let owner = try await c.signIn(reg.managementToken)
            let pdf = try await owner.call(.get, "/v1/venues/\(reg.venue.id)/poster.pdf")
            #expect(pdf.status == 200 && pdf.body.starts(with: Array("%PDF".utf8)))
            #expect(try await owner.call(.get, "/v1/venues/\(other.venue.id)/poster.pdf").status == 403)
            #expect(try await owner.call(.post, "/v1/venues/\(reg.venue.id)/checkout-all").status == 401)
            #expect(try await owner.call(.post, "/v1/venues/\(reg.venue.id)/poster/rotate").status == 401)
        }
    }

    @Test func aSessionEndsWhenIdleAfterItsHoursAtSignOutAndWhenTheKeyIsRevoked() async throws {
        let clock = TestClock()
        try await TestApp.make { $0.clock = clock.read }.run { c in
            let reg = try await c.register()
            var owner = try await c.signIn(reg.managementToken)
            clock.advance(29 * 60)
            #expect(try await owner.call(.get, "/venue").status == 200)
            clock.advance(29 * 60)  // seen 29 minutes ago: still in
            #expect(try await owner.call(.get, "/venue").status == 200)
            clock.advance(31 * 60)
            #expect(try await owner.call(.get, "/venue").status == 303)

            owner = try await c.signIn(reg.managementToken)
            for _ in 0..<25 { clock.advance(29 * 60); _ = try await owner.call(.get, "/venue") }  // busy, for over 12 hours
            #expect(try await owner.call(.get, "/venue").status == 303)

            owner = try await c.signIn(reg.managementToken)
            #expect(try await owner.form("/sign-out", ["csrf": try await owner.csrf()]).status == 303)
            #expect(try await owner.call(.get, "/venue").status == 303)

            owner = try await c.signIn(reg.managementToken)
            let tokens = try #require(try JSONSerialization.jsonObject(with: Data(try await c.call(.get, "/v1/tokens", token: TestApp.adminToken).body)) as? [[String: Any]])
            let id = try #require(tokens.first { $0["role"] as? String == "venue" }?["id"] as? Int)
            #expect(try await c.call(.delete, "/v1/tokens/\(id)", token: TestApp.adminToken).status == 200)
            #expect(try await owner.call(.get, "/venue").status == 303)
        }
    }

    @Test func fiveWrongKeysFromOneAddressLockSignInEvenWithTheRightKey() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            for i in 0..<5 {
                let wrong = try await c.form("/sign-in", ["key": "tv_wrong-\(i)"])
                #expect(wrong.status == 401 && wrong.text.contains("f-key-err"))
            }
            let locked = try await c.form("/sign-in", ["key": reg.managementToken])
            #expect(locked.status == 429 && locked.headers[.retryAfter] != nil && locked.text.contains("Quá nhiều"))
        }
    }
}

@Suite struct VenuePortalTests {
    @Test func registeringThroughTheFormShowsTheKeyOnceAndSignsIn() async throws {
        try await TestApp.make().run { c in
            var fields = ["name": "Tiệm Bánh <Hoa>", "address": "12 Nguyễn Văn Tố", "areaCode": "01843", "category": "restaurant",
                          "contactPhone": "12345", "defaultStayMinutes": "90", "capacity": ""]
            let rejected = try await c.form("/venue/register", fields)
            #expect(rejected.status == 400)
            #expect(rejected.text.contains(#"id="f-contactPhone-err""#) && rejected.text.contains(#"value="Tiệm Bánh &lt;Hoa&gt;""#))
            #expect(rejected.text.contains(#"<option value="01843" selected>"#))
            fields["contactPhone"] = "0912 345 678"
            let done = try await c.form("/venue/register", fields)
            #expect(done.status == 201 && done.text.contains("Tiệm Bánh &lt;Hoa&gt;"))
            let key = try #require(done.text.range(of: #"tv_[A-Za-z0-9_-]{32}"#, options: .regularExpression).map { String(done.text[$0]) })
            let cookie = try #require(done.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            #expect(try await c.withCookie(cookie).call(.get, "/venue").status == 200)
            #expect(try await c.signIn(key).call(.get, "/venue/poster").text.contains("poster.pdf"))
        }
    }

    @Test func registrationClosedToTheFormWhenClosedToTheAPI() async throws {
        try await TestApp.make { $0.openRegistration = false }.run { c in
            let reply = try await c.form("/venue/register", ["name": "Quán", "address": "x", "areaCode": "01843", "category": "restaurant",
                                                             "contactPhone": "0912 345 678"])
            #expect(reply.status == 401 && reply.headers[.contentType] == "text/html; charset=utf-8")
            #expect(try await c.call(.get, "/").text.contains("/venue/register") == false)
        }
    }

    @Test func theVenueCodeFormLeadsToTheCheckInPageAndAWrongCodeSaysSo() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let on = try await c.call(.get, "/c?shortCode=\(reg.venue.shortCode.replacingOccurrences(of: " ", with: "+"))")
            #expect(on.status == 303 && on.headers[.location] == reg.checkinPath)
            // Typed with a space, as a browser sends the form ("+" for the space).
            let code = reg.venue.shortCode
            let spaced = try await c.call(.get, "/c?shortCode=\(code.prefix(5))+\(code.dropFirst(5))")
            #expect(spaced.status == 303 && spaced.headers[.location] == reg.checkinPath)
            let wrong = try await c.call(.get, "/c?shortCode=ZZZZ-ZZZZ")
            #expect(wrong.status == 404 && wrong.text.contains("f-shortCode-err"))
            #expect(try await c.call(.get, "/c").text.contains(#"name="shortCode""#))
        }
    }

    @Test func theLogShowsTheChosenDaysAndLinksTheSameCSVAsTheAPI() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            _ = try await c.checkin(reg, name: "Trần Thị Bình")
            let owner = try await c.signIn(reg.managementToken)
            let page = try await owner.call(.get, "/venue/log")
            #expect(page.status == 200 && page.text.contains("Trần Thị Bình"))
            let link = try #require(page.text.range(of: #"href="(/v1/venues/[^"]+format=csv[^"]*)""#, options: .regularExpression)
                .map { String(page.text[$0].dropFirst(6).dropLast()).replacingOccurrences(of: "&amp;", with: "&") })
            let csv = try await owner.call(.get, link)
            #expect(csv.status == 200 && csv.text.contains("Trần Thị Bình"))
            let bad = try await owner.call(.get, "/venue/log?from=21/11/2021")
            #expect(bad.status == 200 && bad.text.contains("f-from-err"))
            let past = try await owner.call(.get, "/venue/log?from=2021-11-01&to=2021-11-02")
            #expect(past.text.contains("Trần Thị Bình") == false)
        }
    }

    @Test func rotatingThePosterAsksForConfirmationAndTheOldCodeStopsWorking() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf()
            #expect(try await owner.form("/venue/poster/rotate", ["csrf": csrf]).status == 400)
            #expect(try await c.call(.get, reg.checkinPath, accept: "text/html").status == 200)
            let rotated = try await owner.form("/venue/poster/rotate", ["csrf": csrf, "confirm": "yes"])
            #expect(rotated.status == 200 && rotated.text.contains("áp phích số <span lang=\"en\">/ poster no.</span> 2"))
            #expect(try await c.call(.get, reg.checkinPath, accept: "text/html").status == 404)
        }
    }

    @Test func pagesLoadOnlyTheAppsStylesheetAndSendNoInlineStyles() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let css = try await c.call(.get, "/style.css")
            #expect(css.status == 200 && css.headers[.contentType] == "text/css; charset=utf-8")
            let receipt = try await c.checkin(reg).json(CheckinReply.self)
            _ = receipt
            for path in ["/", "/c", "/sign-in", "/venue/register", reg.checkinPath] {
                let page = try await c.call(.get, path, accept: "text/html")
                #expect(page.text.contains(#"<link rel="stylesheet" href="/style.css">"#), "\(path)")
                #expect(!page.text.contains("style=") && !page.text.contains("<style") && !page.text.contains("<script"), "\(path)")
                #expect(page.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false, "\(path)")
            }
        }
    }
}

@Suite struct LanguageTests {
    @Test(arguments: [false, true]) func theAPIAnswersInVietnameseWhenAskedAndTheCodeAndFieldStay(live: Bool) async throws {
        try await TestApp.make().run(live: live) { c in
            let reg = try await c.register()
            let body = #"{"token": "\#(reg.venue.checkinUrl)", "name": "An", "phone": "12"}"#
            for (language, prefix) in [("vi-VN,vi;q=0.9", "Số điện thoại chưa đúng"), ("en", "phone")] {
                let reply = try await c.client.execute(uri: "/v1/checkins", method: .post,
                                                       headers: [.contentType: "application/json", .acceptLanguage: language],
                                                       body: .init(string: body)) { r in
                    TestApp.Reply(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
                }
                #expect(reply.status == 400 && reply.error?.error == "invalid_field" && reply.error?.field == "phone")
                #expect(reply.error?.message.hasPrefix(prefix) == true, "\(language): \(reply.text)")
            }
            let missing = try await c.client.execute(uri: "/v1/cases/7", method: .get, headers: [.acceptLanguage: "vi"]) { r in
                TestApp.Reply(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
            }
            #expect(missing.status == 401 && missing.error?.message.hasPrefix("Cần mã truy cập hợp lệ") == true)
        }
    }
}

@Suite struct VenueKeyAndExitTests {
    @Test func scanningThePosterAgainOnTheWayOutOffersCheckOutFirst() async throws {
        try await TestApp.make().run { plain in
            let reg = try await plain.register()
            let phone = plain.withCookie(TestApp.Client.device(7))
            #expect(try await phone.call(.post, reg.checkinPath, body: Array("name=An&phone=0912345678".utf8)).status == 303)
            let again = try await phone.call(.get, reg.checkinPath, accept: "text/html")
            #expect(again.status == 200 && again.text.contains(#"id="checkout-first""#))
            // Another phone sees the plain form: nothing about who is inside.
            let other = try await plain.withCookie(TestApp.Client.device(8)).call(.get, reg.checkinPath, accept: "text/html")
            #expect(!other.text.contains("checkout-first"))
            let form = again.text
            let action = try #require(form.range(of: #"action="/r/[^"]+/checkout""#, options: .regularExpression).map { String(form[$0].dropFirst(8).dropLast()) })
            let secret = try #require(form.range(of: #"name="s" value="[^"]+""#, options: .regularExpression).map { String(form[$0].dropFirst(16).dropLast()) })
            let out = try await phone.call(.post, action, body: Array("s=\(secret)".utf8))
            #expect(out.status == 200 && out.text.contains("ĐÃ RA"))
            #expect(!(try await phone.call(.get, reg.checkinPath, accept: "text/html")).text.contains("checkout-first"))
        }
    }

    @Test func anAdminReplacesALostKeyAndTheOldOneStopsWorking() async throws {
        let test = try await TestApp.make { $0.passwordCost = 4 }
        _ = try await test.app.createAccount(username: "boss", role: "admin", password: "correct horse battery", by: StaffAccountTests.admin)
        try await test.run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let tracer = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer", "label": "t"}"#)
            let tracerToken = try #require(try JSONSerialization.jsonObject(with: Data(tracer.body)) as? [String: Any])["token"] as? String
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/key", token: tracerToken).status == 403)
            #expect(try await c.call(.post, "/v1/venues/\(reg.venue.id)/key", token: reg.managementToken).status == 403)
            let replaced = try await c.call(.post, "/v1/venues/\(reg.venue.id)/key", token: TestApp.adminToken)
            #expect(replaced.status == 201)
            let key = try #require(try JSONSerialization.jsonObject(with: Data(replaced.body)) as? [String: Any])["managementToken"] as? String
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: reg.managementToken).status == 401)
            #expect(try await owner.call(.get, "/venue").status == 303, "the old key's session ended")
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: try #require(key)).status == 200)

            let (_, admin) = try await c.staffSignIn("boss", "correct horse battery")
            let found = try await admin.call(.get, "/admin/venues?id=\(reg.venue.id)")
            #expect(found.status == 200 && found.text.contains("Quán Phở Bà Tư"))
            #expect(try await admin.call(.get, "/admin/venues?id=999").status == 404)
            let csrf = try await admin.csrf(on: "/admin/venues?id=\(reg.venue.id)")
            #expect(try await admin.form("/admin/venues/key", ["csrf": csrf, "id": String(reg.venue.id)]).status == 400)
            let issued = try await admin.form("/admin/venues/key", ["csrf": csrf, "id": String(reg.venue.id), "confirm": "yes"])
            #expect(issued.status == 200 && issued.text.contains(#"id="new-key""#))
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: try #require(key)).status == 401)
        }
    }
}

@Suite struct VenueStatusPageTests {
    @Test func theStatusPageShowsTheComingLevelThenTheOneInForceWithTheVenuesMeasure() async throws {
        let clock = TestClock()
        try await TestApp.make { $0.clock = clock.read }.run { c in
            let health = try await c.token("health"), tracer = try await c.token("tracer")
            let karaoke = try await c.register(name: "Karaoke Ánh Dương", area: "01840", category: "high_risk_service")
            for (code, population) in ["01840": 10_000, "058": 40_000, "06": 316_463] {
                _ = try await c.call(.put, "/v1/areas/\(code)/population", token: health, json: #"{"population": \#(population)}"#)
            }
            try await c.confirm(3, phonePrefix: "0901111", tracer: tracer)
            try await c.confirm(1, phonePrefix: "0903333", day: "2021-11-12", tracer: tracer)
            #expect(try await c.call(.post, "/v1/areas/06/announcements", token: health,
                                     json: #"{"date": "2021-11-19", "announcedAt": "2021-11-19T18:00:00+07:00"}"#).status == 201)
            let owner = try await c.signIn(karaoke.managementToken)
            clock.set(try Instant.parse("2021-11-20T12:00:00+07:00", field: "t"))
            let before = try await owner.call(.get, "/venue/status").text
            #expect(before.contains(#"<div class="box level-2" id="upcoming">"#) && before.contains("Dừng hoạt động hoặc Hạn chế hoạt động"))
            #expect(before.contains(#"<p class="muted" id="in-force">"#))
            clock.set(try Instant.parse("2021-11-22T08:00:00+07:00", field: "t"))
            let after = try await owner.call(.get, "/venue/status").text
            #expect(after.contains(#"<div class="box level-2" id="in-force">"#) && !after.contains(#"id="upcoming""#))
        }
    }
}

@Suite struct PaperLogUploadTests {
    static func multipart(_ parts: [(name: String, filename: String?, value: String)], boundary: String) -> [UInt8] {
        var body = ""
        for p in parts {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(p.name)\"" + (p.filename.map { "; filename=\"\($0)\"" } ?? "") + "\r\n"
            if p.filename != nil { body += "Content-Type: text/csv\r\n" }
            body += "\r\n\(p.value)\r\n"
        }
        return Array((body + "--\(boundary)--\r\n").utf8)
    }

    @Test func aPaperLogUploadedAsAFileIsImportedWithItsReportAsATable() async throws {
        let test = try await TestApp.make()
        // A venue registered yesterday (a log cannot hold visits from before the venue registered).
        let fresh = try await test.app.registerVenue(VenueRegistration(name: "Quán Phở", address: "x", areaCode: "01843", category: "restaurant",
                                                                       contactPhone: "0912345678"))
        var older = fresh.venue
        older.id = fresh.venue.id + 1
        older.shortCode = "ZZZZZZZZZZ"
        older.createdAt = Date().addingTimeInterval(-86400)
        #expect(try await test.app.store.insertVenue(older))
        let key = try await test.app.createToken(role: .venue, venueID: older.id, label: "test")
        let olderID = older.id
        try await test.run { c in
            struct Reg { struct V { let id: Int64 }; let venue: V }
            let reg = Reg(venue: .init(id: olderID))
            let owner = try await c.signIn(key)
            let csrf = try await owner.csrf(on: "/venue/import")
            let now = Date()
            let csv = """
                venue_id,phone,name,id_number,checkin_at,checkout_at
                \(reg.venue.id),0911 222 333,Trần Văn Cường,,\(Instant.spreadsheet(now.addingTimeInterval(-7200))),\(Instant.spreadsheet(now.addingTimeInterval(-3600)))
                \(reg.venue.id),911222444,Lý Thị Dung,,\(Instant.spreadsheet(now.addingTimeInterval(-7000))),
                \(reg.venue.id),12,Ai Đó,,\(Instant.spreadsheet(now.addingTimeInterval(-6000))),
                """
            func upload(_ parts: [(name: String, filename: String?, value: String)]) async throws -> TestApp.Reply {
                try await owner.client.execute(uri: "/venue/import", method: .post,
                                               headers: [.contentType: "multipart/form-data; boundary=XyZ", .cookie: owner.cookie ?? ""],
                                               body: .init(bytes: Self.multipart(parts, boundary: "XyZ"))) { r in
                    TestApp.Reply(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
                }
            }
            let forged = try await upload([(name: "body", filename: "log.csv", value: csv)])
            #expect(forged.status == 403, "no CSRF token: \(forged.status) \(forged.text.prefix(2000))")
            let done = try await upload([(name: "csrf", filename: nil, value: csrf), (name: "body", filename: "log.csv", value: csv)])
            #expect(done.status == 200 && done.text.contains(#"<strong id="import-accepted">2</strong>"#), "\(done.text.components(separatedBy: "<tbody>").dropFirst().joined())")
            #expect(done.text.contains(#"id="import-rejected""#) && done.text.contains("<td>4</td><td>phone</td>"))
            #expect(done.text.contains(#"id="import-repaired""#) && done.text.contains("911222444 → 0911222444"))
            let log = try await c.call(.get, "/v1/venues/\(reg.venue.id)/visits", token: key).text
            #expect(log.contains("Trần Văn Cường") && log.contains("Lý Thị Dung") && !log.contains("Ai Đó"))
            let empty = try await upload([(name: "csrf", filename: nil, value: csrf), (name: "body", filename: "log.csv", value: "")])
            #expect(empty.status == 400 && empty.text.contains("err"))
        }
    }
}

@Suite struct PagingTests {
    @Test func todaysCheckInsAndTheLogArePaged() async throws {
        try await TestApp.make { $0.checkinRateLimit = 0 }.run { c in
            let reg = try await c.register()
            for i in 0..<60 { #expect(try await c.checkin(reg, name: "Khách \(["A", "B", "C", "D", "E", "G"][i % 6])", phone: String(format: "0912%06d", i)).status == 201) }
            let owner = try await c.signIn(reg.managementToken)
            let first = try await owner.call(.get, "/venue").text
            let todayTable = first.components(separatedBy: #"<table id="today">"#).last ?? ""
            #expect(todayTable.components(separatedBy: "<tr><td>Khách").count - 1 == 50)
            #expect(first.contains(#"href="/venue?page=2" rel="next""#) && first.contains("Trang 1/2"))
            let second = try await owner.call(.get, "/venue?page=2").text
            #expect(second.contains("Trang 2/2") && second.contains(#"rel="prev""#))
            let log = try await owner.call(.get, "/venue/log").text
            #expect(log.contains(#"<span id="log-count">60</span>"#) && !log.contains("Trang 1/"))
        }
    }
}

@Suite struct AuthMiddlewareTests {
    @Test func theCallerIsResolvedOnceAndABadTokenOnlyMattersWhereACallerIsNeeded() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            #expect(try await c.call(.get, "/healthz", token: "tv_not-a-token").status == 200)
            #expect(try await c.call(.get, reg.checkinPath, token: "tv_not-a-token", accept: "text/html").status == 200)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: "tv_not-a-token").status == 401)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: reg.managementToken).status == 200)
            // A bearer token wins over a session cookie, and a revoked one is refused even with a session beside it.
            let owner = try await c.signIn(reg.managementToken)
            #expect(try await owner.call(.get, "/v1/venues/\(reg.venue.id)", token: "tv_not-a-token").status == 401)
            #expect(try await owner.call(.get, "/v1/venues/\(reg.venue.id)").status == 200)
        }
    }
}
