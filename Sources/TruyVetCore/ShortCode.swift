/// Unguessable codes for typing: Crockford base32 (no I, L, O, U), 10 characters = 50 random bits.
public enum ShortCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    public static let length = 10

    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
    }

    public static func random() -> String {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// `ABCDEFGHJK` → `ABCD-EFGH-JK`.
    public static func format(_ code: String) -> String {
        var out = ""
        for (i, ch) in code.enumerated() {
            if i > 0 && i % 4 == 0 { out.append("-") }
            out.append(ch)
        }
        return out
    }

    /// What a person typed → the canonical code (case, dashes, spaces, and the look-alikes O→0, I/L→1 forgiven).
    public static func normalize(_ typed: String) -> String? {
        var out = ""
        for ch in typed.uppercased() {
            switch ch {
            case "-", " ": continue
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default:
                guard alphabet.contains(ch) else { return nil }
                out.append(ch)
            }
        }
        return out.count == length ? out : nil
    }
}
