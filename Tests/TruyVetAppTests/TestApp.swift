import Crypto
import Foundation
import Testing
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TruyVetApp
import TruyVetCore
import TruyVetPostgres
import TruyVetStore

/// An application on an in-memory database with the bundled areas, and helpers to call it.
struct TestApp {
    let app: TruyVet
    static let adminToken = "tv_test-admin-token-000000000000000"

    static func make(_ configure: (inout AppConfig) -> Void = { _ in }) async throws -> TestApp {
        let app = try TruyVet(store: try await makeStore(), keyring: try keyring(), dataKey: SymmetricKey(size: .bits256), config: config(configure))
        try await app.loadBundledAreasIfEmpty()
        return TestApp(app: app)
    }

    static func config(_ configure: (inout AppConfig) -> Void) -> AppConfig {
        var config = AppConfig()
        config.publicURL = "https://qr.truyvet.test"
        config.adminToken = adminToken
        // The tests' example data is from 2021: kept like the demo's, unless a test sets a retention.
        config.retentionDays = 0
        configure(&config)
        return config
    }

    static func keyring() throws -> SigningKeyring { try SigningKeyring(keys: [1: SymmetricKey(size: .bits256)], currentID: 1) }

    /// The store every suite runs on: an in-memory SQLite database, or — when `TRUYVET_TEST_DATABASE_URL` names a
    /// PostgreSQL server (`scripts/test` starts a throwaway one) — a new schema of its own there. The same tests on both
    /// are the conformance suite.
    static func makeStore() async throws -> any Store {
        guard postgresURL != nil else { return SQLiteStore(try AppDatabase.inMemory()) }
        return try await SetupGate.shared.run {
            PostgresStore(try await PostgresDatabase.open(url: try newSchemaURL(pool: 3), idleTimeout: .seconds(5)))
        }
    }

    /// A few schemas made at a time: every suite starting at once would otherwise bury the database in DDL (and the
    /// live tests' clients in waiting).
    actor SetupGate {
        static let shared = SetupGate()
        private var running = 0
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
            if running >= 4 { await withCheckedContinuation { waiting.append($0) } } else { running += 1 }
            defer {
                if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
            }
            return try await body()
        }
    }

    /// The test server's URL with a schema of its own (made at the first open).
    static func newSchemaURL(pool: Int) throws -> String {
        let base = try #require(postgresURL)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&pool=\(pool)"
    }

    /// Two servers' worth of the product on one new PostgreSQL schema (the same keys, as configuration gives them).
    static func postgresPair(_ configure: (inout AppConfig) -> Void = { _ in }) async throws -> (TestApp, TestApp) {
        let url = try newSchemaURL(pool: 6)
        let config = config(configure)
        let keyring = try keyring()
        let dataKey = SymmetricKey(size: .bits256)
        var apps: [TestApp] = []
        for _ in 0..<2 {
            let store = PostgresStore(try await PostgresDatabase.open(url: url, idleTimeout: .seconds(5)))
            let app = try TruyVet(store: store, keyring: keyring, dataKey: dataKey, config: config)
            try await app.checkDataKey(dataKey)
            try await app.loadBundledAreasIfEmpty()
            apps.append(TestApp(app: app))
        }
        return (apps[0], apps[1])
    }

    static let postgresURL: String? = ProcessInfo.processInfo.environment["TRUYVET_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Runs SQL straight on the store's database, past the store (to show what the database itself refuses).
    func rawSQL(_ sql: String) async throws {
        if let store = app.store as? SQLiteStore {
            try await store.database.writer.write { try $0.execute(sql: sql) }
        } else if let store = app.store as? PostgresStore {
            try await store.database.run(unsafeSQL: sql)
        } else {
            throw TestFailure("no raw SQL for \(type(of: app.store))")
        }
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(body)) }
        var error: ErrorReply? { try? json(ErrorReply.self) }
    }

    /// `live`: through a real server on a loopback port (the channel pipeline and its connection guard) instead of
    /// calling the router directly.
    func run(live: Bool = false, logger: Logger = Logger(label: "truyvet"), _ requests: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await buildApplication(app, logger: logger).test(live ? .live : .router) { client in try await requests(Client(client: client)) }
    }

    struct Client {
        let client: any TestClientProtocol
        var cookie: String? = nil

        func withCookie(_ cookie: String) -> Client { Client(client: client, cookie: cookie) }

        @discardableResult
        func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
                  body: [UInt8]? = nil, accept: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
            var headers = extra
            if let token { headers[.authorization] = "Bearer \(token)" }
            if json != nil { headers[.contentType] = "application/json" }
            if let accept { headers[.accept] = accept }
            if let cookie { headers[.cookie] = cookie }
            let payload = json.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(bytes: $0) }
            return try await client.execute(uri: uri, method: method, headers: headers, body: payload) { response in
                Reply(status: Int(response.status.code), headers: response.headers,
                      body: Array(response.body.readableBytesView))
            }
        }

        /// Registers a venue in Phường Đức Xuân (Bắc Kạn) and returns the answer.
        func register(name: String = "Quán Phở Bà Tư", area: String = "01843", category: String = "restaurant",
                      token: String? = nil) async throws -> Registered {
            let reply = try await call(.post, "/v1/venues", token: token, json: """
                {"name": "\(name)", "address": "5 Trường Chinh", "areaCode": "\(area)", "category": "\(category)",
                 "contactPhone": "0912 345 678", "capacity": 40}
                """)
            guard reply.status == 201 else { throw TestFailure("registration answered \(reply.status): \(reply.text)") }
            return try reply.json(Registered.self)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct ErrorReply: Decodable, Equatable {
    let error: String
    let message: String
    let field: String?
}

struct Registered: Decodable {
    struct Venue: Decodable {
        struct Links: Decodable { let venue: String; let posterPdf: String; let posterPng: String; let posterSvg: String }
        struct AreaRef: Decodable { let code: String; let name: String; let level: String }
        let id: Int64
        let name: String
        let checkinUrl: String
        let shortCode: String
        let posterGeneration: Int
        let contactPhone: String
        let defaultStayMinutes: Int
        let area: [AreaRef]
        let links: Links
    }
    let venue: Venue
    let managementToken: String

    /// `/c/…` of the check-in URL.
    var checkinPath: String { String(venue.checkinUrl.dropFirst("https://qr.truyvet.test".count)) }
}
