import Crypto
import Foundation
import Logging
import TruyVetCore

/// The keys file in the data directory (`keys.json`, mode 0600), created on first start.
public enum KeyFile {
    struct Contents: Codable {
        var currentSigningKey: UInt8
        /// id → base64 secret (32 bytes)
        var signingKeys: [String: String]
        /// base64, 32 bytes: encrypts personal data at rest and keys its lookup hashes. Added on first use.
        var dataKey: String?
    }

    /// The personal-data key from `TRUYVET_DATA_KEY` if given, otherwise from the keys file (created when missing).
    /// Losing it makes stored names and phones unreadable: back up the keys file with the database.
    public static func dataKey(config: AppConfig) throws -> SymmetricKey {
        if let base64 = config.dataKey {
            guard let data = Data(base64Encoded: base64), data.count == 32 else {
                throw AppError.invalid("TRUYVET_DATA_KEY", "TRUYVET_DATA_KEY must be 32 bytes in base64")
            }
            return SymmetricKey(data: data)
        }
        var contents = try loadOrCreate(dataDir: config.dataDir)
        if contents.dataKey == nil {
            contents.dataKey = newSecret()
            try write(contents, dataDir: config.dataDir)
        }
        guard let data = Data(base64Encoded: contents.dataKey!), data.count == 32 else {
            throw AppError(.badRequest, code: "invalid_keys", message: "the keys file has a malformed data key")
        }
        return SymmetricKey(data: data)
    }

    public static func path(dataDir: String) -> String { (dataDir as NSString).appendingPathComponent("keys.json") }

    /// The keyring from `TRUYVET_SIGNING_KEYS` if given, otherwise from the keys file (created when missing).
    public static func signingKeyring(config: AppConfig) throws -> SigningKeyring {
        if let spec = config.signingKeys { return try parse(spec) }
        return try keyring(from: loadOrCreate(dataDir: config.dataDir))
    }

    /// Parses `id:base64,id:base64`; the last entry signs new posters.
    public static func parse(_ spec: String) throws -> SigningKeyring {
        var keys: [UInt8: SymmetricKey] = [:]
        var last: UInt8?
        for part in spec.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, let id = UInt8(pieces[0].trimmingCharacters(in: .whitespaces)),
                  let secret = Data(base64Encoded: pieces[1].trimmingCharacters(in: .whitespaces)), secret.count >= 16 else {
                throw AppError.invalid("TRUYVET_SIGNING_KEYS", "TRUYVET_SIGNING_KEYS must be id:base64key entries separated by commas, ids 0–255, keys of at least 16 bytes")
            }
            keys[id] = SymmetricKey(data: secret)
            last = id
        }
        guard let last else { throw AppError.invalid("TRUYVET_SIGNING_KEYS", "TRUYVET_SIGNING_KEYS has no key") }
        return try SigningKeyring(keys: keys, currentID: last)
    }

    static func keyring(from contents: Contents) throws -> SigningKeyring {
        var keys: [UInt8: SymmetricKey] = [:]
        for (id, secret) in contents.signingKeys {
            guard let id = UInt8(id), let data = Data(base64Encoded: secret) else {
                throw AppError(.badRequest, code: "invalid_keys", message: "the keys file has a malformed signing key")
            }
            keys[id] = SymmetricKey(data: data)
        }
        return try SigningKeyring(keys: keys, currentID: contents.currentSigningKey)
    }

    static func loadOrCreate(dataDir: String) throws -> Contents {
        let file = path(dataDir: dataDir)
        if let data = FileManager.default.contents(atPath: file) {
            return try JSONDecoder().decode(Contents.self, from: data)
        }
        let contents = Contents(currentSigningKey: 1, signingKeys: ["1": newSecret()], dataKey: newSecret())
        try write(contents, dataDir: dataDir)
        return contents
    }

    static func newSecret() -> String {
        SigningKeyring.generateKey().withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static func write(_ contents: Contents, dataDir: String) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = path(dataDir: dataDir)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(contents)
        let temp = file + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw AppError(.unavailable, code: "io_error", message: "cannot write \(temp)")
        }
        chmod(temp, 0o600)
        if rename(temp, file) != 0 { throw AppError(.unavailable, code: "io_error", message: "cannot replace \(file)") }
    }

    /// Adds a new signing key and makes it the one for new posters; older keys keep verifying.
    public static func rotate(dataDir: String) throws -> UInt8 {
        var contents = try loadOrCreate(dataDir: dataDir)
        let used = Set(contents.signingKeys.keys.compactMap(UInt8.init))
        guard let id = (UInt8(1)...UInt8(255)).first(where: { !used.contains($0) }) else {
            throw AppError(.conflict, code: "too_many_keys", message: "255 signing keys are in use; retire some first")
        }
        contents.signingKeys[String(id)] = newSecret()
        contents.currentSigningKey = id
        try write(contents, dataDir: dataDir)
        return id
    }

    /// Removes a key: posters signed with it stop verifying. The current key cannot be retired.
    public static func retire(id: UInt8, dataDir: String) throws {
        var contents = try loadOrCreate(dataDir: dataDir)
        guard contents.signingKeys[String(id)] != nil else { throw AppError.notFound("signing key \(id)") }
        guard id != contents.currentSigningKey else {
            throw AppError(.conflict, code: "current_key", message: "key \(id) signs new posters; rotate first, then retire it")
        }
        contents.signingKeys[String(id)] = nil
        try write(contents, dataDir: dataDir)
    }

    public static func list(dataDir: String) throws -> (current: UInt8, ids: [UInt8]) {
        let contents = try loadOrCreate(dataDir: dataDir)
        return (contents.currentSigningKey, contents.signingKeys.keys.compactMap(UInt8.init).sorted())
    }
}

