import Foundation
import Hummingbird
import TruyVetCore

/// Cases, contacts, graph, exposure sites, quarantine and the audit log over HTTP.
extension Routes {
    func registerCaseRoutes(on v1: RouterGroup<AppRequestContext>) {
        v1.post("cases") { request, context in try await registerCase(request, context) }
        v1.get("cases") { request, context in try await listCases(request, context) }
        v1.post("cases/:id/follow-ups") { request, context in try await setFollowUps(request, context) }
        v1.get("cases/:id") { request, context in try await showCase(request, context) }
        v1.patch("cases/:id") { request, context in try await classifyCase(request, context) }
        v1.get("cases/:id/contacts") { request, context in try await contacts(request, context) }
        v1.get("cases/:id/graph") { request, context in try await graph(request, context) }
        v1.get("cases/:id/exposure-sites") { request, context in try await caseExposureSites(request, context) }
        v1.post("cases/:id/exposure-sites/publish") { request, context in try await publishExposures(request, context) }
        v1.delete("exposure-windows/:id") { request, context in try await withdrawExposure(request, context) }
        v1.get("exposure-sites") { request, context in try await areaExposureSites(request, context) }
        v1.get("venues/:id/exposures") { request, context in try await venueExposures(request, context) }
        v1.put("people/:ref/quarantine") { request, context in try await quarantine(request, context) }
        v1.get("audit") { request, context in try await auditLog(request, context) }
    }

    func caseID(_ context: AppRequestContext) throws(AppError) -> Int64 {
        guard let raw = context.parameter("id"), let id = Int64(raw), id > 0 else {
            throw AppError.invalid("id", "case id must be a positive whole number")
        }
        return id
    }

