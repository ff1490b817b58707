import Foundation
import Testing
import TruyVetCore

@Suite struct PhoneTests {
    @Test(arguments: [
        ("0912 345 678", "+84912345678"), ("0912.345.678", "+84912345678"), ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"), ("0084912345678", "+84912345678"), ("+84 0912345678", "+84912345678"),
        ("(0209) 3870 123", "+842093870123"), ("+33 6 12 34 56 78", "+33612345678"), ("0326 123 456", "+84326123456"),
        ("0559 123 456", "+84559123456"), ("0708 123 456", "+84708123456"), ("024 3825 1234", "+842438251234"),
    ])
    func normalisesToE164(raw: String, expected: String) throws {
        #expect(try Phone.normalize(raw) == expected)
    }

    @Test(arguments: ["", "12345", "0912", "09123456789012", "0912abc678", "=HYPERLINK(1)", "+1",
                      "0912 345 6789", "01234567890", "0209387012", "0112345678", "0612345678", "0312345678", "+84 1234 567 890"])
    func rejectsNonNumbers(raw: String) throws {
        #expect(throws: AppError.self) { try Phone.normalize(raw) }
    }

    @Test func errorsNameTheField() throws {
        do { _ = try Phone.normalize("abc", field: "contactPhone"); Issue.record("accepted") } catch { #expect(error.field == "contactPhone") }
    }
}

@Suite struct TextTests {
    @Test func trimsAndComposes() throws {
        #expect(try Text.required("  Phở\u{0020}Hà Nội ", field: "name", max: 10) == "Phở Hà Nội")
        #expect(try Text.required("Đe\u{0301}", field: "name", max: 10) == "Đé")
    }

    @Test func rejectsControlCharactersEmptyAndLong() throws {
        #expect(throws: AppError.invalid("name", "name must not contain control characters")) { try Text.required("a\u{0007}b", field: "name", max: 10) }
        #expect(throws: AppError.invalid("name", "name must not be empty")) { try Text.required("   ", field: "name", max: 10) }
        #expect(throws: AppError.missing("name")) { try Text.required(nil, field: "name", max: 10) }
        #expect(throws: AppError.self) { try Text.required(String(repeating: "a", count: 11), field: "name", max: 10) }
    }

    @Test func boundsBytesAndMarksNotOnlyCharacters() throws {
        // One letter and 450,000 combining marks (900 KB) is one "character" to Swift.
        let zalgo = "A" + String(repeating: "\u{0301}", count: 450_000)
        #expect(zalgo.count == 1)
        do { _ = try PersonInput.name(zalgo); Issue.record("accepted") } catch { #expect(error.field == "name") }
        do { _ = try Text.required("Quán A" + String(repeating: "\u{0300}\u{0301}", count: 3), field: "address", max: 300); Issue.record("accepted") }
        catch { #expect(error.field == "address" && error.message.contains("marks")) }
        // Vietnamese typed decomposed (two marks on a letter) is fine, and so are long names within the byte bound.
        #expect(try PersonInput.name("Nguye\u{0302}\u{0303}n Thi\u{0323} Hoa") == "Nguyễn Thị Hoa")
        #expect(try Text.required(String(repeating: "ệ", count: 100), field: "name", max: 100).count == 100)
        #expect(throws: AppError.self) { try Text.required(String(repeating: "👨‍👩‍👧‍👦", count: 30), field: "x", max: 100) }
        #expect(try Text.required(String(repeating: "😀", count: 25), field: "x", max: 100).count == 25)
    }
}

@Suite struct VenueRegistrationTests {
    let good = VenueRegistration(name: "Quán Phở Bà Tư", address: "5 Trường Chinh", areaCode: "01960", category: "restaurant",
                                 contactPhone: "0912 345 678")

    @Test func validatesAndFillsDefaults() throws {
        let v = try good.validated()
        #expect(v.defaultStayMinutes == 120)
        #expect(v.contactPhone == "+84912345678")
        #expect(v.category == .restaurant)
    }

    @Test func everyBadFieldIsNamed() throws {
        func field(_ change: (inout VenueRegistration) -> Void) -> String? {
            var r = good
            change(&r)
            do { _ = try r.validated(); return nil } catch { return error.field }
        }
        #expect(field { $0.name = nil } == "name")
        #expect(field { $0.address = "" } == "address")
        #expect(field { $0.areaCode = "06" } == "areaCode")
        #expect(field { $0.category = "casino" } == "category")
        #expect(field { $0.defaultStayMinutes = 0 } == "defaultStayMinutes")
        #expect(field { $0.contactPhone = "hello" } == "contactPhone")
        #expect(field { $0.capacity = -1 } == "capacity")
        #expect(field { $0.openingHours = String(repeating: "x", count: 101) } == "openingHours")
    }

    @Test func categoriesCoverTheMeasuresTable() throws {
        #expect(VenueCategory.allCases.count == 13)
        #expect(try VenueCategory.parse("HIGH_RISK_SERVICE") == .highRiskService)
    }
}

@Suite struct ShortCodeTests {
    @Test func formatsAndForgivesTyping() throws {
        var g = SystemRandomNumberGenerator()
        let code = ShortCode.random(using: &g)
        #expect(code.count == 10)
        #expect(ShortCode.normalize(ShortCode.format(code).lowercased()) == code)
        #expect(ShortCode.format("ABCDEFGHJK") == "ABCD-EFGH-JK")
        #expect(ShortCode.normalize("abcd-efgh-jo") == "ABCDEFGHJ0")
        #expect(ShortCode.normalize("ABC") == nil)
        #expect(ShortCode.normalize("ABCD-EFGH-J!") == nil)
    }
}

@Suite struct NFCTests {
    /// The fast path agrees with Foundation's NFC on Vietnamese in both forms and on other scripts.
    @Test(arguments: ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Lâm", "Lê Hoàng Yến", "Zoë Ångström", "金正恩", "Ελένη", "Ωmega Ω", "Å", "e\u{0301}"])
    func agreesWithFoundation(name: String) throws {
        for form in [name, name.decomposedStringWithCanonicalMapping, name.precomposedStringWithCanonicalMapping] {
            #expect(Array(Text.nfc(form).unicodeScalars) == Array(form.precomposedStringWithCanonicalMapping.unicodeScalars))
        }
    }

    @Test func theFastPathsAgreeWithUnicode() {
        for range in PersonInput.latinLetters {
            for v in range {
                let c = Unicode.Scalar(v)!.properties.generalCategory
                #expect([.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark].contains(c), "U+\(String(v, radix: 16))")
            }
        }
        for v in UInt32(0)...0x1FFF {
            guard let s = Unicode.Scalar(v), Text.plainLatin(s) else { continue }
            #expect(s.properties.generalCategory != .control && s.properties.generalCategory != .format, "U+\(String(v, radix: 16))")
        }
        #expect(throws: AppError.self) { try Text.clean("An\u{AD}", field: "name", max: 10) }
        #expect(throws: AppError.self) { try Text.clean("An\u{200B}", field: "name", max: 10) }
        #expect(throws: AppError.self) { try PersonInput.name("An×") }
    }
}
