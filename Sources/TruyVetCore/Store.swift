/// Everything the product keeps, behind one protocol: SQLite now (TruyVetStore), PostgreSQL later.
public protocol Store: Sendable {
    // Areas
    func areaCount() async throws -> Int
    /// Inserts or replaces the given areas (a population left empty keeps the stored one).
    func upsertAreas(_ areas: [Area]) async throws
    func area(code: String) async throws -> Area?
    func areaLevels(codes: Set<String>) async throws -> [String: AreaLevel]
    /// Children of an area (provinces when `parent` is nil), by code.
    func areas(parent: String?) async throws -> [Area]

    // Venues
    /// Inserts a venue; returns false when its id or short code is already taken (the caller draws again).
    func insertVenue(_ venue: Venue) async throws -> Bool
    func venue(id: Int64) async throws -> Venue?
    /// Venues of a commune, district or province, by name.
    func venues(inArea code: String, limit: Int, offset: Int) async throws -> [Venue]
    /// Increments the poster generation; nil when there is no such venue.
    func rotatePoster(venueID: Int64) async throws -> Venue?

    // Bearer tokens (only hashes are stored)
    func insertToken(hash: [UInt8], role: Role, venueID: Int64?, label: String) async throws -> Int64
    func principal(tokenHash: [UInt8]) async throws -> Principal?
    func tokenCount(role: Role) async throws -> Int
}
