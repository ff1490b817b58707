import Configuration
import Foundation
import Logging
import Synchronization
import Testing
import TruyVetApp
import TruyVetSetup
import TruyVetCore
import TruyVetStore

@Suite struct TokenTests {
    @Test func adminsCreateTokensThatCarryTheirRole() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer", "label": "Đội truy vết phường"}"#)
            #expect(r.status == 201)
            let tracer = try r.json(TokenReply.self)
            #expect(tracer.role == "tracer")
            #expect(try await c.call(.get, "/v1/venues?area=06", token: tracer.token).status == 200)
            #expect(try await c.call(.post, "/v1/tokens", token: tracer.token, json: #"{"role": "admin"}"#).status == 403)
            #expect(try await c.call(.post, "/v1/tokens", json: #"{"role": "admin"}"#).status == 401)
            #expect(try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "king"}"#).error?.field == "role")
            #expect(try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "venue"}"#).error?.field == "venueId")
            #expect(try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "tracer", "venueId": 5}"#).error?.field == "venueId")
            let reg = try await c.register()
            let v = try await c.call(.post, "/v1/tokens", token: TestApp.adminToken, json: #"{"role": "venue", "venueId": \#(reg.venue.id)}"#).json(TokenReply.self)
            #expect(try await c.call(.get, "/v1/venues/\(reg.venue.id)", token: v.token).status == 200)
        }
    }

    @Test func theFirstStartPrintsAnAdminTokenOnceAndStoresOnlyItsHash() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path
        var config = AppConfig()
        config.dataDir = dir
        let app = try await TruyVet.open(config: config)
        let token = try #require(try await app.bootstrapAdminToken())
        #expect(try await app.authenticate(bearer: token)?.role == .admin)
        #expect(try await app.bootstrapAdminToken() == nil)
        // Reopened: still no second token, and the first still works.
        let again = try await TruyVet.open(config: config)
        #expect(try await again.bootstrapAdminToken() == nil)
        #expect(try await again.authenticate(bearer: token)?.role == .admin)
        // Only the hash is on disk.
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token in clear")
        }
    }

    @Test func aConfiguredAdminTokenReplacesTheGeneratedOne() async throws {
        let t = try await TestApp.make()
        #expect(try await t.app.bootstrapAdminToken() == nil)
        #expect(try await t.app.authenticate(bearer: TestApp.adminToken)?.role == .admin)
        #expect(try await t.app.authenticate(bearer: TestApp.adminToken + "x") == nil)
    }
}