    func registerCase(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.tracer, .health)
        let input = try await JSON.decode(TruyVet.CaseInput.self, from: request, context: context)
        let record = try await app.registerCase(input, by: principal)
        let json = try await caseJSON(record, principal: principal)
        return try JSON.response(json, status: .created, headers: [.location: json.links.case])
    }

    func caseListInput(_ request: Request) throws -> TruyVet.CaseListInput {
        func text(_ name: String) -> String? { request.uri.queryParameters.get(name).map { String($0) } }
        let limit = try intParameter(request, "limit", default: 50, range: 1...500)
        return TruyVet.CaseListInput(areaCode: text("area"), classification: text("classification"), search: text("q"),
                                     after: text("after"), limit: limit)
    }

    func listCases(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let list = try await app.listCases(try caseListInput(request), by: principal)
        var cases: [CaseJSON] = []
        for record in list.cases { cases.append(try await caseJSON(record, principal: principal)) }
        return try JSON.response(CaseListJSON(cases: cases, next: list.next))
    }

    func setFollowUps(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let input = try await JSON.decode(TruyVet.FollowUpInput.self, from: request, context: context)
        let list = try await app.setFollowUps(caseID: try caseID(context), input, by: principal)
        return try JSON.response(FollowUpListJSON(followUps: list.map { FollowUpJSON($0, ref: app.personRef($0.personID)) }))
    }

    func showCase(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.tracer, .health)
        return try JSON.response(try await caseJSON(try await app.caseRecord(try caseID(context)), principal: principal))
    }

    /// `PATCH /v1/cases/{id}`: corrected facts (`areaCode`, `sampleDate`, `onsetDate`, `confirmedAt`, `isolatedAt`,
    /// `detectedIn`), a classification (null: derived again), or both; `reason` goes to the audit log.
    struct CasePatch: Decodable {
        var edit = TruyVet.CaseInput()
        var editsFacts = false
        var classification: String?
        var classificationGiven = false
        var reason: String?

        enum Key: String, CodingKey { case areaCode, sampleDate, onsetDate, confirmedAt, isolatedAt, detectedIn, classification, reason }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            edit.areaCode = try c.decodeIfPresent(String.self, forKey: .areaCode)
            edit.sampleDate = try c.decodeIfPresent(String.self, forKey: .sampleDate)
            edit.onsetDate = try c.decodeIfPresent(String.self, forKey: .onsetDate)
            edit.confirmedAt = try c.decodeIfPresent(String.self, forKey: .confirmedAt)
            edit.isolatedAt = try c.decodeIfPresent(String.self, forKey: .isolatedAt)
            edit.detectedIn = try c.decodeIfPresent(String.self, forKey: .detectedIn)
            editsFacts = [.areaCode, .sampleDate, .onsetDate, .confirmedAt, .isolatedAt, .detectedIn].contains { c.contains($0) }
            classificationGiven = c.contains(.classification)
            classification = try c.decodeIfPresent(String.self, forKey: .classification)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
        }
    }

    func classifyCase(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let body = try await JSON.decode(CasePatch.self, from: request, context: context)
        let id = try caseID(context)
        let value = try CaseRules.parse(body.classification, field: "classification")
        // Facts first (the derived classification follows them), then a classification given; an empty body derives it again.
        var record = body.editsFacts ? try await app.editCase(caseID: id, body.edit, reason: body.reason, by: principal) : nil
        if body.classificationGiven || !body.editsFacts {
            record = try await app.classify(caseID: id, as: value, by: principal, reason: body.reason)
        }
        guard let record else { throw AppError.notFound("case \(id)") }
        return try JSON.response(try await caseJSON(record, principal: principal))
    }

    func contactQuery(_ request: Request) throws -> TruyVet.ContactQuery {
        try Self.contactQuery { name in request.uri.queryParameters.get(name).map { String($0) } }
    }

    /// A contacts query's degree, minimum overlap and buffer, from the API's query or the console's form.
    static func contactQuery(_ value: (String) -> String?) throws(AppError) -> TruyVet.ContactQuery {
        func number(_ name: String) throws(AppError) -> Double? {
            guard let raw = value(name) else { return nil }
            guard let n = Double(raw), n.isFinite else { throw AppError.invalid(name, "\(name) must be a number of minutes") }
            return n
        }
        var degree = 1
        if let raw = value("degree") {
            guard let n = Int(raw), (1...3).contains(n) else { throw AppError.invalid("degree", "degree must be a whole number from 1 to 3") }
            degree = n
        }
        return TruyVet.ContactQuery(degree: degree, minOverlapMinutes: try number("minOverlapMinutes"), bufferMinutes: try number("bufferMinutes"))
    }

    func contacts(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let wantsCSV = try CSVDownload.requested(request)
        let tracing = try await app.trace(caseID: try caseID(context), query: try contactQuery(request), principal: principal,
                                          reason: request.uri.queryParameters.get("reason").map { String($0) },
                                          action: wantsCSV ? (try Self.callList(request) ? "contacts.call-list.csv" : "contacts.csv") : "contacts")
        if wantsCSV {
            if try Self.callList(request) {
                return CSVDownload.response(app.callListCSV(tracing), filename: "truyvet-case-\(tracing.record.id)-call-list.csv")
            }
            return CSVDownload.response(app.contactsCSV(tracing), filename: "truyvet-case-\(tracing.record.id)-contacts.csv")
        }
        return try JSON.response(ContactsJSON(tracing, app: app, case: try await caseJSON(tracing.record, principal: principal)))
    }

    /// `rows=people` (the call list: a row per person) or `rows=exposures` (the default: a row per exposure).
    static func callList(_ request: Request) throws(AppError) -> Bool {
        switch request.uri.queryParameters.get("rows") {
        case nil, "exposures": false
        case "people": true
        default: throw AppError.invalid("rows", "rows must be people or exposures")
        }
    }

    func graph(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        var query = try contactQuery(request)
        if request.uri.queryParameters.get("degree") == nil { query.degree = 2 }
        let tracing = try await app.trace(caseID: try caseID(context), query: query, principal: principal,
                                          reason: request.uri.queryParameters.get("reason").map { String($0) }, action: "graph")
        return try JSON.response(GraphJSON(tracing, app: app))
    }

    /// For tracers, health and admins: the windows computed from the case's visits (each marked when it rests only on
    /// visits a venue imported itself), and what was published of them.
    func caseExposureSites(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await principal(request, context).require(.tracer, .health, .admin)
        let id = try caseID(context)
        let computed = try await exposureSiteJSON(try await app.exposureSites(caseID: id), marked: true)
        let published = try await app.store.publishedWindows(caseID: id).map(PublishedWindowJSON.init)
        return try JSON.response(CaseExposureSitesJSON(caseId: id, sites: computed, published: published))
    }

    struct PublishRequest: Decodable { var windows: [TruyVet.WindowInput]? }

    func publishExposures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let body = try await JSON.decode(PublishRequest.self, from: request, context: context)
        let stored = try await app.publishExposures(caseID: try caseID(context), body.windows, by: principal)
        return try JSON.response(stored.map(PublishedWindowJSON.init), status: .created)
    }

    func withdrawExposure(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        guard let raw = context.parameter("id"), let id = Int64(raw), id > 0 else {
            throw AppError.invalid("id", "exposure window id must be a positive whole number")
        }
        return try JSON.response(PublishedWindowJSON(try await app.withdrawExposure(windowID: id, by: principal)))
    }

    /// Public: what authorities announced ("địa điểm F0 đã đến"): published windows only, no personal data.
    func areaExposureSites(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let area = request.uri.queryParameters.get("area").map({ String($0) }) else { throw AppError.missing("area") }
        guard try await app.store.area(code: area) != nil else { throw AppError.invalid("area", "area \(area) is not a known area code") }
        let since = try request.uri.queryParameters.get("since").map { raw throws(AppError) in try TruyVet.dayOrInstant(String(raw), field: "since") }
            ?? Date().addingTimeInterval(-14 * 86400)
        let sites = try await app.publishedExposureSites(area: area, venueID: nil, since: since)
        return try JSON.response(ExposureSitesJSON(caseId: nil, area: area, since: Instant.format(since), sites: try await exposureSiteJSON(sites)))
    }

    /// A venue's own exposure windows as published by tracers, for its management.
    func venueExposures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let venue = try await managedVenue(request, context)
        let since = try request.uri.queryParameters.get("since").map { raw throws(AppError) in try TruyVet.dayOrInstant(String(raw), field: "since") }
            ?? Date().addingTimeInterval(-21 * 86400)
        let sites = try await app.publishedExposureSites(area: nil, venueID: venue.id, since: since)
        return try JSON.response(ExposureSitesJSON(caseId: nil, area: nil, since: Instant.format(since), sites: try await exposureSiteJSON(sites)))
    }

    /// `marked`: each window says whether it rests only on the venue's own imports (for tracers).
    func exposureSiteJSON(_ sites: [TruyVet.ExposureSite], marked: Bool = false) async throws -> [ExposureSiteJSON] {
        var out: [ExposureSiteJSON] = []
        for site in sites {
            let path = try await app.areaPath(site.venue.areaCode)
            out.append(ExposureSiteJSON(venueId: site.venue.id, name: site.venue.name, address: site.venue.address,
                                        category: site.venue.category.rawValue, areaCode: site.venue.areaCode,
                                        area: path.map(\.name).joined(separator: ", "),
                                        windows: site.windows.map {
                                            WindowJSON(from: Instant.format($0.from), to: Instant.format($0.to),
                                                       venueImportedOnly: marked ? $0.venueImportedOnly : nil)
                                        }))
        }
        return out
    }

    func quarantine(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        try principal.require(.tracer)
        let ref = context.parameter("ref") ?? ""
        let input = try await JSON.decode(TruyVet.QuarantineInput.self, from: request, context: context)
        let q = try await app.setQuarantine(personRef: ref, input, by: principal)
        return try JSON.response(QuarantineJSON(q, ref: app.personRef(q.personID)))
    }

    func auditLog(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await principal(request, context)
        let since = try request.uri.queryParameters.get("since").map { raw throws(AppError) in try TruyVet.dayOrInstant(String(raw), field: "since") }
            ?? .distantPast
        let caseID = try request.uri.queryParameters.get("caseId").map { raw throws(AppError) -> Int64 in
            guard let id = Int64(raw), id > 0 else { throw AppError.invalid("caseId", "caseId must be a positive whole number") }
            return id
        }
        let limit = try intParameter(request, "limit", default: 200, range: 1...10_000)
        func text(_ name: String) throws(AppError) -> String? {
            try Text.clean(request.uri.queryParameters.get(name).map { String($0) }, field: name, max: 100, required: false)
        }
        let filter = AuditFilter(since: since, caseID: caseID, action: try text("action"), who: try text("who"), limit: limit)
        return try JSON.response(try await app.auditLog(filter, by: principal).map(AuditJSON.init))
    }

    func caseJSON(_ record: CaseRecord, principal: Principal) async throws -> CaseJSON {
        let path = try await app.areaPath(record.areaCode)
        // Names and phones are for tracers only.
        var person: PersonJSON?
        if TruyVet.seesPersonalData(principal), let sealed = try await app.store.person(id: record.personID) {
            let opened = try app.open(sealed)
            let names = try await app.declaredNames([record.personID])[record.personID] ?? []
            person = PersonJSON(ref: app.personRef(record.personID), name: opened.name, names: names.isEmpty ? [opened.name] : names,
                                phone: opened.phone, idNumber: opened.idNumber)
        }
        let base = "\(app.config.resolvedPublicURL)/v1/cases/\(record.id)"
        return CaseJSON(
            id: record.id, person: person, areaCode: record.areaCode,
            area: path.map { AreaRef(code: $0.code, name: $0.name, level: $0.level.rawValue) },
            sampleDate: record.sampleDate, onsetDate: record.onsetDate, confirmedAt: Instant.format(record.confirmedAt),
            confirmedDay: record.confirmedDay, isolatedAt: record.isolatedAt.map(Instant.format), detectedIn: record.detectedIn?.rawValue,
            infectiousWindow: IntervalJSON(from: Instant.format(record.windowFrom), to: Instant.format(record.windowTo)),
            classification: record.classification.rawValue, classificationOverridden: record.classificationOverridden,
            createdAt: Instant.format(record.createdAt), createdBy: record.createdBy,
            links: CaseLinks(case: base, contacts: "\(base)/contacts", graph: "\(base)/graph", exposureSites: "\(base)/exposure-sites"))
    }
}

