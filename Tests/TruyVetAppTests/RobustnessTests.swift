import Foundation
import HTTPTypes
import Logging
import Testing
import TruyVetApp
import TruyVetSetup
import TruyVetCore

/// A raw TCP connection to a live test server, for what a careless or hostile client does below HTTP. Its blocking
/// reads run on a thread of their own, never on the few threads that every test's tasks share.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to port \(port)") }
        // Far longer than any timeout under test: a read that waits this long means the server held the connection.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = write(fd, bytes, bytes.count)
    }

    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection; `closed` is false when it held it past the timeout.
    func readToEnd() async -> (text: String, closed: Bool) {
        await Self.offPool { self.blockingReadToEnd() }
    }

    func receive(until marker: String) async -> String {
        await Self.offPool { self.blockingReceive(until: marker) }
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    private func blockingReadToEnd() -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: received, as: UTF8.self), false) }
            received += chunk[0..<n]
        }
    }

    /// Reads until `marker` has arrived (or the connection ends).
    private func blockingReceive(until marker: String) -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

@Suite struct ConnectionTests {
    static func quick(_ c: inout AppConfig) {
        c.headerTimeout = 1
        c.bodyTimeout = 1
        c.idleTimeout = 1
    }

    @Test func slowAndIdleClientsAreDisconnected() async throws {
        try await TestApp.make(Self.quick).run(live: true) { c in
            let port = try #require(c.client.port)
            // Half-sent headers, a body that never completes, and a kept-alive connection left idle after its answer.
            let half = try RawConnection(port: port)
            half.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let slow = try RawConnection(port: port)
            slow.send("POST /v1/venues HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            let idle = try RawConnection(port: port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            for connection in [half, slow] { #expect(await connection.readToEnd().closed) }
            let kept = await idle.readToEnd()
            #expect(kept.closed && kept.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func http10ConnectionsCloseAfterTheAnswerUnlessKeepAliveIsAsked() async throws {
        try await TestApp.make().run(live: true) { c in
            let port = try #require(c.client.port)
            let plain = try RawConnection(port: port)
            plain.send("GET /healthz HTTP/1.0\r\n\r\n")
            let answer = await plain.readToEnd()
            #expect(answer.closed && answer.text.lowercased().contains("connection: close"))
            let kept = try RawConnection(port: port)
            kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(await kept.receive(until: "ok\n").lowercased().contains("connection: keep-alive"))
            kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(await kept.receive(until: "ok\n").contains("200 OK"), "the same connection answers again")
        }
    }

    @Test(arguments: ["/v1/venues", "/v1/checkins", "/v1/areas/import"])
    func aBodyCutShortIsA400NamingTheBody(path: String) async throws {
        try await TestApp.make().run(live: true) { c in
            let port = try #require(c.client.port)
            let connection = try RawConnection(port: port)
            connection.send("POST \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestApp.adminToken)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"")
            connection.finishSending()
            let answer = await connection.readToEnd().text
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""error":"incomplete_body""#) && answer.contains(#""field":"body""#))
        }
    }

    @Test func aRequestThatIsNotHTTPGetsTheJSONError() async throws {
        try await TestApp.make().run(live: true) { c in
            let connection = try RawConnection(port: try #require(c.client.port))
            connection.send("GARBAGE\r\n\r\n")
            let answer = await connection.readToEnd().text
            #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains(#"{"error":"bad_request","field":null"#))
        }
    }
}

@Suite struct HTTPMannersTests {
    @Test func aWrongMethodIs405WithAllowAndHEADIsAnswered() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let wrong = try await c.call(.delete, "/healthz")
            #expect(wrong.status == 405 && wrong.headers[.allow] == "GET, HEAD" && wrong.error?.error == "method_not_allowed")
            let rotate = try await c.call(.get, "/v1/venues/\(reg.venue.id)/poster/rotate")
            #expect(rotate.status == 405 && rotate.headers[.allow] == "POST")
            #expect(try await c.call(.get, "/v1/nothing-here").status == 404)
            let head = try await c.call(.head, "/v1/categories")
            #expect(head.status == 200 && head.body.isEmpty)
        }
    }

    @Test func errorsAlwaysCarryFieldAndAnswersCarrySecurityHeaders() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let unauthorized = try await c.call(.get, "/v1/flags")
            #expect(unauthorized.text.contains(#""field":null"#))
            let page = try await c.call(.get, reg.checkinPath, accept: "text/html")
            for reply in [page, unauthorized] {
                #expect(reply.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(reply.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(reply.headers[.xContentTypeOptions] == "nosniff")
                #expect(reply.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            }
        }
    }

    @Test func checkInAnswersCarryTheSecurityHeadersToo() async throws {
        try await TestApp.make().run(live: true) { c in
            let reg = try await c.register()
            let r = try await c.checkin(reg)
            #expect(r.status == 201 && r.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test func pathParametersArePercentDecoded() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let reg = try await c.register()
            _ = try await c.checkin(reg, name: "An", phone: "0926 986 255")
            let r = try await c.call(.put, "/v1/people/0926%20986%20255/quarantine", token: tracer, json: #"{"since": "2021-11-21"}"#)
            #expect(r.status == 200, "\(r.text)")
        }
    }

    @Test func anInvalidCodePostedToTheFormIsRateLimitedAndThe429PageSaysWhen() async throws {
        try await TestApp.make { $0.clock = AbuseTests.pinned; $0.checkinRateLimit = 2 }.run { c in
            for i in 0..<20 { #expect(try await c.call(.post, "/c/guess\(i)", body: Array("name=An&phone=0912345678".utf8)).status == 404) }
            let r = try await c.call(.post, "/c/guess-more", body: Array("name=An&phone=0912345678".utf8))
            #expect(r.status == 429 && r.headers[.retryAfter] != nil)
            // A person at the form gets a page saying when to try again, not JSON; an API client still gets JSON.
            #expect(r.headers[.contentType]?.hasPrefix("text/html") == true && r.text.contains("<html"))
            let api = try await c.call(.get, "/c/guess-again", accept: "application/json")
            #expect(api.status == 429 && api.error?.error == "rate_limited" && api.headers[.retryAfter] != nil)
            let reg = try await c.register()
            for i in 0..<2 { _ = try await c.call(.post, reg.checkinPath, body: Array("name=An&phone=091234567\(i)".utf8)) }
            let page = try await c.call(.post, reg.checkinPath, body: Array("name=An&phone=0912345679".utf8))
            #expect(page.status == 429 && page.headers[.retryAfter] != nil && page.text.contains("<form"))
            // Above the form, in Vietnamese first, as every page says it.
            #expect(page.text.contains("Quá nhiều yêu cầu từ thiết bị hoặc mạng này"), "\(page.text)")
        }
    }
}

@Suite struct InputBoundsTests {
    @Test func implausibleDatesAreRefusedNamingTheField() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let health = try await c.token("health")
            let reg = try await c.register()
            _ = try await c.checkin(reg, name: "An", phone: "0901000001")
            let isolated = #"{"phone": "0901000001", "areaCode": "01843", "sampleDate": "2021-11-20", "confirmedAt": "2021-11-21T08:00:00+07:00", "isolatedAt": "9999-01-01T00:00:00+07:00"}"#
            #expect(try await c.call(.post, "/v1/cases", token: tracer, json: isolated).error?.field == "isolatedAt")
            let typed = #"{"phone": "0901000001", "areaCode": "01843", "sampleDate": "21/11/2021", "confirmedAt": "2021-11-21T08:00:00+07:00"}"#
            let r = try await c.call(.post, "/v1/cases", token: tracer, json: typed)
            #expect(r.error?.field == "sampleDate" && r.error?.message.contains("YYYY-MM-DD") == true && r.error?.message.contains("got '21/11/2021'") == true)
            #expect(try await c.call(.put, "/v1/people/0901000001/quarantine", token: tracer, json: #"{"since": "0001-01-01"}"#).error?.field == "since")
            #expect(try await c.call(.put, "/v1/people/0901000001/quarantine", token: tracer, json: #"{"since": "2021-11-21", "until": "9999-12-31"}"#).error?.field == "until")
            #expect(try await c.call(.post, "/v1/areas/06/announcements", token: health, json: #"{"date": "9999-12-31"}"#).error?.field == "date")
        }
    }

    @Test func spreadsheetCellsAreRepairedAndReported() async throws {
        try await TestApp.make().run { c in
            let reg = try await c.register()
            let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(reg.venue.id),912345678,Nguyễn Văn An,,19/11/2021 08:30,19/11/2021 09:00\n"
            struct Report: Decodable { struct R: Decodable { let line: Int; let field: String; let from: String; let to: String }; let accepted: Int; let repaired: [R] }
            let report = try await c.call(.post, "/v1/visits/import", token: TestApp.adminToken, body: Array(csv.utf8)).json(Report.self)
            #expect(report.accepted == 1 && report.repaired.map(\.to) == ["0912345678"] && report.repaired.first?.line == 2)
            let log = try await c.call(.get, "/v1/venues/\(reg.venue.id)/visits?from=2021-11-19T00:00:00%2B07:00&to=2021-11-20T00:00:00%2B07:00", token: reg.managementToken)
            #expect(log.text.contains("2021-11-19T08:30:00+07:00") && log.text.contains("+84912345678"))
            let health = try await c.token("health")
            let figures = "code,date,population,adult_first_dose,older_fully_vaccinated,capacity_met,community_cases\n1843,19/11/2021,12000,,,,\n"
            let f = try await c.call(.post, "/v1/areas/figures/import", token: health, body: Array(figures.utf8)).json(Report.self)
            #expect(f.accepted == 1 && f.repaired.map(\.to) == ["01843"])
            let areas = "code,name,level,parent_code\n1999,Xã Thử,commune,58\n"
            let a = try await c.call(.post, "/v1/areas/import", token: TestApp.adminToken, body: Array(areas.utf8)).json(Report.self)
            #expect(a.accepted == 1 && a.repaired.map(\.to) == ["01999", "058"])
        }
    }
}

@Suite struct DataDirectoryLockTests {
    @Test func aSecondWriterOfTheSameDataDirectoryIsRefusedNamingTheFirst() async throws {
        var config = AppConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path
        let first = try await TruyVet.open(config: config, exclusive: true)
        do {
            _ = try await TruyVet.open(config: config, exclusive: true)
            Issue.record("a second writer opened the data directory")
        } catch let error as AppError {
            #expect(error.code == "data_dir_in_use" && error.message.contains("PID \(getpid())"))
        }
        // Readers may open it beside the writer.
        #expect(try await TruyVet.open(config: config).store.areaCount() == (try await first.store.areaCount()))
        _ = first
    }
}

/// Keeps every log line (message and metadata) in memory.
final class CollectedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }

    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(logs: self) }
        logger.logLevel = .info
        return logger
    }

    struct Handler: LogHandler {
        let logs: CollectedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            logs.append("\(level) \(message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }
}

@Suite struct RequestLogTests {
    @Test(arguments: [false, true]) func oneLinePerRequestWithItsIdAndNoPersonalData(live: Bool) async throws {
        let logs = CollectedLogs()
        try await TestApp.make().run(live: live, logger: logs.logger) { c in
            let tracer = try await c.token("tracer")
            let reg = try await c.register()
            let r = try await c.checkin(reg, name: "Nguyễn Thị Hoa", phone: "0926 986 255", extra: #", "idNumber": "001199012345""#)
            let id = try #require(r.headers[HTTPField.Name("X-Request-Id")!])
            _ = try await c.call(.put, "/v1/people/0926%20986%20255/quarantine", token: tracer, json: #"{"since": "2021-11-21"}"#)
            _ = try await c.call(.get, "/v1/people/0926986255/nothing")
            let lines = logs.all
            let checkin = lines.filter { $0.contains("request=\(id)") }
            #expect(checkin.count == 1 && checkin[0].contains("route=/v1/checkins") && checkin[0].contains("status=201"), "\(lines)")
            #expect(lines.contains { $0.contains("route=/v1/people/") && $0.contains("quarantine") && $0.contains("status=200") }, "\(lines)")
            for line in lines {
                for secret in ["926986255", "926 986 255", "Nguyễn", "Hoa", "001199012345"] {
                    #expect(!line.contains(secret), "\(line)")
                }
            }
        }
    }
}

@Suite struct MetricsTests {
    @Test func prometheusFiguresForAdminsAndTheScraperOnly() async throws {
        let scraper = "tv_metrics-scraper-token-000000000000"
        try await TestApp.make { $0.metricsToken = scraper; $0.checkinRateLimit = 1; $0.clock = AbuseTests.pinned }.run(live: true) { c in
            let reg = try await c.register()
            #expect(try await c.checkin(reg, name: "An", phone: "0901000001").status == 201)
            #expect(try await c.checkin(reg, name: "Bình", phone: "0901000002").status == 429)
            #expect(try await c.call(.get, "/metrics").status == 401)
            #expect(try await c.call(.get, "/metrics", token: reg.managementToken).status == 403)
            let m = try await c.call(.get, "/metrics", token: scraper)
            #expect(m.status == 200 && m.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            for name in ["hb_requests", "http_server_request_duration", "truyvet_checkins_committed_total", "truyvet_checkin_batch_size",
                         "truyvet_rate_limited_total"] {
                #expect(m.text.contains(name), "\(name) missing")
            }
            #expect(m.text.contains(#"http_route="/v1/checkins""#) && m.text.contains(#"http_route="/v1/venues""#))
            #expect(!m.text.contains("0901000001") && !m.text.contains("+84901"))
            #expect(try await c.call(.get, "/metrics", token: TestApp.adminToken).status == 200)
        }
    }
}

@Suite struct DecommissionTests {
    @Test func nothingReadableRemains() async throws {
        let (app, config) = try await openInTemporaryDirectory()
        let venue = try await app.registerVenue(VenueRegistration(name: "Quán", address: "x", areaCode: "01843", category: "restaurant",
                                                                  contactPhone: "0912345678")).venue
        _ = try await app.checkin(venue: venue, person: try PersonInput(name: "Nguyễn Thị Hoa", phone: "0901234567", idNumber: nil), source: .api)
        let keys = try #require(FileManager.default.contents(atPath: KeyFile.path(dataDir: config.dataDir)))
        let removed = try Decommission.run(config: config)
        #expect(removed.contains { $0.hasSuffix("truyvet.sqlite") } && removed.contains { $0.hasSuffix("keys.json") })
        let left = try FileManager.default.contentsOfDirectory(atPath: config.dataDir)
        #expect(left.isEmpty, "\(left)")
        #expect(!keys.isEmpty)
        // A second decommission finds nothing to remove; with the server holding the directory it is refused.
        #expect(try Decommission.run(config: config).count == 1, "only the lock file it made itself")
        let running = try await TruyVet.open(config: config, exclusive: true)
        #expect(throws: AppError.self) { try Decommission.run(config: config) }
        _ = running
    }
}