@Suite struct KeyFileTests {
    func dataDir() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString)").path }

    @Test func keysAreCreatedPrivateOnFirstStart() async throws {
        var config = AppConfig()
        config.dataDir = dataDir()
        _ = try await TruyVet.open(config: config)
        let attributes = try FileManager.default.attributesOfItem(atPath: KeyFile.path(dataDir: config.dataDir))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try KeyFile.list(dataDir: config.dataDir).ids == [1])
    }

    @Test func rotatingTheKeyKeepsOldPostersUntilTheKeyIsRetired() async throws {
        var config = AppConfig()
        config.dataDir = dataDir()
        let first = try await TruyVet.open(config: config)
        let reg = try await first.registerVenue(VenueRegistration(name: "A", address: "x", areaCode: "01843", category: "office", contactPhone: "0912345678"))
        let oldToken = String(first.checkinURL(reg.venue).split(separator: "/").last!)

        #expect(try KeyFile.rotate(dataDir: config.dataDir) == 2)
        let second = try await TruyVet.open(config: config)
        #expect(second.keyring.currentID == 2)
        #expect(try await second.verifyPoster(token: oldToken)?.id == reg.venue.id)
        let newToken = String(second.checkinURL(reg.venue).split(separator: "/").last!)
        #expect(newToken != oldToken)

        #expect(throws: AppError.self) { try KeyFile.retire(id: 2, dataDir: config.dataDir) }
        try KeyFile.retire(id: 1, dataDir: config.dataDir)
        let third = try await TruyVet.open(config: config)
        #expect(try await third.verifyPoster(token: oldToken) == nil)
        #expect(try await third.verifyPoster(token: newToken)?.id == reg.venue.id)
    }

    @Test func aRunningServerTakesRotatedAndRetiredKeysWithoutARestart() async throws {
        var config = AppConfig()
        config.dataDir = dataDir()
        let app = try await TruyVet.open(config: config, serving: true)
        let reg = try await app.registerVenue(VenueRegistration(name: "A", address: "x", areaCode: "01843", category: "office", contactPhone: "0912345678"))
        let oldToken = String(app.checkinURL(reg.venue).split(separator: "/").last!)
        #expect(try await app.verifyPoster(token: oldToken)?.id == reg.venue.id)

        // What `truyvet keys rotate` does: write the file, then signal the process that holds the lock as a server.
        let hangup = KeyReload.onHangup(app, logger: Logger(label: "test"))
        defer { hangup.cancel() }
        #expect(DataDirectoryLock.holder(dataDir: config.dataDir)?.pid == getpid())
        #expect(DataDirectoryLock.holder(dataDir: config.dataDir)?.serving == true)
        #expect(try KeyFile.rotate(dataDir: config.dataDir) == 2)
        #expect(try KeyReload.signalServer(dataDir: config.dataDir) == getpid())
        try await eventually { app.keyring.currentID == 2 }
        let newToken = String(app.checkinURL(reg.venue).split(separator: "/").last!)
        #expect(newToken != oldToken)
        #expect(try await app.verifyPoster(token: oldToken)?.id == reg.venue.id)

        // Retiring the old key: its posters stop at once, even though the verifier had cached the token.
        try KeyFile.retire(id: 1, dataDir: config.dataDir)
        #expect(try KeyReload.signalServer(dataDir: config.dataDir) == getpid())
        try await eventually { app.keyring.keys[1] == nil }
        #expect(try await app.verifyPoster(token: oldToken) == nil)
        #expect(try await app.verifyPoster(token: newToken)?.id == reg.venue.id)

        // A broken keys file leaves the running keys in place.
        try Data("{".utf8).write(to: URL(fileURLWithPath: KeyFile.path(dataDir: config.dataDir)))
        #expect(throws: (any Error).self) { try app.reloadSigningKeys() }
        #expect(try await app.verifyPoster(token: newToken)?.id == reg.venue.id)
    }

    @Test func keyCommandsSignalOnlyAServer() async throws {
        var config = AppConfig()
        config.dataDir = dataDir()
        #expect(try KeyReload.signalServer(dataDir: config.dataDir) == nil)
        let writer = try await TruyVet.open(config: config, exclusive: true)
        // A writing command (an import, say) holds the lock: it is not a server and must not get SIGHUP.
        #expect(DataDirectoryLock.holder(dataDir: config.dataDir)?.serving == false)
        #expect(throws: AppError.self) { try KeyReload.signalServer(dataDir: config.dataDir) }
        _ = writer
    }

    /// Waits (up to 10 s) for something another thread does; returns as soon as it holds.
    func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("condition never held"); return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func keysMayComeFromConfiguration() throws {
        let a = Data(repeating: 1, count: 32).base64EncodedString(), b = Data(repeating: 2, count: 32).base64EncodedString()
        let ring = try KeyFile.parse("3:\(a), 7:\(b)")
        #expect(ring.currentID == 7 && ring.keys.count == 2)
        #expect(throws: AppError.self) { try KeyFile.parse("x:y") }
        #expect(throws: AppError.self) { try KeyFile.parse("1:" + Data(repeating: 1, count: 8).base64EncodedString()) }
    }
}

@Suite struct ConfigTests {
    @Test func environmentVariablesAreReadAndChecked() throws {
        let c = try AppConfig.fromEnvironment(["TRUYVET_PORT": "9090", "TRUYVET_HOST": "0.0.0.0", "TRUYVET_DATA_DIR": "/tmp/x",
                                               "TRUYVET_OPEN_REGISTRATION": "false"])
        #expect(c.port == 9090 && c.host == "0.0.0.0" && c.dataDir == "/tmp/x" && !c.openRegistration)
        #expect(c.resolvedPublicURL == "http://0.0.0.0:9090")
        #expect(try AppConfig.fromEnvironment(["TRUYVET_PUBLIC_URL": "https://qr.example.vn/"]).resolvedPublicURL == "https://qr.example.vn")
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(["TRUYVET_PORT": "http"]) }
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(["TRUYVET_OPEN_REGISTRATION": "maybe"]) }
        #expect(try AppConfig.fromEnvironment([:]).sqlitePath() == "./data/truyvet.sqlite")
        #expect(try AppConfig.fromEnvironment(["TRUYVET_DATABASE_URL": "sqlite:///var/lib/tv.db"]).sqlitePath() == "/var/lib/tv.db")
        #expect(throws: AppError.self) { try AppConfig.fromEnvironment(["TRUYVET_DATABASE_URL": "mysql://x"]).sqlitePath() }
    }
}

