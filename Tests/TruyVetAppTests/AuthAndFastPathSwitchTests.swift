import Foundation
import Testing
@testable import TruyVetApp

@Suite struct FastPathSwitchTests {
    @Test func withTheFastPathOffTheRouterAnswersCheckInsTheSameWay() async throws {
        try await TestApp.make { $0.checkinFastPath = false }.run(live: true) { c in
            let reg = try await c.register()
            let first = try await c.checkin(reg)
            #expect(first.status == 201 && first.text.contains(#""status":"checked_in""#))
            #expect(try await c.checkin(reg, phone: "12").error?.field == "phone")
        }
    }
}
