import Foundation

/// Runs the Debian tools a person would use to check what the product renders (a phone camera = zbarimg).
public enum Tools {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `arguments[0]` found on PATH; returns stdout. Throws with stderr when it exits non-zero.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: stderr, as: UTF8.self))")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public static func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every QR payload zbarimg reads from the image files, in order.
    public static func scan(_ imagePaths: [String]) throws -> [String] {
        let output = try run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"] + imagePaths)
        return output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Rasterises every page of a PDF (like printing it and pointing a camera at it) and scans each page.
    public static func scanPDF(_ pdf: [UInt8]) throws -> [String] {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try write(pdf, "doc.pdf", in: dir)
        try run(["pdftoppm", "-r", "110", "-gray", "-png", path, dir.appendingPathComponent("page").path])
        let pages = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("page") }.sorted()
        return try pages.flatMap { try scan([dir.appendingPathComponent($0).path]) }
    }

    /// The text layer of a PDF, as pdftotext extracts it.
    public static func pdfText(_ pdf: [UInt8]) throws -> String {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try write(pdf, "doc.pdf", in: dir)
        return try run(["pdftotext", "-enc", "UTF-8", path, "-"])
    }

    public static func pdfPageCount(_ pdf: [UInt8]) throws -> Int {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let info = try run(["pdfinfo", try write(pdf, "doc.pdf", in: dir)])
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("Pages:") }),
              let n = Int(line.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) else {
            throw Failure(description: "pdfinfo printed no page count")
        }
        return n
    }
}
