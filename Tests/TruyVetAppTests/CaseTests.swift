import Foundation
import GRDB
import Testing
import TruyVetApp
import TruyVetCore
import TruyVetStore

struct CaseReply: Decodable {
    struct Person: Decodable { let ref: String; let name: String; let phone: String }
    struct Window: Decodable { let from: String; let to: String }
    let id: Int64
    let person: Person?
    let areaCode: String
    let infectiousWindow: Window
    let classification: String
    let classificationOverridden: Bool
    let confirmedDay: String
}

struct FollowUpReply: Decodable { let ref: String; let status: String; let result: String?; let updatedBy: String }

struct ContactsReply: Decodable {
    struct Through: Decodable { let ref: String; let tier: String; let name: String }
    struct VenueRef: Decodable { let id: Int64; let name: String }
    struct Exposure: Decodable { let venue: VenueRef; let from: String; let to: String; let minutes: Int; let through: Through }
    struct Quarantine: Decodable { let since: String }
    struct Contact: Decodable {
        let ref: String, tier: String, name: String, phone: String
        let longestMinutes: Int
        let quarantine: Quarantine?
        let followUp: FollowUpReply?
        let exposures: [Exposure]
    }
    let `case`: CaseReply
    let counts: [String: Int]
    let contacts: [Contact]
}

extension TestApp.Client {
    func token(_ role: String, venue: Int64? = nil) async throws -> String {
        let body = venue.map { #"{"role": "\#(role)", "venueId": \#($0)}"# } ?? #"{"role": "\#(role)"}"#
        let r = try await call(.post, "/v1/tokens", token: TestApp.adminToken, json: body)
        guard r.status == 201 else { throw TestFailure("token: \(r.text)") }
        return try r.json([String: AnyCodable].self)["token"]!.string!
    }
}

/// Minimal JSON value for reading a field or two.
struct AnyCodable: Decodable {
    let string: String?
    init(from decoder: any Decoder) throws {
        string = try? decoder.singleValueContainer().decode(String.self)
    }
}

/// A small outbreak in Phường Phùng Chí Kiên (Bắc Kạn), 19–20 Nov 2021:
/// - the case (0901000000) at the café 10:00–11:00 on the 19th;
/// - An (0901000001) at the café 10:30–12:00 → F1 (30 min); Bình (0901000002) 10:50–11:30 → 10 min, not F1 at 15;
/// - An at the market on the 20th 09:00–10:00 with Chi (0901000003) 09:10–09:50 → F2 through An; Bình is F2 too
///   (40 minutes with An at the café);
/// - Dũng (0901000004) on the bus with the case 11:00–11:20 on the 19th, the case riding 10:55–11:05 → 5 min, F1 on a bus.
struct Outbreak {
    let cafe: Registered
    let market: Registered
    let bus: Registered
    let tracer: String

    static let caseBody = #"{"phone": "0901 000 000", "name": "Bệnh Nhân Một", "areaCode": "01843", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21T20:00:00+07:00"}"#

