import Foundation
import Hummingbird
import TruyVetCore

/// The tracer's console: cases (list, search, register, the case page with its classification and exposure sites),
/// and a case's contacts (a reason first, then the table, the follow-up of many at once, the CSV downloads).
/// Every action calls the same `TruyVet` operation as the JSON API, which checks the role and writes the audit log.
extension Routes {
    func registerTracerConsole(on router: Router<AppRequestContext>) {
        router.get("/cases") { request, context in try await console { try await casesPage(request, context) } }
        router.get("/cases/new") { request, context in try await console { try await newCasePage(request, context) } }
        router.post("/cases") { request, context in try await console { try await newCaseForm(request, context) } }
        router.get("/cases/:id") { request, context in try await console { try await casePage(request, context) } }
        router.post("/cases/:id/edit") { request, context in try await console { try await editCaseForm(request, context) } }
        router.post("/cases/:id/classification") { request, context in try await console { try await classifyForm(request, context) } }
        router.post("/cases/:id/publish") { request, context in try await console { try await publishForm(request, context) } }
        router.get("/cases/:id/contacts") { request, context in try await console { try await contactsPage(request, context) } }
        router.post("/cases/:id/follow-ups") { request, context in try await console { try await followUpForm(request, context) } }
        router.get("/admin/keys") { request, context in try await console { try await keysPage(request, context) } }
        router.get("/flags") { request, context in try await console { try await flagsPage(request, context) } }
        router.get("/levels") { request, context in try await console { try await levelsPage(request, context) } }
        registerHealthConsole(on: router)
        router.get("/exposure-sites") { request, context in try await console { try await exposureSitesPage(request, context) } }
    }

    // MARK: Words

    static func classificationLabel(_ c: CaseRules.Classification) -> String {
        switch c {
        case .community: "Cộng đồng / community"
        case .quarantine: "Đang cách ly / in quarantine"
        case .lockdown: "Trong vùng phong toả / in a lockdown zone"
        }
    }

    static func followUpLabel(_ s: FollowUp.Status, _ result: FollowUp.TestResult? = nil) -> String {
        switch s {
        case .notCalled: "Chưa gọi / not called yet"
        case .notified: "Đã báo / notified"
        case .unreachable: "Không liên lạc được / unreachable"
        case .quarantined: "Đang cách ly / quarantined"
        case .tested: result == .positive ? "Đã xét nghiệm: dương tính / tested positive"
            : result == .negative ? "Đã xét nghiệm: âm tính / tested negative" : "Đã xét nghiệm / tested"
        }
    }

    func classificationChoices(_ selected: String, blank: String) -> [Choice] {
        [Choice(value: "", label: blank, selected: selected.isEmpty)]
            + CaseRules.Classification.allCases.map { Choice(value: $0.rawValue, label: Self.classificationLabel($0), selected: $0.rawValue == selected) }
    }

    func placeName(_ code: String) async throws -> String { try await app.placeName(code) }

    /// Where a case was detected: the community (none given), a quarantine facility or a lockdown zone.
    func detectedChoices(_ selected: String) -> [Choice] {
        [Choice(value: "", label: "Cộng đồng / in the community", selected: selected.isEmpty)]
            + [CaseRules.Classification.quarantine, .lockdown].map { Choice(value: $0.rawValue, label: Self.classificationLabel($0), selected: $0.rawValue == selected) }
    }

    // MARK: Case list

    struct CaseRow { let id: Int64; let href: String; let person: String?; let phone: String?; let area: String; let confirmed: String; let classification: String }

    struct CasesView {
        let session: Views.SessionView
        let search: Views.Field
        let communes: [Choice], classifications: [Choice]
        let rows: [CaseRow], hasRows: Bool, filtered: Bool
        let next: String?
        let tracer: Bool
        let problem: String?
    }

