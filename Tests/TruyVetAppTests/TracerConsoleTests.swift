import Foundation
import Testing
import TruyVetCore
@testable import TruyVetApp

extension TestApp.Client {
    /// A form with repeated names (ticked checkboxes), in order.
    func form(_ path: String, pairs: [(String, String)]) async throws -> TestApp.Reply {
        let body = pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await call(.post, path, body: Array(body.utf8))
    }
}

/// The tracer's console pages, through the router: the same operations as the JSON API.
@Suite struct TracerConsoleTests {
    static let admin = Principal(role: .admin, label: "test")

    /// The outbreak's data, a tracer's and a health officer's signed-in clients.
    static func setUp(_ test: TestApp, _ c: TestApp.Client) async throws -> (Outbreak, tracer: TestApp.Client, health: TestApp.Client) {
        let o = try await Outbreak.make(c)
        _ = try await test.app.createAccount(username: "lan", role: "tracer", password: "mat khau cua lan", by: Self.admin)
        _ = try await test.app.createAccount(username: "minh", role: "health", password: "mat khau cua minh", by: Self.admin)
        let (signedIn, tracer) = try await c.staffSignIn("lan", "mat khau cua lan")
        guard signedIn.headers[.location] == "/cases" else { throw TestFailure("a tracer lands on \(signedIn.headers[.location] ?? "?")") }
        let (_, health) = try await c.staffSignIn("minh", "mat khau cua minh")
        return (o, tracer, health)
    }

    static func make() async throws -> TestApp { try await TestApp.make { $0.passwordCost = 4 } }

    static let caseFields = ["phone": "0901 000 000", "name": "Bệnh Nhân Một", "areaCode": "01843", "sampleDate": "2021-11-21",
                             "confirmedAt": "2021-11-21T20:00"]

