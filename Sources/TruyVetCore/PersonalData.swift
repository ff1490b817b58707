import Crypto
import Foundation

/// Encrypts personal data at rest (AES-GCM) and makes keyed lookup hashes (HMAC-SHA256) of normalised phones and
/// ID numbers, all from one 256-bit data key.
public struct PersonalDataCipher: Sendable {
    private let encryptionKey: SymmetricKey
    /// Keyed once; each use copies the state (a value copy), instead of re-deriving the key schedule per call.
    private let indexMAC: HMAC<SHA256>
    private let secretMAC: HMAC<SHA256>

    public init(dataKey: SymmetricKey) {
        func derive(_ label: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, info: Array("truyvet \(label)".utf8), outputByteCount: 32)
        }
        encryptionKey = derive("personal data encryption v1")
        indexMAC = HMAC<SHA256>(key: derive("lookup index v1"))
        secretMAC = HMAC<SHA256>(key: derive("receipts and secrets v1"))
    }

    /// nonce ‖ ciphertext ‖ tag.
    public func seal(_ text: String) -> Data {
        // AES-GCM with a random nonce cannot fail for in-memory data.
        try! AES.GCM.seal(Array(text.utf8), using: encryptionKey).combined!
    }

    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: encryptionKey), as: UTF8.self)
    }

    /// 16-byte keyed hash of a normalised value, for lookups (`kind` keeps phones and ID numbers apart).
    public func lookupHash(_ kind: String, _ value: String) -> Data {
        var mac = indexMAC
        mac.update(data: Array((kind + "\u{0}" + value).utf8))
        return Data(Array(mac.finalize()).prefix(16))
    }

    /// A short secret bound to `purpose` and `id` (e.g. a visit's check-out secret): nothing to store, checked by recomputing.
    public func secret(_ purpose: String, _ id: Int64, length: Int = 16) -> String {
        var mac = secretMAC
        mac.update(data: Array("\(purpose)\u{0}\(id)".utf8))
        return String(Base64URL.encode(Array(mac.finalize())).prefix(length))
    }

    public func verifySecret(_ candidate: String, _ purpose: String, _ id: Int64, length: Int = 16) -> Bool {
        let expected = Array(secret(purpose, id, length: length).utf8)
        let given = Array(candidate.utf8)
        guard given.count == expected.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<given.count { diff |= given[i] ^ expected[i] }
        return diff == 0
    }

    /// A visit's public reference: its id through a keyed permutation of 64-bit numbers (a four-round Feistel network),
    /// 11 base64url characters. Neighbouring visits get unrelated references, so nobody can count or walk them.
    public func visitRef(_ id: Int64) -> String {
        var x = UInt64(bitPattern: id)
        for round in 0..<4 { x = feistel(x, round: round) }
        return Base64URL.encode(withUnsafeBytes(of: x.bigEndian) { Array($0) })
    }

    /// The visit id behind a reference; nil for anything that is not one (ids are below 2^53).
    public func visitID(ref: String) -> Int64? {
        guard ref.utf8.count == 11, let bytes = Base64URL.decode(ref), bytes.count == 8, Base64URL.encode(bytes) == ref else { return nil }
        var x = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        for round in (0..<4).reversed() { x = unfeistel(x, round: round) }
        guard x > 0, x < 1 << 53 else { return nil }
        return Int64(x)
    }

    private func roundValue(_ half: UInt32, _ round: Int) -> UInt32 {
        var mac = secretMAC
        mac.update(data: Array("visit ref \(round)\u{0}\(half)".utf8))
        return Array(mac.finalize()).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private func feistel(_ x: UInt64, round: Int) -> UInt64 {
        let left = UInt32(x >> 32), right = UInt32(truncatingIfNeeded: x)
        return UInt64(right) << 32 | UInt64(left ^ roundValue(right, round))
    }

    private func unfeistel(_ x: UInt64, round: Int) -> UInt64 {
        let left = UInt32(x >> 32), right = UInt32(truncatingIfNeeded: x)
        return UInt64(right ^ roundValue(left, round)) << 32 | UInt64(left)
    }

    /// Raw keyed bytes (for words of the day and similar public-but-unforgeable values).
    public func mac(_ message: String) -> [UInt8] {
        var mac = secretMAC
        mac.update(data: Array(message.utf8))
        return Array(mac.finalize())
    }
}
