import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TruyVetApp
import TruyVetSetup
import TruyVetCore

struct GlobalOptions: ParsableArguments {
    @Option(help: "Data directory: database and keys (env TRUYVET_DATA_DIR, default ./data).")
    var dataDir: String?
    @Option(help: "Database: a SQLite path or sqlite:// URL (env TRUYVET_DATABASE_URL).")
    var databaseURL: String?
    @Option(help: "Base URL printed in QR codes (env TRUYVET_PUBLIC_URL, default http://HOST:PORT).")
    var publicURL: String?
    @Option(help: "A JSON file of settings, below flags and environment variables (env TRUYVET_CONFIG).")
    var config: String?

    /// Flags, then the environment, then the config file.
    func settings(_ more: [Setting: String?] = [:]) async throws -> AppConfig {
        var flags: [Setting: String] = [:]
        for (setting, value) in more.merging([.dataDir: dataDir, .databaseURL: databaseURL, .publicURL: publicURL, .config: config], uniquingKeysWith: { a, _ in a }) {
            if let value { flags[setting] = value }
        }
        return try await AppConfig.load(flags: flags)
    }

    /// For commands that only read: beside a running server.
    func open() async throws -> TruyVet { try await TruyVet.open(config: try await settings()) }

    /// For commands that write: with the data directory's lock, so never beside a running server.
    func openForWriting() async throws -> TruyVet { try await TruyVet.open(config: try await settings(), exclusive: true) }
}

/// Posters hold the public URL for good: one printed for a loopback address opens nothing on a visitor's phone.
struct PosterURLOptions: ParsableArguments {
    @ArgumentParser.Flag(help: "Print posters even when the public URL is a loopback address (for trying things out).")
    var allowLocalURL = false

    func check(_ config: AppConfig) throws {
        guard !allowLocalURL, let host = URL(string: config.resolvedPublicURL)?.host, PosterURLOptions.isLoopback(host) else { return }
        throw AppError.invalid("public-url", "the QR codes would point at \(config.resolvedPublicURL), which no visitor's phone can open; give --public-url (or TRUYVET_PUBLIC_URL) with the server's public address, or --allow-local-url to print them anyway")
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" || host == "0.0.0.0"
    }
}

/// Prints an error a person can act on and exits non-zero.
func fail(_ error: any Error) -> ExitCode {
    let text = (error as? AppError)?.description ?? "\(error)"
    FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    return ExitCode(1)
}

/// Unbuffered, so the one-time admin token reaches a log file or journal at once.
func say(_ line: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((line + terminator).utf8))
}

func write(_ bytes: [UInt8], to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw AppError.invalid("out", "cannot write \(path)")
    }
}

@main
struct TruyVetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truyvet",
        abstract: "QR check-in and contact tracing.",
        subcommands: [Serve.self, Areas.self, VenueCommand.self, PosterCommand.self, Posters.self, TokenCommand.self, AccountCommand.self, Keys.self, ImportCommand.self, Demo.self, LevelCommand.self, Purge.self, DecommissionCommand.self])
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the HTTP server.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on (env TRUYVET_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port (env TRUYVET_PORT, default 8080).") var port: Int?

    func run() async throws {
        let app: TruyVet, config: AppConfig
        do {
            config = try await global.settings([.host: host, .port: port.map(String.init)])
            app = try await TruyVet.open(config: config, serving: true)
        } catch { throw fail(error) }
        if let token = try await app.bootstrapAdminToken() {
            say("""
                ──────────────────────────────────────────────────────────────
                Admin token (shown once; keep it safe, it is stored only as a hash):
                  \(token)
                ──────────────────────────────────────────────────────────────
                """)
        }
        say("TruyVet listening on http://\(config.host):\(config.port) · QR codes point to \(config.resolvedPublicURL) · data in \(config.dataDir)")
        var logger = Logger(label: "truyvet")
        logger.logLevel = config.logLevel
        // Retention: at start, then every hour.
        let purger = Task {
            while !Task.isCancelled {
                do {
                    let r = try await app.purge()
                    if r.visits + r.people + r.records > 0 {
                        logger.info("retention: deleted \(r.visits) visits, \(r.people) people, \(r.records) other records older than \(r.days) days")
                    }
                } catch {
                    logger.error("retention: \(error)")
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
        defer { purger.cancel() }
        let hangup = KeyReload.onHangup(app, logger: logger)
        defer { hangup.cancel() }
        try await buildApplication(app, logger: logger).runService()
    }
}

struct Areas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administrative units.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import areas from CSV: code,name,level,parent_code[,population].")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CSV file") var file: String

        func run() async throws {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                let report = try await global.openForWriting().importAreas(csv: text)
                print("accepted \(report.accepted) rows, rejected \(report.rejected.count)")
                for r in report.rejected { print("  line \(r.line)\(r.field.map { " (\($0))" } ?? ""): \(r.reason)") }
                if report.accepted == 0 && !report.rejected.isEmpty { throw ExitCode(1) }
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }
    }
}

