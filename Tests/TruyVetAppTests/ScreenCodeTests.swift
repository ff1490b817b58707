import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

extension TestApp.Client {
    /// The check-in URL the door screen shows now.
    func screenURL() async throws -> String {
        let page = try await call(.get, "/venue/screen").text
        guard let range = page.range(of: #"id="screen-url">([^<]+)<"#, options: .regularExpression) else { throw TestFailure("no screen code") }
        return String(page[range].dropFirst(#"id="screen-url">"#.count).dropLast())
    }
}

@Suite struct ScreenCodeTests {
    @Test func theScreenCodeChangesEachStepAndACodeTwoStepsOldIsRefused() async throws {
        let clock = TestClock()
        try await TestApp.make { $0.clock = clock.read; $0.screenCodeSeconds = 30 }.run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let page = try await owner.call(.get, "/venue/screen")
            #expect(page.text.contains(#"<meta http-equiv="refresh" content=""#) && page.text.contains("data:image/svg+xml;base64,"))
            let first = try await owner.screenURL()
            #expect(first.hasPrefix("https://qr.truyvet.test/c/") && first != reg.venue.checkinUrl)
            #expect(try await c.checkin(reg, name: "An", phone: "0912 000 001", token: first).status == 201)
            clock.advance(30)
            let second = try await owner.screenURL()
            #expect(second != first)
            // The step before is still accepted (a slow scan), on the page and through the API.
            #expect(try await c.call(.get, String(first.dropFirst("https://qr.truyvet.test".count)), accept: "text/html").status == 200)
            #expect(try await c.checkin(reg, name: "Bình", phone: "0912 000 002", token: first).status == 201)
            clock.advance(30)
            #expect(try await c.checkin(reg, name: "Chi", phone: "0912 000 003", token: first).status == 404)
            #expect(try await c.call(.get, String(first.dropFirst("https://qr.truyvet.test".count)), accept: "text/html").status == 404)
            #expect(try await c.checkin(reg, name: "Dũng", phone: "0912 000 004", token: second).status == 201)
            // A forged step (a code for the future) is refused like any forgery.
            var bytes = try #require(Base64URL.decode(String(second.split(separator: "/").last!)))
            bytes[15] &+= 5
            #expect(try await c.checkin(reg, name: "Em", phone: "0912 000 005", token: Base64URL.encode(bytes)).status == 404)
        }
    }

    @Test func screenCodesOnlyTurnsThePrintedPosterAndItsShortCodeOff() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf(on: "/venue/settings")
            let settings = try await owner.call(.get, "/venue/settings").text
            #expect(settings.contains(#"value="Quán Phở Bà Tư""#))
            let saved = try await owner.form("/venue/settings", [
                "csrf": csrf, "name": "Quán Phở Bà Tư", "address": "5 Trường Chinh", "category": "restaurant",
                "contactPhone": "0912 345 678", "defaultStayMinutes": "120", "capacity": "40", "screenOnly": "yes"])
            #expect(saved.status == 200 && saved.text.contains("Đã lưu"))
            let poster = try await c.call(.get, reg.checkinPath, accept: "text/html")
            let forged = try await c.call(.get, "/c/forged-code-000000000000000000000000", accept: "text/html")
            #expect(poster.status == 404 && poster.text == forged.text)
            #expect(try await c.checkin(reg).status == 404)
            let short = try await c.call(.post, "/v1/checkins", json: #"{"shortCode": "\#(reg.venue.shortCode)", "name": "An", "phone": "0912345678"}"#)
            #expect(short.status == 404)
            #expect(try await c.call(.get, "/c?shortCode=\(reg.venue.shortCode.replacingOccurrences(of: " ", with: "+"))").status == 404)
            #expect(try await c.checkin(reg, token: try await owner.screenURL()).status == 201)
        }
    }

    @Test func anOwnerEditsTheVenueThroughTheAPIAndTheForm() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let other = try await c.register(name: "Quán Khác")
            let path = "/v1/venues/\(reg.venue.id)"
            let renamed = try await c.call(.patch, path, token: reg.managementToken, json: #"{"name": "Phở Bà Tư", "capacity": 60}"#)
            #expect(renamed.status == 200 && renamed.text.contains(#""name":"Phở Bà Tư""#) && renamed.text.contains(#""capacity":60"#))
            #expect(renamed.text.contains(#""address":"5 Trường Chinh""#) && renamed.text.contains(#""areaCode":"01843""#))
            let bad = try await c.call(.patch, path, token: reg.managementToken, json: #"{"contactPhone": "12345"}"#)
            #expect(bad.status == 400 && bad.error?.field == "contactPhone")
            #expect(try await c.call(.patch, path, token: other.managementToken, json: #"{"name": "Mine"}"#).status == 403)
            #expect(try await c.call(.patch, path, json: #"{"name": "Mine"}"#).status == 401)
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf(on: "/venue/settings")
            let rejected = try await owner.form("/venue/settings", [
                "csrf": csrf, "name": "Phở Bà Tư", "address": "5 Trường Chinh", "category": "restaurant",
                "contactPhone": "0912 345 678", "defaultStayMinutes": "2", "capacity": ""])
            #expect(rejected.status == 400 && rejected.text.contains(#"id="f-defaultStayMinutes-err""#) && rejected.text.contains(#"value="2""#))
            let shown = try await c.call(.get, path, token: reg.managementToken).text
            #expect(shown.contains(#""capacity":60"#) && shown.contains(#""defaultStayMinutes":120"#))
        }
    }
}
