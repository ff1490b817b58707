import Foundation
import TruyVetQR

/// Benchmarks that print figures (they assert nothing: speed is measured here, behaviour in the tests).
/// Usage: truyvet-bench posters
@main
struct Bench {
    static func main() throws {
        let args = CommandLine.arguments.dropFirst()
        switch args.first {
        case "posters": try posters(only: args.dropFirst().first)
        default:
            FileHandle.standardError.write(Data("usage: truyvet-bench posters\n".utf8))
            exit(2)
        }
    }

    /// Runs `body` repeatedly for about `seconds` and returns operations per second.
    static func rate(seconds: Double = 3, _ body: (Int) throws -> Void) rethrows -> (perSecond: Double, count: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while true {
            for _ in 0..<50 { try body(count); count += 1 }
            let elapsed = start.duration(to: clock.now)
            let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if s >= seconds { return (Double(count) / s, count) }
        }
    }

    /// `only`: png, svg or pdf, to profile one part.
    static func posters(only: String?) throws {
        func wanted(_ part: String) -> Bool { only == nil || only == part }
        // A 60-character check-in URL, as printed on posters: base + /c/ + 38-character token.
        let base = "https://qr.truyvet.vn/c/"
        let token = "AQAAAAAAAAAqAAAAASpMzQ7tHn7o8NjGbW0nLQ"
        let url = (base + token).padding(toLength: 60, withPad: "x", startingAt: 0)
        let code = try QRCode(url)
        print("posters: 60-character URL → QR version \(code.version) (\(code.size)×\(code.size) modules), level M")

        if wanted("png") {
        let encode = try rate { i in _ = try QRCode(String(url.dropLast(2)) + String(i % 100, radix: 36)) }
        print(String(format: "  libqrencode encode alone:        %8.0f codes/s", encode.perSecond))

        var size = 0
        let png = try rate { i in
            let bytes = try QRRender.png(try QRCode(String(url.dropLast(2)) + String(i % 100, radix: 36)), scale: 8)
            size = bytes.count
        }
        print(String(format: "  QR PNG (encode + render, scale 8): %6.0f images/s   (target ≥ 3,000/s; %d bytes, %d px)",
                     png.perSecond, size, (code.size + 8) * 8))
        }
        if wanted("svg") {

        let svg = try rate { i in _ = QRRender.svg(try QRCode(String(url.dropLast(2)) + String(i % 100, radix: 36))) }
        print(String(format: "  QR SVG (encode + render):         %6.0f images/s", svg.perSecond))
        }
        guard wanted("pdf") else { return }

        let content = PosterContent(venueName: "Quán Phở Bà Tư — Chợ Đồng Xuân", address: "Số 5 đường Trường Chinh, tổ 7",
                                    areaLine: "Phường Phùng Chí Kiên, Thành Phố Bắc Kạn, Tỉnh Bắc Kạn", payload: url,
                                    shortCode: "K7QF-2M9X-PD")
        var pdfSize = 0
        let pdf = try rate { i in
            var c = content
            c.payload = String(url.dropLast(2)) + String(i % 100, radix: 36)
            pdfSize = try Poster.pdf([c]).count
        }
        print(String(format: "  PDF poster, one A4 page:          %6.0f posters/s  (target ≥ 300/s; %d bytes)", pdf.perSecond, pdfSize))

        let batch = (0..<100).map { i in
            var c = content
            c.venueName += " \(i)"
            c.payload = String(url.dropLast(2)) + String(i, radix: 36)
            return c
        }
        let batchRate = try rate { _ in _ = try Poster.pdf(batch) }
        print(String(format: "  PDF batch, 100 pages:             %6.0f pages/s", batchRate.perSecond * 100))
    }
}
