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

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func html(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let page = """
        <!doctype html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>body{font-family:system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;padding:1.2rem;max-width:32rem;margin:auto;line-height:1.45}
        h1{font-size:1.4rem;margin:.2rem 0}.muted{color:#555}.box{border:1px solid #ddd;border-radius:.6rem;padding:1rem;margin-top:1rem}
        label{display:block;margin:.6rem 0}input{display:block;width:100%;box-sizing:border-box;font-size:1.1rem;padding:.5rem;margin-top:.2rem}
        button{font-size:1.2rem;padding:.7rem 1.4rem;border:0;border-radius:.5rem;background:#b71c1c;color:#fff;margin-top:.6rem;width:100%}
        .err{background:#ffebee;color:#b71c1c;padding:.7rem;border-radius:.5rem}.big{font-size:1.5rem;font-weight:700;margin:.8rem 0 .2rem}
        .code{color:#fff;font-size:2.6rem;font-weight:800;text-align:center;padding:1.2rem;border-radius:.8rem;letter-spacing:.2rem;margin:1rem 0}</style>
        </head><body>\(body)</body></html>
        """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static let invalidCodeError = AppError(.notFound, code: "not_found", message: "this check-in code is not valid")

    /// One answer for every invalid code, whatever made it invalid.
    static func invalidCode(wantsHTML: Bool) -> Response {
        guard wantsHTML else { return JSON.error(invalidCodeError) }
        return html("Mã QR không hợp lệ", """
            <h1>Mã QR không hợp lệ</h1>
            <p>Mã này không còn hiệu lực hoặc không phải mã của TruyVet. Hãy quét mã đang dán tại địa điểm, hoặc hỏi nhân viên.</p>
            <p class="muted">This check-in code is not valid. Scan the poster displayed at the venue or ask staff.</p>
            """, status: .notFound)
    }

    /// A browser's 429: a page saying when to try again, with `Retry-After`.
    static func tooManyRequests(_ limited: RateLimited) -> Response {
        var page = html("Thử lại sau", """
            <h1>Quá nhiều lần thử</h1>
            <p>Có quá nhiều yêu cầu từ thiết bị hoặc mạng này. Hãy thử lại sau \(limited.retryAfter) giây.</p>
            <p class="muted">Too many requests from this device or network. Try again in \(limited.retryAfter) seconds.</p>
            """, status: .tooManyRequests)
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

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ buffer: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let key = kv.first, !key.isEmpty { fields[key] = kv.count > 1 ? kv[1] : "" }
        }
        return fields
    }

    /// "Nguyễn Văn An", "+84912345678" → "Nguyễn V. A.", "••• 678": enough to recognise oneself, not to read someone else.
    static func masked(_ p: TruyVet.OpenedPerson) -> String {
        let parts = p.name.split(separator: " ")
        let name = parts.enumerated().map { i, w in i == 0 ? String(w) : String(w.prefix(1)) + "." }.joined(separator: " ")
        return "\(name) · ••• \(p.phone.suffix(3))"
    }

    static func checkinForm(venue: Venue, areaLine: String, token: String, known: TruyVet.OpenedPerson?, error: AppError?,
                            form: [String: String] = [:]) -> Response {
        let action = "/c/\(escape(token))"
        let problem = error.map { e in
            "<div class=\"err\" role=\"alert\">\(escape(e.message))\(e.field.map { " (\(escape($0)))" } ?? "")</div>"
        } ?? ""
        let oneTap = known.map { k in
            """
            <form method="post" action="\(action)" class="box">
            <input type="hidden" name="useDevice" value="1">
            <p>Khai báo với thông tin đã lưu trên máy này:<br><strong>\(escape(masked(k)))</strong></p>
            <button type="submit">Vào (check in)</button>
            </form>
            <p class="muted">Hoặc khai báo cho người khác / Or check in someone else:</p>
            """
        } ?? ""
        return html("Khai báo vào – \(venue.name)", """
            <p class="muted">TruyVet · Khai báo vào/ra</p>
            <h1>\(escape(venue.name))</h1>
            <p>\(escape(venue.address))<br><span class="muted">\(escape(areaLine))</span></p>
            \(problem)\(oneTap)
            <form method="post" action="\(action)" class="box">
            <label>Họ và tên / Full name<input name="name" required maxlength="100" autocomplete="name" value="\(escape(form["name"] ?? ""))"></label>
            <label>Số điện thoại / Phone<input name="phone" required inputmode="tel" autocomplete="tel" value="\(escape(form["phone"] ?? ""))"></label>
            <label>Số CCCD (không bắt buộc) / ID card (optional)<input name="idNumber" inputmode="numeric" maxlength="14" value="\(escape(form["idNumber"] ?? ""))"></label>
            <button type="submit">Vào (check in)</button>
            </form>
            <p class="muted">Thông tin chỉ dùng cho truy vết dịch bệnh và được mã hoá khi lưu. / Used only for contact tracing, stored encrypted.</p>
            """)
    }

    static func receipt(_ r: TruyVet.Receipt) -> Response {
        let out = r.visit.checkoutAt
        let status = out == nil
            ? "<p class=\"big\">ĐÃ VÀO · CHECKED IN</p><p>\(Instant.readable(r.visit.checkinAt))</p>"
            : "<p class=\"big\">ĐÃ RA · CHECKED OUT</p><p>\(Instant.readable(r.visit.checkinAt)) → \(Instant.readable(out!))</p>"
        let button = out == nil ? """
            <form method="post" action="/r/\(r.ref)/checkout"><input type="hidden" name="s" value="\(escape(r.checkoutSecret))">
            <button type="submit">Ra (check out)</button></form>
            """ : ""
        return html("Đã khai báo – \(r.venue.name)", """
            <p class="muted">TruyVet · Biên nhận / Receipt</p>
            <h1>\(escape(r.venue.name))</h1>
            \(status)
            <div class="code" style="background:\(r.dayCode.color)">\(escape(r.dayCode.word))</div>
            <p class="muted">Mã hôm nay: \(escape(r.dayCode.word)) · màu \(escape(r.dayCode.colorName)). Nhân viên đối chiếu với màn hình của địa điểm.<br>
            Today's code and colour: staff compare them with the venue's screen.</p>
            \(button)
            """)
    }

    static func invalidReceipt() -> Response {
        html("Biên nhận không hợp lệ", "<h1>Biên nhận không hợp lệ</h1><p>This receipt link is not valid.</p>", status: .notFound)
    }
}