struct CaseListJSON: Encodable {
    let cases: [CaseJSON]
    /// Give it as `after` for the next page; null on the last.
    let next: String?
}

struct FollowUpJSON: Encodable {
    let ref: String, status: String, result: String?, updatedAt: String, updatedBy: String
    init(_ f: FollowUp, ref: String) {
        self.ref = ref
        status = f.status.rawValue
        result = f.result?.rawValue
        updatedAt = Instant.format(f.updatedAt)
        updatedBy = f.updatedBy
    }
}

struct FollowUpListJSON: Encodable { let followUps: [FollowUpJSON] }

struct IntervalJSON: Encodable { let from: String; let to: String }

struct PersonJSON: Encodable {
    /// `name`: the first declared with the phone; `names`: every name declared with it (anyone can type a phone).
    let ref: String, name: String, names: [String], phone: String, idNumber: String?
}

struct CaseLinks: Encodable { let `case`: String, contacts: String, graph: String, exposureSites: String }

struct CaseJSON: Encodable {
    let id: Int64
    let person: PersonJSON?
    let areaCode: String
    let area: [AreaRef]
    let sampleDate: String
    let onsetDate: String?
    let confirmedAt: String
    let confirmedDay: String
    let isolatedAt: String?
    let detectedIn: String?
    let infectiousWindow: IntervalJSON
    let classification: String
    let classificationOverridden: Bool
    let createdAt: String
    let createdBy: String
    let links: CaseLinks
}