/// Live key changes: `truyvet keys rotate|retire` writes the keys file, then sends the running server SIGHUP, and the
/// server reads its keys again without a restart (existing connections and caches of venues are kept).
public enum KeyReload {
    /// Starts listening for SIGHUP; keep the returned source for as long as the server runs.
    public static func onHangup(_ app: TruyVet, logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            do {
                let keyring = try app.reloadSigningKeys()
                logger.notice("signing keys reloaded: key \(keyring.currentID) signs new posters; \(keyring.keys.count) key(s) verify")
            } catch {
                logger.error("signing keys not reloaded, the previous keys stay in use: \(error)")
            }
        }
        source.resume()
        return source
    }

    /// Tells the server holding `dataDir` (if one does) to reload its keys. Returns its PID, or nil when no server runs.
    public static func signalServer(dataDir: String) throws -> pid_t? {
        guard let holder = DataDirectoryLock.holder(dataDir: dataDir) else { return nil }
        guard holder.serving else {
            throw AppError(.conflict, code: "data_dir_in_use",
                           message: "the keys were written, but another TruyVet command (PID \(holder.pid)) holds the data directory; start or restart the server once it ends")
        }
        guard kill(holder.pid, SIGHUP) == 0 else {
            throw AppError(.unavailable, code: "signal_failed",
                           message: "the keys were written, but the server (PID \(holder.pid)) could not be told: \(String(cString: strerror(errno))); restart it to apply them")
        }
        return holder.pid
    }
}

extension TruyVet {
    static let dataKeyCheckSetting = "data_key_check"

    /// Refuses to start with a data key other than the one the store's data was sealed with (a second server with its
    /// own key file would write what no other server can read). The store keeps a check value, never the key.
    public func checkDataKey(_ key: SymmetricKey) async throws {
        let check = Data(HMAC<SHA256>.authenticationCode(for: Array("truyvet data key check v1".utf8), using: key)).base64EncodedString()
        guard let stored = try await store.setting(Self.dataKeyCheckSetting) else {
            try await store.setSetting(Self.dataKeyCheckSetting, check)
            return
        }
        guard stored == check else {
            throw AppError(.unavailable, code: "wrong_data_key",
                           message: "this database's personal data was sealed with another data key; give every server the same TRUYVET_DATA_KEY (and TRUYVET_SIGNING_KEYS)",
                           field: "TRUYVET_DATA_KEY")
        }
    }
}
