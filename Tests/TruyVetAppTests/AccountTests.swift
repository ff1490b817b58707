import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

extension TestApp.Client {
    func staffSignIn(_ username: String, _ password: String) async throws -> (TestApp.Reply, TestApp.Client) {
        let reply = try await form("/sign-in/staff", ["username": username, "password": password])
        let cookie = reply.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? ""
        return (reply, withCookie(cookie))
    }

    /// The CSRF token on a page of a signed-in session.
    func csrf(on path: String) async throws -> String {
        let page = try await call(.get, path).text
        guard let range = page.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else {
            throw TestFailure("no CSRF token on \(path)")
        }
        return String(page[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }
}

@Suite struct StaffAccountTests {
    static let admin = Principal(role: .admin, label: "test")
    static func make(_ clock: TestClock = TestClock()) async throws -> TestApp {
        try await TestApp.make { $0.passwordCost = 4; $0.clock = clock.read }
    }

    @Test func staffSignInWithAPasswordAndLandOnTheirPage() async throws {
        let test = try await Self.make()
        let (_, generated) = try await test.app.createAccount(username: "Tracer.An", role: "tracer", password: nil, by: Self.admin)
        #expect(generated.count == 16)
        _ = try await test.app.createAccount(username: "boss", role: "admin", password: "correct horse battery", by: Self.admin)
        try await test.run { c in
            let (tracer, tracerClient) = try await c.staffSignIn("tracer.an", generated)
            #expect(tracer.status == 303 && tracer.headers[.location] == "/cases")
            #expect(try await tracerClient.call(.get, "/staff").text.contains("tracer.an"))
            // A tracer's session is not an admin's, nor a venue's.
            #expect(try await tracerClient.call(.get, "/admin/accounts").status == 403)
            #expect(try await tracerClient.call(.get, "/venue").status == 303)
            let (admin, _) = try await c.staffSignIn("boss", "correct horse battery")
            #expect(admin.status == 303 && admin.headers[.location] == "/admin/accounts")
            let wrong = try await c.form("/sign-in/staff", ["username": "boss", "password": "wrong password!"])
            #expect(wrong.status == 401 && wrong.text.contains("f-password-err") && wrong.text.contains(#"value="boss""#))
            let nobody = try await c.form("/sign-in/staff", ["username": "nobody", "password": "wrong password!"])
            #expect(nobody.status == 401 && nobody.text.contains("the username or the password is wrong"))
        }
    }

    @Test func fiveWrongPasswordsLockTheAccountUntilItsTimeOrAReset() async throws {
        let clock = TestClock()
        let test = try await Self.make(clock)
        let (account, _) = try await test.app.createAccount(username: "an", role: "tracer", password: "the right password", by: Self.admin)
        for i in 0..<5 {  // from five addresses: the account's own count locks it
            await #expect(throws: AppError.self) { try await test.app.signIn(username: "an", password: "wrong \(i) password", client: "10.0.0.\(i)", now: clock.read()) }
        }
        do {
            _ = try await test.app.signIn(username: "an", password: "the right password", client: "10.0.1.1", now: clock.read())
            Issue.record("a locked account signed in")
        } catch let error as AppError {
            #expect(error.code == "account_locked" && error.status == 429 && error.message.contains("until"))
        }
        clock.advance(16 * 60)
        _ = try await test.app.signIn(username: "an", password: "the right password", client: "10.0.1.1", now: clock.read())
        for i in 0..<5 { _ = try? await test.app.signIn(username: "an", password: "wrong \(i) password", client: "10.0.2.\(i)", now: clock.read()) }
        let (_, fresh) = try await test.app.resetPassword(id: account.id, by: Self.admin, now: clock.read())
        _ = try await test.app.signIn(username: "an", password: fresh, client: "10.0.1.1", now: clock.read())
    }

    @Test func anAdminCreatesDisablesAndResetsAccountsFromTheConsole() async throws {
        let test = try await Self.make()
        _ = try await test.app.createAccount(username: "boss", role: "admin", password: "correct horse battery", by: Self.admin)
        try await test.run { c in
            let (_, admin) = try await c.staffSignIn("boss", "correct horse battery")
            let csrf = try await admin.csrf(on: "/admin/accounts")
            #expect(try await admin.form("/admin/accounts", ["username": "binh", "role": "health"]).status == 403)  // no CSRF token
            let created = try await admin.form("/admin/accounts", ["username": "binh", "role": "health", "csrf": csrf])
            #expect(created.status == 201)
            let password = try #require(created.text.range(of: #"id="issued-password">([^<]+)<"#, options: .regularExpression)
                .map { String(created.text[$0].dropFirst(#"id="issued-password">"#.count).dropLast()) })
            let taken = try await admin.form("/admin/accounts", ["username": "binh", "role": "tracer", "csrf": csrf])
            #expect(taken.status == 409 && taken.text.contains("f-username-err"))
            let (ok, binh) = try await c.staffSignIn("binh", password)
            #expect(ok.status == 303)
            #expect(try await binh.call(.get, "/staff").status == 200)
            let id = try #require(try await test.app.accounts(by: Self.admin).first { $0.username == "binh" }?.id)
            #expect(try await admin.form("/admin/accounts/\(id)/disable", ["csrf": csrf]).status == 303)
            #expect(try await binh.call(.get, "/staff").status == 303)  // the session ended
            #expect(try await c.staffSignIn("binh", password).0.status == 403)
            #expect(try await admin.form("/admin/accounts/\(id)/enable", ["csrf": csrf]).status == 303)
            let reset = try await admin.form("/admin/accounts/\(id)/reset", ["csrf": csrf])
            #expect(reset.status == 200 && reset.text.contains("issued-password"))
            #expect(try await c.staffSignIn("binh", password).0.status == 401)
        }
    }

    @Test func accountRulesNameTheField() async throws {
        let test = try await Self.make()
        await #expect(throws: AppError.invalid("username", "username must be 2 to 32 letters a–z, digits, dots, dashes or underscores")) {
            try await test.app.createAccount(username: "a b", role: "tracer", password: nil, by: Self.admin)
        }
        await #expect(throws: AppError.invalid("role", "role must be admin, tracer or health")) {
            try await test.app.createAccount(username: "venue1", role: "venue", password: nil, by: Self.admin)
        }
        await #expect(throws: AppError.invalid("password", "password must be 10 to 72 characters long")) {
            try await test.app.createAccount(username: "an", role: "tracer", password: "short", by: Self.admin)
        }
        await #expect(throws: AppError.self) {
            try await test.app.createAccount(username: "an", role: "tracer", password: nil, by: Principal(role: .tracer, label: "t"))
        }
    }
}
