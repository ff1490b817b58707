import Foundation
import TruyVetCore

/// Console sessions: a venue owner signs in with the venue's management key (the token shown once at registration) and
/// gets a session cookie. Only the cookie's hash is stored; the session ends on sign-out, after
/// `sessionIdleMinutes` without a request, `sessionHours` after sign-in, or as soon as the key is revoked or replaced.
extension TruyVet {
    public static let sessionCookie = "tv_session"

    public struct Session: Sendable {
        public let principal: Principal
        /// Every state-changing form of this session carries it (field `csrf`); a POST without it is refused.
        public let csrf: String
    }

    /// Failed sign-ins allowed per client address before it must wait (`signInWindow` seconds).
    static let signInFailures = 5
    static let signInWindow: TimeInterval = 15 * 60

    /// Signs in with a venue's management key. `client` is the caller's address: after five wrong keys from it in 15
    /// minutes every attempt is refused until the window ends (429), right or wrong.
    public func signIn(key rawKey: String?, client: String, now: Date = Date()) async throws -> (cookie: String, session: Session) {
        guard !signInLimiter.exhausted(client, now: now) else {
            throw RateLimited(retryAfter: signInLimiter.retryAfter(now: now),
                              message: "too many wrong keys from this address; try again later")
        }
        let key = (rawKey ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw AppError.missing("key") }
        guard let principal = try await store.principal(tokenHash: BearerToken.hash(key)), principal.role == .venue,
              let tokenID = principal.tokenID else {
            _ = signInLimiter.allow(client, now: now)
            throw AppError(.unauthorized, code: "invalid_key", message: "this management key is not valid, or it was replaced", field: "key")
        }
        return try await startSession(principal, tokenID: tokenID, accountID: nil, now: now)
    }

    func startSession(_ principal: Principal, tokenID: Int64?, accountID: Int64?, now: Date) async throws -> (cookie: String, session: Session) {
        let cookie = Base64URL.encode(Self.randomBytes(32))
        let csrf = Base64URL.encode(Self.randomBytes(24))
        try await store.insertSession(hash: BearerToken.hash(cookie), tokenID: tokenID, accountID: accountID, csrf: csrf, at: now)
        try await audit(principal, action: "session.sign_in", caseID: nil, reason: "console sign-in", now: now)
        return (cookie, Session(principal: principal, csrf: csrf))
    }

    /// The session a cookie names, if it is still valid; an expired one is deleted.
    public func session(cookie: String, now: Date = Date()) async throws -> Session? {
        let hash = BearerToken.hash(cookie)
        guard let (record, principal) = try await store.session(hash: hash) else { return nil }
        let idle = TimeInterval(config.sessionIdleMinutes * 60), absolute = TimeInterval(config.sessionHours * 3600)
        guard now.timeIntervalSince(record.seenAt) < idle, now.timeIntervalSince(record.createdAt) < absolute else {
            try await store.deleteSession(hash: hash)
            return nil
        }
        if now.timeIntervalSince(record.seenAt) >= 60 { try await store.touchSession(hash: hash, at: now) }
        return Session(principal: principal, csrf: record.csrf)
    }

    public func signOut(cookie: String) async throws {
        try await store.deleteSession(hash: BearerToken.hash(cookie))
    }

    /// Deletes expired sessions (run with the hourly purge); returns how many.
    public func purgeSessions(now: Date = Date()) async throws -> Int {
        try await store.deleteSessions(idleBefore: now.addingTimeInterval(-TimeInterval(config.sessionIdleMinutes * 60)),
                                       begunBefore: now.addingTimeInterval(-TimeInterval(config.sessionHours * 3600)))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}
