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
    private static let domain = Array("truyvet-screen-v1".utf8)

    /// The step an instant falls in.
    public static func step(at date: Date, seconds: Int) -> UInt32 {
        UInt32(clamping: Int64(date.timeIntervalSince1970.rounded(.down)) / Int64(max(1, seconds)))
    }

    public static func sign(venueID: Int64, generation: UInt32, step: UInt32, keyring: SigningKeyring) -> String {
        var bytes = [keyring.currentID]
        SignedCode.append(UInt64(venueID), width: 7, to: &bytes)
        SignedCode.append(UInt64(generation), width: 4, to: &bytes)
        SignedCode.append(UInt64(step), width: 4, to: &bytes)
        return SignedCode.seal(bytes, domain: domain, key: keyring.keys[keyring.currentID]!)
    }

    /// The claims if the MAC verifies under a key of the keyring; nil for anything else (the step is checked by the caller).
    public static func verify(_ text: String, keyring: SigningKeyring) -> ScreenToken? {
        guard text.utf8.count == encodedLength, let body = SignedCode.open(text, bodyCount: 16, domain: domain, keyring: keyring) else { return nil }
        let venue = Int64(SignedCode.read(body, 1..<8))
        guard venue > 0 else { return nil }
        return ScreenToken(venueID: venue, generation: UInt32(SignedCode.read(body, 8..<12)), step: UInt32(SignedCode.read(body, 12..<16)))
    }

    /// Accepted during its own step and the one after (a phone's clock or a slow scan); older or newer codes are not.
    public func isCurrent(at date: Date, seconds: Int) -> Bool {
        let now = Self.step(at: date, seconds: seconds)
        return step == now || (now > 0 && step == now - 1)
    }
}
