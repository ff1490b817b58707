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

    /// Raw keyed bytes (for words of the day and similar public-but-unforgeable values).
    public func mac(_ message: String) -> [UInt8] {
        var mac = secretMAC
        mac.update(data: Array(message.utf8))
        return Array(mac.finalize())
    }
}
