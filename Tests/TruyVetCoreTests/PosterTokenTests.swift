import Crypto
import Foundation
import Testing
import TruyVetCore

@Suite struct PosterTokenTests {
    let key1 = SymmetricKey(size: .bits256)
    let key2 = SymmetricKey(size: .bits256)

    func ring(_ keys: [UInt8: SymmetricKey], current: UInt8) throws -> SigningKeyring {
        try SigningKeyring(keys: keys, currentID: current)
    }

    /// Printed posters must keep working across versions: the format is pinned by values computed independently
    /// (HMAC-SHA256 over the domain string and the body, in Python).
    @Test func theFormatOfPostersAndScreenCodesIsFixed() throws {
        let keyring = try ring([1: SymmetricKey(data: [UInt8](repeating: 1, count: 32))], current: 1)
        #expect(PosterToken.sign(venueID: 42, generation: 3, keyring: keyring) == "AQAAAAAAACoAAAADLwsPD3uf50CzIT8DyDlwgA")
        #expect(ScreenToken.sign(venueID: 42, generation: 3, step: 60_000_000, keyring: keyring) == "AQAAAAAAACoAAAADA5OHAJQveYXvwGVC9I_CcMtcbI8")
        #expect(ScreenToken.verify("AQAAAAAAACoAAAADA5OHAJQveYXvwGVC9I_CcMtcbI8", keyring: keyring).map { [$0.venueID, Int64($0.generation), Int64($0.step)] } == [42, 3, 60_000_000])
        #expect(PosterToken.verify("AQAAAAAAACoAAAADA5OHAJQveYXvwGVC9I_CcMtcbI8", keyring: keyring) == nil, "a screen code is not a poster")
    }

    @Test func roundTripsItsClaimsInAShortURLSafeToken() throws {
        let keyring = try ring([1: key1], current: 1)
        let token = PosterToken.sign(venueID: 8_999_999_999_999, generation: 7, keyring: keyring)
        #expect(token.count <= 48)
        #expect(token.count == PosterToken.encodedLength)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(PosterToken.verify(token, keyring: keyring) == PosterToken(venueID: 8_999_999_999_999, generation: 7, keyID: 1))
    }

    @Test func everySingleCharacterChangeIsRejected() throws {
        let keyring = try ring([1: key1], current: 1)
        let token = Array(PosterToken.sign(venueID: 42, generation: 1, keyring: keyring))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for i in token.indices {
            var tampered = token
            tampered[i] = alphabet.first { $0 != token[i] }!
            #expect(PosterToken.verify(String(tampered), keyring: keyring) == nil, "position \(i)")
        }
    }

    @Test func theVerifierRemembersOnlyWhatVerified() throws {
        let verifier = PosterVerifier(keyring: try ring([1: key1], current: 1))
        let token = PosterToken.sign(venueID: 42, generation: 3, keyring: verifier.keyring)
        for _ in 0..<3 { #expect(verifier.verify(token) == PosterToken(venueID: 42, generation: 3, keyID: 1)) }
        var tampered = Array(token)
        tampered[20] = tampered[20] == "A" ? "B" : "A"
        for _ in 0..<3 { #expect(verifier.verify(String(tampered)) == nil) }
        let forged = PosterToken.sign(venueID: 42, generation: 3, keyring: try ring([1: key2], current: 1))
        #expect(verifier.verify(forged) == nil)
        #expect(verifier.verify(token) != nil)
    }

    @Test func aTokenSignedWithAnotherKeyIsRejected() throws {
        let forged = PosterToken(venueID: 42, generation: 1, keyID: 1).encoded(key: key2)
        #expect(PosterToken.verify(forged, keyring: try ring([1: key1], current: 1)) == nil)
    }

    @Test func oldKeysKeepVerifyingAfterRotationUntilRetired() throws {
        let old = PosterToken.sign(venueID: 42, generation: 1, keyring: try ring([1: key1], current: 1))
        let rotated = try ring([1: key1, 2: key2], current: 2)
        #expect(PosterToken.verify(old, keyring: rotated)?.keyID == 1)
        let new = PosterToken.sign(venueID: 42, generation: 1, keyring: rotated)
        #expect(PosterToken.verify(new, keyring: rotated)?.keyID == 2)
        let retired = try ring([2: key2], current: 2)
        #expect(PosterToken.verify(old, keyring: retired) == nil)
        #expect(PosterToken.verify(new, keyring: retired) != nil)
    }

    @Test(arguments: ["", "x", String(repeating: "A", count: 38), String(repeating: "A", count: 39), "../../etc/passwd",
                      "AQAAAAAAAAAqAAAAASpMzQ7tHn7o8NjGbW0nL=", "AQAAAAAAAAAqAAAAASpMzQ7tHn7o8NjGbW0nL+"])
    func garbageIsRejected(text: String) throws {
        #expect(PosterToken.verify(text, keyring: try ring([1: key1], current: 1)) == nil)
    }

    @Test func keyringNeedsItsCurrentKeyAndLongKeys() throws {
        #expect(throws: AppError.self) { try SigningKeyring(keys: [1: key1], currentID: 2) }
        #expect(throws: AppError.self) { try SigningKeyring(keys: [1: SymmetricKey(size: .init(bitCount: 64))], currentID: 1) }
    }
}

@Suite struct BearerTokenTests {
    @Test func tokensAreRandomAndHashed() throws {
        let a = BearerToken.generate(), b = BearerToken.generate()
        #expect(a != b)
        #expect(a.hasPrefix("tv_") && a.count == 35)
        #expect(BearerToken.hash(a).count == 32)
        #expect(BearerToken.hash(a) != BearerToken.hash(b))
    }

    @Test func venueTokensManageOnlyTheirVenue() throws {
        let venue = Principal(role: .venue, venueID: 5, label: "v")
        #expect(venue.mayManage(venue: 5))
        #expect(!venue.mayManage(venue: 6))
        #expect(Principal(role: .admin, label: "a").mayManage(venue: 6))
        #expect(!Principal(role: .tracer, label: "t").mayManage(venue: 5))
        #expect(throws: AppError.self) { try venue.require(.admin) }
    }
}

@Suite struct Base64URLTests {
    @Test func matchesFoundationForEveryLength() throws {
        var g = SystemRandomNumberGenerator()
        for n in 0..<64 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected) == bytes)
        }
        #expect(Base64URL.decode("ab+c") == nil)
        #expect(Base64URL.decode("abc=") == nil)
        #expect(Base64URL.decode("abcde") == nil)
    }
}