struct ContactsJSON: Encodable {
    struct VenueRef: Encodable { let id: Int64; let name: String; let address: String; let category: String }
    struct Through: Encodable { let ref: String; let tier: String; let name: String }
    struct ExposureJSON: Encodable {
        let venue: VenueRef
        let from: String, to: String
        let minutes: Int
        let through: Through
    }
    struct QuarantineRef: Encodable { let since: String; let until: String? }
    struct ContactJSON: Encodable {
        let ref: String, tier: String, name: String, names: [String], phone: String, idNumber: String?
        let firstExposure: String
        let longestMinutes: Int
        let quarantine: QuarantineRef?
        /// Null: not called yet.
        let followUp: FollowUpJSON?
        let exposures: [ExposureJSON]
    }
    struct Rules: Encodable {
        let degree: Int
        let minOverlapMinutes: Int
        let minOverlapByCategory: [String: Int]
        let bufferMinutes: Int
    }
    let `case`: CaseJSON
    let rules: Rules
    let counts: [String: Int]
    let contacts: [ContactJSON]

    init(_ t: TruyVet.Tracing, app: TruyVet, case json: CaseJSON) {
        self.case = json
        rules = Rules(degree: t.degree, minOverlapMinutes: Int(t.rules.minOverlapMinutes),
                      minOverlapByCategory: Dictionary(uniqueKeysWithValues: t.rules.minOverlapByCategory.map { ($0.key.rawValue, Int($0.value)) }),
                      bufferMinutes: Int(t.rules.bufferMinutes))
        counts = Dictionary(grouping: t.contacts, by: \.tier.name).mapValues(\.count)
        contacts = t.contacts.map { c in
            let p = t.people[c.personID]
            return ContactJSON(
                ref: app.personRef(c.personID), tier: c.tier.name, name: p?.name ?? "", names: t.names[c.personID] ?? [p?.name ?? ""],
                phone: p?.phone ?? "", idNumber: p?.idNumber,
                firstExposure: Instant.format(c.firstExposure), longestMinutes: Int(c.longestMinutes.rounded(.down)),
                quarantine: t.quarantines[c.personID].map { QuarantineRef(since: Instant.format($0.since), until: $0.until.map(Instant.format)) },
                followUp: t.followUps[c.personID].map { FollowUpJSON($0, ref: app.personRef(c.personID)) },
                exposures: c.exposures.map { e in
                    let v = t.venues[e.venueID]
                    return ExposureJSON(venue: VenueRef(id: e.venueID, name: v?.name ?? "", address: v?.address ?? "", category: v?.category.rawValue ?? ""),
                                        from: Instant.format(e.start), to: Instant.format(e.end), minutes: Int(e.minutes.rounded(.down)),
                                        through: Through(ref: app.personRef(e.through), tier: t.tier(of: e.through), name: t.people[e.through]?.name ?? ""))
                })
        }
    }
}

