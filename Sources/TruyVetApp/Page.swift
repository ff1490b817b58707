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
        h1{font-size:1.4rem;margin:.2rem 0}.muted{color:#555}.box{border:1px solid #ddd;border-radius:.6rem;padding:1rem;margin-top:1rem}</style>
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

    struct VenueSummary: Encodable {
        let id: Int64, name: String, address: String, area: String, category: String
    }

    static func venue(_ venue: Venue, areaLine: String, wantsHTML: Bool) -> Response {
        guard wantsHTML else {
            return (try? JSON.response(VenueSummary(id: venue.id, name: venue.name, address: venue.address, area: areaLine,
                                                    category: venue.category.rawValue)))
                ?? Response(status: .ok)
        }
        return html(venue.name, """
            <p class="muted">TruyVet · Khai báo vào/ra</p>
            <h1>\(escape(venue.name))</h1>
            <p>\(escape(venue.address))<br><span class="muted">\(escape(areaLine))</span></p>
            <div class="box">Mã QR hợp lệ. / This is a genuine TruyVet poster.</div>
            """)
    }
}