struct VenueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "venue", abstract: "Venues.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a venue; prints its id, management token and check-in URL.")
        @OptionGroup var global: GlobalOptions
        @Option var name: String
        @Option var address: String
        @Option(help: "Commune code (5 digits)") var area: String
        @Option(help: "One of: \(VenueCategory.allCases.map(\.rawValue).joined(separator: ", "))") var category: String
        @Option(help: "Contact phone") var phone: String
        @Option(help: "Default stay in minutes (120)") var stay: Int?
        @Option var capacity: Int?
        @Option var hours: String?

        func run() async throws {
            do {
                let app = try await global.openForWriting()
                let r = try await app.registerVenue(VenueRegistration(name: name, address: address, areaCode: area, category: category,
                                                                      defaultStayMinutes: stay, contactPhone: phone, capacity: capacity, openingHours: hours),
                                                   by: Principal(role: .admin, label: "command line"))
                print("venue id:         \(r.venue.id)")
                print("management token: \(r.managementToken)   (shown once)")
                print("short code:       \(r.venue.formattedShortCode)")
                print("check-in URL:     \(app.checkinURL(r.venue))")
                if let host = URL(string: app.config.resolvedPublicURL)?.host, PosterURLOptions.isLoopback(host) {
                    print("note: this URL is a loopback address that no visitor's phone can open; print posters with --public-url set to the server's public address")
                }
            } catch { throw fail(error) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the venues of a province, district or commune.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Area code (2, 3 or 5 digits)") var area: String

        func run() async throws {
            do {
                let app = try await global.open()
                var offset = 0
                while true {
                    let page = try await app.store.venues(inArea: area, limit: 1000, offset: offset)
                    for v in page {
                        print([String(v.id), v.formattedShortCode, v.category.rawValue, v.areaCode, v.name].joined(separator: "\t"))
                    }
                    if page.count < 1000 { break }
                    offset += page.count
                }
            } catch { throw fail(error) }
        }
    }
}

struct PosterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poster", abstract: "Write one venue's poster.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Venue id") var venue: Int64
    @Option(help: "pdf (A4 poster), png (QR code) or svg (QR code)") var format: String = "pdf"
    @Option(help: "PNG pixels per module") var scale: Int = 8
    @Option(help: "Output file") var out: String
    @OptionGroup var url: PosterURLOptions

    func run() async throws {
        do {
            guard let f = TruyVet.PosterFormat(rawValue: format.lowercased()) else { throw AppError.invalid("format", "format must be pdf, png or svg") }
            try url.check(try await global.settings())
            let app = try await global.open()
            try write(try await app.poster(try await app.venue(venue), format: f, scale: scale), to: out)
            print("wrote \(out)")
        } catch { throw fail(error) }
    }
}