/// People and venues as nodes; presences (person at venue) and exposures (person to person, at a venue) as edges.
struct GraphJSON: Encodable {
    struct Node: Encodable {
        let id: String, kind: String, label: String
        let tier: String?
        let category: String?
        /// For a confirmed case: its id (the case itself, and the cases linked to it).
        var caseId: Int64? = nil
    }
    struct Edge: Encodable {
        let kind: String
        let from: String, to: String
        let venue: String?
        let start: String, end: String
        let minutes: Int
    }
    let caseId: Int64
    let nodes: [Node]
    let edges: [Edge]

    init(_ t: TruyVet.Tracing, app: TruyVet) {
        caseId = t.record.id
        func person(_ id: Int64) -> String { "person:" + app.personRef(id) }
        func venue(_ id: Int64) -> String { "venue:\(id)" }
        var nodes = [Node(id: person(t.record.personID), kind: "person", label: t.people[t.record.personID]?.name ?? "", tier: "F0", category: nil)]
        nodes += t.contacts.map { Node(id: person($0.personID), kind: "person", label: t.people[$0.personID]?.name ?? "", tier: $0.tier.name, category: nil) }
        nodes += t.venues.values.sorted { $0.id < $1.id }.map { Node(id: venue($0.id), kind: "venue", label: $0.name, tier: nil, category: $0.category.rawValue) }
        // Presences: the case's (within its window) and every presence behind an exposure, each once.
        var presences: [Int64: Presence] = [:]
        for p in t.casePresences { presences[p.visitID] = p }
        for e in t.contacts.flatMap(\.exposures) {
            presences[e.contact.visitID] = presences[e.contact.visitID] ?? e.contact
            presences[e.source.visitID] = presences[e.source.visitID] ?? e.source
        }
        var edges = presences.values.sorted { ($0.start, $0.visitID) < ($1.start, $1.visitID) }.map { p in
            Edge(kind: "presence", from: person(p.personID), to: venue(p.venueID), venue: nil, start: Instant.format(p.start),
                 end: Instant.format(p.end), minutes: Int((p.end.timeIntervalSince(p.start) / 60).rounded(.down)))
        }
        edges += t.contacts.flatMap { c in
            c.exposures.map { e in
                Edge(kind: "exposure", from: person(e.through), to: person(c.personID), venue: venue(e.venueID), start: Instant.format(e.start),
                     end: Instant.format(e.end), minutes: Int(e.minutes.rounded(.down)))
            }
        }
        // Other cases there at the same time: likely transmission links, each case a node once.
        nodes[0].caseId = t.record.id
        for link in t.linkedCases {
            let id = person(link.personID)
            if let i = nodes.firstIndex(where: { $0.id == id }) {
                nodes[i].caseId = link.caseID
            } else {
                nodes.append(Node(id: id, kind: "person", label: t.people[link.personID]?.name ?? "#\(link.caseID)", tier: nil, category: nil,
                                  caseId: link.caseID))
            }
            if !nodes.contains(where: { $0.id == venue(link.venueID) }), let v = t.venues[link.venueID] {
                nodes.append(Node(id: venue(v.id), kind: "venue", label: v.name, tier: nil, category: v.category.rawValue))
            }
            edges.append(Edge(kind: "case_link", from: person(t.record.personID), to: id, venue: venue(link.venueID), start: Instant.format(link.from),
                              end: Instant.format(link.to), minutes: Int((link.to.timeIntervalSince(link.from) / 60).rounded(.down))))
        }
        self.nodes = nodes
        self.edges = edges
    }
}

