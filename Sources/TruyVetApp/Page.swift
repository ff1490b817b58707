import Foundation
import Hummingbird
import NIOCore
import TruyVetCore

/// Server-rendered pages for people holding a phone (Vietnamese first).
enum Page {
    static func wantsHTML(_ request: Request) -> Bool {
        guard let accept = request.headers[.accept] else { return false }
        return accept.contains("text/html")
    }

    static let invalidCodeError = AppError(.notFound, code: "not_found", message: "this check-in code is not valid")

    /// One answer for every invalid code, whatever made it invalid.
    static func invalidCode(wantsHTML: Bool) -> Response {
        guard wantsHTML else { return JSON.error(invalidCodeError) }
        return Views.message("Mã QR không hợp lệ", "Invalid code",
                             "Mã này không còn hiệu lực hoặc không phải mã của TruyVet. Hãy quét mã đang dán tại địa điểm, nhập mã địa điểm, hoặc hỏi nhân viên.",
                             "This check-in code is not valid. Scan the poster displayed at the venue, type the venue code, or ask staff.",
                             link: .init(href: "/c", label: "Nhập mã địa điểm", en: "Enter a venue code"), status: .notFound)
    }

    /// A browser's 429: a page saying when to try again, with `Retry-After`.
    static func tooManyRequests(_ limited: RateLimited) -> Response {
        var page = Views.message("Quá nhiều lần thử", "Too many tries",
                                 "Có quá nhiều yêu cầu từ thiết bị hoặc mạng này. Hãy thử lại sau \(limited.retryAfter) giây.",
                                 "Too many requests from this device or network. Try again in \(limited.retryAfter) seconds.",
                                 status: .tooManyRequests)
        page.headers[.retryAfter] = String(limited.retryAfter)
        return page
    }

    struct VenueSummary: Encodable {
        let id: Int64, name: String, address: String, area: String, category: String
    }

    static func venueJSON(_ venue: Venue, areaLine: String) -> Response {
        (try? JSON.response(VenueSummary(id: venue.id, name: venue.name, address: venue.address, area: areaLine,
                                         category: venue.category.rawValue))) ?? Response(status: .ok)
    }

    /// `application/x-www-form-urlencoded` fields (Hummingbird's decoder); a body that is not a form has no fields.
    static func formFields(_ buffer: ByteBuffer) -> [String: String] {
        Dictionary(formPairs(buffer), uniquingKeysWith: { _, last in last })
    }

    /// Every name and value of a form, in order, repeated names (checkboxes) each time.
    static func formPairs(_ buffer: ByteBuffer) -> [(String, String)] {
        String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(kv[0]), !name.isEmpty, let value = kv.count == 2 ? decode(kv[1]) : "" else { return nil }
            return (name, value)
        }
    }

    /// "Nguyễn Văn An", "+84912345678" → "Nguyễn V. A.", "••• 678": enough to recognise oneself, not to read someone else.
    static func masked(_ p: TruyVet.OpenedPerson) -> String {
        let parts = p.name.split(separator: " ")
        let name = parts.enumerated().map { i, w in i == 0 ? String(w) : String(w.prefix(1)) + "." }.joined(separator: " ")
        return "\(name) · ••• \(p.phone.suffix(3))"
    }

    struct CheckinView {
        struct VenueLine { let name: String; let address: String }
        struct Known { let action: String; let masked: String }
        struct Problem { let message: String }
        struct Inside { let ref: String; let secret: String; let since: String }
        let venue: VenueLine
        let inside: Inside?
        let areaLine: String
        let action: String
        let known: Known?
        let problem: Problem?
        let fields: [Views.Field]
        let visitor = true
    }

    static func checkinForm(venue: Venue, areaLine: String, token: String, known: TruyVet.OpenedPerson?, error: AppError?,
                            form: [String: String] = [:], inside: TruyVet.Receipt? = nil) -> Response {
        let action = "/c/\(token)"
        func field(_ name: String, _ label: String, _ en: String) -> Views.Field {
            var f = Views.Field(name: name, label: label, en: en, value: form[name] ?? "")
            f.error = Views.beside(error, name)
            return f
        }
        var name = field("name", "Họ và tên", "Full name")
        name.required = true; name.autocomplete = "name"; name.maxlength = "100"
        var phone = field("phone", "Số điện thoại", "Phone")
        phone.required = true; phone.type = "tel"; phone.inputmode = "tel"; phone.autocomplete = "tel"; phone.maxlength = "20"
        var id = field("idNumber", "Số CCCD (không bắt buộc)", "ID card number (optional)")
        id.inputmode = "numeric"; id.maxlength = "14"
        // An error about a field is shown beside it; any other error above the form.
        let problem = Views.above(error, placed: ["name", "phone", "idNumber"]).map { CheckinView.Problem(message: $0) }
        let view = CheckinView(venue: .init(name: venue.name, address: venue.address),
                               inside: inside.map { .init(ref: $0.ref, secret: $0.checkoutSecret, since: Instant.readable($0.visit.checkinAt)) },
                               areaLine: areaLine, action: action,
                               known: known.map { .init(action: action, masked: masked($0)) }, problem: problem, fields: [name, phone, id])
        return Views.page("checkin", view, status: error?.httpStatus ?? .ok)
    }

    struct ReceiptView {
        let venue: String, ref: String, secret: String, open: Bool
        let checkedIn: String, checkedOut: String
        let word: String, colorClass: String, colorName: String
        let visitor = true
    }

    static func receipt(_ r: TruyVet.Receipt) -> Response {
        Views.page("receipt", ReceiptView(
            venue: r.venue.name, ref: r.ref, secret: r.checkoutSecret, open: r.visit.checkoutAt == nil,
            checkedIn: Instant.readable(r.visit.checkinAt), checkedOut: r.visit.checkoutAt.map(Instant.readable) ?? "",
            word: r.dayCode.word, colorClass: String(r.dayCode.color.dropFirst()), colorName: r.dayCode.colorName))
    }

    static func invalidReceipt() -> Response {
        Views.message("Biên nhận không hợp lệ", "Invalid receipt", "Đường dẫn biên nhận này không đúng.", "This receipt link is not valid.",
                      status: .notFound)
    }
}
