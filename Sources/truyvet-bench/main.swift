import Foundation
import Synchronization
import TruyVetApp
import TruyVetSetup
import TruyVetCore
import TruyVetQR
import TruyVetPostgres

/// Benchmarks that print figures (they assert nothing: speed is measured here, behaviour in the tests).
/// Usage: truyvet-bench posters [png|svg|pdf] | truyvet-bench trace DATA_DIR
@main
struct Bench {
    static func main() async throws {
        let args = CommandLine.arguments.dropFirst()
        switch args.first {
        case "posters": try posters(only: args.dropFirst().first)
        case "trace" where args.count == 2: try await trace(dataDir: args.last!)
        case "levels" where args.count == 2: try await levels(dataDir: args.last!)
        case "checkins" where args.count == 2: try await checkins(dataDir: args.last!)
        case "retention" where args.count == 3: try await retention(dataDir: args[args.startIndex + 1], purge: args.last == "purge")
        case "returning" where args.count == 3: try await returning(dataDir: args[args.startIndex + 1], count: Int(args.last!) ?? 0)
        default:
            FileHandle.standardError.write(Data("usage: truyvet-bench posters [png|svg|pdf] | truyvet-bench trace|levels|checkins DATA_DIR | truyvet-bench returning DATA_DIR N\n".utf8))
            exit(2)
        }
    }

    /// The parts of a check-in without HTTP, in process, on the data of `scripts/bench checkins` (server stopped):
    /// what the event loop does before the store (validation, sealing, keyed hashes), the store alone (group commit,
    /// synchronous FULL; 64 and 1,024 check-ins in flight) with the CPU it takes per check-in, and the receipt. They
    /// show where a check-in's cost is and what ceiling the store puts on the HTTP figures.
    static func checkins(dataDir: String) async throws {
        var config = try AppConfig.fromEnvironment()
        config.dataDir = dataDir
        let app = try await TruyVet.open(config: config)
        var venues: [Venue] = []
        for i in 0..<100 {
            venues.append(try await app.registerVenue(VenueRegistration(
                name: "Bench store venue \(i)", address: "x", areaCode: "01843", category: "restaurant", contactPhone: "0912345678")).venue)
        }
        var random = SystemRandomNumberGenerator()
        func person() throws -> PersonInput {
            try PersonInput(name: "Nguyễn Văn Khách", phone: String(format: "09%08d", Int.random(in: 0..<100_000_000, using: &random)), idNumber: nil)
        }
        let count = 100_000
        var requests: [CheckinRequest] = []
        requests.reserveCapacity(count)
        let prepareStart = cpuSeconds()
        for i in 0..<count {
            requests.append(try app.checkinRequest(venue: venues[i % venues.count], person: try person(), at: nil, now: Date(),
                                                   source: .api, idempotencyKey: nil))
        }
        let prepare = (cpuSeconds() - prepareStart) / Double(count)
        let stored = try await app.store.visitCount()
        print("checkins, without HTTP (in process, \(app.config.postgresURL == nil ? "SQLite" : "PostgreSQL") with \(stored) stored visits):")
        print(String(format: "  validate, seal and hash a visitor:  %6.1f µs of CPU per check-in (one thread)", prepare * 1e6))

        // 64 in flight as wrk's 64 connections; 1,024 shows what bigger groups per commit buy.
        for (inFlight, part) in [(64, requests[..<(count / 2)]), (1024, requests[(count / 2)...])] {
            let (perSecond, cpu, p99) = storeAlone(app.store, part, inFlight: inFlight)
            print(String(format: "  store alone, %4d in flight:        %6.0f check-ins/s, p99 %5.1f ms, %5.1f µs of CPU per check-in (writer and submitter)",
                         inFlight, perSecond, p99 * 1000, cpu * 1e6))
        }
        let outcome = CheckinOutcome.created(Visit(id: 1, venueID: venues[0].id, personID: 1, checkinAt: Date(), checkoutAt: nil, source: .api))
        let receiptStart = cpuSeconds()
        for _ in 0..<count { _ = app.receipt(outcome, venue: venues[0]) }
        print(String(format: "  receipt (check-out secret, day code): %4.1f µs of CPU per check-in", (cpuSeconds() - receiptStart) / Double(count) * 1e6))
    }

