import Testing
@testable import TruyVetCore

@Suite struct ErrorMessagesTests {
    @Test(arguments: [
        (nil, Language.en), ("vi", .vi), ("vi-VN,vi;q=0.9,en;q=0.8", .vi), ("en-US,en;q=0.9,vi;q=0.8", .en),
        ("fr-FR, vi;q=0.5", .vi), ("fr", .en), ("en;q=0.2, vi;q=0.7", .vi), ("vi;q=0", .en), ("*", .en),
    ] as [(String?, Language)])
    func theCallersLanguageIsTheHighestRankedOfVietnameseAndEnglish(header: String?, expected: Language) {
        #expect(Language.preferred(header) == expected)
    }

    @Test func everyErrorHasAVietnameseSentenceAndKeepsTheEnglishDetail() {
        let phone = AppError.invalid("phone", "phone must be a Vietnamese number of 10 digits")
        #expect(phone.message(in: .en) == "phone must be a Vietnamese number of 10 digits")
        #expect(phone.message(in: .vi).hasPrefix("Số điện thoại chưa đúng") && phone.message(in: .vi).hasSuffix("(phone must be a Vietnamese number of 10 digits)"))
        #expect(AppError.missing("wardName").message(in: .vi).hasPrefix("Thiếu thông tin «wardName»."))
        #expect(AppError.invalid("degree", "degree must be 1, 2 or 3").message(in: .vi).hasPrefix("Mức tiếp xúc là 1, 2 hoặc 3."))
        #expect(AppError.invalid("wardSize", "wardSize must be a number").message(in: .vi).hasPrefix("Giá trị «wardSize» không hợp lệ."))
        #expect(AppError.unauthorized.bilingual.hasPrefix("Cần mã truy cập hợp lệ"))
        #expect(AppError.notFound("case 7").message(in: .vi) == "Không tìm thấy. (case 7 not found)")
    }

    @Test func theCodesThatReachPeopleAreAllInTheTable() {
        let codes = ["unauthorized", "forbidden", "not_found", "method_not_allowed", "rate_limited", "payload_too_large", "incomplete_body",
                     "bad_request", "invalid_json", "empty_body", "internal_error", "csrf", "invalid_key", "invalid_credentials",
                     "account_locked", "account_disabled", "username_taken", "population_unknown", "duplicate_case",
                     "ambiguous_id_number", "not_checked_in", "no_venues", "too_many_venues", "id_exhausted"]
        for code in codes {
            #expect(ErrorMessages.byCode[code]?.isEmpty == false, "\(code)")
        }
    }
}