    @Test func aTracerRegistersACaseSeesTheWindowFirstAndFindsItAgainByPhone() async throws {
        let test = try await Self.make()
        try await test.run { c in
            let (_, tracer, _) = try await Self.setUp(test, c)
            let csrf = try await tracer.csrf(on: "/cases/new")
            let empty = try await tracer.call(.get, "/cases")
            #expect(empty.status == 200 && empty.text.contains("no-cases"))
            // "Show the window" saves nothing and shows the derived window.
            let preview = try await tracer.form("/cases", Self.caseFields.merging(["csrf": csrf, "preview": "1"]) { $1 })
            #expect(preview.status == 200 && preview.text.contains("00:00 19/11/2021 – 20:00 21/11/2021"), "\(preview.text)")
            #expect(try await test.app.store.cases(CaseFilter()).isEmpty)
            // A wrong field is named beside it, the rest kept.
            let bad = try await tracer.form("/cases", Self.caseFields.merging(["csrf": csrf, "sampleDate": "2021-11-31"]) { $1 })
            #expect(bad.status == 400 && bad.text.contains("f-sampleDate-err") && bad.text.contains(#"value="Bệnh Nhân Một""#))
            let saved = try await tracer.form("/cases", Self.caseFields.merging(["csrf": csrf]) { $1 })
            #expect(saved.status == 303, "\(saved.text)")
            let location = try #require(saved.headers[.location])
            let page = try await tracer.call(.get, location)
            #expect(page.status == 200 && page.text.contains("Bệnh Nhân Một") && page.text.contains("+84901000000")
                    && page.text.contains("00:00 19/11/2021 – 20:00 21/11/2021") && !page.text.contains("no-visits"))
            // As a browser sends a GET form: spaces as "+".
            let found = try await tracer.call(.get, "/cases?q=0901+000+000&area=&classification=")
            #expect(found.text.contains("Bệnh Nhân Một") && found.text.contains(#"href="/cases/1""#))
            // Without CSRF nothing is saved.
            #expect(try await tracer.form("/cases", Self.caseFields.merging(["sampleDate": "2021-11-20"]) { $1 }).status == 403)
            // A phone with no visits says so on the case page.
            let lone = try await tracer.form("/cases", ["csrf": csrf, "phone": "0909 999 999", "areaCode": "01843", "sampleDate": "2021-11-21",
                                                       "confirmedAt": "2021-11-21T20:00"])
            #expect(try await tracer.call(.get, try #require(lone.headers[.location])).text.contains("no-visits"))
        }
    }

    @Test func contactsNeedAReasonThenShowTheSamePeopleAsTheAPIAndTakeFollowUpsForManyAtOnce() async throws {
        let test = try await Self.make()
        try await test.run { c in
            let (o, tracer, _) = try await Self.setUp(test, c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            // The form alone until a reason is given; an empty reason is named.
            let ask = try await tracer.call(.get, "/cases/\(kase.id)/contacts")
            #expect(ask.status == 200 && ask.text.contains("f-reason") && !ask.text.contains(#"id="contacts""#))
            let empty = try await tracer.call(.get, "/cases/\(kase.id)/contacts?degree=2&reason=")
            #expect(empty.status == 400 && empty.text.contains("f-reason-err"))
            let page = try await tracer.call(.get, "/cases/\(kase.id)/contacts?degree=2&minOverlapMinutes=&bufferMinutes=&reason=outbreak+DX-07")
            #expect(page.status == 200)
            let api = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&reason=check", token: o.tracer).json(ContactsReply.self)
            for contact in api.contacts {
                #expect(page.text.contains(#"value="\#(contact.ref)""#) && page.text.contains(contact.name))
            }
            #expect(page.text.contains("F1: 2 · F2: 2") && page.text.contains("rows=people"))
            // The timeline: the café (one F1 there) and the bus (one).
            #expect(page.text.contains(#"id="timeline""#) && page.text.contains("Cà phê Sen"))
            // Sorted by tier (the API's order), or by the longest exposure: Bình's and Chi's 40 minutes before An's 30.
            func order(_ text: String) -> [String] {
                ["Nguyễn Văn An", "Phạm Dũng", "Trần Thị Bình", "Lê Văn Chi"].sorted {
                    text.range(of: "Chọn / pick \($0)")!.lowerBound < text.range(of: "Chọn / pick \($1)")!.lowerBound
                }
            }
            #expect(order(page.text) == api.contacts.map(\.name))
            let byExposure = try await tracer.call(.get, "/cases/\(kase.id)/contacts?degree=2&reason=outbreak&sort=exposure")
            #expect(Array(order(byExposure.text).prefix(2)).sorted() == ["Lê Văn Chi", "Trần Thị Bình"] && order(byExposure.text).last == "Phạm Dũng")
            // The drawing: every one of the four, nobody left out.
            #expect(page.text.contains("<svg") && page.text.contains("4 of 4 people drawn") && !page.text.contains("at most 30 a column"))
            // Two F1 ticked, quarantined from a day, in one form.
            let csrf = try await tracer.csrf(on: "/cases/\(kase.id)/contacts?degree=2&reason=x")
            let f1 = api.contacts.filter { $0.tier == "F1" }.map(\.ref)
            let done = try await tracer.form("/cases/\(kase.id)/follow-ups", pairs: [("csrf", csrf), ("degree", "2"), ("reason", "outbreak DX-07")]
                                             + f1.map { ("refs", $0) } + [("status", "quarantined"), ("result", ""), ("since", "2021-11-22")])
            #expect(done.status == 200 && done.text.contains("2 people updated"), "\(done.text)")
            let after = try await c.call(.get, "/v1/cases/\(kase.id)/contacts?degree=2&reason=check", token: o.tracer).json(ContactsReply.self)
            #expect(after.contacts.filter { f1.contains($0.ref) }.allSatisfy { $0.followUp?.status == "quarantined" && $0.quarantine?.since == "2021-11-22T00:00:00+07:00" })
            // Nothing ticked: the table again with the error, nothing changed.
            let none = try await tracer.form("/cases/\(kase.id)/follow-ups", pairs: [("csrf", csrf), ("degree", "2"), ("reason", "x y z"), ("status", "notified")])
            #expect(none.status == 400 && none.text.contains("tick at least one contact"))
            // Every view of the list is in the audit log with its reason.
            let audit = try await test.app.store.audit(since: .distantPast, caseID: kase.id, limit: 100)
            #expect(audit.contains { $0.action == "contacts" && $0.reason == "outbreak DX-07" && $0.label == "account lan" })
            #expect(audit.contains { $0.action == "followup.set" })
        }
    }

    @Test func onlyTracersOpenContactsAndHealthSeesCasesWithoutNames() async throws {
        let test = try await Self.make()
        try await test.run { c in
            let (o, tracer, health) = try await Self.setUp(test, c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let forbidden = try await health.call(.get, "/cases/\(kase.id)/contacts?reason=curious")
            #expect(forbidden.status == 403 && forbidden.text.contains("Không được phép") && !forbidden.text.contains("Nguyễn Văn An"))
            #expect(try await health.call(.get, "/cases/\(kase.id)/contacts").status == 403)
            let venue = try await c.signIn(o.cafe.managementToken)
            let asVenue = try await venue.call(.get, "/cases/\(kase.id)/contacts?reason=curious")
            #expect(asVenue.status == 403 && asVenue.text.contains("Không được phép") && !asVenue.text.contains("Nguyễn Văn An"))
            #expect(try await c.call(.get, "/cases/\(kase.id)").status == 303)
            let list = try await health.call(.get, "/cases")
            #expect(list.status == 200 && list.text.contains("#\(kase.id)") && !list.text.contains("Bệnh Nhân Một") && !list.text.contains("+8490"))
            let casePage = try await health.call(.get, "/cases/\(kase.id)")
            #expect(casePage.status == 200 && !casePage.text.contains("Bệnh Nhân Một") && !casePage.text.contains("contacts-query"))
            #expect(try await tracer.call(.get, "/cases/\(kase.id)").text.contains("contacts-query"))
            #expect(try await tracer.call(.get, "/cases/999").status == 404)
            // The audit log page is the admin's.
            #expect(try await tracer.call(.get, "/admin/audit").status == 403)
        }
    }

    @Test func anOverrideKeepsItsReasonAndPublishedWindowsReachThePublicPageWithoutNames() async throws {
        let test = try await Self.make()
        _ = try await test.app.createAccount(username: "boss", role: "admin", password: "mat khau cua boss", by: Self.admin)
        try await test.run { c in
            let (o, tracer, _) = try await Self.setUp(test, c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            let csrf = try await tracer.csrf(on: "/cases/\(kase.id)")
            let classified = try await tracer.form("/cases/\(kase.id)/classification", ["csrf": csrf, "classification": "lockdown", "reason": "sống trong khu phong toả"])
            #expect(classified.status == 303)
            let page = try await tracer.call(.get, "/cases/\(kase.id)").text
            #expect(page.contains("Trong vùng phong toả") && page.contains("sống trong khu phong toả"))
            // Publish the café window: it appears on the public page, with no name or phone anywhere.
            let match = try #require(page.range(of: #"name="window" value="[^"]+""#, options: .regularExpression))
            let window = String(page[match].dropFirst(#"name="window" value=""#.count).dropLast())
            let nothing = try await tracer.form("/cases/\(kase.id)/publish", ["csrf": csrf])
            #expect(nothing.status == 400 && nothing.text.contains("choose at least one time window"))
            let published = try await tracer.form("/cases/\(kase.id)/publish", ["csrf": csrf, "window": window.replacingOccurrences(of: "&#43;", with: "+")])
            #expect(published.status == 200 && published.text.contains("1 windows published"), "\(published.text)")
            let sites = try await c.call(.get, "/exposure-sites?province=06&since=2021-11-01")
            #expect(sites.status == 200 && sites.text.contains("id=\"sites\""))
            #expect(!sites.text.contains("Bệnh Nhân") && !sites.text.contains("+8490") && !sites.text.contains("Nguyễn Văn An"))
            #expect(try await c.call(.get, "/exposure-sites?province=06&since=nope").status == 400)
            #expect(try await c.call(.get, "/exposure-sites?areaCode=zz").status == 400)
            // The admin's audit page lists what happened, with the reasons.
            let (_, admin) = try await c.staffSignIn("boss", "mat khau cua boss")
            let keys = try await admin.call(.get, "/admin/keys")
            #expect(keys.status == 200 && keys.text.contains(#"id="keys""#) && keys.text.contains("signs new posters"))
            #expect(try await tracer.call(.get, "/admin/keys").status == 403)
            let audit = try await admin.call(.get, "/admin/audit?caseId=\(kase.id)")
            #expect(audit.status == 200 && audit.text.contains("case.classify") && audit.text.contains("sống trong khu phong toả")
                    && audit.text.contains("exposures.publish"))
            // Filtered by action (a whole one or its first part), by who, by day.
            let publishing = try await admin.call(.get, "/admin/audit?caseId=\(kase.id)&action=exposures&who=&since=")
            #expect(publishing.text.contains("exposures.publish") && !publishing.text.contains("case.classify"))
            let byLan = try await admin.call(.get, "/admin/audit?who=lan")
            #expect(byLan.text.contains("case.classify") && !byLan.text.contains("case.create"), "the case was registered with a token, not by lan")
            #expect(try await admin.call(.get, "/admin/audit?since=2099-01-01").status == 400)
            let api = try await c.call(.get, "/v1/audit?action=case", token: TestApp.adminToken).text
            #expect(api.contains(#""action":"case.classify""#) && api.contains(#""action":"case.create""#) && !api.contains(#""action":"exposures.publish""#))
        }
    }

    @Test func tracersSeeCheckInBurstsWithTheirVenue() async throws {
        let test = try await TestApp.make { $0.passwordCost = 4; $0.checkinRateLimit = 0; $0.clock = AbuseTests.pinned }
        try await test.run { c in
            let (_, tracer, health) = try await Self.setUp(test, c)
            let reply = try await c.call(.post, "/v1/venues", json: """
                {"name": "Karaoke Hát Cho Nhau", "address": "1 Trường Chinh", "areaCode": "01843", "category": "high_risk_service",
                 "contactPhone": "0912345678", "capacity": 3}
                """)
            let reg = try reply.json(Registered.self)
            #expect(try await tracer.call(.get, "/flags?since=2027-01-01").text.contains("no-flags"))
            for i in 0..<5 { _ = try await c.checkin(reg, name: "Khách", phone: "09123450\(String(format: "%02d", i))") }
            let page = try await tracer.call(.get, "/flags?since=2027-01-01")
            let detail = page.text.contains("more than the venue&#39;s capacity of 3") || page.text.contains("more than the venue's capacity of 3")
            #expect(page.status == 200 && page.text.contains("Karaoke Hát Cho Nhau") && detail, "\(page.text)")
            #expect(try await tracer.call(.get, "/flags?since=soon").status == 400)
            #expect(try await health.call(.get, "/flags").status == 403)
        }
    }
}

@Suite struct CaseEditTests {
    @Test func correctedFactsDeriveTheWindowAgainKeepAnOverrideAndAreAudited() async throws {
        let test = try await TracerConsoleTests.make()
        try await test.run { c in
            let (o, tracer, _) = try await TracerConsoleTests.setUp(test, c)
            let kase = try await c.call(.post, "/v1/cases", token: o.tracer, json: Outbreak.caseBody).json(CaseReply.self)
            // An onset given later moves the window's start to two days before it.
            let api = try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"onsetDate": "2021-11-20", "reason": "hỏi lại bệnh nhân"}"#)
            #expect(api.status == 200, "\(api.text)")
            let edited = try api.json(CaseReply.self)
            #expect(edited.infectiousWindow.from == "2021-11-18T00:00:00+07:00" && edited.classification == "community")
            // Cleared again, and a bad date is named.
            let cleared = try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"onsetDate": ""}"#).json(CaseReply.self)
            #expect(cleared.infectiousWindow.from == "2021-11-19T00:00:00+07:00")
            #expect(try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"sampleDate": "2021-11-31"}"#).error?.field == "sampleDate")
            #expect(try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"areaCode": "058"}"#).error?.field == "areaCode")
            #expect(try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.cafe.managementToken, json: #"{"onsetDate": ""}"#).status == 403)
            // The classification alone still works as before, and an override survives a correction.
            _ = try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"classification": "lockdown"}"#)
            let kept = try await c.call(.patch, "/v1/cases/\(kase.id)", token: o.tracer, json: #"{"detectedIn": "quarantine"}"#).json(CaseReply.self)
            #expect(kept.classification == "lockdown" && kept.classificationOverridden)
            // The console's form, with the browser's local date and time.
            let csrf = try await tracer.csrf(on: "/cases/\(kase.id)")
            let form = try await tracer.form("/cases/\(kase.id)/edit", ["csrf": csrf, "sampleDate": "2021-11-21", "onsetDate": "",
                                                                       "confirmedAt": "2021-11-21T20:00", "isolatedAt": "2021-11-21T18:00",
                                                                       "detectedIn": "", "reason": "cách ly trước khi có kết quả"])
            #expect(form.status == 200 && form.text.contains("The case is corrected") && form.text.contains("00:00 19/11/2021 – 18:00 21/11/2021"), "\(form.text)")
            let bad = try await tracer.form("/cases/\(kase.id)/edit", ["csrf": csrf, "sampleDate": "2021-11-22", "confirmedAt": "2021-11-21T20:00"])
            #expect(bad.status == 400 && bad.text.contains("f-sampleDate-err") && bad.text.contains(#"value="2021-11-22""#))
            let audit = try await test.app.store.audit(since: .distantPast, caseID: kase.id, limit: 100)
            #expect(audit.contains { $0.action == "case.edit" && $0.reason == "hỏi lại bệnh nhân" })
            #expect(audit.contains { $0.action == "case.edit" && $0.reason == "cách ly trước khi có kết quả" })
        }
    }
}
