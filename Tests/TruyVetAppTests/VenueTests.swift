import Foundation
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetTestSupport

@Suite struct VenueTests {
    @Test func healthzAnswersOK() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.get, "/healthz")
            #expect(r.status == 200 && r.text == "ok\n")
        }
    }

    @Test func registeringAVenueAnswersEverythingTheOwnerNeeds() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.post, "/v1/venues", json: """
                {"name": " Quán Phở Bà Tư ", "address": "5 Trường Chinh", "areaCode": "01843", "category": "restaurant",
                 "contactPhone": "0912 345 678", "openingHours": "06:00–22:00"}
                """)
            #expect(r.status == 201)
            let reg = try r.json(Registered.self)
            #expect(reg.venue.name == "Quán Phở Bà Tư")
            #expect(reg.venue.contactPhone == "+84912345678")
            #expect(reg.venue.defaultStayMinutes == 120)
            #expect(reg.venue.area.map(\.code) == ["01843", "058", "06"])
            #expect(reg.venue.area.last?.name == "Tỉnh Bắc Kạn")
            #expect(reg.venue.checkinUrl.hasPrefix("https://qr.truyvet.test/c/"))
            #expect(reg.venue.checkinUrl.count <= "https://qr.truyvet.test/c/".count + 48)
            #expect(reg.venue.shortCode.count == 12)
            #expect(reg.managementToken.hasPrefix("tv_"))
            #expect(r.headers[.location] == reg.venue.links.venue)
            #expect(reg.venue.links.posterPdf == "https://qr.truyvet.test/v1/venues/\(reg.venue.id)/poster.pdf")
        }
    }

    @Test func theManagementTokenOpensOnlyItsOwnVenue() async throws {
        try await TestApp.make().run { c in
            let a = try await c.register(name: "A")
            let b = try await c.register(name: "B")
            #expect(try await c.call(.get, "/v1/venues/\(a.venue.id)", token: a.managementToken).status == 200)
            #expect(try await c.call(.get, "/v1/venues/\(a.venue.id)", token: TestApp.adminToken).status == 200)
            let other = try await c.call(.get, "/v1/venues/\(a.venue.id)/poster.pdf", token: b.managementToken)
            #expect(other.status == 403 && other.error?.error == "forbidden")
            let none = try await c.call(.get, "/v1/venues/\(a.venue.id)/poster.pdf")
            #expect(none.status == 401 && none.error?.error == "unauthorized")
            #expect(try await c.call(.get, "/v1/venues/\(a.venue.id)", token: "tv_nope").status == 401)
            #expect(try await c.call(.get, "/v1/venues/\(a.venue.id)", token: nil).status == 401)
            #expect(try await c.call(.post, "/v1/venues/\(a.venue.id)/poster/rotate", token: b.managementToken).status == 403)
        }
    }

    @Test func theDownloadedPDFPosterScansToTheCheckinURLAndNamesTheVenue() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register(name: "Tiệm Cà Phê Ngọc Ánh — Chợ Đức Xuân")
            let r = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.pdf", token: reg.managementToken)
            #expect(r.status == 200 && r.headers[.contentType] == "application/pdf")
            #expect(try Tools.scanPDF(r.body) == [reg.venue.checkinUrl])
            let text = try Tools.pdfText(r.body)
            #expect(text.contains("Tiệm Cà Phê Ngọc Ánh — Chợ Đức Xuân"))
            #expect(text.contains("Phường Phùng Chí Kiên, Thành Phố Bắc Kạn, Tỉnh Bắc Kạn"))
            #expect(text.contains(reg.venue.shortCode))
        }
    }

    @Test func pngAndSvgPostersScan() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let dir = try Tools.temporaryDirectory()
            let png = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.png?scale=6", token: reg.managementToken)
            #expect(png.headers[.contentType] == "image/png")
            #expect(try Tools.scan([Tools.write(png.body, "qr.png", in: dir)]) == [reg.venue.checkinUrl])
            let page = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.png?layout=page", token: reg.managementToken)
            #expect(try Tools.scan([Tools.write(page.body, "page.png", in: dir)]) == [reg.venue.checkinUrl])
            let svg = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.svg", token: reg.managementToken)
            #expect(svg.headers[.contentType] == "image/svg+xml")
            let svgPath = try Tools.write(svg.body, "qr.svg", in: dir)
            try Tools.run(["rsvg-convert", "-w", "400", "-b", "white", "-o", dir.appendingPathComponent("svg.png").path, svgPath])
            #expect(try Tools.scan([dir.appendingPathComponent("svg.png").path]) == [reg.venue.checkinUrl])

            let badScale = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.png?scale=0", token: reg.managementToken)
            #expect(badScale.status == 400 && badScale.error?.field == "scale")
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.gif", token: reg.managementToken).status == 404)
        }
    }

    @Test func genuinePostersOpenTheVenueAndEveryBadCodeGetsTheSame404() async throws {
        let t = try await TestApp.make()
        try await t.run { c in
            let reg = try await c.register()
            let ok = try await c.call(.get, reg.checkinPath)
            #expect(ok.status == 200 && ok.text.contains("Quán Phở Bà Tư"))
            let html = try await c.call(.get, reg.checkinPath, accept: "text/html")
            #expect(html.status == 200 && html.text.contains("<h1>Quán Phở Bà Tư</h1>"))

            let token = String(reg.checkinPath.dropFirst(3))
            var tampered = Array(token)
            tampered[10] = tampered[10] == "A" ? "B" : "A"
            let otherKey = try SigningKeyring(keys: [1: SigningKeyring.generateKey()], currentID: 1)
            let forged = PosterToken.sign(venueID: reg.venue.id, generation: 1, keyring: otherKey)
            let unknownVenue = PosterToken.sign(venueID: 12345, generation: 1, keyring: t.app.keyring)
            let futureGeneration = PosterToken.sign(venueID: reg.venue.id, generation: 2, keyring: t.app.keyring)
            let bad = ["/c/" + String(tampered), "/c/" + forged, "/c/" + unknownVenue, "/c/" + futureGeneration, "/c/short", "/c/" + token + "A"]
            var bodies = Set<[UInt8]>(), htmlBodies = Set<[UInt8]>()
            for path in bad {
                let r = try await c.call(.get, path)
                #expect(r.status == 404, "\(path)")
                bodies.insert(r.body)
                let h = try await c.call(.get, path, accept: "text/html,application/xhtml+xml")
                #expect(h.status == 404)
                htmlBodies.insert(h.body)
            }
            #expect(bodies.count == 1 && htmlBodies.count == 1, "one answer for every kind of bad code")
            #expect(try await c.call(.get, "/c/" + String(tampered)).error == ErrorReply(error: "not_found", message: "this check-in code is not valid", field: nil))
        }
    }

    @Test func rotatingThePosterRetiresTheOldCode() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let rotated = try await c.call(.post, "/v1/venues/\(reg.venue.id)/poster/rotate", token: reg.managementToken)
            #expect(rotated.status == 200)
            let venue = try rotated.json(Registered.Venue.self)
            #expect(venue.posterGeneration == 2 && venue.checkinUrl != reg.venue.checkinUrl)
            #expect(try await c.call(.get, reg.checkinPath).status == 404)
            #expect(try await c.call(.get, String(venue.checkinUrl.dropFirst("https://qr.truyvet.test".count))).status == 200)
            let pdf = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster.pdf", token: reg.managementToken)
            #expect(try Tools.scanPDF(pdf.body) == [venue.checkinUrl])
        }
    }

    @Test(arguments: [
        (#"{"address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678"}"#, "name", "missing_field"),
        (#"{"name": 5, "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678"}"#, "name", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "99999", "category": "office", "contactPhone": "0912345678"}"#, "areaCode", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "058", "category": "office", "contactPhone": "0912345678"}"#, "areaCode", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "01843", "category": "casino", "contactPhone": "0912345678"}"#, "category", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "=1+1"}"#, "contactPhone", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678", "defaultStayMinutes": 99999}"#, "defaultStayMinutes", "invalid_field"),
        (#"{"name": "A", "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678", "capacity": 1.5}"#, "capacity", "invalid_field"),
        (#"{"name": "A\u0000B", "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678"}"#, "name", "invalid_field"),
        ("{", "body", "invalid_json"),
        ("[]", "body", "invalid_field"),
        ("", "body", "empty_body"),
    ])
    func badRegistrationsAreClearErrors(body: String, field: String, code: String) async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.post, "/v1/venues", json: body)
            #expect(r.status == 400)
            #expect(r.error?.field == field)
            #expect(r.error?.error == code)
            #expect(r.error?.message.isEmpty == false)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerJSON() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.get, "/v1/nothing-here")
            #expect(r.status == 404 && r.error?.error == "not_found")
            #expect(try await c.call(.get, "/v1/venues/abc", token: TestApp.adminToken).error?.field == "id")
            #expect(try await c.call(.get, "/v1/venues/4242", token: TestApp.adminToken).status == 404)
        }
    }

    @Test func closedRegistrationNeedsAnAdmin() async throws {
        try await TestApp.make { $0.openRegistration = false }.run { c in
            let body = #"{"name": "A", "address": "x", "areaCode": "01843", "category": "office", "contactPhone": "0912345678"}"#
            #expect(try await c.call(.post, "/v1/venues", json: body).status == 401)
            let tracer = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer"}"#).json(TokenReply.self)
            #expect(try await c.call(.post, "/v1/venues", token: tracer.token, json: body).status == 403)
            #expect(try await c.call(.post, "/v1/venues", token: TestApp.adminToken, json: body).status == 201)
        }
    }

    @Test func batchPostersHaveOnePagePerVenueOfTheArea() async throws {
        try await TestApp.make().run { c in
            var urls: [String] = []
            for name in ["Chợ Đức Xuân", "Bến xe Bắc Kạn", "Trường THPT Bắc Kạn"] {
                urls.append(try await c.register(name: name).venue.checkinUrl)
            }
            _ = try await c.register(name: "Hà Nội venue", area: "00001")
            let r = try await c.call(.get, "/v1/posters?area=06", token: TestApp.adminToken)
            #expect(r.status == 200 && r.headers[.contentType] == "application/pdf")
            #expect(try Tools.pdfPageCount(r.body) == 3)
            #expect(Set(try Tools.scanPDF(r.body)) == Set(urls))
            #expect(try await c.call(.get, "/v1/posters?area=02", token: TestApp.adminToken).error?.error == "no_venues")
            #expect(try await c.call(.get, "/v1/posters?area=06").status == 401)
            #expect(try await c.call(.get, "/v1/posters", token: TestApp.adminToken).error?.field == "area")
        }
    }

    @Test func venuesOfAnAreaAreListedForStaffRoles() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let list = try await c.call(.get, "/v1/venues?area=058", token: TestApp.adminToken)
            #expect(list.status == 200 && list.text.contains("\"id\":\(reg.venue.id)"))
            #expect(try await c.call(.get, "/v1/venues?area=058", token: reg.managementToken).status == 403)
            #expect(try await c.call(.get, "/v1/venues?area=058&limit=0", token: TestApp.adminToken).error?.field == "limit")
        }
    }
}

struct TokenReply: Decodable { let token: String; let role: String }
