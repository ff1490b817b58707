import Foundation

/// The language an answer is written in: Vietnamese when the caller asks for it (`Accept-Language: vi`), English
/// otherwise. Error codes and field names never change with it.
public enum Language: String, Sendable {
    case vi, en

    /// The caller's preferred language among `vi` and `en` in an `Accept-Language` value (highest `q` first; English
    /// when neither is named).
    public static func preferred(_ acceptLanguage: String?) -> Language {
        guard let acceptLanguage else { return .en }
        var best: (Language, Double)? = nil
        for part in acceptLanguage.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = pieces.first else { continue }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            let language: Language? = tag == "vi" || tag.hasPrefix("vi-") ? .vi : tag == "en" || tag.hasPrefix("en-") ? .en : nil
            if let language, q > 0, q > (best?.1 ?? 0) { best = (language, q) }
        }
        return best?.0 ?? .en
    }
}

/// The one table of what every error says in Vietnamese. The English `message` of an `AppError` is precise (it
/// names values and limits); the Vietnamese sentence says what a person needs to do.
public enum ErrorMessages {
    /// By error code.
    static let byCode: [String: String] = [
        "unauthorized": "Cần mã truy cập hợp lệ (Authorization: Bearer …) hoặc đăng nhập.",
        "forbidden": "Vai trò của bạn không được làm việc này.",
        "not_found": "Không tìm thấy.",
        "method_not_allowed": "Không dùng được phương thức này ở đây.",
        "rate_limited": "Quá nhiều yêu cầu từ thiết bị hoặc mạng này; hãy thử lại sau ít phút.",
        "payload_too_large": "Dữ liệu gửi lên quá lớn.",
        "incomplete_body": "Yêu cầu bị ngắt trước khi gửi hết dữ liệu.",
        "bad_request": "Yêu cầu không đúng định dạng.",
        "invalid_json": "Nội dung gửi lên không phải JSON hợp lệ.",
        "empty_body": "Yêu cầu không có nội dung.",
        "internal_error": "Máy chủ gặp lỗi; lỗi đã được ghi lại.",
        "csrf": "Biểu mẫu đã cũ hoặc không đến từ TruyVet; hãy mở lại trang rồi gửi lại.",
        "invalid_key": "Mã quản lý không đúng, hoặc đã được thay bằng mã mới.",
        "invalid_credentials": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "account_locked": "Tài khoản tạm khoá vì nhập sai mật khẩu nhiều lần; hãy thử lại sau 15 phút hoặc nhờ quản trị viên đặt lại mật khẩu.",
        "account_disabled": "Tài khoản đã bị khoá; hãy liên hệ quản trị viên.",
        "username_taken": "Tên đăng nhập này đã có người dùng.",
        "population_unknown": "Chưa có dân số của địa bàn nên chưa tính được cấp độ dịch.",
        "duplicate_case": "Người này đã được ghi nhận là ca bệnh với cùng ngày lấy mẫu.",
        "ambiguous_id_number": "Số CCCD này ứng với nhiều người đã khai báo; hãy dùng số điện thoại.",
        "not_checked_in": "Người giữ thẻ chưa khai báo vào địa điểm này.",
        "no_venues": "Địa bàn này chưa có địa điểm nào.",
        "too_many_venues": "Quá nhiều địa điểm cho một lần in; hãy in theo quận/huyện hoặc phường/xã.",
        "id_exhausted": "Chưa cấp được mã mới; hãy thử lại.",
        "current_key": "Khoá này đang ký áp phích mới; hãy đổi khoá trước rồi mới gỡ.",
        "not_empty": "Dữ liệu mẫu chỉ nạp vào kho trống; hãy dùng thư mục dữ liệu mới.",
        "data_dir_in_use": "Thư mục dữ liệu đang được một tiến trình TruyVet khác dùng.",
    ]