    /// Retention on PostgreSQL with check-ins going on: a day of 1,000,000 visits (900,000 by people who have other
    /// visits, 100,000 by people seen only that day) dropped by the server's own purge, while the caller runs
    /// check-ins through HTTP (`prepare` makes the day, `purge` drops it). Prints how long the day took to go (its partition gone) and the whole purge, the
    /// people deleted after it.
    static func retention(dataDir: String, purge: Bool) async throws {
        var config = try AppConfig.fromEnvironment()
        config.dataDir = dataDir
        config.retentionDays = 21
        let app = try await TruyVet.open(config: config)
        guard let store = app.store as? PostgresStore else { print("retention: PostgreSQL only (TRUYVET_DATABASE_URL)"); exit(2) }
        let db = store.database
        let day: Int64 = 18_900  // 2021-09-30, before the preloaded visits
        let name = "visits_d\(day)"
        let venues = try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM venues")[0]
        let people = try await db.strings(unsafeSQL: "SELECT COALESCE(MAX(id), 0)::text FROM people")[0]
        let fill = """
            WITH seen_once AS (
                INSERT INTO people (phone_hash, name_hash, name_enc, phone_enc, created_at)
                SELECT sha256(('retention-bench-' || g || '-' || random())::bytea), '\\x00'::bytea, '\\x00'::bytea, '\\x00'::bytea, \(day * 86_400)
                FROM generate_series(1, 100000) g RETURNING id, phone_hash),
            keys AS (INSERT INTO phone_index (phone_hash, person_id) SELECT phone_hash, id FROM seen_once)
            INSERT INTO visits (venue_id, person_id, checkin_at, source, name_enc)
            SELECT 1 + (random() * (\(venues) - 1))::bigint, id, \(day * 86_400) + (random() * 86399)::bigint, 2, '\\x00'::bytea FROM seen_once
            UNION ALL
            SELECT 1 + (random() * (\(venues) - 1))::bigint, 1 + (random() * (\(people) - 1))::bigint, \(day * 86_400) + (random() * 86399)::bigint, 2, '\\x00'::bytea
            FROM generate_series(1, 900000)
            """
        if !purge {
            try await db.run(unsafeSQL: "DROP TABLE IF EXISTS \(name)")
            try await db.run(unsafeSQL: "CREATE TABLE \(name) PARTITION OF visits FOR VALUES FROM (\(day * 86_400)) TO (\((day + 1) * 86_400))")
            try await db.run(unsafeSQL: fill)
            try await db.run(unsafeSQL: "ANALYZE \(name)")
            print("  a day of \(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM \(name)")[0]) visits made")
            return
        }
        let clock = ContinuousClock()
        let start = clock.now
        // When the day left the visits table (no check-in or trace sees it), and when its table was gone.
        let gone = Task {
            var left: Duration?
            while true {
                let state = try await db.strings(unsafeSQL: """
                    SELECT CASE WHEN to_regclass('\(name)') IS NULL THEN 'dropped'
                                WHEN EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('\(name)')) THEN 'in' ELSE 'detached' END
                    """)[0]
                if state != "in", left == nil { left = start.duration(to: clock.now) }
                if state == "dropped" { return (left!, start.duration(to: clock.now)) }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        // Now: the day ended 21 days and a day before (the retention), the preloaded days are kept.
        let report = try await app.purge(now: Date(timeIntervalSince1970: TimeInterval((day + 23) * 86_400)))
        let total = start.duration(to: clock.now)
        let (left, dropped) = try await gone.value
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        print(String(format: "  retention by partition: the day out of the visits table after %.0f ms (target < 1,000 ms), its table dropped after %.0f ms",
                     ms(left), ms(dropped)))
        print(String(format: "  whole purge %.1f s: %d visits, %d people deleted", ms(total) / 1000, report.visits, report.people))
    }

    /// The phone of returning visitor `i` (the pool `returning` makes and `checkins.lua` draws from).
    static func returningPhone(_ i: Int) -> String { String(format: "097%07d", i) }
    /// The device token returning visitor `i` checks in with (`checkins.lua` sends the same).
    static func returningDevice(_ i: Int) -> String { String(format: "bench%08dvisitorxA", i) }

    /// Visitors seen before the measured run: `count` people, each with a check-in two days ago, made by the
    /// product's own code (the check-in rules, sealing and keyed hashes of this data directory's keys, the store's
    /// check-in), so the server finds them by their phone as it would a real returning visitor.
    static func returning(dataDir: String, count: Int) async throws {
        var config = try AppConfig.fromEnvironment()
        config.dataDir = dataDir
        let app = try await TruyVet.open(config: config)
        let venue = try await app.registerVenue(VenueRegistration(
            name: "Bench earlier visits", address: "x", areaCode: "01843", category: "restaurant", contactPhone: "0912345678")).venue
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86400)
        var requests: [CheckinRequest] = []
        requests.reserveCapacity(count)
        for i in 0..<count {
            requests.append(try app.checkinRequest(venue: venue, person: try PersonInput(name: "Trần Thị Quen", phone: returningPhone(i), idNumber: nil),
                                                   at: nil, now: twoDaysAgo.addingTimeInterval(Double(i % 3600)), source: .api, idempotencyKey: nil,
                                                   device: app.deviceHash(returningDevice(i))))
        }
        let (perSecond, _, _) = storeAlone(app.store, requests[...], inFlight: 1024)
        print(String(format: "  %d returning visitors made (%.0f check-ins/s)", count, perSecond))
    }

