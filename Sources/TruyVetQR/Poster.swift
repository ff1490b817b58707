import CCairo
import Foundation

/// What a personal check-in card shows.
public struct PersonalCard: Sendable, Equatable {
    public var holder: String
    /// e.g. "••• 678": enough for the holder to know the card is theirs.
    public var phoneHint: String
    public var payload: String

    public init(holder: String, phoneHint: String, payload: String) {
        self.holder = holder
        self.phoneHint = phoneHint
        self.payload = payload
    }
}

/// What one printed poster shows. All text is rendered NFC-normalised with DejaVu Sans (full Vietnamese coverage).
public struct PosterContent: Sendable, Equatable {
    public var venueName: String
    public var address: String
    /// "Phường …, Quận …, Thành phố …"
    public var areaLine: String
    /// The URL encoded in the QR code.
    public var payload: String
    /// The venue's short code for manual entry, already formatted for reading.
    public var shortCode: String

    public init(venueName: String, address: String, areaLine: String, payload: String, shortCode: String) {
        self.venueName = venueName
        self.address = address
        self.areaLine = areaLine
        self.payload = payload
        self.shortCode = shortCode
    }
}

public enum PosterError: Error, Equatable, Sendable, CustomStringConvertible {
    case qr(QRError)
    case cairo(String)
    case noPages
    public var description: String {
        switch self {
        case let .qr(e): e.description
        case let .cairo(s): "cairo: \(s)"
        case .noPages: "a poster document needs at least one page"
        }
    }
}

/// A4 posters drawn by one routine onto a PDF surface (one page per venue) or a PNG image surface.
public enum Poster {
    /// A4 in PDF points.
    public static let pageWidth = 595.2756
    public static let pageHeight = 841.8898
    /// QR code width (modules only) on paper: 15 cm.
    public static let qrWidth = 150 / 25.4 * 72
    /// The smallest the code gets when the text above it is very long: 13 cm.
    public static let minQRWidth = 130 / 25.4 * 72

    public static let instruction = "Quét mã QR khi vào và khi ra"
    public static let instructionEnglish = "Scan this code with your phone camera when you enter and when you leave"

    /// A PDF document with one page per poster.
    public static func pdf(_ posters: [PosterContent], title: String = "TruyVet") throws(PosterError) -> [UInt8] {
        guard !posters.isEmpty else { throw .noPages }
        let codes = try encodeAll(posters.map(\.payload))
        return try document(width: pageWidth, height: pageHeight, title: title, pages: posters.count) { page, cr in
            draw(posters[page], code: codes[page], on: cr)
        }
    }

    /// A personal card, 55 × 75 mm: the QR code 45 mm wide, the holder's name, how to use it.
    public static func card(_ card: PersonalCard) throws(PosterError) -> [UInt8] {
        let code = try encodeAll([card.payload])[0]
        return try document(width: cardWidth, height: cardHeight, title: "TruyVet", pages: 1) { _, cr in
            drawCard(card, code: code, on: cr)
        }
    }

