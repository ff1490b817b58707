import Crypto
import Foundation

/// The content of a door screen's QR code after `/c/`: like a poster token, plus the time step it was shown in, so a
/// photograph of the screen stops working within two steps.
///
/// Layout (32 bytes → 43 base64url characters): key id (1) · venue id (7) · poster generation (4) · time step (4,
/// seconds since 1970 divided by the step length) · HMAC-SHA256 over the first 16 bytes, truncated to 128 bits (16).
public struct ScreenToken: Sendable, Equatable {
    public let venueID: Int64
    public let generation: UInt32
    public let step: UInt32
    public static let encodedLength = 43
    static let byteCount = 32
    private static let domain = Array("truyvet-screen-v1".utf8)

    /// The step an instant falls in.
    public static func step(at date: Date, seconds: Int) -> UInt32 {
        UInt32(clamping: Int64(date.timeIntervalSince1970.rounded(.down)) / Int64(max(1, seconds)))
    }

    public static func sign(venueID: Int64, generation: UInt32, step: UInt32, keyring: SigningKeyring) -> String {
        var bytes = [keyring.currentID]
        for shift in stride(from: 48, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: venueID >> Int64(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: generation >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: step >> UInt32(shift))) }
        bytes += mac(bytes, key: keyring.keys[keyring.currentID]!)
        return Base64URL.encode(bytes)
    }

    /// The claims if the MAC verifies under a key of the keyring; nil for anything else (the step is checked by the caller).
    public static func verify(_ text: String, keyring: SigningKeyring) -> ScreenToken? {
        guard text.utf8.count == encodedLength, let bytes = Base64URL.decode(text), bytes.count == byteCount,
              Base64URL.encode(bytes) == text else { return nil }
        let body = Array(bytes[0..<16])
        let key = keyring.keys[bytes[0]]
        let expected = mac(body, key: key ?? dummyKey)
        var difference: UInt8 = key == nil ? 1 : 0
        for i in 0..<16 { difference |= expected[i] ^ bytes[16 + i] }
        guard difference == 0 else { return nil }
        var venue: Int64 = 0
        for i in 1...7 { venue = venue << 8 | Int64(bytes[i]) }
        var generation: UInt32 = 0
        for i in 8...11 { generation = generation << 8 | UInt32(bytes[i]) }
        var step: UInt32 = 0
        for i in 12...15 { step = step << 8 | UInt32(bytes[i]) }
        guard venue > 0 else { return nil }
        return ScreenToken(venueID: venue, generation: generation, step: step)
    }

    /// Accepted during its own step and the one after (a phone's clock or a slow scan); older or newer codes are not.
    public func isCurrent(at date: Date, seconds: Int) -> Bool {
        let now = Self.step(at: date, seconds: seconds)
        return step == now || (now > 0 && step == now - 1)
    }

    private static let dummyKey = SymmetricKey(size: .bits256)

    private static func mac(_ body: [UInt8], key: SymmetricKey) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: domain)
        hmac.update(data: body)
        return Array(Array(hmac.finalize()).prefix(16))
    }
}
