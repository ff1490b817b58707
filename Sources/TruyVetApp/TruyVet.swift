import Crypto
import Foundation
import Synchronization
import TruyVetCore
import TruyVetQR

/// The product's operations, shared by the HTTP API and the command line.
public struct TruyVet: Sendable {
    public let store: any Store
    /// The store's venues behind a cache (read on every check-in): every venue read and write of the product goes here.
    public let venues: VenueCache
    /// The poster signing keys; `reloadSigningKeys()` swaps them while the server runs.
    private let signing: PosterSigning
    public var keyring: SigningKeyring { signing.verifier.keyring }
    var posters: PosterVerifier { signing.verifier }
    public let config: AppConfig
    public let cipher: PersonalDataCipher
    /// The epidemic-level rule sets and the measures table (bundled defaults, or the files configuration names).
    public let levelRules: LevelRuleBook
    public let measures: MeasureTable
    private let adminTokenHash: [UInt8]?
    /// When each token's use was last written (at most once a minute per token).
    private let tokenUse = TokenUse()
    /// Wrong management keys per client address (see `signIn`).
    let signInLimiter = RateLimiter(limit: TruyVet.signInFailures, window: TruyVet.signInWindow)
    /// The check-in limits and burst detector (see `CheckinGuards`).
    let guards: CheckinGuards
    /// Held while this process may write the data directory (see `open(config:exclusive:)`).
    let lock: DataDirectoryLock?

    public init(store: any Store, keyring: SigningKeyring, dataKey: SymmetricKey, config: AppConfig, lock: DataDirectoryLock? = nil) throws {
        AppMetrics.bootstrap()
        self.store = store
        self.venues = VenueCache(store)
        self.lock = lock
        self.signing = PosterSigning(keyring: keyring)
        self.config = config
        self.cipher = PersonalDataCipher(dataKey: dataKey)
        self.guards = CheckinGuards(config: config)
        self.adminTokenHash = config.adminToken.map(BearerToken.hash)
        self.levelRules = try config.levelRuleBook()
        self.measures = try config.measureTable()
    }

    // MARK: Areas

