import CZlib
import Foundation

/// Renders QR codes as 1-bit greyscale PNG: crisp square modules, a quiet zone of `QRRender.quietZone` modules.
public enum QRRender {
    public static let quietZone = 4

    public enum RenderError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidScale(Int)
        case compressionFailed(Int32)
        public var description: String {
            switch self {
            case let .invalidScale(s): "scale must be between 1 and 64 pixels per module, got \(s)"
            case let .compressionFailed(c): "zlib failed (\(c))"
            }
        }
    }

    public static let scaleRange = 1...64

    /// PNG bytes: `scale` pixels per module, dark = black, light = white.
    public static func png(_ code: QRCode, scale: Int) throws(RenderError) -> [UInt8] {
        guard scaleRange.contains(scale) else { throw .invalidScale(scale) }
        let modulesWide = code.size + 2 * quietZone
        let pixels = modulesWide * scale
        let rowBytes = (pixels + 7) / 8
        let stride = rowBytes + 1  // filter byte
        var raw = [UInt8](repeating: 0, count: stride * pixels)
        raw.withUnsafeMutableBufferPointer { out in
            var line = [UInt8](repeating: 0, count: rowBytes)
            for my in 0..<modulesWide {
                // One scanline for this module row: bit 1 = white.
                for i in 0..<rowBytes { line[i] = 0xFF }
                if pixels % 8 != 0 { line[rowBytes - 1] = 0xFF << UInt8(8 - pixels % 8) }
                let y = my - quietZone
                if y >= 0 && y < code.size {
                    for x in 0..<code.size where code[x, y] {
                        let px0 = (x + quietZone) * scale
                        for px in px0..<(px0 + scale) {
                            line[px >> 3] &= ~(0x80 >> UInt8(px & 7))
                        }
                    }
                }
                let first = my * scale * stride
                out[first] = 0  // filter None
                for i in 0..<rowBytes { out[first + 1 + i] = line[i] }
                // The remaining rows of this module row repeat it: filter Up with zero differences.
                for r in 1..<scale { out[first + r * stride] = 2 }
            }
        }
        let (compressed, compressedLength) = try deflate(raw)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png.reserveCapacity(Int(compressedLength) + 64)
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(pixels))
        header.appendBigEndian(UInt32(pixels))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, standard filters, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", compressed[0..<Int(compressedLength)], to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// zlib stream of `raw`. The rows are runs of identical bytes and repeated rows filter to zeros, so run-length
    /// matching (Z_RLE) with a 512-byte window is enough; it avoids the ~300 KB state (fresh pages, a zeroed hash table)
    /// that `compress2` allocates on every call, and is about twice as fast for a few hundred bytes more.
    private static func deflate(_ raw: [UInt8]) throws(RenderError) -> ([UInt8], Int) {
        var stream = z_stream()
        var status = deflateInit2_(&stream, 6, Z_DEFLATED, 9, 2, Z_RLE, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .compressionFailed(status) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(raw.count))))
        var input = raw
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                status = CZlib.deflate(&stream, Z_FINISH)
                return outBuf.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END else { throw .compressionFailed(status) }
        return (output, produced)
    }

    private static func appendChunk<C: Collection<UInt8>>(_ type: String, _ data: C, to png: inout [UInt8]) {
        png.appendBigEndian(UInt32(data.count))
        let start = png.count
        png += Array(type.utf8)
        png += data
        let crc = png[start...].withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        png.appendBigEndian(UInt32(crc))
    }

    /// SVG document: one white background and one path of dark modules, in module units.
    public static func svg(_ code: QRCode, moduleSize: Double = 8) -> String {
        let modulesWide = code.size + 2 * quietZone
        let side = Double(modulesWide) * moduleSize
        var path = ""
        path.reserveCapacity(code.size * code.size * 3)
        for run in code.darkRuns {
            path += "M\(run.x + quietZone) \(run.y + quietZone)h\(run.length)v1h-\(run.length)z"
        }
        let sideText = side.formatted(.number.precision(.fractionLength(0...2)).grouping(.never))
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(sideText)" height="\(sideText)" viewBox="0 0 \(modulesWide) \(modulesWide)" shape-rendering="crispEdges">\
        <rect width="\(modulesWide)" height="\(modulesWide)" fill="#fff"/>\
        <path fill="#000" d="\(path)"/></svg>

        """
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