    func casesPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let q = queryForm(request)
        func text(_ name: String) -> String { q[name] ?? "" }
        func given(_ name: String) -> String? { text(name).isEmpty ? nil : text(name) }
        let input = TruyVet.CaseListInput(areaCode: given("area"), classification: given("classification"), search: given("q"), after: given("after"))
        var problem: AppError?
        var list = TruyVet.CaseList(cases: [], next: nil)
        do { list = try await app.listCases(input, by: session.principal) } catch let e as AppError where e.kind == .badRequest { problem = e }
        let tracer = TruyVet.seesPersonalData(session.principal)
        var rows: [CaseRow] = []
        var people: [Int64: TruyVet.OpenedPerson] = [:]
        if tracer {
            for (id, sealed) in try await app.store.people(ids: list.cases.map(\.personID)) { people[id] = try app.open(sealed) }
        }
        for c in list.cases {
            rows.append(CaseRow(id: c.id, href: "/cases/\(c.id)", person: people[c.personID]?.name, phone: people[c.personID]?.phone,
                                area: try await placeName(c.areaCode), confirmed: Instant.readable(c.confirmedAt),
                                classification: Self.classificationLabel(c.classification)))
        }
        // The communes to filter by: those of recent cases (a tracer works a handful, not the country's 10,000).
        var codes = Set(try await app.store.cases(CaseFilter(limit: 2000)).map(\.areaCode))
        if let chosen = input.areaCode { codes.insert(chosen) }
        var communes = [Choice(value: "", label: "Tất cả / all", selected: input.areaCode == nil)]
        for code in codes.sorted() {
            communes.append(Choice(value: code, label: try await placeName(code), selected: code == input.areaCode))
        }
        communes[1...].sort { $0.label < $1.label }
        var search = Views.Field(name: "q", label: tracer ? "Mã ca, số điện thoại hoặc số CCCD" : "Mã ca", en: tracer ? "Case id, phone or ID number" : "Case id",
                                 value: text("q"), error: Views.beside(problem, "q"), maxlength: "40")
        search.type = "search"
        let nextLink = list.next.map { next in
            "/cases?" + [("area", text("area")), ("classification", text("classification")), ("q", text("q")), ("after", next)]
                .filter { !$0.1.isEmpty }.map { "\($0.0)=\(Self.queryValue($0.1))" }.joined(separator: "&")
        }
        return Views.page("cases", CasesView(
            session: view, search: search, communes: communes,
            classifications: classificationChoices(text("classification"), blank: "Tất cả / all"),
            rows: rows, hasRows: !rows.isEmpty, filtered: input.areaCode != nil || input.search != nil || !text("classification").isEmpty,
            next: nextLink, tracer: tracer, problem: Views.above(problem, placed: ["q"])), status: problem?.httpStatus ?? .ok)
    }

    static func queryValue(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    // MARK: Register a case

    struct NewCaseView {
        let session: Views.SessionView
        let chooser: AreaChooser
        let fields: [Views.Field], dates: [Views.Field]
        let detectedIn: [Choice], classification: [Choice]
        let window: String?
        let problem: String?
    }

    static let caseFieldNames = ["phone", "idNumber", "name", "areaCode", "sampleDate", "onsetDate", "confirmedAt", "isolatedAt", "detectedIn", "classification"]

    func newCasePage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil,
                     window: String? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.tracer, .health)
        let now = app.config.clock()
        var values = values
        if values["sampleDate"] == nil { values["sampleDate"] = Instant.day(now) }
        if values["confirmedAt"] == nil { values["confirmedAt"] = Instant.localInput(now) }
        func field(_ name: String, _ label: String, _ en: String) -> Views.Field {
            Views.Field(name: name, label: label, en: en, value: values[name] ?? "", error: Views.beside(error, name))
        }
        var phone = field("phone", "Số điện thoại của ca bệnh", "The case's phone")
        phone.type = "tel"; phone.inputmode = "tel"; phone.maxlength = "20"
        var id = field("idNumber", "Số CCCD (nếu không có số điện thoại)", "ID card number (without a phone)")
        id.inputmode = "numeric"; id.maxlength = "14"; id.autocomplete = "off"
        var name = field("name", "Họ và tên", "Full name"); name.maxlength = "100"; name.autocomplete = "off"
        var sample = field("sampleDate", "Ngày lấy mẫu", "Sample date"); sample.type = "date"; sample.required = true
        var onset = field("onsetDate", "Ngày khởi phát triệu chứng (nếu có)", "Symptom onset (if any)"); onset.type = "date"
        var confirmed = field("confirmedAt", "Thời điểm có kết quả dương tính", "Confirmed at"); confirmed.type = "datetime-local"; confirmed.required = true
        var isolated = field("isolatedAt", "Thời điểm được cách ly (nếu có)", "Isolated at (if any)"); isolated.type = "datetime-local"
        let chooser = try await areaChooser(action: "/cases/new", request: request, values: values, error: error)
        let detected = values["detectedIn"] ?? ""
        return Views.page("case-new", NewCaseView(
            session: view, chooser: chooser, fields: [phone, id, name], dates: [sample, onset, confirmed, isolated],
            detectedIn: detectedChoices(detected),
            classification: classificationChoices(values["classification"] ?? "", blank: "Tự động (theo quy tắc) / derived by the rules"),
            window: window, problem: Views.above(error, placed: Self.caseFieldNames)), status: error?.httpStatus ?? .ok)
    }

    func caseInput(_ f: [String: String]) -> TruyVet.CaseInput {
        func value(_ name: String) -> String? { f[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        return TruyVet.CaseInput(phone: value("phone"), idNumber: value("idNumber"), name: value("name"), areaCode: value("areaCode"),
                                 sampleDate: value("sampleDate"), onsetDate: value("onsetDate"),
                                 confirmedAt: value("confirmedAt").map(Instant.fromLocalInput),
                                 isolatedAt: value("isolatedAt").map(Instant.fromLocalInput),
                                 detectedIn: value("detectedIn"), classification: value("classification"))
    }

    /// Saves the case, or (the "show the window" button) shows the infectious window the rules derive without saving.
    func newCaseForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let input = caseInput(fields)
        do {
            if fields["preview"] != nil {
                let window = try await app.caseFacts(input, now: app.config.clock()).window
                return try await newCasePage(request, context, values: fields, window: Instant.readable(from: window.from, to: window.to))
            }
            let record = try await app.registerCase(input, by: session.principal, now: app.config.clock())
            return redirect("/cases/\(record.id)?created=1")
        } catch let error as AppError where error.kind == .badRequest || error.kind == .conflict {
            return try await newCasePage(request, context, values: fields, error: error)
        }
    }

    // MARK: The case page

    struct SiteRow { let n: Int; let venue: String; let address: String; let place: String; let when: String; let value: String; let importedOnly: Bool }
    struct PublishedRow { let venue: String; let when: String; let by: String; let withdrawn: Bool }

    struct CaseView {
        let session: Views.SessionView
        let id: Int64
        let person: String?, phone: String?, idNumber: String?, otherNames: String?
        let area: String, sampleDate: String, onsetDate: String?, confirmed: String, isolated: String?, detectedIn: String
        let window: String
        let classification: String, overridden: Bool, classificationReason: String?
        let classify: [Choice]
        let reason: Views.Field
        let tracer: Bool
        let noVisits: Bool
        let sites: [SiteRow], hasSites: Bool
        let published: [PublishedRow], hasPublished: Bool
        let contacts: ContactsForm
        let edit: [Views.Field], editDetected: [Choice], editReason: Views.Field
        let notice: String?, problem: String?
    }

    /// The degree, minimum overlap, buffer and reason of a contacts query, as a form.
    struct ContactsForm {
        let action: String
        let degree: [Choice]
        let minOverlap: Views.Field, buffer: Views.Field, reason: Views.Field
    }

    func contactsForm(caseID: Int64, _ values: [String: String], error: AppError?) -> ContactsForm {
        let degree = values["degree"] ?? "1"
        var minimum = Views.Field(name: "minOverlapMinutes", label: "Thời gian tiếp xúc tối thiểu (phút, để trống: theo quy định)",
                                  en: "Minimum overlap (minutes; empty: the rules)", value: values["minOverlapMinutes"] ?? "",
                                  error: Views.beside(error, "minOverlapMinutes"))
        minimum.type = "number"; minimum.inputmode = "numeric"
        var buffer = Views.Field(name: "bufferMinutes", label: "Thời gian lưu lại sau khi ca bệnh rời đi (phút)",
                                 en: "Buffer after the case left (minutes)", value: values["bufferMinutes"] ?? "",
                                 error: Views.beside(error, "bufferMinutes"))
        buffer.type = "number"; buffer.inputmode = "numeric"
        var reason = Views.Field(name: "reason", label: "Lý do xem danh sách (ghi vào nhật ký)", en: "Why you need the list (kept in the audit log)",
                                 value: values["reason"] ?? "", error: Views.beside(error, "reason"), required: true, maxlength: "500")
        reason.autocomplete = "off"
        return ContactsForm(action: "/cases/\(caseID)/contacts",
                            degree: [("1", "F1"), ("2", "F1 + F2"), ("3", "F1 + F2 + F3")].map { Choice(value: $0.0, label: $0.1, selected: $0.0 == degree) },
                            minOverlap: minimum, buffer: buffer, reason: reason)
    }

    func casePage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil,
                  notice: String? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.tracer, .health)
        let id = try caseID(context)
        let record = try await app.caseRecord(id)
        let tracer = TruyVet.seesPersonalData(session.principal)
        var opened: TruyVet.OpenedPerson?
        var otherNames: String?
        if tracer, let sealed = try await app.store.person(id: record.personID) {
            let person = try app.open(sealed)
            opened = person
            let names = (try await app.declaredNames([record.personID])[record.personID] ?? []).filter { $0 != person.name }
            otherNames = names.isEmpty ? nil : names.joined(separator: "; ")
        }
        let lastClassify = try await app.store.audit(since: .distantPast, caseID: id, limit: 500).first { $0.action == "case.classify" }
        let sites = try await app.exposureSites(caseID: id)
        var siteRows: [SiteRow] = []
        for site in sites {
            let place = try await placeName(site.venue.areaCode)
            for w in site.windows {
                siteRows.append(SiteRow(n: siteRows.count + 1, venue: site.venue.name, address: site.venue.address, place: place,
                                        when: Instant.readable(from: w.from, to: w.to),
                                        value: "\(site.venue.id)|\(Instant.format(w.from))|\(Instant.format(w.to))", importedOnly: w.venueImportedOnly))
            }
        }
        var published: [PublishedRow] = []
        for w in try await app.store.publishedWindows(caseID: id) {
            published.append(PublishedRow(venue: try await app.venues.venue(id: w.venueID)?.name ?? "#\(w.venueID)",
                                          when: Instant.readable(from: w.from, to: w.to), by: w.publishedBy, withdrawn: w.withdrawnAt != nil))
        }
        var reason = Views.Field(name: "reason", label: "Lý do thay đổi phân loại", en: "Why the classification changes",
                                 value: values["reason"] ?? "", error: Views.beside(error, "reason"), maxlength: "500")
        reason.autocomplete = "off"
        reason.idSuffix = "classification"
        let created = request.uri.queryParameters.get("created") != nil
        // The edit form: the stored facts, or what was typed when they were refused.
        let editing = values["form"] == "edit"
        func fact(_ name: String, _ label: String, _ en: String, _ stored: String, type: String) -> Views.Field {
            var f = Views.Field(name: name, label: label, en: en, value: editing ? values[name] ?? "" : stored,
                                error: editing ? Views.beside(error, name) : nil)
            f.type = type
            return f
        }
        let edit = [
            fact("sampleDate", "Ngày lấy mẫu", "Sample date", record.sampleDate, type: "date"),
            fact("onsetDate", "Ngày khởi phát (để trống: không có)", "Onset (empty: none)", record.onsetDate ?? "", type: "date"),
            fact("confirmedAt", "Thời điểm dương tính", "Confirmed at", Instant.localInput(record.confirmedAt), type: "datetime-local"),
            fact("isolatedAt", "Thời điểm cách ly (để trống: chưa)", "Isolated at (empty: not yet)", record.isolatedAt.map(Instant.localInput) ?? "",
                 type: "datetime-local"),
        ]
        let detected = editing ? values["detectedIn"] ?? "" : record.detectedIn?.rawValue ?? ""
        var editReason = Views.Field(name: "reason", label: "Lý do sửa", en: "Why", value: editing ? values["reason"] ?? "" : "",
                                     error: editing ? Views.beside(error, "reason") : nil, maxlength: "500")
        editReason.idSuffix = "edit"
        editReason.autocomplete = "off"
        return Views.page("case", CaseView(
            session: view, id: id, person: opened?.name, phone: opened?.phone, idNumber: opened?.idNumber, otherNames: otherNames,
            area: try await placeName(record.areaCode), sampleDate: record.sampleDate, onsetDate: record.onsetDate,
            confirmed: Instant.readable(record.confirmedAt), isolated: record.isolatedAt.map(Instant.readable),
            detectedIn: record.detectedIn.map(Self.classificationLabel) ?? "Cộng đồng / in the community",
            window: Instant.readable(from: record.windowFrom, to: record.windowTo),
            classification: Self.classificationLabel(record.classification), overridden: record.classificationOverridden,
            classificationReason: record.classificationOverridden ? lastClassify?.reason : nil,
            classify: classificationChoices(record.classificationOverridden ? record.classification.rawValue : "",
                                            blank: "Tự động (theo quy tắc) / derived by the rules"),
            reason: reason, tracer: tracer, noVisits: sites.isEmpty,
            sites: siteRows, hasSites: !siteRows.isEmpty, published: published, hasPublished: !published.isEmpty,
            contacts: contactsForm(caseID: id, [:], error: nil),
            edit: edit,
            editDetected: detectedChoices(detected),
            editReason: editReason,
            notice: notice ?? (created ? "Đã lưu ca bệnh. / The case is saved." : nil),
            problem: error?.bilingual), status: error?.httpStatus ?? .ok)
    }

    /// Corrected facts of a case: the same operation as `PATCH /v1/cases/{id}`.
    func editCaseForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let id = try caseID(context)
        let edit = TruyVet.CaseInput(sampleDate: fields["sampleDate"] ?? "", onsetDate: fields["onsetDate"] ?? "",
                                     confirmedAt: (fields["confirmedAt"] ?? "").isEmpty ? "" : Instant.fromLocalInput(fields["confirmedAt"]!),
                                     isolatedAt: (fields["isolatedAt"] ?? "").isEmpty ? "" : Instant.fromLocalInput(fields["isolatedAt"]!),
                                     detectedIn: fields["detectedIn"] ?? "")
        do {
            _ = try await app.editCase(caseID: id, edit, reason: fields["reason"], by: session.principal, now: app.config.clock())
            return try await casePage(request, context, notice: "Đã sửa ca bệnh; thời gian lây nhiễm được tính lại. / The case is corrected; its window is derived again.")
        } catch let error as AppError where error.kind == .badRequest || error.kind == .conflict {
            fields["form"] = "edit"
            return try await casePage(request, context, values: fields, error: error)
        }
    }

    func classifyForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let id = try caseID(context)
        do {
            let value = try CaseRules.parse(fields["classification"].flatMap { $0.isEmpty ? nil : $0 }, field: "classification")
            _ = try await app.classify(caseID: id, as: value, by: session.principal, reason: fields["reason"], now: app.config.clock())
            return redirect("/cases/\(id)")
        } catch let error as AppError where error.kind == .badRequest {
            return try await casePage(request, context, values: fields, error: error)
        }
    }

    func publishForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (fields, all) = try await multiForm(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let id = try caseID(context)
        let windows = (all["window"] ?? []).map { value -> TruyVet.WindowInput in
            let parts = value.split(separator: "|").map(String.init)
            return TruyVet.WindowInput(venueId: parts.first.flatMap { Int64($0) }, from: parts.count > 1 ? parts[1] : nil, to: parts.count > 2 ? parts[2] : nil)
        }
        do {
            let stored = try await app.publishExposures(caseID: id, windows.isEmpty ? nil : windows, by: session.principal, now: app.config.clock())
            return try await casePage(request, context, notice: "Đã công bố \(stored.count) khung giờ. / \(stored.count) windows published.")
        } catch let error as AppError where error.kind == .badRequest {
            let shown = error.field == "windows" ? AppError.invalid("windows", "choose at least one time window to publish") : error
            return try await casePage(request, context, error: shown)
        }
    }

    // MARK: Contacts

    struct ContactRow {
        let ref: String, tier: String, name: String, otherNames: String?, phone: String
        let venue: String, when: String, minutes: Int, longest: Int, exposures: Int
        let through: String?
        let quarantine: String?
        let followUp: String
        let checkboxID: String
    }

    struct TimelineRow { let venue: String; let when: String; let minutes: Int; let exposed: Int }

    struct LinkedRow { let id: Int64; let venue: String; let when: String }

    struct ContactsView {
        let session: Views.SessionView
        let id: Int64
        let person: String
        let window: String
        let query: ContactsForm
        let asked: Bool
        let counts: String
        let rows: [ContactRow], hasRows: Bool, total: Int
        let pager: PagerView?
        let sortTier: String, sortExposure: String, sortedByExposure: Bool
        let timeline: [TimelineRow], hasTimeline: Bool
        let transmission: TransmissionView?
        /// Other cases at the case's venues at the same time: likely links.
        let linked: [LinkedRow]
        let hasLinked: Bool
        let callListURL: String, exposuresURL: String
        let hidden: [Hidden]
        let statuses: [Choice], results: [Choice]
        let since: Views.Field
        let noVisits: Bool
        let notice: String?, problem: String?
    }

    struct Hidden { let name: String; let value: String }

    static let contactsPageSize = 100
    static let contactQueryNames = ["degree", "minOverlapMinutes", "bufferMinutes", "reason", "sort"]

    /// The contacts page. Without a reason it shows only the query form; with one, every view of the list is a query
    /// written to the audit log with that reason (as the API's).
    func contactsPage(_ request: Request, _ context: AppRequestContext, values given: [String: String]? = nil, error: AppError? = nil,
                      notice: String? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let id = try caseID(context)
        var values: [String: String] = given ?? [:]
        if given == nil {
            let query = queryForm(request)
            for name in Self.contactQueryNames + ["page"] { if let v = query[name] { values[name] = v } }
        }
        var problem = error
        var tracing: TruyVet.Tracing?
        let asked = values["reason"] != nil
        do {
            // The role first: a page that only asks for a reason still tells a venue or health account it may not.
            try TruyVet.requireContactReader(session.principal)
            if asked {
                let query = try Self.contactQuery { name in values[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
                tracing = try await app.trace(caseID: id, query: query, principal: session.principal, reason: values["reason"], action: "contacts",
                                              now: app.config.clock())
            }
        } catch let e as AppError where e.kind == .badRequest {
            problem = problem ?? e
        }
        let record = try await app.caseRecord(id)
        let opened = try await app.store.person(id: record.personID).map { try app.open($0) }
        let byExposure = values["sort"] == "exposure"
        let query = Self.contactQueryNames.compactMap { name in values[name].flatMap { $0.isEmpty ? nil : "\(name)=\(Self.queryValue($0))" } }
        func link(_ extra: [String]) -> String { "/cases/\(id)/contacts?" + (query.filter { !$0.hasPrefix("sort=") } + extra).joined(separator: "&") }
        var rows: [ContactRow] = []
        var pager: PagerView?
        var total = 0
        var timeline: [TimelineRow] = []
        var counts = ""
        if let t = tracing {
            var contacts = t.contacts
            if byExposure { contacts.sort { ($0.longestMinutes, $1.firstExposure) > ($1.longestMinutes, $0.firstExposure) } }
            total = contacts.count
            // Only the page shown becomes rows (thousands of F2 on a busy day).
            let (slice, pages) = paged(contacts, size: Self.contactsPageSize, request: request) { n in
                link((byExposure ? ["sort=exposure"] : []) + ["page=\(n)"])
            }
            pager = pages
            rows = slice.map { c in
                let p = t.people[c.personID]
                let first = c.exposures.min { $0.start < $1.start }
                let through = Set(c.exposures.map(\.through)).filter { $0 != t.record.personID }
                    .map { "\(t.tier(of: $0)) \(t.people[$0]?.name ?? "")" }.sorted()
                let follow = t.followUps[c.personID]
                let ref = app.personRef(c.personID)
                return ContactRow(
                    ref: ref, tier: c.tier.name, name: p?.name ?? "",
                    otherNames: (t.names[c.personID] ?? []).filter { $0 != p?.name }.joined(separator: "; ").nilIfEmpty,
                    phone: p?.phone ?? "", venue: first.flatMap { t.venues[$0.venueID]?.name } ?? "",
                    when: first.map { Instant.readable(from: $0.start, to: $0.end) } ?? "", minutes: Int((first?.minutes ?? 0).rounded(.down)),
                    longest: Int(c.longestMinutes.rounded(.down)), exposures: c.exposures.count,
                    through: through.isEmpty ? nil : through.joined(separator: "; "),
                    quarantine: t.quarantines[c.personID].map { Instant.day($0.since) },
                    followUp: Self.followUpLabel(follow?.status ?? .notCalled, follow?.result),
                    checkboxID: "ref-" + ref.replacingOccurrences(of: ".", with: "-"))
            }
            let byTier = Dictionary(grouping: t.contacts, by: \.tier.name).mapValues(\.count)
            counts = byTier.keys.sorted().map { "\($0): \(byTier[$0]!)" }.joined(separator: " · ")
            // The case's own presences, each with how many of its F1 were exposed there and then.
            timeline = t.casePresences.sorted { $0.start < $1.start }.map { p in
                let exposed = t.contacts.filter { c in
                    c.tier == .f1 && c.exposures.contains { $0.venueID == p.venueID && $0.through == t.record.personID && $0.start < p.end.addingTimeInterval(t.rules.bufferMinutes * 60) && $0.end > p.start }
                }.count
                return TimelineRow(venue: t.venues[p.venueID]?.name ?? "#\(p.venueID)", when: Instant.readable(from: p.start, to: p.end),
                                   minutes: Int((p.end.timeIntervalSince(p.start) / 60).rounded(.down)), exposed: exposed)
            }
        }
        let api = "/v1/cases/\(id)/contacts?" + query.filter { !$0.hasPrefix("sort=") }.joined(separator: "&")
        var since = Views.Field(name: "since", label: "Cách ly từ ngày (khi chọn “Đang cách ly”)", en: "Quarantined from (with “quarantined”)",
                                value: values["since"] ?? Instant.day(app.config.clock()), error: Views.beside(problem, "since"))
        since.type = "date"
        let linked = tracing.map { t in t.linkedCases.map { l in
            LinkedRow(id: l.caseID, venue: t.venues[l.venueID]?.name ?? "#\(l.venueID)", when: Instant.readable(from: l.from, to: l.to))
        } } ?? []
        return Views.page("contacts", ContactsView(
            session: view, id: id, person: opened?.name ?? "", window: Instant.readable(from: record.windowFrom, to: record.windowTo),
            query: contactsForm(caseID: id, values, error: problem), asked: tracing != nil, counts: counts,
            rows: rows, hasRows: total > 0, total: total, pager: pager,
            sortTier: link([]), sortExposure: link(["sort=exposure"]), sortedByExposure: byExposure,
            timeline: timeline, hasTimeline: !timeline.isEmpty,
            transmission: tracing.flatMap { $0.contacts.isEmpty && $0.linkedCases.isEmpty ? nil : TransmissionView($0) },
            linked: linked, hasLinked: !linked.isEmpty,
            callListURL: api + "&format=csv&rows=people", exposuresURL: api + "&format=csv",
            hidden: Self.contactQueryNames.compactMap { name in values[name].map { Hidden(name: name, value: $0) } }
                + (values["page"].map { [Hidden(name: "page", value: $0)] } ?? []),
            statuses: FollowUp.Status.allCases.map { Choice(value: $0.rawValue, label: Self.followUpLabel($0), selected: $0.rawValue == values["status"]) },
            results: [Choice(value: "", label: "—", selected: true)] + FollowUp.TestResult.allCases.map {
                Choice(value: $0.rawValue, label: $0 == .positive ? "Dương tính / positive" : "Âm tính / negative", selected: false)
            },
            since: since, noVisits: tracing != nil && tracing!.casePresences.isEmpty,
            notice: notice, problem: Views.above(problem, placed: ["minOverlapMinutes", "bufferMinutes", "reason", "since"])),
            status: problem?.httpStatus ?? .ok)
    }

    /// The follow-up of every ticked contact, then the same contacts page again.
    func followUpForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (fields, all) = try await multiForm(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        let id = try caseID(context)
        var values = fields.filter { Self.contactQueryNames.contains($0.key) || $0.key == "page" }
        let refs = all["refs"] ?? []
        do {
            guard !refs.isEmpty else { throw AppError.invalid("refs", "tick at least one contact in the table") }
            let input = TruyVet.FollowUpInput(refs: refs, status: fields["status"], result: fields["result"].flatMap { $0.isEmpty ? nil : $0 },
                                              since: fields["since"])
            let list = try await app.setFollowUps(caseID: id, input, by: session.principal, now: app.config.clock())
            return try await contactsPage(request, context, values: values,
                                          notice: "Đã cập nhật \(list.count) người. / \(list.count) people updated.")
        } catch let error as AppError where error.kind == .badRequest {
            values["since"] = fields["since"]
            values["status"] = fields["status"]
            return try await contactsPage(request, context, values: values, error: error)
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Routes {
    // MARK: The audit log (admins)

    struct AuditRow { let at: String; let who: String; let role: String; let action: String; let caseID: String; let reason: String; let detail: String }

    struct AuditView {
        let session: Views.SessionView
        let fields: [Views.Field]
        let rows: [AuditRow], hasRows: Bool
        let pager: PagerView?
    }

    /// Who read or changed tracing data, when, for which case and why; filtered by case, action, who and day.
    func auditPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let q = queryForm(request)
        func given(_ name: String) -> String? { q[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) } }
        var problem: AppError?
        var filter = AuditFilter(limit: 5_000)
        if let raw = given("caseId") {
            if let id = Int64(raw), id > 0 { filter.caseID = id } else { problem = AppError.invalid("caseId", "caseId must be a positive whole number") }
        }
        if let raw = given("since") {
            do { filter.since = try Day.parse(raw, field: "since").start } catch { problem = error }
        }
        do {
            filter.action = try Text.clean(given("action"), field: "action", max: 100, required: false)
            filter.who = try Text.clean(given("who"), field: "who", max: 100, required: false)
        } catch { problem = error }
        let entries = problem == nil ? try await app.auditLog(filter, by: session.principal) : []
        let rows = entries.map { e in
            AuditRow(at: Instant.readable(e.at), who: e.label, role: e.role.rawValue, action: e.action, caseID: e.caseID.map { "#\($0)" } ?? "",
                     reason: e.reason, detail: e.detail)
        }
        let query = ["caseId", "action", "who", "since"].compactMap { name in given(name).map { "\(name)=\(Self.queryValue($0))" } }
        let (page, pager) = paged(rows, size: 200, request: request) { "/admin/audit?" + (query + ["page=\($0)"]).joined(separator: "&") }
        func field(_ name: String, _ label: String, _ en: String, type: String = "text") -> Views.Field {
            var f = Views.Field(name: name, label: label, en: en, value: q[name] ?? "", error: Views.beside(problem, name))
            f.type = type
            return f
        }
        var caseField = field("caseId", "Mã ca", "Case id")
        caseField.inputmode = "numeric"
        let fields = [caseField, field("action", "Thao tác (vd. contacts, case)", "Action (e.g. contacts, case)"),
                      field("who", "Người thực hiện", "Who"), field("since", "Từ ngày", "Since", type: "date")]
        return Views.page("audit", AuditView(session: view, fields: fields, rows: page, hasRows: !rows.isEmpty, pager: pager),
                          status: problem?.httpStatus ?? .ok)
    }
}

extension Routes {
    // MARK: Public exposure sites

    struct PublicSiteRow { let venue: String; let address: String; let place: String; let category: String; let windows: [String] }

    struct ExposureSitesView {
        let chooser: AreaChooser
        let since: Views.Field
        let area: String?
        let rows: [PublicSiteRow], hasRows: Bool
        let problem: String?
        let visitor = true
    }

    /// `GET /exposure-sites`, no sign-in: the windows tracers published, in a province, district or commune, newest
    /// first. Venues and times only: never who.
    func exposureSitesPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let q = queryForm(request)
        func text(_ name: String) -> String { q[name]?.trimmingCharacters(in: .whitespaces) ?? "" }
        var problem: AppError?
        let now = app.config.clock()
        var since = Day(now).adding(-14)
        if !text("since").isEmpty {
            do { since = try Day.parse(text("since"), field: "since") } catch { problem = error }
        }
        let code = [text("areaCode"), text("district"), text("province")].first { !$0.isEmpty }
        var rows: [PublicSiteRow] = []
        var areaName: String?
        if let code {
            if let path = try? await app.areaPath(code), let area = path.first {
                areaName = path.map(\.name).joined(separator: ", ")
                for site in try await app.publishedExposureSites(area: area.code, venueID: nil, since: since.start) {
                    rows.append(PublicSiteRow(venue: site.venue.name, address: site.venue.address, place: try await placeName(site.venue.areaCode),
                                              category: "\(site.venue.category.vietnamese) / \(site.venue.category.english)",
                                              windows: site.windows.reversed().map { Instant.readable(from: $0.from, to: $0.to) }))
                }
            } else {
                problem = AppError.invalid("areaCode", "\(code) is not a known area code")
            }
        }
        var sinceField = Views.Field(name: "since", label: "Từ ngày", en: "Since", value: since.description, error: Views.beside(problem, "since"))
        sinceField.type = "date"
        let chooser = try await areaChooser(action: "/exposure-sites", request: request, values: [:], error: problem)
        return Views.page("exposure-sites", ExposureSitesView(chooser: chooser, since: sinceField, area: areaName, rows: rows, hasRows: !rows.isEmpty,
                                                             problem: Views.above(problem, placed: ["since"])), status: problem?.httpStatus ?? .ok)
    }
}

extension Routes {
    // MARK: Check-in bursts

    struct FlagRow { let venue: String; let address: String; let place: String; let shortCode: String; let at: String; let detail: String }
    struct FlagsView { let session: Views.SessionView; let since: Views.Field; let rows: [FlagRow]; let hasRows: Bool; let problem: String? }

    /// Venues whose check-ins came faster than people walk in (a list of phones typed in, a leaked poster): newest first.
    func flagsPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let raw = queryForm(request)["since"] ?? ""
        var problem: AppError?
        var since = Day(app.config.clock()).adding(-7)
        if !raw.isEmpty { do { since = try Day.parse(raw, field: "since") } catch { problem = error } }
        var rows: [FlagRow] = []
        for flag in try await app.flags(since: since.start, by: session.principal) {
            let venue = try await app.venues.venue(id: flag.venueID)
            let place = if let venue { try await placeName(venue.areaCode) } else { "" }
            rows.append(FlagRow(venue: venue?.name ?? "#\(flag.venueID)", address: venue?.address ?? "",
                                place: place, shortCode: venue?.formattedShortCode ?? "",
                                at: Instant.readable(flag.at), detail: flag.detail))
        }
        var field = Views.Field(name: "since", label: "Từ ngày", en: "Since", value: since.description, error: Views.beside(problem, "since"))
        field.type = "date"
        return Views.page("flags", FlagsView(session: view, since: field, rows: rows, hasRows: !rows.isEmpty, problem: nil),
                          status: problem?.httpStatus ?? .ok)
    }
}

extension Routes {
    // MARK: Signing keys (admins)

    struct KeyRow { let id: Int; let current: Bool }
    struct KeysView { let session: Views.SessionView; let keys: [KeyRow] }

    /// The keys that sign and verify posters and screen codes, by id (never the secrets): which one signs new posters.
    func keysPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.admin)
        let ring = app.keyring
        return Views.page("keys", KeysView(session: view, keys: ring.keys.keys.sorted().map { KeyRow(id: Int($0), current: $0 == ring.currentID) }))
    }
}
