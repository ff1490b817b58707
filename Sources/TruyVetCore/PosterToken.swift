import Crypto
import Foundation
import Synchronization

/// HMAC keys that sign poster tokens. Several can verify at once; new posters use `current`.
public struct SigningKeyring: Sendable {
    public let keys: [UInt8: SymmetricKey]
    public let currentID: UInt8

    public init(keys: [UInt8: SymmetricKey], currentID: UInt8) throws(AppError) {
        guard keys[currentID] != nil else {
            throw AppError(.badRequest, code: "invalid_keys", message: "the current signing key \(currentID) is not in the keyring")
        }
        for (id, key) in keys where key.bitCount < 128 {
            throw AppError(.badRequest, code: "invalid_keys", message: "signing key \(id) is shorter than 128 bits")
        }
        self.keys = keys
        self.currentID = currentID
    }

    public static func generateKey() -> SymmetricKey { SymmetricKey(size: .bits256) }
}

/// The content of a poster's QR code after `/c/`: a short, unguessable, signed token.
///
/// Layout (28 bytes → 38 base64url characters): key id (1) · venue id (7, big-endian) · poster generation (4) ·
/// HMAC-SHA256 over the first 12 bytes, truncated to 128 bits (16).
public struct PosterToken: Sendable, Equatable {
    public let venueID: Int64
    public let generation: UInt32
    public let keyID: UInt8

    public static let maxVenueID: Int64 = (1 << 56) - 1
    public static let encodedLength = 38
    private static let domain = Array("truyvet-poster-v1".utf8)

    public init(venueID: Int64, generation: UInt32, keyID: UInt8) {
        precondition(venueID > 0 && venueID <= Self.maxVenueID, "venue id out of range")
        self.venueID = venueID
        self.generation = generation
        self.keyID = keyID
    }

    /// Signs with the keyring's current key.
    public static func sign(venueID: Int64, generation: UInt32, keyring: SigningKeyring) -> String {
        let token = PosterToken(venueID: venueID, generation: generation, keyID: keyring.currentID)
        return token.encoded(key: keyring.keys[keyring.currentID]!)
    }

    public func encoded(key: SymmetricKey) -> String {
        var bytes = [keyID]
        SignedCode.append(UInt64(venueID), width: 7, to: &bytes)
        SignedCode.append(UInt64(generation), width: 4, to: &bytes)
        return SignedCode.seal(bytes, domain: Self.domain, key: key)
    }

    /// The token's claims if its MAC verifies under a key of the keyring; nil for anything else,
    /// with no distinction between malformed, unknown key and bad MAC.
    public static func verify(_ text: String, keyring: SigningKeyring) -> PosterToken? {
        guard text.utf8.count == encodedLength, let body = SignedCode.open(text, bodyCount: 12, domain: domain, keyring: keyring) else { return nil }
        let venue = Int64(SignedCode.read(body, 1..<8))
        guard venue > 0 else { return nil }
        return PosterToken(venueID: venue, generation: UInt32(SignedCode.read(body, 8..<12)), keyID: body[0])
    }
}

/// What poster and door-screen codes share: a body that starts with the key id, big-endian numbers, and an HMAC-SHA256
/// (under a domain string) truncated to 128 bits, all base64url.
enum SignedCode {
    static let macCount = 16

    static func append(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    static func read(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
        range.reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) }
    }

    static func seal(_ body: [UInt8], domain: [UInt8], key: SymmetricKey) -> String {
        Base64URL.encode(body + mac(body, domain: domain, key: key))
    }

    /// The body when the MAC verifies under the key its first byte names; nil for anything else, with no distinction
    /// between malformed, unknown key and bad MAC (an unknown key costs a MAC too).
    static func open(_ text: String, bodyCount: Int, domain: [UInt8], keyring: SigningKeyring) -> [UInt8]? {
        guard let bytes = Base64URL.decode(text), bytes.count == bodyCount + macCount, Base64URL.encode(bytes) == text else { return nil }
        let body = Array(bytes[0..<bodyCount])
        let key = keyring.keys[bytes[0]]
        let expected = mac(body, domain: domain, key: key ?? dummyKey)
        var difference: UInt8 = key == nil ? 1 : 0
        for i in 0..<macCount { difference |= expected[i] ^ bytes[bodyCount + i] }
        return difference == 0 ? body : nil
    }

    private static let dummyKey = SymmetricKey(size: .bits256)

    private static func mac(_ body: [UInt8], domain: [UInt8], key: SymmetricKey) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: domain)
        hmac.update(data: body)
        return Array(Array(hmac.finalize()).prefix(macCount))
    }
}

/// Base64url without padding (RFC 4648 §5), table-driven: it runs on every check-in.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for any character outside the alphabet, padding, or an impossible length.
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in input {
            let v = values[Int(c)]
            guard v != 0xFF else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}

/// Verifies poster tokens and remembers the ones that verified: a poster is scanned all day, so a repeat costs a
/// dictionary lookup instead of an HMAC. Only tokens that verified are kept (a forged one never is), at most
/// `capacity` of them (then the memory starts again).
public final class PosterVerifier: Sendable {
    public let keyring: SigningKeyring
    private let verified = Mutex<[String: PosterToken]>([:])
    public static let capacity = 100_000

    public init(keyring: SigningKeyring) {
        self.keyring = keyring
    }

    public func verify(_ text: String) -> PosterToken? {
        if let known = verified.withLock({ $0[text] }) { return known }
        guard let token = PosterToken.verify(text, keyring: keyring) else { return nil }
        verified.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[text] = token
        }
        return token
    }
}
