import Crypto
import Foundation
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetPostgres
import TruyVetSetup
import TruyVetTestSupport

/// What only the PostgreSQL store has: several servers on one database, day partitions, the migrations runner, a schema
/// ready for distribution. (Everything else runs on both stores: the whole suite, with `TRUYVET_TEST_DATABASE_URL`.)
@Suite(.enabled(if: TestApp.postgresURL != nil, "needs TRUYVET_TEST_DATABASE_URL (scripts/test starts a PostgreSQL)"))
struct PostgresTests {
    static func database(_ t: TestApp) throws -> PostgresDatabase { try #require(t.app.store as? PostgresStore).database }

    static func register(_ app: TruyVet) async throws -> Venue {
        try await app.registerVenue(VenueRegistration(name: "Chợ Đức Xuân", address: "x", areaCode: "01843", category: "retail",
                                                      defaultStayMinutes: 60, contactPhone: "0912345678")).venue
    }

    static func request(_ app: TruyVet, venue: Venue, phone: String, at: Date, key: String? = nil, device: String? = nil) throws -> CheckinRequest {
        CheckinRequest(venueID: venue.id, defaultStayMinutes: venue.defaultStayMinutes,
                       person: app.seal(try PersonInput(name: "Khách Vãng Lai", phone: phone, idNumber: nil)), at: at, source: .scan,
                       idempotencyKey: key, device: device.map { app.cipher.lookupHash("device", $0) })
    }

    /// Two servers at once: the same idempotency key sent to both, the same device scanning at both, and plain check-ins
    /// of the same people spread over both — every visit stored once, both answers naming it.
    @Test func twoServersOnOneDatabaseStoreEachVisitOnce() async throws {
        let (a, b) = try await TestApp.postgresPair()
        let venue = try await Self.register(a.app)
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let people = 30
        // People seen before (the common case): no insert of a person serialises their two check-ins.
        for i in 0..<people {
            for prefix in ["0913", "0914"] {
                _ = try await a.app.store.ensurePerson(a.app.seal(try PersonInput(name: "Khách Quen", phone: String(format: "\(prefix)%06d", i), idNumber: nil)))
            }
        }
        let answers = try await withThrowingTaskGroup(of: (String, Int, CheckinOutcome).self) { group in
            for i in 0..<people {
                let phone = String(format: "0913%06d", i)
                for (n, server) in [a.app, b.app].enumerated() {
                    // The same retried request on each server.
                    group.addTask { ("key", i, try await server.store.checkin(try Self.request(server, venue: venue, phone: phone, at: now, key: "retry-\(i)"))) }
                    // The same device scanning twice, once through each server.
                    let other = String(format: "0914%06d", i)
                    group.addTask { ("device", i, try await server.store.checkin(try Self.request(server, venue: venue, phone: other, at: now, device: "phone-\(i)"))) }
                    // Different requests of one person, one through each server: two visits.
                    let third = String(format: "0915%06d", i)
                    group.addTask { ("plain", i * 2 + n, try await server.store.checkin(try Self.request(server, venue: venue, phone: third, at: now))) }
                }
            }
            var out: [(String, Int, CheckinOutcome)] = []
            for try await answer in group { out.append(answer) }
            return out
        }
        for kind in ["key", "device"] {
            let byPerson = Dictionary(grouping: answers.filter { $0.0 == kind }, by: \.1)
            #expect(byPerson.count == people)
            for (_, pair) in byPerson {
                #expect(pair.count == 2 && Set(pair.map(\.2.visit.id)).count == 1, "\(kind): both servers answer with one visit")
                #expect(pair.filter { if case .created = $0.2 { true } else { false } }.count == 1, "\(kind): exactly one created")
            }
        }
        let stored = try await a.app.store.visits(venueID: venue.id, from: now.addingTimeInterval(-60), to: now.addingTimeInterval(60), limit: 10_000)
        #expect(stored.count == people * 4)
        #expect(Set(stored.map(\.visit.id)) == Set(answers.map(\.2.visit.id)))
        // One person record per phone, whichever server added it.
        #expect(try await a.app.store.visitCount() == people * 4)
        #expect(try await Self.database(a).strings(unsafeSQL: "SELECT COUNT(*)::text FROM people") == ["\(people * 3)"])
    }

    /// Each server remembers venues for a while; a poster made on another server is checked against the database at
    /// once, and from then on the old poster is refused there too.
    @Test func aPosterRotatedOnOneServerWorksOnTheOtherAtOnce() async throws {
        let (a, b) = try await TestApp.postgresPair()
        let venue = try await Self.register(a.app)
        let old = a.app.checkinURL(venue).components(separatedBy: "/c/")[1]
        #expect(try await b.app.verifyPoster(token: old)?.id == venue.id)   // now remembered by b
        let rotated = try await a.app.rotatePoster(venue.id)
        let new = a.app.checkinURL(rotated).components(separatedBy: "/c/")[1]
        #expect(try await b.app.verifyPoster(token: new)?.posterGeneration == rotated.posterGeneration)
        #expect(try await b.app.verifyPoster(token: old) == nil)
        #expect(try await a.app.verifyPoster(token: old) == nil)
    }

    /// A server given another data key refuses the database rather than writing what the others cannot read.
    @Test func aServerWithAnotherDataKeyIsRefused() async throws {
        let (a, _) = try await TestApp.postgresPair()
        let stranger = try TruyVet(store: a.app.store, keyring: a.app.keyring, dataKey: SymmetricKey(size: .bits256), config: a.app.config)
        let error = await #expect(throws: AppError.self) { try await stranger.checkDataKey(SymmetricKey(size: .bits256)) }
        #expect(error?.code == "wrong_data_key")
    }

    @Test func migrationsRunOnceInOrderAndAnUnknownOneStopsTheServer() async throws {
        let (a, _) = try await TestApp.postgresPair()
        let db = try Self.database(a)
        let applied = try await db.strings(unsafeSQL: "SELECT number::text || ' ' || name FROM schema_migrations ORDER BY number")
        #expect(applied.count >= 4 && applied.enumerated().allSatisfy { $0.element.hasPrefix("\($0.offset + 1) ") })
        let url = try #require(TestApp.postgresURL) + "&schema=\(try #require(db.location.schema))"
        // Opening again applies nothing.
        _ = try await PostgresDatabase.open(url: url)
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM schema_migrations") == ["\(applied.count)"])
        // A database migrated by a newer build.
        try await db.run(unsafeSQL: "INSERT INTO schema_migrations (number, name) VALUES (999, 'from the future')")
        let error = await #expect(throws: AppError.self) { _ = try await PostgresDatabase.open(url: url) }
        #expect(error?.code == "schema_mismatch" && error?.message.contains("999") == true)
    }

    @Test func urlsAreCheckedWithTheSettingNamed() throws {
        let l = try PostgresDatabase.Location(url: "postgres://tv:p%40ss@db.example.vn:6432/truyvet?sslmode=require&pool=20&schema=tinh_06")
        #expect(l.host == "db.example.vn" && l.port == 6432 && l.username == "tv" && l.password == "p@ss" && l.database == "truyvet")
        #expect(l.requireTLS && l.poolSize == 20 && l.schema == "tinh_06")
        for bad in ["mysql://x/y", "postgres://h/db?sslmode=maybe", "postgres://h/db?pool=0", "postgres://h/db?schema=Bad-Name"] {
            #expect(throws: AppError.self) { try PostgresDatabase.Location(url: bad) }
            #expect((try? PostgresDatabase.Location(url: bad, setting: "TRUYVET_DATABASE_READ_URL")) == nil)
        }
        do {
            _ = try PostgresDatabase.Location(url: "postgres://h/db?pool=x", setting: "TRUYVET_DATABASE_READ_URL")
        } catch {
            #expect(error.field == "TRUYVET_DATABASE_READ_URL")
        }
    }

    /// Retention drops the partitions of days whose every stay ended before the cutoff (a file, not a billion deletes),
    /// deletes the rest row by row, and takes with them the people left with nothing.
    @Test func retentionDropsWholeDays() async throws {
        let (a, b) = try await TestApp.postgresPair { $0.retentionDays = 21 }
        let venue = try await Self.register(a.app)
        let db = try Self.database(a)
        let now = Date()
        let old = [now.addingTimeInterval(-40 * 86400), now.addingTimeInterval(-39 * 86400)]
        for (i, at) in old.enumerated() {
            for n in 0..<5 { _ = try await a.app.store.checkin(try Self.request(a.app, venue: venue, phone: String(format: "0916%02d%04d", i, n), at: at)) }
        }
        // One person also came back today: they stay.
        _ = try await b.app.store.checkin(try Self.request(b.app, venue: venue, phone: "0916000000", at: now))
        let partitions = "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('visits')"
        let today = Int64((now.timeIntervalSince1970 / 86400).rounded(.down))
        func days() async throws -> Set<Int64> { Set(try await db.strings(unsafeSQL: partitions).compactMap { Int64($0.dropFirst("visits_d".count)) }) }
        // The old days, and yesterday to three days ahead (made at start).
        #expect(try await days() == Set(old.map { Int64(($0.timeIntervalSince1970 / 86400).rounded(.down)) } + Array((today - 1)...(today + 3))))
        let report = try await b.app.purge(now: now)
        #expect(report.visits == 10 && report.people == 9)
        #expect(try await days() == Set((today - 1)...(today + 3)))
        #expect(try await a.app.store.visitCount() == 1)
        // Check-ins go on, on both servers, for the days dropped as well (an import of an old paper log).
        _ = try await a.app.store.checkin(try Self.request(a.app, venue: venue, phone: "0916999999", at: old[0].addingTimeInterval(3600)))
        #expect(try await a.app.store.visitCount() == 2)
    }

    /// A day detached by a purge that stopped before dropping it (a crash, a restart) is finished by the next purge:
    /// its visits never come back, the table goes, and its visitors left with nothing are deleted.
    @Test func aDayDetachedButNotDroppedIsFinishedByTheNextPurge() async throws {
        let (a, _) = try await TestApp.postgresPair { $0.retentionDays = 21 }
        let venue = try await Self.register(a.app)
        let db = try Self.database(a)
        let old = Date().addingTimeInterval(-40 * 86400)
        for n in 0..<4 { _ = try await a.app.store.checkin(try Self.request(a.app, venue: venue, phone: String(format: "0918%06d", n), at: old)) }
        let name = "visits_d\(Int64((old.timeIntervalSince1970 / 86400).rounded(.down)))"
        try await db.run(unsafeSQL: "ALTER TABLE visits DETACH PARTITION \(name)")
        #expect(try await a.app.store.visitCount() == 0)
        let report = try await a.app.purge()
        #expect(report.visits == 4 && report.people == 4)
        #expect(try await db.strings(unsafeSQL: "SELECT COALESCE(to_regclass('\(name)')::text, 'gone')") == ["gone"])
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM people") == ["0"])
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM phone_index") == ["0"])
    }

    /// The end of the service on PostgreSQL: TruyVet's tables (every day's visits), sequences and functions dropped,
    /// and the data directory's keys overwritten and deleted; a second run finds no TruyVet schema.
    @Test func decommissionDropsEverythingOfTruyVet() async throws {
        var config = AppConfig()
        config.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path
        config.databaseURL = try TestApp.newSchemaURL(pool: 2)
        let app = try await TruyVet.open(config: config)
        let venue = try await Self.register(app)
        _ = try await app.checkin(venue: venue, person: try PersonInput(name: "Nguyễn Thị Hoa", phone: "0901234567", idNumber: nil), source: .api)
        let db = try #require(app.store as? PostgresStore).database
        let count = "SELECT COUNT(*)::text FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) AND relkind IN ('r', 'p', 'S')"
        #expect(try await Int(db.strings(unsafeSQL: count)[0])! > 20)
        let removed = try await TruyVet.decommission(config: config)
        #expect(removed.contains("PostgreSQL: visits") && removed.contains("PostgreSQL: people") && removed.contains { $0.hasSuffix("keys.json") })
        #expect(try await db.strings(unsafeSQL: count) == ["0"])
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM pg_proc WHERE pronamespace = to_regnamespace(current_schema())") == ["0"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: config.dataDir).isEmpty)
        await #expect(throws: AppError.self) { try await TruyVet.decommission(config: config) }
    }

    /// TruyVet's connections are named, bounded in time, and never JIT-compile a query (it made a 10 ms tracing read
    /// take 120 ms once the estimates grew).
    @Test func connectionsHaveTheProductsSettings() async throws {
        let t = try await TestApp.make()
        let db = try Self.database(t)
        #expect(try await db.strings(unsafeSQL: "SELECT current_setting('jit')") == ["off"])
        #expect(try await db.strings(unsafeSQL: "SELECT current_setting('application_name')") == ["truyvet"])
        #expect(try await db.strings(unsafeSQL: "SELECT current_setting('statement_timeout')") == ["2min"])
    }

    /// The overlap reads are bounded range scans of an index, never a scan of the whole table or of a venue's every day.
    @Test func overlapReadsUseTheIndexes() async throws {
        let (a, _) = try await TestApp.postgresPair()
        let db = try Self.database(a)
        let venue = try await Self.register(a.app)
        let now = Date()
        for n in 0..<50 { _ = try await a.app.store.checkin(try Self.request(a.app, venue: venue, phone: String(format: "0917%06d", n), at: now.addingTimeInterval(Double(n) * 60))) }
        try await db.run(unsafeSQL: "ANALYZE visits")
        for byVenue in [true, false] {
            let sql = PostgresStore.staysSQL(byVenue: byVenue)
                .replacingOccurrences(of: "$1", with: "ARRAY[\(venue.id)]::bigint[]")
                .replacingOccurrences(of: "$2", with: "ARRAY[0]::bigint[]")
                .replacingOccurrences(of: "$3", with: "ARRAY[\(Int64(now.timeIntervalSince1970) + 86400)]::bigint[]")
                .replacingOccurrences(of: "$4", with: "0")
                .replacingOccurrences(of: "$5", with: "\(Int64(now.timeIntervalSince1970) + 2 * 86400)")
                .replacingOccurrences(of: "$6", with: "ARRAY[86400]::bigint[]")
            try await db.run(unsafeSQL: "SET enable_seqscan = off")
            let plan = try await db.strings(unsafeSQL: "EXPLAIN " + sql).joined(separator: "\n")
            #expect(plan.contains(byVenue ? "visits_d" : "person") && plan.contains("Index"), "\(plan)")
            #expect(!plan.contains("Seq Scan on visits"), "\(plan)")
            // The venues by key, never all of them hashed.
            #expect(!plan.contains("Hash"), "\(plan)")
            // Each range is its own seek, by key and time (never by key alone over every day's visits).
            #expect(plan.contains("\(byVenue ? "venue_id" : "person_id") = r.key) AND (checkin_at >= r.from_at) AND (checkin_at < r.to_at)"), "\(plan)")
        }
    }

    /// Names, phones and ID numbers never reach the database in clear: a dump of it holds none of them.
    @Test func aDumpOfTheDatabaseHoldsNoPersonalDataInClear() async throws {
        let t = try await TestApp.make()
        let db = try Self.database(t)
        try await t.run { c in
            let venue = try await c.register()
            let reply = try await c.call(.post, "/v1/checkins", json: """
                {"token": "\(venue.venue.checkinUrl)", "name": "Hoàng Thị Thu Hương", "phone": "0987 654 321", "idNumber": "001199012345"}
                """)
            #expect(reply.status == 201)
        }
        let url = try #require(TestApp.postgresURL)
        let parts = try PostgresDatabase.Location(url: url)
        let bin = try #require(["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/bin"]
            .map { $0 + "/pg_dump" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        let dump = try Tools.run([bin, "-h", parts.host, "-p", "\(parts.port)", "-U", parts.username, "-n", try #require(db.location.schema),
                                       "--data-only", parts.database])
        #expect(dump.contains("COPY"), "the dump has the data")
        for clear in ["Hoàng Thị Thu Hương", "Thu Hương", "987654321", "0987 654 321", "001199012345", "0912345678", "912345678"] {
            #expect(!dump.contains(clear), "\(clear) is in the dump")
            // Bytes columns are dumped in hex.
            #expect(!dump.contains(clear.utf8.map { String(format: "%02x", $0) }.joined()), "\(clear) is in the dump, in hex")
        }
    }

    /// Laid out for Citus: every unique key of the visits carries the distribution column (venue) and the partition
    /// column, and no foreign key points at a table that would be distributed.
    @Test func theSchemaIsReadyForDistribution() async throws {
        let t = try await TestApp.make()
        let db = try Self.database(t)
        // The plan, read the way Citus would: reference tables, and each distributed table's column.
        let plan = PostgresMigrations.citus
        let referenceList = try #require(plan.range(of: #"ARRAY\[([^\]]*)\]"#, options: .regularExpression).map { String(plan[$0]) })
        let reference = Set(referenceList.components(separatedBy: "'").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        var distributed: [String: String] = [:]
        let call = try Regex(#"create_distributed_table\('([a-z_]+)', '([a-z_]+)'"#)
        for match in plan.matches(of: call) {
            distributed[String(match.output[1].substring!)] = String(match.output[2].substring!)
        }
        #expect(reference.contains("areas") && distributed["visits"] == "venue_id" && distributed["venues"] == "id")
        // Every table is in the plan, once.
        let tables = Set(try await db.strings(unsafeSQL: """
            SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
            AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """))
        #expect(tables == reference.union(distributed.keys), "not in the plan: \(tables.subtracting(reference.union(distributed.keys)))")
        #expect(reference.isDisjoint(with: distributed.keys))
        // Every unique key of a distributed table carries its column; those of visits the partition column too.
        for (table, column) in distributed {
            let columns = try await db.strings(unsafeSQL: """
                SELECT string_agg(a.attname::text, ',' ORDER BY a.attname) FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = to_regclass('\(table)') AND i.indisunique GROUP BY i.indexrelid
                """)
            #expect(!columns.isEmpty || table == "visits", "\(table) has no unique key")
            for key in columns {
                let names = Set(key.components(separatedBy: ","))
                #expect(names.contains(column), "a unique key of \(table) (\(key)) lacks its distribution column \(column)")
                if table == "visits" { #expect(names.contains("checkin_at"), "\(key)") }
            }
        }
        // Co-located tables name a table distributed by a column of the same meaning.
        #expect(plan.contains("'visits', 'venue_id', colocate_with => 'venues'"))
        // No foreign key points at a distributed table, and none joins two of them.
        let foreignKeys = try await db.strings(unsafeSQL: """
            SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text FROM pg_constraint
            WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1
            """)
        for key in foreignKeys {
            let ends = key.components(separatedBy: " -> ").map { $0.components(separatedBy: ".").last ?? $0 }
            #expect(ends.allSatisfy(reference.contains), "\(key) joins a distributed table")
        }
        // The README shows the plan an operator runs, word for word.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(plan), "README's Citus block differs from PostgresMigrations.citus")
    }

    @Test func theCheckInFunctionTouchesADevicesPairAsOftenAsTheRuleSays() throws {
        let body = try #require(PostgresMigrations.sql(ofMigration: 8))
        #expect(body.contains("d.seen_at + \(DeviceHistory.touchSeconds);"))
    }

    @Test func aPhoneAndAShortCodeAreFoundThroughTheirKeys() async throws {
        let t = try await TestApp.make()
        let db = try Self.database(t)
        let venue = try await Self.register(t.app)
        #expect(try await t.app.store.venue(shortCode: venue.shortCode)?.id == venue.id)
        #expect(try await db.strings(unsafeSQL: "SELECT venue_id::text FROM venue_codes WHERE short_code = '\(venue.shortCode)'") == ["\(venue.id)"])
        // A new poster: the new code finds the venue, the old one nothing, and one key per venue stays.
        let rotated = try #require(try await t.app.store.rotatePoster(venueID: venue.id, shortCode: "ZZZZZZZZZZ"))
        #expect(rotated.shortCode == "ZZZZZZZZZZ")
        #expect(try await t.app.store.venue(shortCode: venue.shortCode) == nil)
        #expect(try await t.app.store.venue(shortCode: "ZZZZZZZZZZ")?.id == venue.id)
        // A code another venue holds changes nothing.
        let other = try await Self.register(t.app)
        let unchanged = try #require(try await t.app.store.rotatePoster(venueID: other.id, shortCode: "ZZZZZZZZZZ"))
        #expect(unchanged.shortCode == other.shortCode && unchanged.posterGeneration == other.posterGeneration)
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM venue_codes") == ["2"])
        // A venue with a taken code is not added.
        var copy = other
        copy.id = other.id + 1
        #expect(try await t.app.store.insertVenue(copy) == false)
        #expect(try await t.app.store.venue(id: copy.id) == nil)
        // An import adds a phone's key once, with one person.
        let phone = "+84987000111"
        let person = SealedPerson(phoneHash: Data(SHA256.hash(data: Data(phone.utf8))), idHash: nil, nameHash: Data([1]),
                                  name: Data([2]), phone: Data([3]), idNumber: nil)
        _ = try await t.app.store.importVisits([
            ImportedVisit(line: 1, venueID: venue.id, person: person, checkinAt: Date().addingTimeInterval(-7200), checkoutAt: nil),
            ImportedVisit(line: 2, venueID: venue.id, person: person, checkinAt: Date().addingTimeInterval(-3600), checkoutAt: nil),
        ])
        let id = try #require(try await t.app.store.personID(phoneHash: person.phoneHash))
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM phone_index WHERE person_id = \(id)") == ["1"])
        #expect(try await db.strings(unsafeSQL: "SELECT COUNT(*)::text FROM people WHERE phone_hash = (SELECT phone_hash FROM people WHERE id = \(id))") == ["1"])
    }
}
