import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

@Suite struct CitizenCardTests {
    static let text = "001089012345|012345678|Nguyễn Văn Bình|15031989|Nam|12 Hàng Bạc, Hoàn Kiếm, Hà Nội|20042021"

    @Test func theCardsQRTextGivesTheIDNumberAndName() throws {
        let card = try CitizenCard.parse(Self.text)
        #expect(card.idNumber == "001089012345" && card.name == "Nguyễn Văn Bình" && card.birthDate == "15031989")
        // A card issued without an old ID number has that part empty.
        #expect(try CitizenCard.parse("001089012345||Lê Thị Hoa|01011990|Nữ|Bắc Kạn|01072021").name == "Lê Thị Hoa")
    }

    @Test(arguments: [
        ("001089012345|Nguyễn Văn Bình", "7 parts"),
        ("00108901234|012345678|Nguyễn Văn Bình|15031989|Nam|x|20042021", "12 digits"),
        ("001089012345|012345678|=1+1|15031989|Nam|x|20042021", "name"),
        ("001089012345|012345678|Nguyễn Văn Bình|31021989|Nam|x|20042021", "birth date"),
        ("001089012345|012345678|Nguyễn Văn Bình|15031989|Nam|x|2004202", "issue date"),
    ]) func malformedCardTextsAreRefusedSayingWhy(text: String, says: String) {
        #expect { try CitizenCard.parse(text) } throws: { error in
            guard let e = error as? AppError else { return false }
            return e.field == "code" && e.message.contains(says)
        }
    }
}

@Suite struct StaffDeskTests {
    @Test func theDeskChecksACardInAndOut() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let issued = try await c.call(.post, "/v1/people/cards", token: TestApp.adminToken,
                                          json: #"{"name": "Bà Tư", "phone": "0912 111 222"}"#)
            let code = try #require(try JSONSerialization.jsonObject(with: Data(issued.body)) as? [String: Any])["code"] as? String
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf(on: "/venue/desk")
            let cardIn = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": try #require(code), "action": "in"])
            #expect(cardIn.status == 201 && cardIn.text.contains(#"<strong id="desk-name">Bà Tư</strong> · ••• 222"#) && cardIn.text.contains("ĐÃ VÀO"))
            let cardOut = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": try #require(code), "action": "out"])
            #expect(cardOut.status == 200 && cardOut.text.contains("ĐÃ RA"))
            let again = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": try #require(code), "action": "out"])
            #expect(again.status == 409 && again.text.contains("f-code-err"))
            #expect(try await owner.form("/venue/desk/scan", ["code": try #require(code)]).status == 403)
        }
    }

    @Test func aCitizenCardChecksItsHolderInByIDNumberAndOutAgain() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf(on: "/venue/desk")
            let first = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": CitizenCardTests.text, "action": "in"])
            #expect(first.status == 201 && first.text.contains("Nguyễn Văn Bình") && first.text.contains("CCCD ••• 345"))
            _ = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": CitizenCardTests.text, "action": "in"])
            let inside = try await c.call(.get, "/v1/venues/\(reg.venue.id)/occupancy", token: reg.managementToken).text
            #expect(inside.contains(#""count":1"#) && inside.contains(#""idNumber":"001089012345""#) && inside.contains(#""phone":"""#), "\(inside)")
            let out = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": CitizenCardTests.text, "action": "out"])
            #expect(out.status == 200 && out.text.contains("ĐÃ RA"))
            let bad = try await owner.form("/venue/desk/scan", ["csrf": csrf, "code": "001089012345|Nguyễn Văn Bình", "action": "in"])
            #expect(bad.status == 400 && bad.text.contains(#"id="f-code-err""#) && bad.text.contains("7 parts"))
            #expect(bad.text.contains(#"value="001089012345|Nguyễn Văn Bình""#))
        }
    }

    @Test func theShortFormTakesAPhoneOrAnIDNumber() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let owner = try await c.signIn(reg.managementToken)
            let csrf = try await owner.csrf(on: "/venue/desk")
            #expect(try await owner.form("/venue/desk/checkin", ["csrf": csrf, "name": "Ông Ba", "phone": "0912 333 444"]).status == 201)
            #expect(try await owner.form("/venue/desk/checkin", ["csrf": csrf, "name": "Bà Năm", "idNumber": "001089099999"]).status == 201)
            let neither = try await owner.form("/venue/desk/checkin", ["csrf": csrf, "name": "Cô Sáu"])
            #expect(neither.status == 400 && neither.text.contains(#"id="f-phone-err""#) && neither.text.contains(#"value="Cô Sáu""#))
            let log = try await c.call(.get, "/v1/venues/\(reg.venue.id)/visits", token: reg.managementToken).text
            #expect(log.contains("Ông Ba") && log.contains("Bà Năm") && log.contains(#""source":"staff""#))
        }
    }

    @Test func deskCheckInsCountTowardsTheVenuesBurstDetectorLikeEveryOther() async throws {
        let test = try await TestApp.make()
        let venue = try await test.app.registerVenue(VenueRegistration(name: "Quán Nhỏ", address: "x", areaCode: "01843", category: "restaurant",
                                                                       contactPhone: "0912345678", capacity: 2)).venue
        let owner = Principal(role: .venue, venueID: venue.id, label: "owner")
        for i in 0..<4 {
            _ = try await test.app.deskCheckin(name: "Khách", phone: String(format: "0912%06d", i), idNumber: nil, venue: venue, by: owner)
        }
        let flags = try await test.app.store.flags(venueID: venue.id, since: Date().addingTimeInterval(-600), limit: 10)
        #expect(flags.count == 1 && flags.first?.kind == .checkinBurst)
    }

    @Test func anotherVenuesSessionCannotUseThisDesk() async throws {
        let test = try await TestApp.make()
        let a = try await test.app.registerVenue(VenueRegistration(name: "A", address: "x", areaCode: "01843", category: "restaurant", contactPhone: "0912345678"))
        let b = try await test.app.registerVenue(VenueRegistration(name: "B", address: "x", areaCode: "01843", category: "restaurant", contactPhone: "0912345678"))
        let intruder = Principal(role: .venue, venueID: b.venue.id, label: "b")
        await #expect(throws: AppError.self) {
            try await test.app.deskCheckin(name: "An", phone: "0912345678", idNumber: nil, venue: a.venue, by: intruder)
        }
    }
}
