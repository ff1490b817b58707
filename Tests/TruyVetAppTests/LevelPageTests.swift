import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

/// The public levels page: every province, then a province's districts and all its communes, and the measures.
@Suite struct LevelPageTests {
    @Test func thePublicSeesEveryProvinceThenAProvincesDistrictsAndCommunesWithNumbersBesideColours() async throws {
        let test = try await TestApp.make()
        _ = try await test.app.fillDemo(venueCount: 60, peopleCount: 400)
        try await test.run { c in
            let country = try await c.call(.get, "/levels?date=2021-11-21")
            #expect(country.status == 200 && country.text.contains(#"href="/levels?area=06&amp;date=2021-11-21""#) && country.text.contains("Tỉnh Bắc Kạn"))
            let province = try await c.call(.get, "/levels?area=06&date=2021-11-21")
            #expect(province.status == 200 && province.text.contains(#"id="communes""#) && province.text.contains("Phường Đức Xuân"))
            #expect(province.text.contains("Thành Phố Bắc Kạn") && province.text.contains(#"class="level-1"><strong>1</strong>"#))
            // What each level means, and nobody's name or phone anywhere.
            #expect(province.text.contains(#"id="measures""#) && !province.text.contains("+84"))
            let district = try await c.call(.get, "/levels?area=058&date=2021-11-21")
            #expect(district.status == 200 && district.text.contains("Phường Đức Xuân") && !district.text.contains(#"id="communes""#))
            #expect(try await c.call(.get, "/levels?area=01840").status == 404)
            // The province's answer counts every commune by level beside its districts; a commune's has no such count.
            struct Counts: Decodable { let children: [String: Int]; let communes: [String: Int]?; let communesUnassessed: Int? }
            let counts = try await c.call(.get, "/v1/areas/06/level?date=2021-11-21").json(Counts.self)
            var communeCount = 0
            for district in try await test.app.store.areas(parent: "06") { communeCount += try await test.app.store.areas(parent: district.code).count }
            #expect(counts.communes.map { $0.values.reduce(0, +) + (counts.communesUnassessed ?? 0) } == communeCount && communeCount > 100)
            #expect(counts.children.values.reduce(0, +) == 8)
            #expect(try await c.call(.get, "/v1/areas/01840/level?date=2021-11-21").json(Counts.self).communes == nil)
            #expect(try await c.call(.get, "/levels?date=someday").status == 400)
        }
    }
}
