import Foundation
import Testing
@testable import TruyVetApp
import TruyVetCore

struct CaseListReply: Decodable { let cases: [CaseReply]; let next: String? }

/// The case list and search, the follow-up of contacts (many at once) and the call list.
@Suite struct FollowUpTests {
    /// Three cases confirmed on successive days, two in Phùng Chí Kiên (01843), one in Đức Xuân (01840).
    static func threeCases(_ c: TestApp.Client, tracer: String) async throws -> [CaseReply] {
        var out: [CaseReply] = []
        for (i, area) in ["01843", "01843", "01840"].enumerated() {
            let body = #"{"phone": "090100010\#(i)", "name": "Ca \#(["Một", "Hai", "Ba"][i])", "areaCode": "\#(area)", "sampleDate": "2021-11-2\#(i)", "confirmedAt": "2021-11-2\#(i)T20:00:00+07:00"}"#
            let r = try await c.call(.post, "/v1/cases", token: tracer, json: body)
            guard r.status == 201 else { throw TestFailure("case: \(r.text)") }
            out.append(try r.json(CaseReply.self))
        }
        return out
    }

    @Test func casesAreListedNewestFirstFilteredPagedAndFoundByPhoneOrId() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            let made = try await Self.threeCases(c, tracer: tracer)
            let listed = try await c.call(.get, "/v1/cases", token: tracer)
            #expect(listed.status == 200, "\(listed.text)")
            let all = try listed.json(CaseListReply.self)
            #expect(all.cases.map(\.id) == made.reversed().map(\.id) && all.next == nil)
            let phungChiKien = try await c.call(.get, "/v1/cases?area=01843", token: tracer).json(CaseListReply.self)
            #expect(phungChiKien.cases.map(\.id) == [made[1].id, made[0].id])
            // Pages of one: each page's next leads to the following one, the last has none.
            let first = try await c.call(.get, "/v1/cases?limit=1", token: tracer).json(CaseListReply.self)
            let next = try #require(first.next)
            let second = try await c.call(.get, "/v1/cases?limit=1&after=\(next)", token: tracer).json(CaseListReply.self)
            #expect(first.cases.map(\.id) == [made[2].id] && second.cases.map(\.id) == [made[1].id] && second.next != nil)
            // Found by the phone in any spelling, or by the case id.
            let byPhone = try await c.call(.get, "/v1/cases?q=%2B84%20901%20000%20101", token: tracer).json(CaseListReply.self)
            #expect(byPhone.cases.map(\.id) == [made[1].id])
            #expect(try await c.call(.get, "/v1/cases?q=\(made[0].id)", token: tracer).json(CaseListReply.self).cases.map(\.id) == [made[0].id])
            #expect(try await c.call(.get, "/v1/cases?q=0909999999", token: tracer).json(CaseListReply.self).cases.isEmpty)
            #expect(try await c.call(.get, "/v1/cases?classification=quarantine", token: tracer).json(CaseListReply.self).cases.isEmpty)
            // A search by phone is audited.
            let audit = try await c.call(.get, "/v1/audit", token: TestApp.adminToken)
            #expect(audit.text.contains(#""action":"cases.search""#))
            // Bad input names the field.
            #expect(try await c.call(.get, "/v1/cases?area=01", token: tracer).error?.field == "area")
            #expect(try await c.call(.get, "/v1/cases?classification=x", token: tracer).error?.field == "classification")
            #expect(try await c.call(.get, "/v1/cases?after=zzz", token: tracer).error?.field == "after")
            #expect(try await c.call(.get, "/v1/cases?q=hello", token: tracer).error?.field == "q")
            #expect(try await c.call(.get, "/v1/cases?limit=0", token: tracer).error?.field == "limit")
        }
    }

    @Test func healthListsCasesWithoutNamesAndCannotSearchByPhone() async throws {
        try await TestApp.make().run { c in
            let tracer = try await c.token("tracer")
            _ = try await Self.threeCases(c, tracer: tracer)
            let health = try await c.token("health")
            let list = try await c.call(.get, "/v1/cases", token: health)
            #expect(list.status == 200 && !list.text.contains("Ca Một") && !list.text.contains("+84"), "\(list.text)")
            #expect(try await c.call(.get, "/v1/cases?q=0901000101", token: health).status == 403)
            let venue = try await c.register()
            #expect(try await c.call(.get, "/v1/cases", token: venue.managementToken).status == 403)
            #expect(try await c.call(.get, "/v1/cases").status == 401)
        }
    }

    @Test func followUpsAreSetForManyContactsAtOnceAndQuarantinedRecordsTheQuarantine() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let path = "/v1/cases/\(kase.id)/contacts?degree=2&reason=outbreak"
            let before = try await c.call(.get, path, token: o.tracer).json(ContactsReply.self)
            #expect(before.contacts.allSatisfy { $0.followUp == nil })
            let f1 = before.contacts.filter { $0.tier == "F1" }.map(\.ref)
            let f2 = before.contacts.filter { $0.tier == "F2" }.map(\.ref)
            let set = try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: o.tracer,
                                       json: #"{"refs": [\#(f1.map { "\"\($0)\"" }.joined(separator: ","))], "status": "quarantined", "since": "2021-11-22"}"#)
            #expect(set.status == 200, "\(set.text)")
            let tested = try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: o.tracer,
                                          json: #"{"refs": ["\#(f2[0])"], "status": "tested", "result": "negative"}"#)
            #expect(tested.status == 200, "\(tested.text)")
            let after = try await c.call(.get, path, token: o.tracer).json(ContactsReply.self)
            for contact in after.contacts where f1.contains(contact.ref) {
                #expect(contact.followUp?.status == "quarantined" && contact.quarantine?.since == "2021-11-22T00:00:00+07:00")
            }
            #expect(after.contacts.first { $0.ref == f2[0] }?.followUp?.status == "tested")
            #expect(after.contacts.first { $0.ref == f2[0] }?.followUp?.result == "negative")
            #expect(after.contacts.first { $0.ref == f2[1] }?.followUp == nil)
            // Back to "not called" removes the record.
            _ = try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: o.tracer, json: #"{"refs": ["\#(f2[0])"], "status": "not_called"}"#)
            #expect(try await c.call(.get, path, token: o.tracer).json(ContactsReply.self).contacts.first { $0.ref == f2[0] }?.followUp == nil)

            // Bad input names the field; a phone is not a reference; only tracers.
            func field(_ json: String) async throws -> String? {
                try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: o.tracer, json: json).error?.field
            }
            #expect(try await field(#"{"status": "notified"}"#) == "refs")
            #expect(try await field(#"{"refs": [], "status": "notified"}"#) == "refs")
            #expect(try await field(#"{"refs": ["\#(f1[0])"]}"#) == "status")
            #expect(try await field(#"{"refs": ["\#(f1[0])"], "status": "gone"}"#) == "status")
            #expect(try await field(#"{"refs": ["\#(f1[0])"], "status": "tested"}"#) == "result")
            #expect(try await field(#"{"refs": ["\#(f1[0])"], "status": "notified", "result": "positive"}"#) == "result")
            #expect(try await field(#"{"refs": ["0901000001"], "status": "notified"}"#) == "refs")
            #expect(try await field(#"{"refs": ["p1.forged"], "status": "notified"}"#) == "refs")
            #expect(try await field(#"{"refs": ["\#(f1[0])"], "status": "quarantined", "since": "soon"}"#) == "since")
            let health = try await c.token("health")
            #expect(try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: health, json: #"{"refs": ["\#(f1[0])"], "status": "notified"}"#).status == 403)
            #expect(try await c.call(.post, "/v1/cases/999/follow-ups", token: o.tracer, json: #"{"refs": ["\#(f1[0])"], "status": "notified"}"#).status == 404)
            let audit = try await c.call(.get, "/v1/audit?caseId=\(kase.id)", token: TestApp.adminToken)
            #expect(audit.text.contains(#""action":"followup.set""#) && audit.text.contains("status=quarantined"))
        }
    }

    @Test func theCallListHasOneRowPerPersonAndTheExposureListOnePerExposure() async throws {
        try await TestApp.make().run { c in
            let o = try await Outbreak.make(c)
            // An rides the bus with the case too: two exposures, one person.
            let csv = "venue_id,phone,name,id_number,checkin_at,checkout_at\n\(o.bus.venue.id),0901000001,Nguyễn Văn An,,2021-11-19T11:00:00+07:00,2021-11-19T11:20:00+07:00\n"
            #expect(try await c.call(.post, "/v1/visits/import", token: TestApp.adminToken, body: Array(csv.utf8)).status == 200)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let exposures = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&format=csv&reason=calls", token: o.tracer)
            let people = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&format=csv&rows=people&reason=calls", token: o.tracer)
            #expect(people.status == 200 && people.headers[.contentDisposition]?.contains("call-list") == true)
            let exposureLines = exposures.text.split(separator: "\r\n").dropFirst()
            let peopleLines = people.text.split(separator: "\r\n").map(String.init)
            #expect(exposureLines.filter { $0.contains("Nguyễn Văn An") && $0.hasPrefix("F1") }.count == 2)
            #expect(peopleLines.count == 5, "header and four people: \(people.text)")
            #expect(peopleLines[0] == "\u{FEFF}tier,person_ref,name,phone,id_number,other_names,exposure_commune,first_exposure_local,first_venue,longest_minutes,longest_venue,longest_from_local,exposures,through,quarantined_since,follow_up,test_result")
            let an = try #require(try CSV.parse(people.text).first { $0.fields.contains("Nguyễn Văn An") }).fields
            #expect(an[0] == "F1" && an[7] == "10:30 19/11/2021" && an[8] == "Cà phê Sen" && an[9] == "30" && an[10] == "Cà phê Sen" && an[12] == "2")
            #expect(an[6] == "Phường Phùng Chí Kiên, Thành Phố Bắc Kạn", "\(an[6])")
            #expect(an[15] == "not_called")
            #expect(try await c.call(.get, "/v1/cases/\(kase.id)/contacts?format=csv&rows=all&reason=calls", token: o.tracer).error?.field == "rows")
        }
    }

    @Test func aFollowUpGoesWithTheLastOfItsPersonsData() async throws {
        let t = try await TestApp.make()
        try await t.run { c in
            let o = try await Outbreak.make(c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let contacts = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?reason=outbreak", token: o.tracer).json(ContactsReply.self)
            let dung = try #require(contacts.contacts.first { $0.name == "Phạm Dũng" })
            _ = try await c.call(.post, "/v1/cases/\(kase.id)/follow-ups", token: o.tracer, json: #"{"refs": ["\#(dung.ref)"], "status": "unreachable"}"#)
            let id = try await t.app.resolvePerson(dung.ref)
            #expect(try await t.app.store.followUps(caseID: kase.id)[id]?.status == .unreachable)
            // Every visit past retention: the person and the follow-up go.
            _ = try await t.app.store.purgeVisits(endedBefore: Date(), limit: 10_000)
            #expect(try await t.app.store.person(id: id) == nil)
            #expect(try await t.app.store.followUps(caseID: kase.id)[id] == nil)
        }
    }
}