    /// Submits every request keeping `inFlight` of them in flight; returns check-ins per second, process CPU seconds
    /// per check-in and the 99th percentile of submit-to-commit latency.
    static func storeAlone(_ store: any Store, _ requests: ArraySlice<CheckinRequest>, inFlight: Int) -> (Double, Double, Double) {
        let slots = DispatchSemaphore(value: inFlight)
        final class Latencies: Sendable { let list = Mutex([Double]()) }
        let latencies = Latencies()
        let clock = ContinuousClock()
        let start = clock.now, cpuStart = cpuSeconds()
        for request in requests {
            slots.wait()
            let submitted = clock.now
            Task {
                do { _ = try await store.checkin(request) } catch { fatalError("check-in failed: \(error)") }
                let d = submitted.duration(to: clock.now)
                latencies.list.withLock { $0.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
                slots.signal()
            }
        }
        for _ in 0..<inFlight { slots.wait() }
        for _ in 0..<inFlight { slots.signal() }  // (a semaphore must not be released below its starting value)
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.list.withLock { $0.sorted() }
        return (Double(requests.count) / seconds, (cpuSeconds() - cpuStart) / Double(requests.count), sorted[sorted.count * 99 / 100])
    }

    /// User and system CPU time of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Assessing every area of Vietnam for one day (reading the counts and figures, five weeks for the capacity rule).
    static func levels(dataDir: String) async throws {
        var config = try AppConfig.fromEnvironment()
        config.dataDir = dataDir
        let app = try await TruyVet.open(config: config)
        let day = Day("2021-11-19")!
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        var times: [Double] = []
        var assessed = 0, total = 0
        var byLevel: [Int: Int] = [:]
        for _ in 0..<21 {
            var results: [String: Result<Assessment, AppError>] = [:]
            times.append(ms(try await clock.measure { results = try await app.assess(day: day) }))
            total = results.count
            assessed = results.values.filter { (try? $0.get()) != nil }.count
            byLevel = Dictionary(grouping: results.values.compactMap { try? $0.get().level }, by: { $0 }).mapValues(\.count)
        }
        let first = times.removeFirst()
        times.sort()
        // Where the time goes.
        var areas: [Area] = [], cases: [String: [Int]] = [:], figures: [String: [Day: WeekFigures]] = [:]
        let tAreas = ms(try await clock.measure { areas = try await app.store.allAreas() })
        let tCases = ms(try await clock.measure { cases = try await app.store.communityCases(weeksEnding: day, weeks: 2, codes: nil) })
        let tFigures = ms(try await clock.measure { figures = try await app.store.weekFigures(days: LevelCalculator.span(for: day)) })
        let input = LevelCalculator.Input(areas: areas, cases: cases, figures: figures)
        let tCalc = ms(clock.measure { _ = LevelCalculator.assess(input, date: day, rules: app.levelRules) })
        print("levels: \(total) areas (\(assessed) assessed; by level \((1...4).map { "\($0): \(byLevel[$0] ?? 0)" }.joined(separator: ", "))) on \(day)")
        print(String(format: "  all areas, one day: first %.0f ms, then p50 %.0f ms, max %.0f ms over %d runs  (target ≤ 200 ms)",
                     first, times[times.count / 2], times.last!, times.count))
        print(String(format: "  of which: areas %.0f ms, case counts %.0f ms, figures %.0f ms, calculation %.0f ms", tAreas, tCases, tFigures, tCalc))
    }

    /// F1 and degree-2 latency of the overlap engine on the store (what a contacts query does before it decrypts
    /// names), over the preloaded bench cases (ids 1–1000).
    static func trace(dataDir: String) async throws {
        var config = try AppConfig.fromEnvironment()
        config.dataDir = dataDir
        let app = try await TruyVet.open(config: config)
        let visits = try await app.store.visitCount()
        var cases: [CaseRecord] = []
        for id in Int64(1)...1000 { if let c = try await app.store.caseRecord(id: id) { cases.append(c) } }
        guard !cases.isEmpty else { print("no bench cases: preload with scripts/bench.d/trace-cases.sql"); exit(1) }
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        func run(_ c: CaseRecord, degree: Int) async throws -> (ms: Double, contacts: Int, visits: Int) {
            let source = StorePresences(app: app)
            let store = app.store
            var found = 0, own = 0
            own = try await source.presences(person: c.personID, from: c.windowFrom, to: c.windowTo).count
            let elapsed = try await clock.measure {
                found = try await Overlap.trace(person: c.personID, window: (c.windowFrom, c.windowTo), degree: degree, rules: app.config.overlap,
                                                source: source, quarantineStarts: { try await store.quarantines(personIDs: $0).mapValues(\.since) }).count
            }
            return (ms(elapsed), found, own)
        }
        func report(_ label: String, _ runs: [(ms: Double, contacts: Int, visits: Int)], target: String) {
            let t = runs.map(\.ms).sorted()
            let pick = { (q: Double) in t[min(t.count - 1, Int(Double(t.count) * q))] }
            let visitsInWindow = runs.map(\.visits)
            print(String(format: "  %@ %4d cases (%d–%d visits in window, %.0f contacts on average): p50 %.2f ms, p99 %.2f ms, max %.2f ms  %@",
                         label, runs.count, visitsInWindow.min() ?? 0, visitsInWindow.max() ?? 0,
                         Double(runs.map(\.contacts).reduce(0, +)) / Double(runs.count), pick(0.5), pick(0.99), t.last ?? 0, target))
        }
        print("trace: \(app.config.postgresURL == nil ? "SQLite" : "PostgreSQL") store with \(visits) visits; \(cases.count) cases")
        // The first pass reads pages the OS has not cached yet; the second is a server that has been running.
        var cold: [(ms: Double, contacts: Int, visits: Int)] = []
        for c in cases { cold.append(try await run(c, degree: 1)) }
        report("F1, first pass (cold):", cold, target: "")
        var f1: [(ms: Double, contacts: Int, visits: Int)] = []
        for c in cases { f1.append(try await run(c, degree: 1)) }
        report("F1, warm:             ", f1, target: "(target p99 ≤ 10 ms)")
        var f2: [(ms: Double, contacts: Int, visits: Int)] = []
        for c in cases.prefix(300) { f2.append(try await run(c, degree: 2)) }
        report("degree 2, warm:       ", f2, target: "(target p99 ≤ 200 ms)")
        // The cluster search over every bench case (their windows are in November 2021), as a tracer's list asks it.
        let tracer = Principal(role: .tracer, label: "bench tracer")
        let since = try Instant.parse("2021-11-01T00:00:00+07:00", field: "since")
        var searches: [Double] = []
        var found = 0, considered = 0
        // The first search reads pages the OS has not cached yet; then 20 as a running server answers them.
        for _ in 0..<21 {
            let elapsed = try await clock.measure {
                let list = try await app.clusters(area: nil, since: since, by: tracer, now: since.addingTimeInterval(40 * 86_400))
                found = list.clusters.count
                considered = list.casesConsidered
            }
            searches.append(ms(elapsed))
        }
        let first = searches.removeFirst()
        let t = searches.sorted()
        print(String(format: "  clusters over %d cases (%d clusters): first search %.0f ms, then p50 %.0f ms, p99 %.0f ms over %d  (target p99 ≤ 500 ms)",
                     considered, found, first, t[t.count / 2], t[min(t.count - 1, Int(Double(t.count) * 0.99))], t.count))
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
