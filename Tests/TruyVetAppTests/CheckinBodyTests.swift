import Foundation
import NIOCore
import Testing
@testable import TruyVetApp
import TruyVetCore

/// The hand-read check-in body must agree with Foundation's JSON reading whenever it answers, and decline otherwise.
@Suite struct FlatJSONTests {
    func fast(_ text: String) -> [String: String?]? {
        let buffer = ByteBuffer(string: text)
        return buffer.withUnsafeReadableBytes(FlatJSON.parse)
    }

    /// Foundation's reading of a flat object of strings and nulls; nil when it is not one.
    func reference(_ text: String) -> [String: String?]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        var out: [String: String?] = [:]
        for (key, value) in object {
            if let s = value as? String { out[key] = .some(s) } else if value is NSNull { out[key] = .some(nil) } else { return nil }
        }
        return out
    }

    @Test(arguments: [
        #"{"token":"abc","name":"Nguyễn Văn An","phone":"0912345678"}"#,
        #"  { "a" : "x" , "b" : null }  "#,
        "{\n\t\"a\":\r\n\"x\"}",
        #"{}"#,
        #"{"a":"\"quoted\" \\ back\/slash \b\f\n\r\t"}"#,
        #"{"a":"\u00e9\u1EA1\u0000x"}"#,
        #"{"a":"\ud83d\ude00 emoji"}"#,
        #"{"a":"😀 Đức Xuân"}"#,
        #"{"a":""}"#,
    ])
    func validFlatObjectsReadLikeFoundation(text: String) {
        let mine = fast(text)
        #expect(mine != nil)
        #expect(mine == reference(text))
    }

    @Test(arguments: [
        "", "{", "}", "[]", #"{"a":1}"#, #"{"a":true}"#, #"{"a":{"b":"c"}}"#, #"{"a":["x"]}"#, #"{"a":"x",}"#,
        #"{"a" "x"}"#, #"{a:"x"}"#, #"{"a":"x"} extra"#, #"{"a":"x"}{"#, "{\"a\":\"line\nbreak\"}", #"{"a":"\x"}"#,
        #"{"a":"\u12"}"#, #"{"a":"\ud83d"}"#, #"{"a":"\ude00"}"#, #"{"a":"\ud83d\u0041"}"#, #"{"a":"unterminated}"#,
        #"{"a":nul}"#, #"{"a":"x","b"}"#,
    ])
    func anythingElseIsLeftToFoundation(text: String) {
        #expect(fast(text) == nil)
    }

    @Test func invalidUTF8IsLeftToFoundation() {
        var buffer = ByteBuffer(string: #"{"a":""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}"#)
        #expect(buffer.withUnsafeReadableBytes(FlatJSON.parse) == nil)
    }

    /// Random flat objects written by Foundation (any escapes it chooses) read back the same; random mutations of them
    /// either read like Foundation or are declined.
    @Test func randomBodiesAgreeWithFoundation() throws {
        var rng = SplitMix(seed: 7)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "ệ", "Đ", "😀", "{", "}", ":", ","]
        func randomString() -> String {
            String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        }
        for _ in 0..<500 {
            var object: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                object[randomString()] = Bool.random(using: &rng) ? randomString() : NSNull()
            }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(fast(text) == reference(text), "\(text)")
            var bytes = Array(text.utf8)
            if !bytes.isEmpty {
                let replacements = Array("\"\\{},: a1n".utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = replacements[Int.random(in: 0..<replacements.count, using: &rng)]
            }
            let mutated = String(decoding: bytes, as: UTF8.self)
            if let mine = fast(mutated) { #expect(mine == reference(mutated), "\(mutated)") }
        }
    }
}

/// Check-ins on a real connection: pipelined answers in order, and HTTP manners.
@Suite struct CheckinConnectionTests {
    /// Sends `request` bytes on one connection and reads `count` answers (status line, headers, body by Content-Length).
    /// Off the cooperative pool: a blocking read there could starve the server's own request tasks.
    static func exchange(port: Int, _ request: String, answers count: Int) async throws -> (answers: [(status: Int, headers: String, body: String)], closed: Bool) {
        try await RawConnection.offPool { Result { try blockingExchange(port: port, request, answers: count) } }.get()
    }

