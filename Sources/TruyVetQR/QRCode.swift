import CQRencode
import Foundation

/// Error-correction level of a QR code (ISO/IEC 18004). `medium` recovers about 15 % damage.
public enum QRErrorCorrection: String, Sendable, CaseIterable, Codable {
    case low = "L", medium = "M", quartile = "Q", high = "H"

    var cValue: QRecLevel {
        switch self {
        case .low: QR_ECLEVEL_L
        case .medium: QR_ECLEVEL_M
        case .quartile: QR_ECLEVEL_Q
        case .high: QR_ECLEVEL_H
        }
    }
}

public enum QRError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The payload does not fit in a version-40 symbol at this error-correction level.
    case payloadTooLong(bytes: Int, errorCorrection: QRErrorCorrection)
    case emptyPayload
    case payloadContainsNUL
    case encoderFailed(errno: Int32)

    public var description: String {
        switch self {
        case let .payloadTooLong(bytes, ec): "payload of \(bytes) bytes is too long for a QR code at level \(ec.rawValue)"
        case .emptyPayload: "payload is empty"
        case .payloadContainsNUL: "payload contains a NUL byte"
        case let .encoderFailed(code): "libqrencode failed (errno \(code))"
        }
    }
}

/// A QR symbol: a square matrix of dark (true) and light (false) modules, row-major, without quiet zone.
public struct QRCode: Sendable, Equatable {
    public let version: Int
    public let size: Int
    public let errorCorrection: QRErrorCorrection
    /// `size * size` modules, row by row; `true` is dark.
    public let modules: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Encodes `payload` as UTF-8 bytes (8-bit mode when needed; libqrencode picks the smallest version).
    public init(_ payload: String, errorCorrection: QRErrorCorrection = .medium) throws(QRError) {
        let bytes = Array(payload.utf8)
        if bytes.isEmpty { throw .emptyPayload }
        if bytes.contains(0) { throw .payloadContainsNUL }
        var failure: QRError?
        var result: (Int, Int, [Bool])?
        payload.withCString { cString in
            errno = 0
            guard let code = QRcode_encodeString(cString, 0, errorCorrection.cValue, QR_MODE_8, 1) else {
                failure = errno == ERANGE ? .payloadTooLong(bytes: bytes.count, errorCorrection: errorCorrection)
                    : .encoderFailed(errno: errno)
                return
            }
            defer { QRcode_free(code) }
            let width = Int(code.pointee.width)
            let buffer = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
            result = (Int(code.pointee.version), width, buffer.map { $0 & 1 == 1 })
        }
        if let failure { throw failure }
        guard let (version, width, modules) = result else { throw .encoderFailed(errno: 0) }
        self.version = version
        self.size = width
        self.errorCorrection = errorCorrection
        self.modules = modules
    }

    /// Dark modules as rectangles (in modules): horizontal runs, merged with identical runs on the rows below.
    /// Covers exactly the dark modules; fewer shapes make smaller, faster vector output.
    public var darkRectangles: [(x: Int, y: Int, width: Int, height: Int)] {
        var open: [Int: Int] = [:]  // key x * size + width → index in rects, for runs still growing downwards
        var rects: [(x: Int, y: Int, width: Int, height: Int)] = []
        var currentY = -1
        var grownThisRow: [Int: Int] = [:]
        for run in darkRuns {
            if run.y != currentY {
                open = grownThisRow.filter { rects[$0.value].y + rects[$0.value].height == run.y }
                grownThisRow = [:]
                currentY = run.y
            }
            let key = run.x * size + run.length
            if let index = open[key] {
                rects[index].height += 1
                grownThisRow[key] = index
            } else {
                rects.append((run.x, run.y, run.length, 1))
                grownThisRow[key] = rects.count - 1
            }
        }
        return rects
    }

    /// Horizontal runs of dark modules per row: (x, y, length).
    public var darkRuns: [(x: Int, y: Int, length: Int)] {
        var runs: [(x: Int, y: Int, length: Int)] = []
        for y in 0..<size {
            var x = 0
            while x < size {
                if self[x, y] {
                    let start = x
                    while x < size && self[x, y] { x += 1 }
                    runs.append((start, y, x - start))
                } else {
                    x += 1
                }
            }
        }
        return runs
    }
}