    /// The bundled list of Vietnam's administrative units (2021: 63 provinces, 696 districts, 10,051 communes).
    public static func bundledAreasCSV() throws -> String {
        guard let url = Bundle.module.url(forResource: "vn-admin-units-2021", withExtension: "csv") else {
            throw AppError(.unavailable, code: "missing_resource", message: "the bundled area list is missing from this build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    public func loadBundledAreasIfEmpty() async throws {
        guard try await store.areaCount() == 0 else { return }
        let report = try await importAreas(csv: try Self.bundledAreasCSV())
        guard report.rejected.isEmpty else {
            throw AppError(.unavailable, code: "bad_resource", message: "the bundled area list has \(report.rejected.count) bad rows")
        }
    }

    /// Imports `code,name,level,parent_code[,population]`; good rows are kept even when others are rejected.
    public func importAreas(csv: String) async throws -> ImportReport {
        // Parents may be in the store already: look up every parent code the file names.
        let rows = (try? CSV.parse(csv)) ?? []
        let parents = Set(rows.dropFirst().compactMap { row -> String? in
            guard row.fields.count > 3 else { return nil }
            let raw = row.fields[3].trimmingCharacters(in: .whitespaces)
            guard !raw.isEmpty else { return nil }
            let parentLevel = AreaLevel(rawValue: row.fields[2].trimmingCharacters(in: .whitespaces).lowercased())?.parentLevel
            return parentLevel.map { AreaCSV.code(raw, level: $0) } ?? raw
        })
        let known = try await store.areaLevels(codes: parents)
        let (areas, report) = AreaCSV.read(csv, known: { known[$0] })
        try await store.upsertAreas(areas)
        return report
    }

    /// The commune and its district and province, innermost first.
    public func areaPath(_ code: String) async throws -> [Area] {
        try await store.areaPath(code: code)
    }

    // MARK: Venues

    public struct Registered: Sendable {
        public let venue: Venue
        public let managementToken: String
    }

    /// Registers a venue. Anyone may when registration is open (`openRegistration`); otherwise admins only.
    public func registerVenue(_ registration: VenueRegistration, by caller: Principal? = nil) async throws -> Registered {
        if !config.openRegistration {
            guard let caller else { throw AppError.unauthorized }
            try caller.require(.admin)
        }
        let valid = try registration.validated()
        let path = try await areaPath(valid.areaCode)
        guard let commune = path.first, commune.level == .commune, path.count == 3 else {
            throw AppError.invalid("areaCode", "areaCode \(valid.areaCode) is not a known commune")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<8 {
            // Random ids: venue counts and registration order are not visible from the outside.
            let venue = Venue(id: Int64.random(in: 1...(1 << 53), using: &generator), name: valid.name, address: valid.address,
                              areaCode: commune.code, districtCode: path[1].code, provinceCode: path[2].code,
                              category: valid.category, defaultStayMinutes: valid.defaultStayMinutes,
                              sealedContactPhone: cipher.seal(valid.contactPhone), capacity: valid.capacity, openingHours: valid.openingHours,
                              shortCode: ShortCode.random(using: &generator), posterGeneration: 1,
                              createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            if try await venues.insertVenue(venue) {
                let token = try await createToken(role: .venue, venueID: venue.id, label: "venue \(venue.id)")
                return Registered(venue: venue, managementToken: token)
            }
        }
        throw AppError(.unavailable, code: "id_exhausted", message: "could not allocate a venue id; try again")
    }

    public func venue(_ id: Int64) async throws -> Venue {
        guard let venue = try await venues.venue(id: id) else { throw AppError.notFound("venue \(id)") }
        return venue
    }

    /// The venue's contact phone (sealed at rest).
    public func contactPhone(of venue: Venue) -> String {
        (try? cipher.open(venue.sealedContactPhone)) ?? ""
    }

    /// What an owner may change about a venue (`PATCH /v1/venues/{id}` and the settings form); a field left out stays.
    /// Its commune, codes and poster generation never change here.
    public struct VenueChanges: Sendable, Decodable {
        public var name: String?
        public var address: String?
        public var category: String?
        public var defaultStayMinutes: Int?
        public var contactPhone: String?
        public var capacity: Int?
        public var openingHours: String?
        public var screenOnly: Bool?
        /// The form's empty capacity or opening hours: remove them (JSON cannot say this with a missing field).
        public var clearCapacity = false
        public var clearOpeningHours = false

        enum CodingKeys: String, CodingKey { case name, address, category, defaultStayMinutes, contactPhone, capacity, openingHours, screenOnly }

        public init() {}
    }

    /// Edits a venue's details, validated like a registration. The venue's own key or an admin; audited.
    public func editVenue(_ id: Int64, _ changes: VenueChanges, by principal: Principal, now: Date = Date()) async throws -> Venue {
        guard principal.mayManage(venue: id) else { throw AppError.forbidden("this token cannot manage venue \(id)") }
        var venue = try await venue(id)
        let merged = VenueRegistration(
            name: changes.name ?? venue.name, address: changes.address ?? venue.address, areaCode: venue.areaCode,
            category: changes.category ?? venue.category.rawValue, defaultStayMinutes: changes.defaultStayMinutes ?? venue.defaultStayMinutes,
            contactPhone: changes.contactPhone ?? contactPhone(of: venue),
            capacity: changes.clearCapacity ? nil : changes.capacity ?? venue.capacity,
            openingHours: changes.clearOpeningHours ? nil : changes.openingHours ?? venue.openingHours)
        let valid = try merged.validated()
        venue.name = valid.name
        venue.address = valid.address
        venue.category = valid.category
        venue.defaultStayMinutes = valid.defaultStayMinutes
        venue.sealedContactPhone = cipher.seal(valid.contactPhone)
        venue.capacity = valid.capacity
        venue.openingHours = valid.openingHours
        if let screenOnly = changes.screenOnly { venue.screenOnly = screenOnly }
        guard let saved = try await venues.updateVenue(venue) else { throw AppError.notFound("venue \(id)") }
        try await audit(principal, action: "venue.edit", caseID: nil, reason: "venue details changed", now: now,
                        detail: "venue=\(id) screenOnly=\(saved.screenOnly)")
        return saved
    }

    /// A new poster: old QR codes and the old short code stop working at once.
    public func rotatePoster(_ id: Int64) async throws -> Venue {
        let before = try await venue(id)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<8 {
            let code = ShortCode.random(using: &generator)
            guard let venue = try await venues.rotatePoster(venueID: id, shortCode: code) else { throw AppError.notFound("venue \(id)") }
            if venue.shortCode == code && venue.posterGeneration != before.posterGeneration { return venue }
        }
        throw AppError(.unavailable, code: "id_exhausted", message: "could not draw a new short code; try again")
    }

    /// Reads the signing keys again (after `truyvet keys rotate|retire`): new posters use the current key at once, and
    /// posters signed with a retired key stop verifying. Keys given in `TRUYVET_SIGNING_KEYS` are fixed for the
    /// process's life, so then nothing changes. On an unreadable keys file the old keys stay and the error is thrown.
    @discardableResult
    public func reloadSigningKeys() throws -> SigningKeyring {
        let keyring = try KeyFile.signingKeyring(config: config)
        signing.replace(keyring)
        return keyring
    }

    /// `{public URL}/c/{token}`: what the poster's QR code holds.
    public func checkinURL(_ venue: Venue) -> String {
        config.resolvedPublicURL + "/c/" + PosterToken.sign(venueID: venue.id, generation: venue.posterGeneration, keyring: keyring)
    }

    /// The venue a poster token or a door screen's code stands for, or nil: forged, tampered, rotated, retired key,
    /// unknown venue, an expired screen code and a printed poster of a "screen codes only" venue alike.
    public func verifyPoster(token: String) async throws -> Venue? {
        switch lookupPoster(token: token) {
        case .venue(let venue): return venue
        case .invalid: return nil
        case .ask(let claims): return try await venue(claims)
        }
    }

    /// What a verified code claims.
    struct CodeClaims: Sendable {
        let venueID: Int64
        let generation: UInt32
        /// A door screen's code (accepted for "screen codes only" venues), not a printed poster.
        let screen: Bool
    }

    /// A code's venue when it can be told without I/O (a remembered token, a cached venue), else what to ask the store.
    enum PosterLookup: Sendable {
        case venue(Venue)
        case invalid
        case ask(CodeClaims)
    }

    func lookupPoster(token: String) -> PosterLookup {
        let claims: CodeClaims
        if token.utf8.count == ScreenToken.encodedLength {
            guard let screen = ScreenToken.verify(token, keyring: keyring),
                  screen.isCurrent(at: config.clock(), seconds: config.screenCodeSeconds) else { return .invalid }
            claims = CodeClaims(venueID: screen.venueID, generation: screen.generation, screen: true)
        } else {
            guard let poster = posters.verify(token) else { return .invalid }
            claims = CodeClaims(venueID: poster.venueID, generation: poster.generation, screen: false)
        }
        guard let venue = venues.cached(id: claims.venueID), claims.generation <= venue.posterGeneration else { return .ask(claims) }
        return Self.accepts(venue, claims) ? .venue(venue) : .invalid
    }

    static func accepts(_ venue: Venue, _ claims: CodeClaims) -> Bool {
        venue.posterGeneration == claims.generation && (claims.screen || !venue.screenOnly)
    }

    func venue(_ claims: CodeClaims) async throws -> Venue? {
        guard var venue = try await venues.venue(id: claims.venueID) else { return nil }
        // A poster newer than the venue remembered here was made on another server: ask the store.
        if claims.generation > venue.posterGeneration, let stored = try await venues.fresh(id: claims.venueID) { venue = stored }
        return Self.accepts(venue, claims) ? venue : nil
    }

    /// The venue a typed short code names; nil for an unknown code or a "screen codes only" venue (the short code is
    /// printed on its posters).
    public func venue(shortCode raw: String) async throws -> Venue? {
        guard let code = ShortCode.normalize(raw), let venue = try await venues.venue(shortCode: code), !venue.screenOnly else { return nil }
        return venue
    }

    /// The door screen's code now: its check-in URL and the seconds until the next one.
    public func screenCode(_ venue: Venue, at date: Date) -> (url: String, secondsLeft: Int) {
        let seconds = config.screenCodeSeconds
        let step = ScreenToken.step(at: date, seconds: seconds)
        let token = ScreenToken.sign(venueID: venue.id, generation: venue.posterGeneration, step: step, keyring: keyring)
        let next = Double(Int64(step) + 1) * Double(seconds)
        return (config.resolvedPublicURL + "/c/" + token, max(1, Int((next - date.timeIntervalSince1970).rounded(.up))))
    }

    // MARK: Posters

    public enum PosterFormat: String, Sendable, CaseIterable {
        case pdf, png, svg
        public var contentType: String {
            switch self {
            case .pdf: "application/pdf"
            case .png: "image/png"
            case .svg: "image/svg+xml"
            }
        }
    }

    public func posterContent(_ venue: Venue) async throws -> PosterContent {
        let path = try await areaPath(venue.areaCode)
        return PosterContent(venueName: venue.name, address: venue.address,
                             areaLine: path.map(\.name).joined(separator: ", "),
                             payload: checkinURL(venue), shortCode: venue.formattedShortCode)
    }

    /// PDF: the A4 poster. PNG: the QR code alone at `scale` pixels per module, or the whole poster when `fullPage`.
    /// SVG: the QR code alone, vector.
    public func poster(_ venue: Venue, format: PosterFormat, scale: Int = 8, fullPage: Bool = false) async throws -> [UInt8] {
        switch format {
        case .pdf:
            return try Poster.pdf([try await posterContent(venue)], title: venue.name)
        case .png where fullPage:
            return try Poster.png(try await posterContent(venue))
        case .png:
            do { return try QRRender.png(try QRCode(checkinURL(venue)), scale: scale) } catch let error as QRRender.RenderError {
                throw AppError.invalid("scale", error.description)
            }
        case .svg:
            return Array(QRRender.svg(try QRCode(checkinURL(venue))).utf8)
        }
    }

    public static let maxBatchPosters = 20_000

    /// One page per venue of a province, district or commune.
    public func posters(area code: String) async throws -> (pdf: [UInt8], count: Int) {
        guard try await store.area(code: code) != nil else { throw AppError.notFound("area \(code)") }
        let venues = try await store.venues(inArea: code, limit: Self.maxBatchPosters + 1, offset: 0)
        guard !venues.isEmpty else { throw AppError(.notFound, code: "no_venues", message: "area \(code) has no venues") }
        guard venues.count <= Self.maxBatchPosters else {
            throw AppError(.payloadTooLarge, code: "too_many_venues", message: "area \(code) has more than \(Self.maxBatchPosters) venues; print per district or commune", field: "area")
        }
        var contents: [PosterContent] = []
        var names: [String: String] = [:]
        for venue in venues {
            // Area names repeat across venues: look each up once.
            let key = venue.areaCode
            if names[key] == nil { names[key] = try await areaPath(key).map(\.name).joined(separator: ", ") }
            contents.append(PosterContent(venueName: venue.name, address: venue.address, areaLine: names[key]!,
                                          payload: checkinURL(venue), shortCode: venue.formattedShortCode))
        }
        return (try Poster.pdf(contents, title: "TruyVet \(code)"), venues.count)
    }

    // MARK: Tokens

    public func createToken(role: Role, venueID: Int64? = nil, label: String) async throws -> String {
        if role == .venue {
            guard let venueID else { throw AppError.missing("venueId") }
            _ = try await venue(venueID)
        } else if venueID != nil {
            throw AppError.invalid("venueId", "only venue tokens name a venue")
        }
        let token = BearerToken.generate()
        _ = try await store.insertToken(hash: BearerToken.hash(token), role: role, venueID: role == .venue ? venueID : nil, label: label)
        return token
    }

    /// A venue lost its management key: every key of the venue is revoked (their sessions end) and a new one is
    /// returned, to be shown once. Admins only; audited.
    public func replaceVenueKey(_ venueID: Int64, by principal: Principal, now: Date = Date()) async throws -> String {
        try principal.require(.admin)
        let venue = try await venue(venueID)
        for token in try await store.tokens() where token.role == .venue && token.venueID == venue.id && token.revokedAt == nil {
            _ = try await store.revokeToken(id: token.id, at: now)
        }
        let key = try await createToken(role: .venue, venueID: venue.id, label: "replacement key")
        try await audit(principal, action: "venue.replace_key", caseID: nil, reason: "management key replaced", now: now, detail: "venue=\(venue.id)")
        return key
    }

    /// The principal of an `Authorization: Bearer …` value; nil when missing, unknown or revoked (read from the store
    /// every time, so a revocation takes effect at once).
    public func authenticate(bearer token: String, now: Date = Date()) async throws -> Principal? {
        let hash = BearerToken.hash(token)
        if let adminTokenHash, adminTokenHash == hash { return Principal(role: .admin, label: "TRUYVET_ADMIN_TOKEN") }
        guard let principal = try await store.principal(tokenHash: hash) else { return nil }
        if let id = principal.tokenID, tokenUse.due(id, now: now) { try await store.touchToken(id: id, at: now) }
        return principal
    }

    /// Every token (label, role, created, last used; never the secret). Admins only.
    public func tokens(by principal: Principal) async throws -> [TokenInfo] {
        try principal.require(.admin)
        return try await store.tokens()
    }

    /// Revokes a token: it answers 401 from the next request on. Admins only; audited.
    public func revokeToken(id: Int64, by principal: Principal, now: Date = Date()) async throws -> TokenInfo {
        try principal.require(.admin)
        let revoked = try await store.revokeToken(id: id, at: now)
        guard let info = try await store.tokens().first(where: { $0.id == id }) else { throw AppError.notFound("token \(id)") }
        if revoked {
            try await audit(principal, action: "token.revoke", caseID: nil, reason: "token revoked", now: now,
                            detail: "token=\(id) role=\(info.role.rawValue) label=\(info.label)")
        }
        return info
    }

    /// On first start without `TRUYVET_ADMIN_TOKEN`: creates an admin token and returns it, to be printed once.
    public func bootstrapAdminToken() async throws -> String? {
        guard config.adminToken == nil, try await store.tokenCount(role: .admin) == 0 else { return nil }
        return try await createToken(role: .admin, label: "first start")
    }
}

/// Throttles writing a token's last use: once a minute per token is enough for an admin's list.
final class TokenUse: Sendable {
    private let last = Mutex<[Int64: Date]>([:])

    func due(_ id: Int64, now: Date) -> Bool {
        last.withLock { seen in
            if let at = seen[id], now.timeIntervalSince(at) < 60 { return false }
            if seen.count > 100_000 { seen.removeAll() }
            seen[id] = now
            return true
        }
    }
}

/// An exclusive lock on a data directory (`truyvet.lock`, holding the owner's PID), so that two processes never write
/// the same database: held by `truyvet serve` and every command that writes, for as long as the process runs.
public final class DataDirectoryLock: Sendable {
    private let fd: Int32
    public let path: String

    /// The process holding the data directory's lock now, and whether it is a server; nil when none does.
    public static func holder(dataDir: String) -> (pid: pid_t, serving: Bool)? {
        let path = (dataDir as NSString).appendingPathComponent("truyvet.lock")
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        let words = String(decoding: buffer[0..<n], as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard let first = words.first, let pid = pid_t(first), pid > 0 else { return nil }
        return (pid, words.dropFirst().first == "serve")
    }

    /// `serving`: recorded beside the PID, so `truyvet keys` knows it may signal this process to reload its keys.
    public init(dataDir: String, serving: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        path = (dataDir as NSString).appendingPathComponent("truyvet.lock")
        fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AppError(.unavailable, code: "io_error", message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? "unknown" : "unknown"
            close(fd)
            throw AppError(.conflict, code: "data_dir_in_use",
                           message: "the data directory \(dataDir) is in use by another TruyVet process (PID \(holder)); stop it first, or use the HTTP API while it runs",
                           field: "data-dir")
        }
        let pid = Array("\(getpid())\(serving ? " serve" : "")\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// The current poster verifier (keys and its cache of verified tokens), replaced whole when the keys change.
final class PosterSigning: Sendable {
    private let current: Mutex<PosterVerifier>

    init(keyring: SigningKeyring) { current = Mutex(PosterVerifier(keyring: keyring)) }

    var verifier: PosterVerifier { current.withLock { $0 } }

    func replace(_ keyring: SigningKeyring) { current.withLock { $0 = PosterVerifier(keyring: keyring) } }
}
