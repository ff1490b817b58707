import Foundation
import Testing
import TruyVetQR
import TruyVetTestSupport

let sampleURL = "https://truyvet.example.vn/c/AQAAAAAAAAAqAAAAASpMzQ7tHn7o8NjGbW0nLQ"

@Suite struct QRCodeTests {
    @Test func encodesASquareSymbolOfTheRightSize() throws {
        let code = try QRCode(sampleURL)
        #expect(code.size == 17 + 4 * code.version)
        #expect(code.modules.count == code.size * code.size)
        #expect(code.errorCorrection == .medium)
        // Finder pattern: the top-left 7×7 corner has a dark border and a light ring.
        #expect(code[0, 0] && code[6, 0] && code[0, 6] && code[6, 6])
        #expect(!code[1, 1] && code[2, 2])
    }

    @Test func aURLOfSixtyCharactersFitsAVersionFourCodeAtLevelM() throws {
        #expect(try QRCode(String(sampleURL.prefix(60))).version <= 4)
    }

    @Test func higherErrorCorrectionNeedsALargerSymbol() throws {
        #expect(try QRCode(sampleURL, errorCorrection: .high).size > QRCode(sampleURL, errorCorrection: .low).size)
    }

    @Test func rejectsPayloadsThatDoNotFit() throws {
        let long = String(repeating: "x", count: 3000)
        #expect(throws: QRError.payloadTooLong(bytes: 3000, errorCorrection: .high)) { try QRCode(long, errorCorrection: .high) }
        #expect(throws: QRError.emptyPayload) { try QRCode("") }
    }

    @Test func darkRectanglesCoverExactlyTheDarkModulesWithFewerShapes() throws {
        for payload in [sampleURL, "x", String(repeating: "TRUYVET ", count: 40)] {
            let code = try QRCode(payload)
            var covered = [Int](repeating: 0, count: code.size * code.size)
            for r in code.darkRectangles {
                for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { covered[y * code.size + x] += 1 } }
            }
            #expect(covered == code.modules.map { $0 ? 1 : 0 }, "every dark module once, no light module")
            #expect(code.darkRectangles.count < code.darkRuns.count)
        }
    }

    @Test func darkRunsCoverExactlyTheDarkModules() throws {
        let code = try QRCode(sampleURL)
        var rebuilt = [Bool](repeating: false, count: code.size * code.size)
        for run in code.darkRuns { for x in run.x..<(run.x + run.length) { rebuilt[run.y * code.size + x] = true } }
        #expect(rebuilt == code.modules)
    }
}

@Suite struct RenderTests {
    @Test(arguments: [1, 3, 8])
    func pngScansToTheExactPayload(scale: Int) throws {
        let code = try QRCode(sampleURL)
        let png = try QRRender.png(code, scale: scale)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width and height: (modules + 2 × 4 quiet zone) × scale.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (code.size + 8) * scale)
        if scale >= 3 {
            let dir = try Tools.temporaryDirectory()
            #expect(try Tools.scan([Tools.write(png, "qr.png", in: dir)]) == [sampleURL])
        }
    }

    @Test func pngRejectsAnUnusableScale() throws {
        let code = try QRCode(sampleURL)
        #expect(throws: QRRender.RenderError.invalidScale(0)) { try QRRender.png(code, scale: 0) }
        #expect(throws: QRRender.RenderError.invalidScale(65)) { try QRRender.png(code, scale: 65) }
    }

    @Test func svgIsOnePathThatRasterisesToTheExactPayload() throws {
        let code = try QRCode(sampleURL)
        let svg = QRRender.svg(code)
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.contains("viewBox=\"0 0 \(code.size + 8) \(code.size + 8)\""))
        let dir = try Tools.temporaryDirectory()
        let svgPath = try Tools.write(Array(svg.utf8), "qr.svg", in: dir)
        let pngPath = dir.appendingPathComponent("qr.png").path
        try Tools.run(["rsvg-convert", "-w", "400", "-b", "white", "-o", pngPath, svgPath])
        #expect(try Tools.scan([pngPath]) == [sampleURL])
    }
}

@Suite struct PosterTests {
    let poster = PosterContent(
        venueName: "Quán Phở Bà Tư — Chợ Đồng Xuân, gian hàng số 12",
        address: "Số 5 đường Trường Chinh, tổ 7",
        areaLine: "Phường Đức Xuân, Thành phố Bắc Kạn, Tỉnh Bắc Kạn",
        payload: sampleURL, shortCode: "K7QF-2M9X-PD")

    @Test func pdfPosterScansAndCarriesTheVietnameseText() throws {
        let pdf = try Poster.pdf([poster])
        #expect(String(decoding: pdf.prefix(5), as: UTF8.self) == "%PDF-")
        #expect(try Tools.pdfPageCount(pdf) == 1)
        #expect(try Tools.scanPDF(pdf) == [sampleURL])
        // A wrapped line reads as a space.
        let text = try Tools.pdfText(pdf).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("Quán Phở Bà Tư — Chợ Đồng Xuân, gian hàng số 12"))
        #expect(text.contains("Phường Đức Xuân, Thành phố Bắc Kạn, Tỉnh Bắc Kạn"))
        #expect(text.contains("Quét mã QR khi vào và khi ra"))
        #expect(text.contains("K7QF-2M9X-PD"))
    }

    @Test func decomposedInputIsRenderedPrecomposed() throws {
        var decomposed = poster
        decomposed.venueName = "Nhà văn hoá Đức Xuân".decomposedStringWithCanonicalMapping
        let text = try Tools.pdfText(try Poster.pdf([decomposed]))
        #expect(text.contains("Nhà văn hoá Đức Xuân\n".precomposedStringWithCanonicalMapping), "a short name stays on one line")
        #expect(text.contains("Nhà văn hoá Đức Xuân".precomposedStringWithCanonicalMapping))
    }

    @Test func longNamesWrapAndStillScan() throws {
        var long = poster
        long.venueName = String(repeating: "Trung tâm thương mại Vincom Plaza ", count: 6)
        let pdf = try Poster.pdf([long])
        #expect(try Tools.scanPDF(pdf) == [sampleURL])
    }

    @Test func batchHasOnePagePerVenueEachWithItsOwnCode() throws {
        let posters = (1...3).map { i in
            var p = poster
            p.venueName = "Địa điểm số \(i)"
            p.payload = sampleURL + "\(i)"
            return p
        }
        let pdf = try Poster.pdf(posters)
        #expect(try Tools.pdfPageCount(pdf) == 3)
        #expect(try Tools.scanPDF(pdf) == posters.map(\.payload))
    }

    @Test func pngPosterScans() throws {
        let png = try Poster.png(poster, dpi: 100)
        let dir = try Tools.temporaryDirectory()
        #expect(try Tools.scan([Tools.write(png, "poster.png", in: dir)]) == [sampleURL])
    }

    @Test func anEmptyBatchIsAnError() throws {
        #expect(throws: PosterError.noPages) { try Poster.pdf([]) }
    }
}