    static func blockingExchange(port: Int, _ request: String, answers count: Int) throws -> (answers: [(status: Int, headers: String, body: String)], closed: Bool) {
        let connection = try RawConnection(port: port)
        let fd = connection.fd
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw TestFailure("short write") }
        var received: [UInt8] = []
        var answers: [(Int, String, String)] = []
        var closed = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Parse whole answers out of what has arrived.
            while let headerEnd = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<headerEnd.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                guard received.count >= headerEnd.upperBound + length else { break }
                let status = Int(head.split(separator: " ")[1]) ?? 0
                answers.append((status, head, String(decoding: received[headerEnd.upperBound..<headerEnd.upperBound + length], as: UTF8.self)))
                received.removeFirst(headerEnd.upperBound + length)
            }
            if answers.count >= count {
                // Does the server close? Only asked when the last request said so.
                if request.lowercased().contains("connection: close") {
                    closed = read(fd, &chunk, chunk.count) == 0
                }
                return (answers, closed)
            }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return (answers, true) }
            received += chunk[0..<n]
        }
    }

    static func post(_ body: String, extraHeaders: String = "") -> String {
        "POST /v1/checkins HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extraHeaders)\r\n\(body)"
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await TestApp.make().run(live: true) { c in
            let reg = try await c.register()
            let port = try #require(c.client.port)
            let token = String(reg.checkinPath.dropFirst(3))
            let device = "Cookie: \(TestApp.Client.device(3))\r\n"
            let requests = Self.post(#"{"token":"\#(token)","name":"An","phone":"0912000001"}"#, extraHeaders: device)
                + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                + Self.post(#"{"token":"\#(token)","name":"Bình","phone":"0912000002"}"#)
                + Self.post(#"{"token":"\#(token)","name":"An","phone":"0912000001"}"#, extraHeaders: device)
                + "GET /v1/venues/\(reg.venue.id)/occupancy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(reg.managementToken)\r\n\r\n"
                + Self.post(#"{"token":"nope","name":"Chi","phone":"0912000003"}"#)
            let (answers, _) = try await Self.exchange(port: port, requests, answers: 6)
            try #require(answers.map(\.status) == [201, 200, 201, 200, 200, 404])
            #expect(answers[1].body == "ok\n")
            #expect(answers[0].body.contains(#""name":"Quán Phở Bà Tư""#) && answers[2].body.contains(#""status":"checked_in""#))
            #expect(answers[3].body.contains(#""status":"already_checked_in""#))
            #expect(answers[4].body.contains(#""count":2"#))
            #expect(answers[5].body.contains(#""error":"not_found""#))
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await TestApp.make().run(live: true) { c in
            let reg = try await c.register()
            let port = try #require(c.client.port)
            let token = String(reg.checkinPath.dropFirst(3))
            let (answers, closed) = try await Self.exchange(port: port, Self.post(#"{"token":"\#(token)","name":"An","phone":"0912000001"}"#,
                                                                            extraHeaders: "Connection: close\r\n"), answers: 1)
            #expect(answers.first?.status == 201)
            #expect(closed)
        }
    }

    @Test func oversizedAndEmptyBodiesAreClearErrors() async throws {
        try await TestApp.make().run(live: true) { c in
            let port = try #require(c.client.port)
            let big = #"{"name":""# + String(repeating: "a", count: JSON.maxBody) + #""}"#
            let (tooLarge, _) = try await Self.exchange(port: port, Self.post(big), answers: 1)
            #expect(tooLarge.first?.status == 413 && tooLarge.first?.body.contains(#""field":"body""#) == true)
            let (empty, _) = try await Self.exchange(port: port, Self.post(""), answers: 1)
            #expect(empty.first?.status == 400 && empty.first?.body.contains(#""error":"empty_body""#) == true)
            let (chunked, _) = try await Self.exchange(port: port, "POST /v1/checkins HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n4\r\n\"x\"}\r\n0\r\n\r\n", answers: 1)
            #expect(chunked.first?.status == 400 && chunked.first?.body.contains(#""field":"token""#) == true)
        }
    }
}
