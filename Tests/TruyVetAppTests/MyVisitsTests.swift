import Foundation
import HTTPTypes
import Testing
import TruyVetApp
import TruyVetCore

/// A visitor's own history without an account: the device token of apps, the `/me` page of browsers, exposure marks
/// from published windows, "forget this device", the health department's advice. (Both stores.)
@Suite struct MyVisitsTests {
    struct History: Decodable {
        struct VenueRef: Decodable { let id: Int64; let name: String; let place: String }
        struct Window: Decodable { let from: String; let to: String }
        struct Visit: Decodable {
            let visitId: String, checkoutSecret: String, venue: VenueRef, checkedInAt: String, checkedOutAt: String?
            let endsAt: String, open: Bool, exposures: [Window]
        }
        struct Advice: Decodable { let vi: String; let en: String }
        let since: String
        let visits: [Visit]
        let exposed: Bool
        let advice: Advice
    }

    struct CheckinReply: Decodable { let visitId: String; let checkoutSecret: String; let deviceToken: String? }

    static func device(_ token: String) -> HTTPFields { [HTTPField.Name("Device-Token")!: token] }

    static func checkin(_ c: TestApp.Client, _ venue: Registered, phone: String, device: String? = nil, key: String? = nil,
                        at: Date = Date()) async throws -> CheckinReply {
        let token = venue.venue.checkinUrl.split(separator: "/").last!
        var fields = [#""token": "\#(token)""#, #""phone": "\#(phone)""#, #""name": "Khách Hàng""#, #""at": "\#(Instant.format(at))""#]
        if let device { fields.append(#""deviceToken": "\#(device)""#) }
        if let key { fields.append(#""idempotencyKey": "\#(key)""#) }
        let r = try await c.call(.post, "/v1/checkins", json: "{" + fields.joined(separator: ", ") + "}")
        guard r.status == 201 || r.status == 200 else { throw TestFailure("check-in answered \(r.status): \(r.text)") }
        return try r.json(CheckinReply.self)
    }

    static func history(_ c: TestApp.Client, _ token: String) async throws -> History {
        let r = try await c.call(.get, "/v1/me/visits", headers: device(token))
        guard r.status == 200 else { throw TestFailure("history answered \(r.status): \(r.text)") }
        #expect(r.headers[.cacheControl] == "no-store")
        return try r.json(History.self)
    }

    @Test func theFirstCheckInReturnsADeviceTokenThatShowsThatDevicesVisitsOnly() async throws {
        try await TestApp.make().run { c in
            let cafe = try await c.register(name: "Cà phê Sen")
            let market = try await c.register(name: "Chợ Đức Xuân", category: "retail")
            let first = try await Self.checkin(c, cafe, phone: "0901000001", at: Date().addingTimeInterval(-120))
            let token = try #require(first.deviceToken)
            #expect(token.count == 22)
            // Later check-ins from the device send it; none is issued again.
            let second = try await Self.checkin(c, market, phone: "0901000001", device: token)
            #expect(second.deviceToken == nil)
            // Someone else's device typing the same phone: a device of its own, seeing only its own check-in.
            let other = try #require(try await Self.checkin(c, cafe, phone: "0901000001").deviceToken)
            #expect(other != token)
            let mine = try await Self.history(c, token)
            #expect(mine.visits.map(\.venue.name) == ["Chợ Đức Xuân", "Cà phê Sen"])
            #expect(mine.visits.map(\.visitId) == [second.visitId, first.visitId])
            #expect(mine.visits.allSatisfy { $0.checkedOutAt == nil && $0.exposures.isEmpty })
            // Still at the market; the café stay ended when the same device checked in at the market.
            #expect(mine.visits.map(\.open) == [true, false] && mine.visits[1].endsAt == mine.visits[0].checkedInAt)
            #expect(mine.visits[0].venue.place == "Phường Phùng Chí Kiên, Thành Phố Bắc Kạn")
            #expect(!mine.exposed && !mine.advice.vi.isEmpty && !mine.advice.en.isEmpty)
            let theirs = try await Self.history(c, other)
            #expect(theirs.visits.map(\.visitId) == [try #require(theirs.visits.first).visitId] && theirs.visits.count == 1)
            #expect(!theirs.visits.contains { [first.visitId, second.visitId].contains($0.visitId) })
            // A token nobody was given: nothing.
            #expect(try await Self.history(c, "AAAAAAAAAAAAAAAAAAAAAA").visits.isEmpty)
            // Bad or missing tokens are errors naming the field.
            #expect(try await c.call(.get, "/v1/me/visits").error?.field == "Device-Token")
            #expect(try await c.call(.get, "/v1/me/visits", headers: Self.device("short")).error?.field == "Device-Token")
            let bad = try await c.call(.post, "/v1/checkins", json: #"{"token": "\#(cafe.venue.checkinUrl.split(separator: "/").last!)", "phone": "0901000009", "name": "X", "deviceToken": "not a token"}"#)
            #expect(bad.status == 400 && bad.error?.field == "deviceToken")
            // The check-out secret in the history checks the visit out, and the history shows it.
            let out = try await c.call(.post, "/v1/visits/\(mine.visits[0].visitId)/checkout", json: #"{"checkoutSecret": "\#(mine.visits[0].checkoutSecret)"}"#)
            #expect(out.status == 200)
            let after = try await Self.history(c, token)
            #expect(after.visits[0].checkedOutAt != nil && !after.visits[0].open)
        }
    }

    @Test func aRetriedCheckInGetsTheTokenOfItsFirstTry() async throws {
        try await TestApp.make().run { c in
            let cafe = try await c.register()
            let a = try await Self.checkin(c, cafe, phone: "0901000001", key: "retry-key-0001")
            let b = try await Self.checkin(c, cafe, phone: "0901000001", key: "retry-key-0001")
            #expect(a.visitId == b.visitId && a.deviceToken != nil && a.deviceToken == b.deviceToken)
            #expect(try await Self.history(c, try #require(a.deviceToken)).visits.map(\.visitId) == [a.visitId])
        }
    }

    @Test func aPublishedWindowMarksExactlyTheVisitsThatOverlapIt() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let cafe = try await c.register(name: "Cà phê Sen")
            let market = try await c.register(name: "Chợ Đức Xuân", category: "retail")
            let now = Date()
            // The case at the café; the visitor at the café and then at the market.
            _ = try await Self.checkin(c, cafe, phone: "0901234567", at: now.addingTimeInterval(-240))
            let visitor = try #require(try await Self.checkin(c, cafe, phone: "0907000001", at: now.addingTimeInterval(-180)).deviceToken)
            _ = try await Self.checkin(c, market, phone: "0907000001", device: visitor, at: now.addingTimeInterval(-60))
            #expect(try await !Self.history(c, visitor).exposed)
            let kase = try await c.call(.post, "/v1/cases", token: tracer, json: PrivacyTests.caseBody(phone: "0901234567", confirmedAt: now.addingTimeInterval(120)))
            let id = try kase.json(CaseReply.self).id
            // Unpublished, the case changes nothing a visitor sees.
            #expect(try await !Self.history(c, visitor).exposed)
            let window = #"{"windows": [{"venueId": \#(cafe.venue.id), "from": "\#(Instant.format(now.addingTimeInterval(-240)))", "to": "\#(Instant.format(now.addingTimeInterval(100)))"}]}"#
            let published = try await c.call(.post, "/v1/cases/\(id)/exposure-sites/publish", token: tracer, json: window)
            #expect(published.status == 201)
            let reply = try await c.call(.get, "/v1/me/visits", headers: Self.device(visitor))
            let history = try reply.json(History.self)
            #expect(history.exposed)
            #expect(history.visits.map(\.venue.name) == ["Chợ Đức Xuân", "Cà phê Sen"])
            #expect(history.visits[0].exposures.isEmpty)
            // The café visit from its check-in until the visitor checked in at the market (the next check-in from the
            // same device ends a stay), inside the published window.
            let exposure = try #require(history.visits[1].exposures.first)
            #expect(exposure.from == Instant.format(now.addingTimeInterval(-180)) && exposure.to == Instant.format(now.addingTimeInterval(-60)))
            // Nothing about the case or anyone else.
            for secret in ["0901234567", "+84901234567", "Khách Hàng", "\"caseId\"", "\"case\""] { #expect(!reply.text.contains(secret)) }
            // Withdrawn, the mark goes.
            struct Published: Decodable { let id: Int64 }
            let windowID = try #require(try published.json([Published].self).first).id
            #expect(try await c.call(.delete, "/v1/exposure-windows/\(windowID)", token: tracer).status == 200)
            #expect(try await !Self.history(c, visitor).exposed)
        }
    }

    @Test func forgettingADeviceEmptiesItsHistoryAndKeepsTheVisitsForTracing() async throws {
        let t = try await TestApp.make()
        try await t.run { c in
            let cafe = try await c.register()
            let token = try #require(try await Self.checkin(c, cafe, phone: "0901000001").deviceToken)
            _ = try await Self.checkin(c, cafe, phone: "0901000002", device: token, at: Date().addingTimeInterval(-30))
            #expect(try await Self.history(c, token).visits.count == 2)
            let forgot = try await c.call(.delete, "/v1/me", headers: Self.device(token))
            #expect(forgot.status == 200 && forgot.text.contains(#""unlinkedVisits":2"#))
            #expect(try await Self.history(c, token).visits.isEmpty)
            #expect(try await t.app.store.visitCount() == 2)
            // A check-in from the same token afterwards starts a new history: the old visits do not come back.
            _ = try await Self.checkin(c, cafe, phone: "0901000003", device: token)
            #expect(try await Self.history(c, token).visits.count == 1)
        }
    }

    @Test func theHistoryPageShowsThisBrowsersCheckInsOnlyAndIsNeverCached() async throws {
        try await TestApp.make().run { c in
            let cafe = try await c.register(name: "Cà phê Sen")
            let posted = try await c.call(.post, cafe.checkinPath, body: Array("name=Nguy%E1%BB%85n+V%C4%83n+An&phone=0912+345+678".utf8))
            #expect(posted.status == 303)
            let cookie = try #require(posted.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let receipt = try await c.call(.get, try #require(posted.headers[.location]))
            #expect(receipt.text.contains("href=\"/me\""))
            let mine = c.withCookie(cookie)
            let page = try await mine.call(.get, "/me")
            #expect(page.status == 200 && page.headers[.cacheControl] == "no-store")
            #expect(page.text.contains("Cà phê Sen") && page.text.contains("Phùng Chí Kiên") && page.text.contains("action=\"/me/checkout\""))
            #expect(!page.text.contains("0912") && !page.text.contains("Nguyễn"))
            // Another browser, or none: nothing of it.
            let stranger = try await c.withCookie("tv_device=AAAAAAAAAAAAAAAAAAAAAA").call(.get, "/me")
            #expect(stranger.status == 200 && !stranger.text.contains("Cà phê Sen") && stranger.text.contains("no-visits"))
            #expect(try await !c.call(.get, "/me").text.contains("Cà phê Sen"))
            // Check-out from the history comes back to it, checked out.
            let ref = try #require(page.text.range(of: #"name="ref" value="([^"]+)""#, options: .regularExpression).map { String(page.text[$0]) })
            let secret = try #require(page.text.range(of: #"name="s" value="([^"]+)""#, options: .regularExpression).map { String(page.text[$0]) })
            func value(_ attribute: String) -> String { String(attribute.split(separator: "\"")[3]) }
            let out = try await mine.call(.post, "/me/checkout", body: Array("ref=\(value(ref))&s=\(value(secret))".utf8))
            #expect(out.status == 303 && out.headers[.location] == "/me")
            #expect(try await !mine.call(.get, "/me").text.contains("action=\"/me/checkout\""))
            #expect(try await mine.call(.post, "/me/checkout", body: Array("ref=\(value(ref))&s=wrong".utf8)).status == 404)
            // Forget: the cookie is removed and the page is empty.
            let forget = try await mine.call(.post, "/me/forget")
            #expect(forget.status == 303 && forget.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await mine.call(.get, "/me").text.contains("no-visits"))
        }
    }

    @Test func theHealthDepartmentWritesTheAdvice() async throws {
        try await TestApp.make().run { c in
            let health = try await c.token("health")
            let venue = try await c.register()
            let standard = try await c.call(.get, "/v1/exposure-advice").json(History.Advice.self)
            #expect(standard.vi == TruyVet.ExposureAdvice.standard.vi)
            let body = #"{"vi": "Gọi trạm y tế phường Đức Xuân: 0209 3870 000.", "en": "Call the Đức Xuân health station: 0209 3870 000."}"#
            #expect(try await c.call(.put, "/v1/exposure-advice", token: venue.managementToken, json: body).status == 403)
            #expect(try await c.call(.put, "/v1/exposure-advice", json: body).status == 401)
            #expect(try await c.call(.put, "/v1/exposure-advice", token: health, json: #"{"vi": " ", "en": "x"}"#).error?.field == "vi")
            #expect(try await c.call(.put, "/v1/exposure-advice", token: health, json: #"{"vi": "x"}"#).error?.field == "en")
            #expect(try await c.call(.put, "/v1/exposure-advice", token: health, json: body).status == 200)
            let token = try #require(try await Self.checkin(c, venue, phone: "0901000001").deviceToken)
            #expect(try await Self.history(c, token).advice.vi == "Gọi trạm y tế phường Đức Xuân: 0209 3870 000.")
            let audit = try await c.call(.get, "/v1/audit", token: TestApp.adminToken)
            #expect(audit.text.contains("exposure_advice.set"))
        }
    }
}

@Suite struct AdviceConsoleTests {
    @Test func aHealthOfficerWritesTheAdviceInTheConsoleAndATracerCannot() async throws {
        let test = try await TestApp.make { $0.passwordCost = 4 }
        let admin = Principal(role: .admin, label: "test")
        _ = try await test.app.createAccount(username: "minh", role: "health", password: "mat khau cua minh", by: admin)
        _ = try await test.app.createAccount(username: "lan", role: "tracer", password: "mat khau cua lan", by: admin)
        try await test.run { c in
            let (_, health) = try await c.staffSignIn("minh", "mat khau cua minh")
            #expect(try await health.call(.get, "/staff").text.contains("href=\"/advice\""))
            let page = try await health.call(.get, "/advice")
            #expect(page.status == 200 && page.text.contains(TruyVet.ExposureAdvice.standard.en) && page.text.contains("for=\"f-vi\""))
            let csrf = try await health.csrf(on: "/advice")
            let empty = try await health.form("/advice", ["csrf": csrf, "vi": "", "en": "Call us."])
            #expect(empty.status == 400 && empty.text.contains("Call us."))
            #expect(try await health.form("/advice", ["vi": "Gọi chúng tôi.", "en": "Call us."]).status == 403, "no CSRF token")
            let saved = try await health.form("/advice", ["csrf": csrf, "vi": "Gọi trạm y tế: 0209 3870 000.", "en": "Call the health station."])
            #expect(saved.status == 200 && saved.text.contains("Đã lưu"))
            #expect(try await test.app.exposureAdvice().vi == "Gọi trạm y tế: 0209 3870 000.")
            let (_, tracer) = try await c.staffSignIn("lan", "mat khau cua lan")
            #expect(try await tracer.call(.get, "/advice").status == 403)
        }
    }
}