/// Flags over environment over the config file, and the README as the one reference of every setting.
@Suite struct SettingsTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truyvet-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheFile() async throws {
        let path = try file(#"{"port": 8000, "host": "0.0.0.0", "retentionDays": 30, "openRegistration": false, "minOverlapByCategory": "restaurant=5"}"#)
        let fromFile = try await AppConfig.load(environment: ["TRUYVET_CONFIG": path])
        #expect(fromFile.port == 8000 && fromFile.host == "0.0.0.0" && fromFile.retentionDays == 30 && !fromFile.openRegistration)
        #expect(fromFile.overlap.minOverlapByCategory == [.restaurant: 5])
        let fromEnv = try await AppConfig.load(environment: ["TRUYVET_CONFIG": path, "TRUYVET_PORT": "9000"])
        #expect(fromEnv.port == 9000 && fromEnv.host == "0.0.0.0")
        let fromFlag = try await AppConfig.load(flags: [.port: "7000"], environment: ["TRUYVET_CONFIG": path, "TRUYVET_PORT": "9000"])
        #expect(fromFlag.port == 7000)
        // The file may be named by a flag too, and its values are checked like any other.
        #expect(try await AppConfig.load(flags: [.config: path], environment: [:]).port == 8000)
        let bad = try file(#"{"port": 70000}"#)
        await #expect(throws: AppError.self) { try await AppConfig.load(environment: ["TRUYVET_CONFIG": bad]) }
    }

    @Test func aConfigFileWithAnUnknownKeyOrNotAnObjectIsRefused() async throws {
        for text in [#"{"prot": 8080}"#, "[1, 2]", "port = 8080"] {
            let path = try file(text)
            do {
                _ = try await AppConfig.load(environment: ["TRUYVET_CONFIG": path])
                Issue.record("accepted \(text)")
            } catch let error as AppError {
                #expect(error.field == "TRUYVET_CONFIG", "\(text)")
                if text.contains("prot") { #expect(error.message.contains("'prot'")) }
            }
        }
        await #expect(throws: AppError.self) { try await AppConfig.load(environment: ["TRUYVET_CONFIG": "/nonexistent/truyvet.json"]) }
    }

    @Test func everySettingTheCodeReadsIsInTheReadmeTable() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        // Every setting has its row: variable, then config file key.
        for setting in Setting.allCases where setting != .config {
            #expect(readme.contains("| `\(setting.environmentName)` | `\(setting.rawValue)` |"), "\(setting.environmentName)")
        }
        #expect(readme.contains("| `TRUYVET_CONFIG` |"))
        // What a load actually asks for is a setting (so nothing reads a key the table lacks)...
        let asked = AskedKeys()
        _ = try await AppConfig.load(flags: [.port: "8081"], environment: [:], accessReporter: asked)
        let keys = asked.keys.withLock { $0 }
        #expect(Set(Setting.allCases.map(\.rawValue)).subtracting([Setting.config.rawValue]).isSubset(of: keys))
        #expect(keys.isSubset(of: Set(Setting.allCases.map(\.rawValue))))
        // ...and no source file names a TRUYVET_ variable the README does not.
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(!files.isEmpty)
        let pattern = /TRUYVET_[A-Z_]+[A-Z]/
        for file in files {
            for match in try String(contentsOf: file, encoding: .utf8).matches(of: pattern) {
                #expect(readme.contains(String(match.output)), "\(match.output) in \(file.lastPathComponent)")
            }
        }
    }
}

final class AskedKeys: AccessReporter {
    let keys = Mutex<Set<String>>([])
    func report(_ event: AccessEvent) { keys.withLock { _ = $0.insert(event.metadata.key.components.joined(separator: ".")) } }
}

@Suite struct AreaTests {
    @Test func theBundledListHasEveryUnitOfVietnam() async throws {
        let t = try await TestApp.make()
        #expect(try await t.app.store.areaCount() == 10_810)
        #expect(try await t.app.store.areas(parent: nil).count == 63)
        #expect(try await t.app.store.areas(parent: "06").map(\.name).contains("Thành Phố Bắc Kạn"))
    }

    @Test func areasAreReadableAndImportable() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.get, "/v1/areas/01843")
            #expect(r.status == 200 && r.text.contains("\"name\":\"Phường Phùng Chí Kiên\"") && r.text.contains("\"code\":\"06\""))
            #expect(try await c.call(.get, "/v1/areas/99").status == 404)
            #expect(try await c.call(.get, "/v1/areas?parent=06").text.contains("Huyện Ba Bể"))
            #expect(try await c.call(.get, "/v1/areas?parent=77777").error?.field == "parent")

            let csv = "code,name,level,parent_code,population\n06,Tỉnh Bắc Kạn,province,,316463\n01844,Xã Mới,commune,058,900\n01845,Bad,commune,999,\n"
            #expect(try await c.call(.post, "/v1/areas/import", body: Array(csv.utf8)).status == 401)
            let report = try await c.call(.post, "/v1/areas/import", token: TestApp.adminToken, body: Array(csv.utf8)).json(ImportReport.self)
            #expect(report.accepted == 2)
            #expect(report.rejected.map(\.line) == [4])
            #expect(try await c.call(.get, "/v1/areas/06").text.contains("\"population\":316463"))
        }
    }

    @Test func categoriesAreListedInBothLanguages() async throws {
        try await TestApp.make().run { c in
            let r = try await c.call(.get, "/v1/categories")
            #expect(r.text.contains("\"code\":\"high_risk_service\"") && r.text.contains("karaoke"))
        }
    }
}