struct Posters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One PDF with a poster page for every venue of an area.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Area code (2, 3 or 5 digits)") var area: String
    @Option(help: "Output PDF") var out: String
    @OptionGroup var url: PosterURLOptions

    func run() async throws {
        do {
            try url.check(try await global.settings())
            let (pdf, count) = try await global.open().posters(area: area)
            try write(pdf, to: out)
            print("wrote \(count) posters to \(out)")
        } catch { throw fail(error) }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Bearer tokens.",
                                                    subcommands: [Create.self, ListTokens.self, Revoke.self])

    static let commandLine = Principal(role: .admin, label: "command line")

    struct ListTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens: id, role, venue, label, created, last used, revoked (never the secret).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            do {
                for t in try await global.open().tokens(by: TokenCommand.commandLine) {
                    print([String(t.id), t.role.rawValue, t.venueID.map(String.init) ?? "-", t.label, Instant.format(t.createdAt),
                           t.lastUsedAt.map(Instant.format) ?? "never used", t.revokedAt.map { "revoked " + Instant.format($0) } ?? "active"]
                        .joined(separator: "\t"))
                }
            } catch { throw fail(error) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token (server stopped; while it runs, DELETE /v1/tokens/ID does the same). It answers 401 from then on.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Token id (see token list)") var id: Int64

        func run() async throws {
            do {
                let t = try await global.openForWriting().revokeToken(id: id, by: TokenCommand.commandLine)
                print("token \(t.id) (\(t.role.rawValue), \(t.label)) revoked")
            } catch { throw fail(error) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (shown once).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "admin, tracer, health or venue") var role: String
        @Option(help: "Venue id, for a venue token") var venue: Int64?
        @Option var label: String?

        func run() async throws {
            do {
                let role = try Role.parse(role)
                print(try await global.openForWriting().createToken(role: role, venueID: venue, label: label ?? role.rawValue))
            } catch { throw fail(error) }
        }
    }
}

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "account", abstract: "Staff accounts for the web console (admin, tracer, health).",
                                                    subcommands: [Create.self, ListAccounts.self, Disable.self, Enable.self, Reset.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account. Without --password-stdin a password is generated and printed once.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "admin, tracer or health") var role: String
        @Option(help: "2 to 32 letters a-z, digits, dots, dashes or underscores") var username: String
        @ArgumentParser.Flag(help: "Read the password (10 to 72 characters) from the first line of standard input") var passwordStdin = false

        func run() async throws {
            do {
                let password = passwordStdin ? readLine(strippingNewline: true) ?? "" : nil
                if passwordStdin, password?.isEmpty ?? true { throw AppError.missing("password") }
                let (account, secret) = try await global.openForWriting().createAccount(username: username, role: role, password: password,
                                                                                        by: TokenCommand.commandLine)
                print("account \(account.id): \(account.username) (\(account.role))")
                if !passwordStdin { print("password: \(secret)   (shown once)") }
            } catch { throw fail(error) }
        }
    }

    struct ListAccounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts: id, username, role, created, state.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            do {
                for a in try await global.open().accounts(by: TokenCommand.commandLine) {
                    print([String(a.id), a.username, a.role, Instant.format(a.createdAt), a.disabled ? "disabled" : a.locked ? "locked" : "active"]
                        .joined(separator: "\t"))
                }
            } catch { throw fail(error) }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account (its sessions end).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Account id (see account list)") var id: Int64
        func run() async throws {
            do {
                let a = try await global.openForWriting().setAccountDisabled(id: id, disabled: true, by: TokenCommand.commandLine)
                print("account \(a.id) (\(a.username)) disabled")
            } catch { throw fail(error) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Account id (see account list)") var id: Int64
        func run() async throws {
            do {
                let a = try await global.openForWriting().setAccountDisabled(id: id, disabled: false, by: TokenCommand.commandLine)
                print("account \(a.id) (\(a.username)) enabled")
            } catch { throw fail(error) }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an account a new generated password (printed once); unlocks it and ends its sessions.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Account id (see account list)") var id: Int64
        func run() async throws {
            do {
                let (a, password) = try await global.openForWriting().resetPassword(id: id, by: TokenCommand.commandLine)
                print("account \(a.id) (\(a.username)): new password \(password)   (shown once)")
            } catch { throw fail(error) }
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Poster signing keys in the data directory.",
                                                    subcommands: [ListKeys.self, Rotate.self, Retire.self])

    struct ListKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let (current, ids) = try KeyFile.list(dataDir: try await global.settings().dataDir)
            for id in ids { print(id == current ? "\(id) (signs new posters)" : "\(id)") }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a key for new posters; existing posters keep verifying. A running server applies it at once.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            do {
                let dataDir = try await global.settings().dataDir
                say("key \(try KeyFile.rotate(dataDir: dataDir)) now signs new posters")
                try Keys.tellServer(dataDir: dataDir)
            } catch { throw fail(error) }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key: posters signed with it stop verifying. A running server applies it at once.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: UInt8
        func run() async throws {
            do {
                let dataDir = try await global.settings().dataDir
                try KeyFile.retire(id: id, dataDir: dataDir)
                say("key \(id) retired")
                try Keys.tellServer(dataDir: dataDir)
            } catch { throw fail(error) }
        }
    }

    static func tellServer(dataDir: String) throws {
        if let pid = try KeyReload.signalServer(dataDir: dataDir) {
            say("the running server (PID \(pid)) was told to reload its keys")
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import data.", subcommands: [Visits.self])

    struct Visits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import paper logs or passenger lists: venue_id,phone,name,id_number,checkin_at,checkout_at.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CSV file") var file: String

        func run() async throws {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                let app = try await global.openForWriting()
                let report = try await app.importVisits(csv: text, principal: Principal(role: .admin, label: "command line")) { done, total in
                    ProgressBar.show(done: done, total: total)
                }
                FileHandle.standardError.write(Data("\n".utf8))
                print("accepted \(report.accepted), already stored \(report.duplicates), rejected \(report.rejected.count)")
                for r in report.rejected { print("  line \(r.line)\(r.field.map { " (\($0))" } ?? ""): \(r.reason)") }
            } catch { throw fail(error) }
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill an empty store with example data: Bắc Kạn venues, three weeks of visits, a few cases; prints tokens to try the API.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Last day of visits, YYYY-MM-DD (three weeks end there).") var lastDay = "2021-11-21"
    @Option(help: "Seed: the same seed gives the same data.") var seed: UInt64 = 2021

    func run() async throws {
        do {
            let app = try await global.openForWriting()
            let summary = try await app.fillDemo(seed: seed, lastDay: lastDay) { step in
                FileHandle.standardError.write(Data("\r\u{1B}[K… \(step)".utf8))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            say("Demo data: \(summary.venues) venues in Bắc Kạn, \(summary.people) people, \(summary.visits) visits from \(summary.firstDay) to \(summary.lastDay).")
            say("Cases (outbreak in Phường Đức Xuân, \(summary.hotCommune)):")
            for c in summary.cases {
                say("  case \(c.id): confirmed \(Instant.format(c.confirmedAt)), commune \(c.areaCode), \(c.classification.rawValue)")
            }
            var env = """
                export TRUYVET_TRACER_TOKEN=\(summary.tracerToken)
                export TRUYVET_HEALTH_TOKEN=\(summary.healthToken)

                """
            if let k = summary.karaoke {
                say("Karaoke venue: \(k.venue.name), id \(k.venue.id)")
                env += "export TRUYVET_VENUE_ID=\(k.venue.id)\nexport TRUYVET_VENUE_TOKEN=\(k.managementToken)\n"
            }
            let path = (app.config.dataDir as NSString).appendingPathComponent("demo.env")
            guard FileManager.default.createFile(atPath: path, contents: Data(env.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw AppError.invalid("data-dir", "cannot write \(path)")
            }
            say("Tokens (also in \(path); `source` it):")
            say(env, terminator: "")
        } catch { throw fail(error) }
    }
}

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hard-delete visits whose stay ended more than the retention ago (the server also does this every hour).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Retention in days (default: TRUYVET_RETENTION_DAYS, else the store's setting, else 21; 0 keeps everything).")
    var days: Int?

    func run() async throws {
        do {
            var config = try await global.settings()
            if let days {
                guard (0...3650).contains(days) else { throw AppError.invalid("days", "--days must be from 0 to 3650") }
                config.retentionDays = days
            }
            let r = try await TruyVet.open(config: config, exclusive: true).purge()
            if r.days == 0 {
                say("retention is off (0 days): nothing deleted")
            } else {
                say("deleted \(r.visits) visits that ended before \(Instant.format(r.cutoff!)) (\(r.days) days), \(r.people) people left with nothing, \(r.records) old keys, devices and flags")
            }
        } catch { throw fail(error) }
    }
}

struct LevelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "level", abstract: "Print the epidemic level of an area and of its children on a day.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Province (2 digits), district (3) or commune (5) code.") var area: String
    @Option(help: "Assessment day, YYYY-MM-DD (default today in Vietnam).") var date: String?
    @ArgumentParser.Flag(help: "CSV instead of a table.") var csv = false

    func run() async throws {
        do {
            let app = try await global.open()
            let day = try date.map { raw throws(AppError) in try Day.parse(raw, field: "date") } ?? Day(Date())
            let own = try await app.level(code: area, day: day)
            let (children, problems) = try await app.levels(parent: area, day: day)
            if csv {
                print(TruyVet.levelsCSV([own] + children), terminator: "")
                return
            }
            let a = own.assessment
            say("\(a.name) (\(a.code)) on \(day) · rules \(a.rulesVersion) · older group \(a.olderGroupMinAge)+")
            say("A = (B + C) / (2 × D) × 100,000; B = cases in (d − 7, d], C = in (d − 14, d − 7]")
            func yes(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "?" }
            func cells(_ values: [String]) -> String {
                let widths = [6, 30, 10, 5, 5, 8, 5, 5, 5]
                return zip(values, widths).enumerated().map { i, p in
                    let (v, w) = p
                    let text = String(v.prefix(w))
                    let fill = String(repeating: " ", count: max(0, w - text.count))
                    return i < 2 ? text + fill : fill + text
                }.joined(separator: " ") + "  " + values.dropFirst(widths.count).joined(separator: " ")
            }
            func row(_ v: TruyVet.LevelView) -> String {
                let a = v.assessment
                var line = cells([a.code, a.name, String(a.population), String(a.casesThisWeek), String(a.casesLastWeek),
                                  String(format: "%.2f", a.rate), String(a.band), yes(a.vaccinationMet), yes(a.capacityMet),
                                  "\(a.level) \(v.color.name)"])
                if let x = v.announced { line += "  announced \(Instant.readable(x.announcedAt)), in force \(Instant.readable(x.effectiveFrom))" }
                return line
            }
            say(cells(["code", "name", "population", "B", "C", "A", "band", "vacc", "capac", "level"]))
            say(row(own))
            if !children.isEmpty {
                say("  level counts of its children: " + (1...4).map { "\($0): \(a.children[$0] ?? 0)" }.joined(separator: ", ")
                    + (a.childrenUnassessed > 0 ? ", not assessed: \(a.childrenUnassessed)" : ""))
                for child in children { say(row(child)) }
            }
            for p in problems { say("\(p.area.code) \(p.area.name): \(p.error.message)") }
        } catch { throw fail(error) }
    }
}

enum ProgressBar {
    /// `[##########··········]  50%  5000/10000 rows` on one refreshed line of standard error.
    static func show(done: Int, total: Int) {
        let width = 30
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r[%@] %3d%%  %d/%d rows", bar, Int(fraction * 100), done, total)
        FileHandle.standardError.write(Data(line.utf8))
    }
}

struct DecommissionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decommission",
        abstract: "Destroy all data for good: the database, its log and the keys are overwritten, then deleted (the server must be stopped).")
    @OptionGroup var global: GlobalOptions
    @ArgumentParser.Flag(help: "Required: yes, destroy everything in the data directory.") var confirm = false

    func run() async throws {
        do {
            let config = try await global.settings()
            guard confirm else {
                throw AppError.invalid("confirm", "this destroys every visit, case and key in \(config.dataDir) and cannot be undone; run again with --confirm")
            }
            let removed = try await TruyVet.decommission(config: config)
            for path in removed { say(path.hasPrefix("PostgreSQL: ") ? "dropped: \(path)" : "overwritten and deleted: \(path)") }
            say("decommissioned: \(removed.count) removed (\(config.postgresURL == nil ? config.dataDir : "the PostgreSQL schema and \(config.dataDir)"))")
            if config.postgresURL != nil {
                say("PostgreSQL keeps copies you must destroy too: standbys, backups, archived WAL; and the TRUYVET_DATA_KEY given to the servers")
            }
        } catch { throw fail(error) }
    }
}
