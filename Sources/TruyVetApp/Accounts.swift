import Dispatch
import Foundation
import HummingbirdBcrypt
import TruyVetCore

/// Staff accounts (admin, tracer, health): a username and a bcrypt-hashed password, for the console. Admins create,
/// disable and reset them (console, `truyvet account`); every change is audited. Bearer tokens stay for the API.
extension TruyVet {
    public static let staffRoles: [Role] = [.admin, .tracer, .health]
    /// Wrong passwords before an account is locked, and for how long.
    static let accountFailures = 5
    static let accountLock: TimeInterval = 15 * 60
    static let minimumPasswordLength = 10

    public struct AccountInfo: Sendable, Encodable {
        public let id: Int64
        public let username: String
        public let role: String
        public let createdAt: Date
        public let disabled: Bool
        public let locked: Bool
    }

    func info(_ a: Account, now: Date) -> AccountInfo {
        AccountInfo(id: a.id, username: a.username, role: a.role.rawValue, createdAt: a.createdAt, disabled: a.disabledAt != nil,
                    locked: a.lockedUntil.map { $0 > now } ?? false)
    }

    static func username(_ raw: String?) throws(AppError) -> String {
        let name = (raw ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard !name.isEmpty else { throw .missing("username") }
        guard (2...32).contains(name.count), name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }) else {
            throw .invalid("username", "username must be 2 to 32 letters a–z, digits, dots, dashes or underscores")
        }
        return name
    }

    static func password(_ raw: String?) throws(AppError) -> String {
        guard let raw, !raw.isEmpty else { throw .missing("password") }
        guard raw.count >= minimumPasswordLength, raw.utf8.count <= 72 else {
            throw .invalid("password", "password must be \(minimumPasswordLength) to 72 characters long")
        }
        return raw
    }

    /// A password for an account created or reset without one: 16 characters, shown once.
    static func generatedPassword() -> String { Base64URL.encode(randomBytes(12)) }

    /// bcrypt, off the cooperative threads (it takes a quarter of a second at cost 12 by design).
    func hashPassword(_ password: String) async -> String {
        let cost = UInt8(config.passwordCost)
        return await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: Bcrypt.hash(password, cost: cost)) }
        }
    }

    func verifyPassword(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }

    /// Creates a staff account; with no password given one is generated (returned, to be shown once). Admins only.
    public func createAccount(username rawName: String?, role rawRole: String?, password rawPassword: String?, by principal: Principal,
                              now: Date = Date()) async throws -> (account: AccountInfo, password: String) {
        try principal.require(.admin)
        let username = try Self.username(rawName)
        guard let rawRole, !rawRole.isEmpty else { throw AppError.missing("role") }
        guard let role = Role(rawValue: rawRole.lowercased()), Self.staffRoles.contains(role) else {
            throw AppError.invalid("role", "role must be admin, tracer or health")
        }
        let password = try (rawPassword?.isEmpty ?? true) ? Self.generatedPassword() : Self.password(rawPassword)
        guard let id = try await store.insertAccount(username: username, role: role, passwordHash: await hashPassword(password), at: now),
              let account = try await store.account(id: id) else {
            throw AppError(.conflict, code: "username_taken", message: "there is already an account named \(username)", field: "username")
        }
        try await audit(principal, action: "account.create", caseID: nil, reason: "account created", now: now,
                        detail: "account=\(username) role=\(role.rawValue)")
        return (info(account, now: now), password)
    }

    public func accounts(by principal: Principal, now: Date = Date()) async throws -> [AccountInfo] {
        try principal.require(.admin)
        return try await store.accounts().map { info($0, now: now) }
    }

    func existingAccount(_ id: Int64) async throws -> Account {
        guard let account = try await store.account(id: id) else { throw AppError.notFound("account \(id)") }
        return account
    }

    /// Disables (its sessions end at once) or enables an account. Admins only; an admin cannot disable themself.
    public func setAccountDisabled(id: Int64, disabled: Bool, by principal: Principal, now: Date = Date()) async throws -> AccountInfo {
        try principal.require(.admin)
        let account = try await existingAccount(id)
        if disabled, principal.label == account.principal.label {
            throw AppError.invalid("id", "you cannot disable your own account")
        }
        try await store.setAccountDisabled(id: id, at: disabled ? now : nil)
        try await audit(principal, action: disabled ? "account.disable" : "account.enable", caseID: nil,
                        reason: disabled ? "account disabled" : "account enabled", now: now, detail: "account=\(account.username)")
        return info(try await existingAccount(id), now: now)
    }

    /// Gives an account a new generated password (returned, shown once), unlocks it and ends its sessions. Admins only.
    public func resetPassword(id: Int64, by principal: Principal, now: Date = Date()) async throws -> (account: AccountInfo, password: String) {
        try principal.require(.admin)
        let account = try await existingAccount(id)
        let password = Self.generatedPassword()
        try await store.setAccountPassword(id: id, passwordHash: await hashPassword(password))
        try await audit(principal, action: "account.reset_password", caseID: nil, reason: "password reset", now: now,
                        detail: "account=\(account.username)")
        return (info(try await existingAccount(id), now: now), password)
    }

    /// A hash to verify against when the username is unknown, so that the answer takes as long either way.
    static let decoyHash = Bcrypt.hash("not a password of anyone", cost: 4)

    /// Signs a staff member in. Five wrong passwords lock the account for 15 minutes (the right one is refused too,
    /// with a message saying until when); wrong attempts also count against the client's address, as wrong keys do.
    public func signIn(username rawName: String?, password: String?, client: String, now: Date = Date()) async throws -> (cookie: String, session: Session) {
        guard !signInLimiter.exhausted(client, now: now) else {
            throw RateLimited(retryAfter: signInLimiter.retryAfter(now: now), message: "too many wrong sign-ins from this address; try again later")
        }
        let username = (rawName ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard !username.isEmpty else { throw AppError.missing("username") }
        guard let password, !password.isEmpty else { throw AppError.missing("password") }
        let wrong = AppError(.unauthorized, code: "invalid_credentials", message: "the username or the password is wrong", field: "password")
        guard let account = try await store.account(username: username) else {
            _ = await verifyPassword(password, hash: Self.decoyHash)
            _ = signInLimiter.allow(client, now: now)
            throw wrong
        }
        if let until = account.lockedUntil, until > now {
            throw AppError(.tooManyRequests, code: "account_locked",
                           message: "this account is locked after \(Self.accountFailures) wrong passwords until \(Instant.readable(until)); an admin can reset it",
                           field: "password")
        }
        guard await verifyPassword(password, hash: account.passwordHash) else {
            try await store.accountFailed(id: account.id, lockAfter: Self.accountFailures, lockedUntil: now.addingTimeInterval(Self.accountLock))
            _ = signInLimiter.allow(client, now: now)
            throw wrong
        }
        guard account.disabledAt == nil else {
            throw AppError(.forbidden, code: "account_disabled", message: "this account is disabled; ask an admin", field: "username")
        }
        try await store.accountSucceeded(id: account.id)
        return try await startSession(account.principal, tokenID: nil, accountID: account.id, now: now)
    }
}