    /// By field, for `invalid_field` and `missing_field`.
    static let byField: [String: String] = [
        "name": "Hãy nhập tên (họ và tên của người, hoặc tên của địa điểm).",
        "phone": "Số điện thoại chưa đúng: số di động có 10 chữ số (ví dụ 0912 345 678) hoặc dạng +84.",
        "idNumber": "Số CCCD/CMND chưa đúng: 12 chữ số (CCCD) hoặc 9 chữ số (CMND).",
        "address": "Hãy nhập địa chỉ.",
        "areaCode": "Hãy chọn phường/xã (mã 5 chữ số) của địa điểm.",
        "area": "Mã địa bàn chưa đúng.",
        "category": "Hãy chọn loại hình địa điểm.",
        "contactPhone": "Số điện thoại liên hệ chưa đúng: 10 chữ số (ví dụ 0912 345 678) hoặc dạng +84.",
        "capacity": "Sức chứa là số người, từ 1 đến 1.000.000.",
        "defaultStayMinutes": "Thời gian ở lại thường lệ là số phút, từ 5 đến 1440.",
        "openingHours": "Giờ mở cửa quá dài.",
        "key": "Mã quản lý không đúng, hoặc đã được thay bằng mã mới.",
        "username": "Tên đăng nhập gồm 2 đến 32 chữ cái a–z, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
        "password": "Mật khẩu dài từ 10 đến 72 ký tự.",
        "role": "Hãy chọn vai trò: quản trị, truy vết hoặc y tế.",
        "confirm": "Hãy đánh dấu ô xác nhận.",
        "from": "Ngày bắt đầu chưa đúng: dạng YYYY-MM-DD, ví dụ 2021-11-19.",
        "to": "Ngày kết thúc chưa đúng: dạng YYYY-MM-DD, ví dụ 2021-11-21.",
        "date": "Ngày chưa đúng: dạng YYYY-MM-DD, ví dụ 2021-11-19.",
        "sampleDate": "Ngày lấy mẫu chưa đúng: dạng YYYY-MM-DD, ví dụ 2021-11-19.",
        "shortCode": "Mã địa điểm chưa đúng.",
        "code": "Mã chưa đúng.",
        "body": "Nội dung gửi lên chưa đúng.",
        "token": "Mã QR không hợp lệ.",
        "format": "Định dạng phải là json hoặc csv.",
        "reason": "Hãy ghi lý do (ít nhất 3 ký tự), ví dụ tên ổ dịch hoặc số phiếu.",
        "note": "Hãy ghi chú (ít nhất 3 ký tự), ví dụ việc đã làm với cụm này.",
        "days": "Số ngày giữa hai ca là một số từ 0 đến 60.",
        "caseIds": "Hãy chọn các ca bệnh của cụm.",
        "deviceToken": "Mã thiết bị chưa đúng: dùng mã 22 ký tự mà lần khai báo đầu tiên trả về.",
        "Device-Token": "Mã thiết bị chưa đúng: dùng mã 22 ký tự mà lần khai báo đầu tiên trả về.",
        "vi": "Hãy nhập lời khuyên bằng tiếng Việt (tối đa 2.000 ký tự).",
        "en": "Hãy nhập lời khuyên bằng tiếng Anh (tối đa 2.000 ký tự).",
        "q": "Hãy nhập mã ca, số điện thoại hoặc số CCCD.",
        "after": "Liên kết trang sau đã cũ; hãy mở lại danh sách.",
        "classification": "Phân loại chưa đúng: cộng đồng, đang cách ly hoặc trong vùng phong toả.",
        "detectedIn": "Nơi phát hiện chưa đúng: cộng đồng, khu cách ly hoặc vùng phong toả.",
        "onsetDate": "Ngày khởi phát chưa đúng: dạng YYYY-MM-DD.",
        "confirmedAt": "Thời điểm dương tính chưa đúng hoặc ở tương lai.",
        "isolatedAt": "Thời điểm cách ly chưa đúng.",
        "refs": "Hãy chọn ít nhất một người trong bảng.",
        "status": "Hãy chọn tình trạng theo dõi.",
        "result": "Kết quả xét nghiệm chỉ đi kèm tình trạng “Đã xét nghiệm”: dương tính hoặc âm tính.",
        "since": "Ngày chưa đúng: dạng YYYY-MM-DD.",
        "windows": "Hãy chọn ít nhất một khung giờ để công bố.",
        "caseId": "Mã ca là một số nguyên dương.",
        "rows": "Kiểu CSV là people (mỗi người một dòng) hoặc exposures (mỗi lần tiếp xúc một dòng).",
        "degree": "Mức tiếp xúc là 1, 2 hoặc 3.",
        "minOverlapMinutes": "Thời gian tiếp xúc tối thiểu là số phút, từ 0 đến 1440.",
        "bufferMinutes": "Thời gian lưu lại là số phút, từ 0 đến 240.",
    ]

    /// What the error says in Vietnamese.
    public static func vietnamese(_ error: AppError) -> String {
        if error.code == "invalid_field" || error.code == "missing_field" {
            if let field = error.field, let text = byField[field] { return text }
            let name = error.field.map { " «\($0)»" } ?? ""
            return error.code == "missing_field" ? "Thiếu thông tin\(name)." : "Giá trị\(name) không hợp lệ."
        }
        if let text = byCode[error.code] { return text }
        if let field = error.field, let text = byField[field] { return text }
        return "Không thực hiện được yêu cầu."
    }
}

extension AppError {
    /// The message in a language: English is `message`; Vietnamese is the table's sentence followed by the English
    /// detail (which names the value or the limit at fault).
    public func message(in language: Language) -> String {
        switch language {
        case .en: message
        case .vi: "\(ErrorMessages.vietnamese(self)) (\(message))"
        }
    }

    /// Vietnamese, then English: what pages show.
    public var bilingual: String { "\(ErrorMessages.vietnamese(self)) / \(message)" }
}