struct WindowJSON: Encodable {
    let from: String, to: String
    /// For tracers only: the window rests only on visits the venue imported itself.
    let venueImportedOnly: Bool?
}

struct ExposureSiteJSON: Encodable {
    let venueId: Int64, name: String, address: String, category: String, areaCode: String, area: String
    let windows: [WindowJSON]
}

struct PublishedWindowJSON: Encodable {
    let id: Int64, caseId: Int64, venueId: Int64, from: String, to: String, publishedAt: String, publishedBy: String, withdrawnAt: String?
    init(_ w: PublishedWindow) {
        id = w.id
        caseId = w.caseID
        venueId = w.venueID
        from = Instant.format(w.from)
        to = Instant.format(w.to)
        publishedAt = Instant.format(w.publishedAt)
        publishedBy = w.publishedBy
        withdrawnAt = w.withdrawnAt.map(Instant.format)
    }
}

struct CaseExposureSitesJSON: Encodable {
    let caseId: Int64
    /// Computed from the case's visits: not visible to venues or the public until published.
    let sites: [ExposureSiteJSON]
    let published: [PublishedWindowJSON]
}

struct ExposureSitesJSON: Encodable {
    let caseId: Int64?
    let area: String?
    let since: String?
    let sites: [ExposureSiteJSON]
}

struct QuarantineJSON: Encodable {
    let personRef: String, since: String, until: String?, notifiedAt: String?, caseId: Int64?, updatedAt: String, updatedBy: String
    init(_ q: Quarantine, ref: String) {
        personRef = ref
        since = Instant.format(q.since)
        until = q.until.map(Instant.format)
        notifiedAt = q.notifiedAt.map(Instant.format)
        caseId = q.caseID
        updatedAt = Instant.format(q.updatedAt)
        updatedBy = q.updatedBy
    }
}

struct AuditJSON: Encodable {
    let id: Int64, at: String, tokenId: Int64?, role: String, label: String, action: String, caseId: Int64?, reason: String, detail: String
    init(_ e: AuditEntry) {
        id = e.id
        at = Instant.format(e.at)
        tokenId = e.tokenID
        role = e.role.rawValue
        label = e.label
        action = e.action
        caseId = e.caseID
        reason = e.reason
        detail = e.detail
    }
}