    static func make(_ c: TestApp.Client) async throws -> Outbreak {
        let cafe = try await c.register(name: "Cà phê Sen", category: "restaurant")
        let market = try await c.register(name: "Chợ Đức Xuân", category: "retail")
        let bus = try await c.register(name: "Xe buýt 01", category: "passenger_transport")
        let csv = """
            venue_id,phone,name,id_number,checkin_at,checkout_at
            \(cafe.venue.id),0901000000,Bệnh Nhân Một,,2021-11-19T10:00:00+07:00,2021-11-19T11:00:00+07:00
            \(cafe.venue.id),0901000001,Nguyễn Văn An,,2021-11-19T10:30:00+07:00,2021-11-19T12:00:00+07:00
            \(cafe.venue.id),0901000002,Trần Thị Bình,,2021-11-19T10:50:00+07:00,2021-11-19T11:30:00+07:00
            \(market.venue.id),0901000001,Nguyễn Văn An,,2021-11-20T09:00:00+07:00,2021-11-20T10:00:00+07:00
            \(market.venue.id),0901000003,Lê Văn Chi,,2021-11-20T09:10:00+07:00,2021-11-20T09:50:00+07:00
            \(bus.venue.id),0901000004,Phạm Dũng,,2021-11-19T11:00:00+07:00,2021-11-19T11:20:00+07:00
            \(bus.venue.id),0901000000,Bệnh Nhân Một,,2021-11-19T11:04:00+07:00,2021-11-19T11:09:00+07:00

            """
        let imported = try await c.call(.post, "/v1/visits/import", token: TestApp.adminToken, body: Array(csv.utf8))
        guard imported.status == 200, imported.text.contains(#""accepted":7"#) else { throw TestFailure("import: \(imported.text)") }
        return Outbreak(cafe: cafe, market: market, bus: bus, tracer: try await c.token("tracer"))
    }
}

@Suite struct CaseTests {
    @Test func registeringACaseDerivesItsWindowAndClassification() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let r = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody)
            #expect(r.status == 201, "\(r.text)")
            let kase = try r.json(CaseReply.self)
            // Sample on the 21st, asymptomatic: from 00:00 on the 19th until confirmation.
            #expect(kase.infectiousWindow.from == "2021-11-19T00:00:00+07:00" && kase.infectiousWindow.to == "2021-11-21T20:00:00+07:00")
            #expect(kase.classification == "community" && !kase.classificationOverridden && kase.confirmedDay == "2021-11-21")
            #expect(kase.person?.name == "Bệnh Nhân Một" && kase.person?.phone == "+84901000000")
            // The same case again is a conflict, not a second case.
            #expect(try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).status == 409)
            // Health officials register cases too but never see names.
            let health = try await c.token("health")
            let shown = try await c.call(.get, "/v1/cases/\(kase.id)", token: health)
            #expect(shown.status == 200 && !shown.text.contains("Bệnh Nhân") && !shown.text.contains("+8490"))
            #expect(try await c.call(.post, "/v1/cases", token: o.cafe.managementToken, json: Outbreak.caseBody).status == 403)
            #expect(try await c.call(.post, "/v1/cases", json: Outbreak.caseBody).status == 401)
        }
    }

    @Test func badCaseInputNamesTheField() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            func field(_ json: String) async throws -> String? { try await c.call(.post, "/v1/cases", token: tracer, json: json).error?.field }
            let ok = #""areaCode": "01843", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21T20:00:00+07:00""#
            #expect(try await field("{\(ok)}") == "phone")
            #expect(try await field(#"{"phone": "12", \#(ok)}"#) == "phone")
            #expect(try await field(#"{"idNumber": "001099012345", \#(ok)}"#) == "idNumber", "unknown ID number without a phone")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21T20:00:00+07:00"}"#) == "areaCode")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01843", "sampleDate": "2021-11-31", "confirmedAt": "2021-11-21T20:00:00+07:00"}"#) == "sampleDate")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01843", "sampleDate": "2021-11-22", "confirmedAt": "2021-11-21T20:00:00+07:00"}"#) == "sampleDate")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01843", "sampleDate": "2021-11-21", "confirmedAt": "2099-01-01T00:00:00+07:00"}"#) == "confirmedAt")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01843", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21 20:00"}"#) == "confirmedAt")
            #expect(try await field(#"{"phone": "0901000000", "detectedIn": "moon", \#(ok)}"#) == "detectedIn")
            #expect(try await field(#"{"phone": "0901000000", "areaCode": "01843", "sampleDate": "2021-11-21", "confirmedAt": "2021-11-21T20:00:00+07:00", "isolatedAt": "2021-11-01T00:00:00+07:00"}"#) == "isolatedAt")
            #expect(try await field(#"{"phone": 901000000, \#(ok)}"#) == "phone")
        }
    }

    @Test func contactsByDegreeWithExposuresAndCSV() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let f1 = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?reason=outbreak%20DX-07", token: o.tracer)
            #expect(f1.status == 200, "\(f1.text)")
            let one = try f1.json(ContactsReply.self)
            // An (30 min at the café) first, then Dũng (5 min on the bus counts: enclosed space); Bình's 10 minutes do not.
            #expect(one.contacts.map(\.name) == ["Nguyễn Văn An", "Phạm Dũng"])
            #expect(one.contacts.map(\.tier) == ["F1", "F1"] && one.counts == ["F1": 2])
            let an = one.contacts[0]
            #expect(an.phone == "+84901000001" && an.longestMinutes == 30)
            #expect(an.exposures.first?.venue.name == "Cà phê Sen" && an.exposures.first?.from == "2021-11-19T10:30:00+07:00"
                    && an.exposures.first?.to == "2021-11-19T11:00:00+07:00" && an.exposures.first?.through.tier == "F0")

            let f2 = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&reason=outbreak", token: o.tracer).json(ContactsReply.self)
            #expect(f2.contacts.map(\.name) == ["Nguyễn Văn An", "Phạm Dũng", "Trần Thị Bình", "Lê Văn Chi"])
            #expect(f2.counts == ["F1": 2, "F2": 2])
            let chi = f2.contacts[3]
            #expect(chi.tier == "F2" && chi.exposures.first?.through.ref == an.ref && chi.exposures.first?.through.name == "Nguyễn Văn An")
            #expect(chi.exposures.first?.minutes == 40 && chi.exposures.first?.venue.name == "Chợ Đức Xuân")

            // A tracer's explicit minimum applies everywhere: the bus's 5 minutes no longer count, Bình's 10 do.
            let explicit = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?minOverlapMinutes=10&reason=check", token: o.tracer).json(ContactsReply.self)
            #expect(explicit.contacts.map(\.name) == ["Nguyễn Văn An", "Trần Thị Bình"])
            // The air lingers: a 60-minute buffer after the case left makes Bình's stay 30 minutes with the case's air.
            let buffered = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?bufferMinutes=60&reason=check", token: o.tracer).json(ContactsReply.self)
            #expect(buffered.contacts.first { $0.name == "Trần Thị Bình" }?.longestMinutes == 40)

            let csv = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&format=csv&reason=export", token: o.tracer)
            #expect(csv.status == 200 && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "\u{FEFF}tier,person_ref,name,phone,id_number,venue_id,venue_name,exposure_from,exposure_to,overlap_minutes,through_ref,through_tier,quarantined_since")
            #expect(lines.count == 5)
            #expect(lines[1].hasPrefix("F1,\(an.ref),Nguyễn Văn An,'+84901000001,,\(o.cafe.venue.id),Cà phê Sen,2021-11-19T10:30:00+07:00"))
            #expect(lines[3].hasPrefix("F2,") && lines[3].contains(",Trần Thị Bình,") && lines[3].contains(",\(an.ref),F1,"))
        }
    }

    @Test func contactsNeedATracerAReasonAndAnExistingCaseAndAreAudited() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let path = "/v1/cases/\(kase.id)/contacts"
            #expect(try await c.call(.get, path, token: o.tracer).error?.field == "reason")
            #expect(try await c.call(.get, path + "?reason=%20", token: o.tracer).error?.field == "reason")
            #expect(try await c.call(.get, path + "?reason=x&degree=4", token: o.tracer).error?.field == "degree")
            #expect(try await c.call(.get, path + "?reason=outbreak&minOverlapMinutes=abc", token: o.tracer).error?.field == "minOverlapMinutes")
            #expect(try await c.call(.get, path + "?reason=outbreak&format=xlsx", token: o.tracer).error?.field == "format")
            #expect(try await c.call(.get, path + "?reason=outbreak", token: try await c.token("health")).status == 403)
            #expect(try await c.call(.get, path + "?reason=outbreak", token: TestApp.adminToken).status == 403)
            #expect(try await c.call(.get, path + "?reason=outbreak", token: o.cafe.managementToken).status == 403)
            #expect(try await c.call(.get, path + "?reason=outbreak").status == 401)
            #expect(try await c.call(.get, "/v1/cases/999999/contacts?reason=outbreak", token: o.tracer).status == 404)

            _ = try await c.call(.get, path + "?reason=Ổ%20dịch%20chợ%20Đức%20Xuân", token: o.tracer)
            _ = try await c.call(.get, "/v1/cases/\(kase.id)/graph?reason=transmission%20view", token: o.tracer)
            _ = try await c.call(.get, path + "?reason=export&format=csv", token: o.tracer)
            #expect(try await c.call(.get, "/v1/audit", token: o.tracer).status == 403)
            let audit = try await c.call(.get, "/v1/audit?caseId=\(kase.id)", token: TestApp.adminToken)
            struct Entry: Decodable { let action: String; let reason: String; let role: String; let caseId: Int64? }
            let entries = try audit.json([Entry].self)
            #expect(entries.map(\.action) == ["contacts.csv", "graph", "contacts", "case.create"])
            #expect(entries[2].reason == "Ổ dịch chợ Đức Xuân" && entries.allSatisfy { $0.role == "tracer" && $0.caseId == kase.id })
        }
    }

    @Test func theAuditLogCannotBeChangedOrDeleted() async throws {
        let t = try await TestApp.make()
        _ = try await t.app.store.appendAudit(AuditEntry(at: Date(), tokenID: 1, role: .tracer, label: "t", action: "contacts", caseID: 1, reason: "r", detail: ""))
        await #expect(throws: (any Error).self) { try await t.rawSQL("UPDATE audit SET reason = 'nothing'") }
        await #expect(throws: (any Error).self) { try await t.rawSQL("DELETE FROM audit") }
        #expect(try await t.app.store.audit(since: .distantPast, caseID: nil, limit: 10).map(\.reason) == ["r"])
    }

    @Test func quarantineEndsOnwardWindowsAndClassifiesLaterCases() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let an = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?reason=outbreak", token: o.tracer).json(ContactsReply.self).contacts[0]
            // Bad input first.
            #expect(try await c.call(.put, "/v1/people/\(an.ref)/quarantine", token: o.tracer, json: #"{}"#).error?.field == "since")
            #expect(try await c.call(.put, "/v1/people/\(an.ref)/quarantine", token: o.tracer, json: #"{"since": "2021-11-40"}"#).error?.field == "since")
            #expect(try await c.call(.put, "/v1/people/\(an.ref)/quarantine", token: o.tracer, json: #"{"since": "2021-11-20", "until": "2021-11-19"}"#).error?.field == "until")
            #expect(try await c.call(.put, "/v1/people/p1.forged/quarantine", token: o.tracer, json: #"{"since": "2021-11-20"}"#).status == 404)
            #expect(try await c.call(.put, "/v1/people/\(an.ref)/quarantine", token: try await c.token("health"), json: #"{"since": "2021-11-20"}"#).status == 403)

            // Quarantined from 00:00 on the 20th, before the market: Chi is no longer an F2.
            let q = try await c.call(.put, "/v1/people/\(an.ref)/quarantine", token: o.tracer, json: #"{"since": "2021-11-20", "caseId": \#(kase.id)}"#)
            #expect(q.status == 200, "\(q.text)")
            #expect(q.text.contains(#""until":"2021-12-04T00:00:00+07:00""#), "14 days by default")
            let after = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&reason=outbreak", token: o.tracer).json(ContactsReply.self)
            #expect(after.contacts.map(\.name) == ["Nguyễn Văn An", "Phạm Dũng", "Trần Thị Bình"], "Bình met An before the quarantine")
            #expect(after.contacts[0].quarantine?.since == "2021-11-20T00:00:00+07:00")

            // An tests positive while quarantined: a quarantine case, not a community one. By phone works too.
            let anCase = try await c.call(.post, "/v1/cases", token: o.tracer, json: #"{"phone": "0901000001", "areaCode": "01843", "sampleDate": "2021-11-23", "confirmedAt": "2021-11-23T18:00:00+07:00"}"#).json(CaseReply.self)
            #expect(anCase.classification == "quarantine")
            // Chi, never quarantined, is community; a tracer can override, and undo the override.
            let chi = try await c.call(.post, "/v1/cases", token: o.tracer, json: #"{"phone": "0901000003", "areaCode": "01843", "sampleDate": "2021-11-23", "confirmedAt": "2021-11-23T18:00:00+07:00", "detectedIn": "lockdown"}"#).json(CaseReply.self)
            #expect(chi.classification == "lockdown")
            let overridden = try await c.call(.patch, "/v1/cases/\(chi.id)", token: o.tracer, json: #"{"classification": "community"}"#).json(CaseReply.self)
            #expect(overridden.classification == "community" && overridden.classificationOverridden)
            let undone = try await c.call(.patch, "/v1/cases/\(chi.id)", token: o.tracer, json: #"{"classification": null}"#).json(CaseReply.self)
            #expect(undone.classification == "lockdown" && !undone.classificationOverridden)
            // Quarantine by phone number.
            #expect(try await c.call(.put, "/v1/people/0901000003/quarantine", token: o.tracer, json: #"{"since": "2021-11-23T19:00:00+07:00"}"#).status == 200)
        }
    }

    @Test func exposureSitesCarryNoPersonalDataAndReachVenuesAndThePublicOnlyOncePublished() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            struct Window: Decodable { let from: String; let to: String; let venueImportedOnly: Bool? }
            struct Sites: Decodable {
                struct Site: Decodable { let venueId: Int64; let name: String; let windows: [Window] }
                let sites: [Site]
            }
            let own = try await c.call(.get, "/v1/cases/\(kase.id)/exposure-sites", token: o.tracer)
            #expect(own.status == 200)
            let sites = try own.json(Sites.self).sites
            #expect(sites.map(\.name) == ["Xe buýt 01", "Cà phê Sen"])
            #expect(sites[1].windows.map { [$0.from, $0.to] } == [["2021-11-19T10:00:00+07:00", "2021-11-19T11:00:00+07:00"]])
            #expect(sites[1].windows[0].venueImportedOnly == false, "a tracer's import")
            // Nothing reaches the venue or the public before a tracer publishes.
            #expect(try await c.call(.get, "/v1/exposure-sites?area=058&since=2021-11-01").json(Sites.self).sites.isEmpty)
            #expect(try await c.call(.get, "/v1/venues/\(o.cafe.venue.id)/exposures?since=2021-11-01", token: o.cafe.managementToken).json(Sites.self).sites.isEmpty)
            let windows = sites.map { s in s.windows.map { #"{"venueId": \#(s.venueId), "from": "\#($0.from)", "to": "\#($0.to)"}"# } }.joined()
            let body = #"{"windows": [\#(windows.joined(separator: ","))]}"#
            #expect(try await c.call(.post, "/v1/cases/\(kase.id)/exposure-sites/publish", token: o.cafe.managementToken, json: body).status == 403)
            let published = try await c.call(.post, "/v1/cases/\(kase.id)/exposure-sites/publish", token: o.tracer, json: body)
            #expect(published.status == 201)
            // Public, by area: the same places, nothing about who.
            let pub = try await c.call(.get, "/v1/exposure-sites?area=058&since=2021-11-01")
            #expect(try pub.status == 200 && pub.json(Sites.self).sites.map(\.name) == ["Xe buýt 01", "Cà phê Sen"])
            for text in [own.text, pub.text] {
                #expect(!text.contains("Bệnh Nhân") && !text.contains("+8490") && !text.contains("ref"))
            }
            #expect(!pub.text.contains("venueImportedOnly") && !pub.text.contains("caseId\":\(kase.id)"))
            #expect(try await c.call(.get, "/v1/exposure-sites?area=058&since=2021-12-01").json(Sites.self).sites.isEmpty)
            #expect(try await c.call(.get, "/v1/exposure-sites").error?.field == "area")
            #expect(try await c.call(.get, "/v1/exposure-sites?area=99999").error?.field == "area")
            #expect(try await c.call(.get, "/v1/exposure-sites?area=058&since=yesterday").error?.field == "since")
            // The café sees its own window; the market none.
            let cafe = try await c.call(.get, "/v1/venues/\(o.cafe.venue.id)/exposures?since=2021-11-01", token: o.cafe.managementToken).json(Sites.self)
            #expect(cafe.sites.map(\.venueId) == [o.cafe.venue.id])
            #expect(try await c.call(.get, "/v1/venues/\(o.market.venue.id)/exposures?since=2021-11-01", token: o.market.managementToken).json(Sites.self).sites.isEmpty)
            #expect(try await c.call(.get, "/v1/venues/\(o.cafe.venue.id)/exposures", token: o.market.managementToken).status == 403)
            // A window published by mistake is withdrawn.
            struct Published: Decodable { let id: Int64; let venueId: Int64 }
            let bus = try #require(try published.json([Published].self).first { $0.venueId == o.bus.venue.id })
            #expect(try await c.call(.delete, "/v1/exposure-windows/\(bus.id)", token: o.tracer).status == 200)
            #expect(try await c.call(.get, "/v1/exposure-sites?area=058&since=2021-11-01").json(Sites.self).sites.map(\.name) == ["Cà phê Sen"])
            // Outside the case's infectious window: refused, naming the window.
            let late = #"{"windows": [{"venueId": \#(o.cafe.venue.id), "from": "2021-12-19T10:00:00+07:00", "to": "2021-12-19T11:00:00+07:00"}]}"#
            #expect(try await c.call(.post, "/v1/cases/\(kase.id)/exposure-sites/publish", token: o.tracer, json: late).error?.field == "windows[0].from")
            #expect(try await c.call(.post, "/v1/cases/\(kase.id)/exposure-sites/publish", token: o.tracer, json: "{}").error?.field == "windows")
        }
    }

    @Test func theGraphLinksPeopleThroughVenues() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            struct Graph: Decodable {
                struct Node: Decodable { let id: String; let kind: String; let tier: String? }
                struct Edge: Decodable { let kind: String; let from: String; let to: String; let venue: String? }
                let nodes: [Node]
                let edges: [Edge]
            }
            #expect(try await c.call(.get, "/v1/cases/\(kase.id)/graph", token: o.tracer).error?.field == "reason")
            let g = try await c.call(.get, "/v1/cases/\(kase.id)/graph?reason=view", token: o.tracer).json(Graph.self)
            #expect(g.nodes.filter { $0.kind == "person" }.compactMap(\.tier).sorted() == ["F0", "F1", "F1", "F2", "F2"])
            #expect(Set(g.nodes.filter { $0.kind == "venue" }.map(\.id)) == Set([o.cafe, o.market, o.bus].map { "venue:\($0.venue.id)" }))
            let f0 = try #require(g.nodes.first { $0.tier == "F0" }).id
            #expect(g.edges.filter { $0.kind == "exposure" && $0.from == f0 }.count == 2)
            #expect(g.edges.filter { $0.kind == "exposure" }.count == 4)
            // Every edge ends at known nodes.
            let ids = Set(g.nodes.map(\.id))
            #expect(g.edges.allSatisfy { ids.contains($0.from) && ids.contains($0.to) && ($0.venue.map(ids.contains) ?? true) })
            #expect(g.edges.contains { $0.kind == "presence" && $0.from == f0 && $0.to == "venue:\(o.cafe.venue.id)" })
        }
    }
}
