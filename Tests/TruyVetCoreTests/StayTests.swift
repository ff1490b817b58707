import Foundation
import Testing
import TruyVetCore

@Suite struct StayTests {
    let t0 = Date(timeIntervalSince1970: 1_637_280_000)  // 2021-11-19 07:00 +07:00

    @Test func anExplicitCheckoutEndsTheVisit() throws {
        #expect(Stay.effectiveEnd(checkin: t0, checkout: t0 + 600, defaultStayMinutes: 120, nextCheckin: t0 + 60) == t0 + 600)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: t0 + 30 * 3600, defaultStayMinutes: 120, nextCheckin: nil) == t0 + 24 * 3600)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: t0 - 60, defaultStayMinutes: 120, nextCheckin: nil) == t0)
    }

    @Test func withoutCheckoutTheEarliestOfStayNextCheckinAndADay() throws {
        #expect(Stay.effectiveEnd(checkin: t0, checkout: nil, defaultStayMinutes: 120, nextCheckin: nil) == t0 + 7200)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: nil, defaultStayMinutes: 120, nextCheckin: t0 + 1800) == t0 + 1800)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: nil, defaultStayMinutes: 1440, nextCheckin: nil) == t0 + 24 * 3600)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: nil, defaultStayMinutes: 120, nextCheckin: t0 - 5) == t0 + 7200)
        #expect(Stay.effectiveEnd(checkin: t0, checkout: nil, defaultStayMinutes: 120, nextCheckin: t0) == t0)
    }
}

@Suite struct StayEndTests {
    @Test func onlyTheSameDeviceOrATrustedImportEndsAnOpenVisit() {
        let phone = Data([1]), other = Data([2])
        #expect(Stay.ends(earlierDevice: phone, laterDevice: phone, laterSource: .scan))
        #expect(Stay.ends(earlierDevice: phone, laterDevice: phone, laterSource: .staff))
        #expect(!Stay.ends(earlierDevice: phone, laterDevice: other, laterSource: .scan), "another device typed the phone")
        #expect(!Stay.ends(earlierDevice: phone, laterDevice: nil, laterSource: .api), "a bare API call")
        #expect(!Stay.ends(earlierDevice: nil, laterDevice: nil, laterSource: .api))
        #expect(!Stay.ends(earlierDevice: nil, laterDevice: nil, laterSource: .venueImport), "a venue's own import")
        #expect(Stay.ends(earlierDevice: nil, laterDevice: nil, laterSource: .importFile), "a tracer's or admin's import")
        #expect(Stay.ends(earlierDevice: phone, laterDevice: nil, laterSource: .importFile))
    }
}

@Suite struct PersonInputTests {
    @Test func acceptsRealNamesOfAnyScript() throws {
        #expect(try PersonInput(name: "  Nguyễn   Văn  An ", phone: "0912 345 678", idNumber: nil).name == "Nguyễn Văn An")
        #expect(try PersonInput(name: "O'Brien-Smith Jr.", phone: "+44 20 7946 0958", idNumber: nil).phone == "+442079460958")
        #expect(try PersonInput(name: "Lê Thị Hồng’Nhung", phone: "0912345678", idNumber: "001 099 012 345").idNumber == "001099012345")
        #expect(try PersonInput(name: "金正", phone: "0912345678", idNumber: "123456789").idNumber == "123456789")
    }

    @Test(arguments: [("=HYPERLINK(\"x\")", "name"), ("Ann\u{0007}", "name"), ("", "name"), ("123", "name"),
                      (String(repeating: "a", count: 101), "name")])
    func rejectsBadNames(name: String, field: String) throws {
        #expect(throws: AppError.self) { try PersonInput(name: name, phone: "0912345678", idNumber: nil) }
        do { _ = try PersonInput(name: name, phone: "0912345678", idNumber: nil) } catch { #expect(error.field == field) }
    }

    @Test func rejectsBadPhonesAndIDNumbers() throws {
        do { _ = try PersonInput(name: "An", phone: nil, idNumber: nil); Issue.record() } catch { #expect(error.field == "phone") }
        do { _ = try PersonInput(name: "An", phone: "0912345678", idNumber: "12345"); Issue.record() } catch { #expect(error.field == "idNumber") }
    }
}

@Suite struct InstantTests {
    @Test func requiresAnOffset() throws {
        #expect(try Instant.parse("2021-11-19T08:30:00+07:00", field: "at") == Date(timeIntervalSince1970: 1_637_285_400))
        #expect(try Instant.parse("2021-11-19T01:30:00Z", field: "at") == Date(timeIntervalSince1970: 1_637_285_400))
        #expect(try Instant.parse("2021-11-19T01:30:00.250Z", field: "at").timeIntervalSince1970 == 1_637_285_400.25)
        #expect(throws: AppError.invalid("at", "at must be ISO 8601 with an offset, e.g. 2021-11-19T08:30:00+07:00, got '2021-11-19T08:30:00'")) {
            try Instant.parse("2021-11-19T08:30:00", field: "at")
        }
        #expect(Instant.format(Date(timeIntervalSince1970: 1_637_285_400)) == "2021-11-19T08:30:00+07:00")
        #expect(Instant.day(Date(timeIntervalSince1970: 1_637_259_000)) == "2021-11-19")  // 01:10 local = 18:10Z the day before
    }
}

@Suite struct InstantArithmeticTests {
    /// The hand-written calendar arithmetic agrees with Foundation's formatter over many random instants from 1976 to 2100
    /// (before 1975 the zone was UTC+8; the product never deals with such instants).
    @Test func agreesWithFoundation() throws {
        let f = ISO8601DateFormatter()
        f.timeZone = Instant.zone
        f.formatOptions = [.withInternetDateTime]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: TimeInterval(Int64.random(in: 189_302_400...4_102_444_800, using: &g)))
            let ours = Instant.format(date)
            #expect(ours == f.string(from: date))
            #expect(try Instant.parse(ours, field: "t", bounded: false) == date)
            #expect(try Instant.parse(f.string(from: date).replacingOccurrences(of: "+07:00", with: "-03:30"), field: "t", bounded: false)
                    == date.addingTimeInterval(10.5 * 3600))
        }
    }

    @Test(arguments: ["2021-02-29T10:00:00Z", "2021-13-01T10:00:00Z", "2021-11-19T24:00:00Z", "2021-11-19T10:00:00+7:00",
                      "2021-11-19T10:00:00", "2021-11-19", "19/11/2021 10:00", "2021-11-19T10:00:00.Z", "2021-11-19T10:00:00Z junk"])
    func rejectsMalformedOrImpossible(text: String) throws {
        #expect(throws: AppError.self) { try Instant.parse(text, field: "at") }
    }

    @Test func acceptsLeapDaysLowercaseAndSpaces() throws {
        #expect(try Instant.parse("2020-02-29t10:00:00z", field: "at") == Date(timeIntervalSince1970: 1_582_970_400))
        #expect(try Instant.parse("2020-02-29 17:00:00+07:00", field: "at") == Date(timeIntervalSince1970: 1_582_970_400))
        #expect(Instant.readable(Date(timeIntervalSince1970: 1_637_285_400)) == "08:30 19/11/2021")
    }
}