    /// One PDF surface writing to memory: `draw` is called once per page.
    private static func document(width: Double, height: Double, title: String, pages: Int,
                                 draw: (Int, OpaquePointer?) -> Void) throws(PosterError) -> [UInt8] {
        let sink = ByteSink()
        let result: PosterError? = withExtendedLifetime(sink) {
            let surface = cairo_pdf_surface_create_for_stream(
                ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(), width, height)
            defer { cairo_surface_destroy(surface) }
            // PDF 1.4: no compressed object streams (every reader takes it; faster to write).
            cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_4)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "TruyVet")
            let cr = cairo_create(surface)
            defer { cairo_destroy(cr) }
            for page in 0..<pages {
                draw(page, cr)
                cairo_show_page(cr)
            }
            if let error = status(cr) { return error }
            cairo_surface_finish(surface)
            return surfaceStatus(surface)
        }
        if let result { throw result }
        return sink.bytes
    }

    /// The same poster as a PNG image at `dpi` dots per inch (72…300).
    public static func png(_ poster: PosterContent, dpi: Double = 150) throws(PosterError) -> [UInt8] {
        let code = try encodeAll([poster.payload])[0]
        let dpi = min(max(dpi, 72), 300)
        let width = Int32((pageWidth * dpi / 72).rounded())
        let height = Int32((pageHeight * dpi / 72).rounded())
        let sink = ByteSink()
        let result: PosterError? = withExtendedLifetime(sink) {
            let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)
            defer { cairo_destroy(cr) }
            cairo_scale(cr, dpi / 72, dpi / 72)
            draw(poster, code: code, on: cr)
            if let error = status(cr) { return error }
            cairo_surface_flush(surface)
            let written = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
            if written != CAIRO_STATUS_SUCCESS { return .cairo(String(cString: cairo_status_to_string(written))) }
            return nil
        }
        if let result { throw result }
        return sink.bytes
    }

    private static func encodeAll(_ payloads: [String]) throws(PosterError) -> [QRCode] {
        var codes: [QRCode] = []
        codes.reserveCapacity(payloads.count)
        for payload in payloads {
            do { codes.append(try QRCode(payload, errorCorrection: .medium)) } catch { throw .qr(error) }
        }
        return codes
    }

    private static func status(_ cr: OpaquePointer?) -> PosterError? {
        let s = cairo_status(cr)
        return s == CAIRO_STATUS_SUCCESS ? nil : .cairo(String(cString: cairo_status_to_string(s)))
    }

    private static func surfaceStatus(_ surface: OpaquePointer?) -> PosterError? {
        let s = cairo_surface_status(surface)
        return s == CAIRO_STATUS_SUCCESS ? nil : .cairo(String(cString: cairo_status_to_string(s)))
    }

    // MARK: - The drawing routine

    private static let sans = "DejaVu Sans"
    private static let margin = 42.0

    private static func draw(_ poster: PosterContent, code: QRCode, on cr: OpaquePointer?) {
        let width = pageWidth - 2 * margin
        header(cr, "KHAI BÁO Y TẾ · QUÉT MÃ QR", width: pageWidth, height: 58, fontSize: 21, baseline: 37)

        // Venue name: bold; one line if it fits at 22 pt or more, otherwise up to three lines (down to 12 pt).
        var y = 96.0
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05)
        let name = nfc(poster.venueName)
        var nameSize = 30.0
        var nameLines = wrap(cr, name, font: sans, bold: true, size: nameSize, width: width)
        while nameLines.count > 1 && nameSize > 22 {
            nameSize -= 2
            nameLines = wrap(cr, name, font: sans, bold: true, size: nameSize, width: width)
        }
        if nameLines.count > 1 {
            nameSize = 26
            nameLines = wrap(cr, name, font: sans, bold: true, size: nameSize, width: width)
            while nameLines.count > 3 && nameSize > 12 {
                nameSize -= 2
                nameLines = wrap(cr, name, font: sans, bold: true, size: nameSize, width: width)
            }
        }
        setFont(cr, sans, bold: true, size: nameSize)
        for (i, line) in nameLines.prefix(3).enumerated() {
            if i > 0 { y += nameSize * 1.2 }
            showCentered(cr, line, y: y)
        }

        // Address and area names.
        y += 24
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25)
        let small = 12.5
        let addressLines = wrap(cr, nfc(poster.address), font: sans, bold: false, size: small, width: width).prefix(2)
            + wrap(cr, nfc(poster.areaLine), font: sans, bold: false, size: small, width: width).prefix(2)
        setFont(cr, sans, bold: false, size: small)
        for (i, line) in addressLines.enumerated() {
            if i > 0 { y += small * 1.35 }
            showCentered(cr, line, y: y)
        }
        let textBottom = y + 4

        // The bottom block is laid out from the foot of the page up.
        let footerY = pageHeight - 14
        let codeY = footerY - 26
        let labelY = codeY - 26
        let englishY = labelY - 22
        let instructionY = englishY - 18
        let instructionTop = instructionY - 18

        // The QR code: 15 cm wide, at least 4 light modules clear of any text on every side; only when the text above
        // is very long does it shrink, never below 13 cm.
        let quietModules = Double(2 * QRRender.quietZone)
        let available = instructionTop - textBottom
        let side = max(min(qrWidth, available * Double(code.size) / (Double(code.size) + quietModules)), minQRWidth)
        // Whole points for the module size and origin: every coordinate cairo writes is then an integer, which is
        // both crisper and much faster to format (the QR is most of the page's numbers).
        let module = (side / Double(code.size)).rounded()
        let qrTop = (textBottom + max(4 * module, (available - module * Double(code.size)) / 2)).rounded()
        let qrLeft = ((pageWidth - module * Double(code.size)) / 2).rounded()
        drawQR(code, left: qrLeft, top: qrTop, module: module, on: cr)

        // Instructions and the short code.
        cairo_set_source_rgb(cr, 0.72, 0.07, 0.09)
        setFont(cr, sans, bold: true, size: 22)
        showCentered(cr, instruction, y: instructionY)
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3)
        setFont(cr, sans, bold: false, size: 10.5)
        showCentered(cr, instructionEnglish, y: englishY)
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05)
        setFont(cr, sans, bold: false, size: 12)
        showCentered(cr, "Không quét được? Nhập mã địa điểm / Manual entry code:", y: labelY)
        setFont(cr, sans, bold: true, size: 24)
        showCentered(cr, poster.shortCode, y: codeY)

        cairo_set_source_rgb(cr, 0.45, 0.45, 0.45)
        setFont(cr, sans, bold: false, size: 8)
        showCentered(cr, "TruyVet · Mã QR có chữ ký số, chỉ dùng tại địa điểm này / signed code, valid at this venue only", y: footerY)
    }

    private static func drawQR(_ code: QRCode, left: Double, top: Double, module: Double, on cr: OpaquePointer?) {
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
        // One fill per rectangle: cairo writes a lone box as `x y w h re` (4 numbers) but boxes in one path as
        // `m l l l h` (8 numbers), and formatting those numbers is most of the cost of a poster.
        for r in code.darkRectangles {
            cairo_rectangle(cr, left + Double(r.x) * module, top + Double(r.y) * module,
                            Double(r.width) * module, Double(r.height) * module)
            cairo_fill(cr)
        }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT)
    }

    /// A white page with the red header band and its title.
    private static func header(_ cr: OpaquePointer?, _ title: String, width: Double, height: Double, fontSize: Double, baseline: Double) {
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_set_source_rgb(cr, 0.72, 0.07, 0.09)
        cairo_rectangle(cr, 0, 0, width, height)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, 1, 1, 1)
        setFont(cr, sans, bold: true, size: fontSize)
        showCentered(cr, title, y: baseline, width: width)
    }

    static let cardWidth = 55 / 25.4 * 72
    static let cardHeight = 75 / 25.4 * 72

    private static func drawCard(_ card: PersonalCard, code: QRCode, on cr: OpaquePointer?) {
        header(cr, "TRUYVET · THẺ KHAI BÁO", width: cardWidth, height: 20, fontSize: 8.5, baseline: 13.5)
        let module = (45 / 25.4 * 72 / Double(code.size) * 4).rounded() / 4
        let side = module * Double(code.size)
        drawQR(code, left: ((cardWidth - side) / 2 * 4).rounded() / 4, top: 32, module: module, on: cr)
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05)
        var size = 10.0
        let name = nfc(card.holder)
        setFont(cr, sans, bold: true, size: size)
        while textWidth(cr, name) > cardWidth - 12 && size > 6 {
            size -= 0.5
            setFont(cr, sans, bold: true, size: size)
        }
        showCentered(cr, name, y: 32 + side + 18, width: cardWidth)
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3)
        setFont(cr, sans, bold: false, size: 6.5)
        showCentered(cr, card.phoneHint, y: 32 + side + 28, width: cardWidth)
        showCentered(cr, "Đưa thẻ cho nhân viên quét khi vào và khi ra", y: cardHeight - 9, width: cardWidth)
    }

    private static func nfc(_ s: String) -> String { s.precomposedStringWithCanonicalMapping }

    /// Font faces are created once (cairo font faces are reference counted and thread-safe); one family in two weights,
    /// so each PDF embeds two small font subsets.
    private struct Faces: @unchecked Sendable {
        let regular = cairo_toy_font_face_create(sans, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        let bold = cairo_toy_font_face_create(sans, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
    }
    private static let faces = Faces()

    private static func setFont(_ cr: OpaquePointer?, _ family: String, bold: Bool, size: Double) {
        cairo_set_font_face(cr, bold ? faces.bold : faces.regular)
        cairo_set_font_size(cr, size)
    }

    private static func textWidth(_ cr: OpaquePointer?, _ text: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    private static func showCentered(_ cr: OpaquePointer?, _ text: String, y: Double, width: Double = pageWidth) {
        let w = textWidth(cr, text)
        cairo_move_to(cr, (width - w) / 2, y)
        cairo_show_text(cr, text)
    }

    /// Greedy word wrap by measured width; a single word wider than the line is cut by characters.
    private static func wrap(_ cr: OpaquePointer?, _ text: String, font: String, bold: Bool, size: Double, width: Double) -> [String] {
        setFont(cr, font, bold: bold, size: size)
        var lines: [String] = []
        var current = ""
        for word in text.split(whereSeparator: { $0.isWhitespace }).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if textWidth(cr, candidate) <= width {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            for ch in word {
                let next = current + String(ch)
                if textWidth(cr, next) > width && !current.isEmpty {
                    lines.append(current)
                    current = String(ch)
                } else {
                    current = next
                }
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// Collects bytes from cairo's stream callbacks.
final class ByteSink {
    var bytes: [UInt8] = []

    static let write: cairo_write_func_t = { closure, data, length in
        guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
        let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    }
}
