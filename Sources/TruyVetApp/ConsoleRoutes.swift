import Foundation
import Hummingbird
import MultipartKit
import TruyVetCore
import TruyVetQR

/// The web console's pages: the start page, the venue code form, sign-in, and the venue portal (register, today at the
/// door, poster, log). Server-rendered, no JavaScript; every action calls the same `TruyVet` operation as the JSON API.
extension Routes {
    func registerConsoleRoutes(on router: Router<AppRequestContext>) {
        router.get("/style.css") { _, _ in Views.stylesheetResponse() }
        router.get("/") { request, context in try await console { try await home(request, context) } }
        router.get("/c") { request, context in try await console { try await enterCode(request, context) } }
        router.get("/sign-in") { request, context in try await console { try await signInPage(request, context, error: nil, status: .ok) } }
        router.post("/sign-in") { request, context in try await console { try await signInForm(request, context) } }
        router.post("/sign-in/staff") { request, context in try await console { try await staffSignInForm(request, context) } }
        router.post("/sign-out") { request, context in try await console { try await signOutForm(request, context) } }
        router.get("/staff") { request, context in try await console { try await staffHome(request, context) } }
        router.get("/admin/accounts") { request, context in try await console { try await accountsPage(request, context) } }
        router.post("/admin/accounts") { request, context in try await console { try await createAccountForm(request, context) } }
        router.get("/admin/audit") { request, context in try await console { try await auditPage(request, context) } }
        router.get("/admin/venues") { request, context in try await console { try await adminVenuesPage(request, context) } }
        router.post("/admin/venues/key") { request, context in try await console { try await replaceKeyForm(request, context) } }
        router.post("/admin/accounts/:id/:action") { request, context in try await console { try await accountActionForm(request, context) } }
        router.get("/venue") { request, context in try await console { try await venueToday(request, context) } }
        router.get("/venue/register") { request, context in try await console { try await registerPage(request, context) } }
        router.post("/venue/register") { request, context in try await console { try await registerForm(request, context) } }
        router.get("/venue/poster") { request, context in try await console { try await posterPage(request, context) } }
        router.post("/venue/poster/rotate") { request, context in try await console { try await rotateForm(request, context) } }
        router.get("/venue/log") { request, context in try await console { try await logPage(request, context) } }
        router.get("/venue/screen") { request, context in try await console { try await screenPage(request, context) } }
        router.get("/venue/import") { request, context in try await console { try await importPage(request, context) } }
        router.post("/venue/import") { request, context in try await console { try await importForm(request, context) } }
        router.get("/venue/status") { request, context in try await console { try await statusPage(request, context) } }
        router.get("/venue/settings") { request, context in try await console { try await settingsPage(request, context) } }
        router.post("/venue/settings") { request, context in try await console { try await settingsForm(request, context) } }
        router.get("/venue/desk") { request, context in try await console { try await deskPage(request, context) } }
        router.post("/venue/desk/scan") { request, context in try await console { try await deskScanForm(request, context) } }
        router.post("/venue/desk/checkin") { request, context in try await console { try await deskCheckinForm(request, context) } }
        router.post("/venue/checkout") { request, context in try await console { try await checkoutOneForm(request, context) } }
        router.post("/venue/checkout-all") { request, context in try await console { try await checkoutAllForm(request, context) } }
        registerTracerConsole(on: router)
        registerClusterConsole(on: router)
        registerAdviceConsole(on: router)
    }

    // MARK: Sessions

    /// The console session the request's cookie names, if still valid.
    /// The console session the request's cookie names, if still valid (resolved by `AuthMiddleware`).
    func session(_ request: Request, _ context: AppRequestContext) async throws -> TruyVet.Session? {
        if case .session(let session) = context.identity { return session }
        return nil
    }

    /// Sent to the sign-in page when a console page is opened without a session.
    struct SignInRequired: Error {}

    /// The signed-in session. For a form (`form` given) the session's CSRF token must come with it: 403 otherwise.
    func signedInSession(_ request: Request, _ context: AppRequestContext, form: [String: String]?) async throws -> TruyVet.Session {
        guard let session = try await session(request, context) else { throw SignInRequired() }
        if let form {
            guard let csrf = form["csrf"], Self.sameSecret(csrf, session.csrf) else {
                throw AppError(.forbidden, code: "csrf", message: "this form is out of date or did not come from TruyVet; open the page again")
            }
        }
        return session
    }

    /// The signed-in venue (a venue's session; staff are sent to their own start page).
    func signedIn(_ request: Request, _ context: AppRequestContext, form: [String: String]? = nil) async throws -> (TruyVet.Session, Venue, Views.SessionView) {
        let session = try await signedInSession(request, context, form: form)
        guard let id = session.principal.venueID else { throw SignInRequired() }
        let venue = try await app.venue(id)
        return (session, venue, Views.SessionView(name: venue.name, home: "/venue", csrf: session.csrf))
    }

    /// The signed-in staff member (an account's session).
    func signedInStaff(_ request: Request, _ context: AppRequestContext, form: [String: String]? = nil) async throws -> (TruyVet.Session, Views.SessionView) {
        let session = try await signedInSession(request, context, form: form)
        // A venue's session is signed in, just not for this: it is told so rather than sent to sign in again.
        guard session.principal.venueID == nil, session.principal.role != .venue else {
            throw AppError.forbidden("this page is for staff accounts; you are signed in with a venue's key")
        }
        return (session, sessionView(session))
    }

    func sessionView(_ session: TruyVet.Session) -> Views.SessionView {
        Views.SessionView(name: session.principal.label.replacingOccurrences(of: "account ", with: ""), home: "/staff", csrf: session.csrf)
    }

    /// Compares secrets in time that does not depend on where they differ.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Runs a console page: errors become pages, not JSON.
    func console(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch is SignInRequired {
            return Response(status: .seeOther, headers: [.location: "/sign-in", .cacheControl: "no-store"])
        } catch let error as RateLimited {
            return Page.tooManyRequests(error)
        } catch let error as AppError {
            let (heading, headingEn) = switch error.kind {
            case .forbidden: ("Không được phép", "Not allowed")
            case .notFound: ("Không tìm thấy", "Not found")
            default: ("Không thực hiện được", "Could not be done")
            }
            return Views.message(heading, headingEn, ErrorMessages.vietnamese(error), error.message,
                                 link: .init(href: "/", label: "Về trang đầu", en: "Back to the start"),
                                 visitor: false, status: error.httpStatus)
        }
    }

    func form(_ request: Request) async throws -> [String: String] {
        Page.formFields(try await request.body.collect(upTo: 1024 * 1024))
    }

    /// A GET form's fields, from the query string decoded as browsers encode it (`+` is a space).
    func queryForm(_ request: Request) -> [String: String] {
        Page.formFields(ByteBuffer(string: request.uri.query ?? ""))
    }

    /// A form with repeated names (checkboxes): the last value of each name, and every value of each.
    func multiForm(_ request: Request) async throws -> (fields: [String: String], all: [String: [String]]) {
        let pairs = Page.formPairs(try await request.body.collect(upTo: 4 * 1024 * 1024))
        return (Dictionary(pairs, uniquingKeysWith: { _, last in last }), Dictionary(grouping: pairs, by: \.0).mapValues { $0.map(\.1) })
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: TruyVet.sessionCookie, value: value, maxAge: maxAge, path: "/",
               secure: app.config.resolvedPublicURL.hasPrefix("https:"), httpOnly: true, sameSite: .strict)
    }

    // MARK: Start, venue code, sign-in

    struct HomeView { let session: Views.SessionView?; let code: Views.Field; let openRegistration: Bool }

    func home(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let session = try await session(request, context)
        var view: Views.SessionView? = nil
        if let session {
            if let id = session.principal.venueID { view = .init(name: try await app.venue(id).name, home: "/venue", csrf: session.csrf) } else { view = sessionView(session) }
        }
        return Views.page("home", HomeView(session: view, code: codeField(value: "", error: nil), openRegistration: app.config.openRegistration))
    }

    func codeField(value: String, error: String?) -> Views.Field {
        Views.Field(name: "shortCode", label: "Mã địa điểm (in dưới mã QR)", en: "Venue code (printed under the QR code)",
                    value: value, error: error, required: true, autocomplete: "off", maxlength: "12")
    }

    struct CodeView { let code: Views.Field; let visitor = true }

    /// `/c`: the form for a poster's short code; with `shortCode`, on to that venue's check-in page.
    func enterCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let raw = queryForm(request)["shortCode"], !raw.isEmpty else {
            return Views.page("code", CodeView(code: codeField(value: "", error: nil)))
        }
        if let venue = try await app.venue(shortCode: raw) {
            return redirect("/c/" + (app.checkinURL(venue).split(separator: "/").last.map { String($0) } ?? ""))
        }
        let now = app.config.clock()
        guard app.guards.invalidCodes.allow(clientKey(context), now: now) else {
            throw RateLimited(retryAfter: app.guards.invalidCodes.retryAfter(now: now), message: "too many invalid venue codes from this address")
        }
        let error = "Không có địa điểm nào có mã này. / No venue has this code."
        return Views.page("code", CodeView(code: codeField(value: raw, error: error)), status: .notFound)
    }

    struct SignInView { let key: Views.Field; let username: Views.Field; let password: Views.Field; let visitor = false }

    func signInPage(_ request: Request, _ context: AppRequestContext, error: AppError?, status: HTTPResponse.Status, username: String = "") async throws -> Response {
        func message(_ field: String) -> String? { Views.beside(error, field) }
        let key = Views.Field(name: "key", label: "Mã quản lý của địa điểm", en: "The venue's management key", error: message("key"),
                              type: "password", required: true, autocomplete: "off", maxlength: "200")
        let user = Views.Field(name: "username", label: "Tên đăng nhập", en: "Username", value: username, error: message("username"),
                               required: true, autocomplete: "username", maxlength: "32")
        let password = Views.Field(name: "password", label: "Mật khẩu", en: "Password", error: message("password"),
                                   type: "password", required: true, autocomplete: "current-password", maxlength: "72")
        return Views.page("sign-in", SignInView(key: key, username: user, password: password), status: status)
    }

    func signInForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        do {
            let (cookie, _) = try await app.signIn(key: fields["key"], client: clientKey(context), now: app.config.clock())
            var response = redirect("/venue")
            response.setCookie(sessionCookie(cookie, maxAge: app.config.sessionHours * 3600))
            return response
        } catch let error as AppError where error.field == "key" {
            return try await signInPage(request, context, error: error, status: error.httpStatus)
        }
    }

    func staffSignInForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        do {
            let (cookie, session) = try await app.signIn(username: fields["username"], password: fields["password"],
                                                         client: clientKey(context), now: app.config.clock())
            var response = redirect(session.principal.role == .admin ? "/admin/accounts" : session.principal.role == .tracer ? "/cases" : session.principal.role == .health ? "/levels" : "/staff")
            response.setCookie(sessionCookie(cookie, maxAge: app.config.sessionHours * 3600))
            return response
        } catch let error as AppError where error.field != nil {
            return try await signInPage(request, context, error: error, status: error.httpStatus, username: fields["username"] ?? "")
        }
    }

    func signOutForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await signedInSession(request, context, form: try await form(request))
        if let cookie = request.cookies[TruyVet.sessionCookie]?.value { try await app.signOut(cookie: cookie) }
        var response = redirect("/")
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    // MARK: Staff

    struct StaffView { let session: Views.SessionView; let role: String; let admin: Bool; let cases: Bool; let advice: Bool }

    func staffHome(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        return Views.page("staff", StaffView(session: view, role: session.principal.role.rawValue, admin: session.principal.role == .admin,
                                             cases: [.tracer, .health].contains(session.principal.role),
                                             advice: [.health, .admin].contains(session.principal.role)))
    }

    struct AccountRow { let id: Int64; let username: String; let role: String; let created: String; let disabled: Bool; let locked: Bool }

    struct AccountsView {
        let session: Views.SessionView
        let accounts: [AccountRow]
        let username: Views.Field, password: Views.Field
        let roles: [Choice]
        let roleError: String?
        let issued: Issued?
        let problem: String?
        struct Issued { let username: String; let password: String }
    }

    func accountsPage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil,
                      issued: AccountsView.Issued? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        let now = app.config.clock()
        let rows = try await app.accounts(by: session.principal, now: now).map {
            AccountRow(id: $0.id, username: $0.username, role: $0.role, created: Instant.readable($0.createdAt), disabled: $0.disabled, locked: $0.locked)
        }
        func message(_ field: String) -> String? { Views.beside(error, field) }
        let username = Views.Field(name: "username", label: "Tên đăng nhập", en: "Username", value: values["username"] ?? "",
                                   error: message("username"), required: true, autocomplete: "off", maxlength: "32")
        let password = Views.Field(name: "password", label: "Mật khẩu (để trống: tạo tự động)", en: "Password (empty: generated)",
                                   error: message("password"), type: "password", autocomplete: "new-password", maxlength: "72")
        let roles = TruyVet.staffRoles.map { r in
            Choice(value: r.rawValue, label: Self.roleNames[r] ?? r.rawValue, selected: values["role"] == r.rawValue)
        }
        let placed = ["username", "password", "role"]
        return Views.page("accounts", AccountsView(
            session: view, accounts: rows, username: username, password: password, roles: roles, roleError: message("role"),
            issued: issued, problem: Views.above(error, placed: placed)), status: status)
    }

    static let roleNames: [Role: String] = [.admin: "Quản trị / Admin", .tracer: "Truy vết / Tracer", .health: "Y tế / Health officer"]

    func createAccountForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        do {
            let (account, password) = try await app.createAccount(username: fields["username"], role: fields["role"], password: fields["password"],
                                                                  by: session.principal, now: app.config.clock())
            let shown = (fields["password"] ?? "").isEmpty ? password : "(mật khẩu bạn vừa nhập / the password you typed)"
            return try await accountsPage(request, context, issued: .init(username: account.username, password: shown), status: .created)
        } catch let error as AppError where error.kind == .badRequest || error.kind == .conflict {
            return try await accountsPage(request, context, values: fields, error: error, status: error.httpStatus)
        }
    }

    func accountActionForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        guard let raw = context.parameter("id"), let id = Int64(raw), id > 0 else { throw AppError.invalid("id", "account id must be a positive whole number") }
        let now = app.config.clock()
        switch context.parameter("action") {
        case "disable": _ = try await app.setAccountDisabled(id: id, disabled: true, by: session.principal, now: now)
        case "enable": _ = try await app.setAccountDisabled(id: id, disabled: false, by: session.principal, now: now)
        case "reset":
            let (account, password) = try await app.resetPassword(id: id, by: session.principal, now: now)
            return try await accountsPage(request, context, issued: .init(username: account.username, password: password))
        default: throw AppError.notFound("action")
        }
        return redirect("/admin/accounts")
    }

    struct AdminVenuesView {
        let session: Views.SessionView
        let id: Views.Field
        let found: Found?
        let issued: Issued?
        struct Found { let id: Int64; let name: String; let address: String; let area: String }
        struct Issued { let name: String; let id: Int64; let key: String }
    }

    /// An admin finds a venue by its id (printed on its "keep this" sheet and its poster page) to replace a lost key.
    func adminVenuesPage(_ request: Request, _ context: AppRequestContext, issued: AdminVenuesView.Issued? = nil) async throws -> Response {
        let (session, view) = try await signedInStaff(request, context)
        try session.principal.require(.admin)
        let raw = request.uri.queryParameters.get("id").map { String($0) } ?? ""
        var found: AdminVenuesView.Found? = nil
        var error: String? = nil
        if !raw.isEmpty {
            if let id = Int64(raw.trimmingCharacters(in: .whitespaces)), id > 0, let venue = try await app.venues.venue(id: id) {
                found = .init(id: venue.id, name: venue.name, address: venue.address,
                              area: try await app.areaPath(venue.areaCode).map(\.name).joined(separator: ", "))
            } else {
                error = AppError.notFound("venue \(raw)").bilingual
            }
        }
        let field = Views.Field(name: "id", label: "Số địa điểm", en: "Venue id", value: raw, error: error, type: "text", required: true,
                                inputmode: "numeric", autocomplete: "off", maxlength: "20")
        return Views.page("admin-venues", AdminVenuesView(session: view, id: field, found: found, issued: issued),
                          status: error == nil ? .ok : .notFound)
    }

    func replaceKeyForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _) = try await signedInStaff(request, context, form: fields)
        guard let raw = fields["id"], let id = Int64(raw), id > 0 else { throw AppError.invalid("id", "venue id must be a positive whole number") }
        guard fields["confirm"] == "yes" else { throw AppError.invalid("confirm", "tick the box to confirm that the old key stops working") }
        let key = try await app.replaceVenueKey(id, by: session.principal, now: app.config.clock())
        let venue = try await app.venue(id)
        return try await adminVenuesPage(request, context, issued: .init(name: venue.name, id: venue.id, key: key))
    }

    // MARK: Register

    struct Choice { let value: String; let label: String; let selected: Bool }

    struct RegisterView {
        let chooser: AreaChooser
        let fields: [Views.Field]
        let category: [Choice]
        let categoryError: String?, problem: String?
        let visitor = false
    }

    /// The commune chosen with three selects, each submitted (GET) to show the next, without JavaScript: for a venue's
    /// registration and a case's commune of residence alike (`area-step` and `commune-select` templates).
    struct AreaChooser {
        let action: String
        let province: [Choice], district: [Choice], commune: [Choice]
        let provinceCode: String, districtCode: String
        let hasDistricts: Bool, hasCommunes: Bool
        let areaError: String?
    }

    func areaChooser(action: String, request: Request, values: [String: String], error: AppError?) async throws -> AreaChooser {
        let q = request.uri.queryParameters
        var province = values["province"] ?? q.get("province").map { String($0) } ?? ""
        var district = values["district"] ?? q.get("district").map { String($0) } ?? ""
        let areaCode = values["areaCode"] ?? q.get("areaCode").map { String($0) } ?? ""
        // A commune already chosen (a form redrawn after an error) selects its district and province.
        if !areaCode.isEmpty, let path = try? await app.areaPath(areaCode), path.count == 3 {
            district = path[1].code
            province = path[2].code
        }
        func choices(_ areas: [Area], _ selected: String) -> [Choice] {
            areas.map { Choice(value: $0.code, label: $0.name, selected: $0.code == selected) }
        }
        let provinces = try await app.store.areas(parent: nil)
        let districts = province.isEmpty ? [] : try await app.store.areas(parent: province)
        let communes = district.isEmpty || !districts.contains(where: { $0.code == district }) ? [] : try await app.store.areas(parent: district)
        return AreaChooser(action: action, province: choices(provinces, province), district: choices(districts, district),
                           commune: choices(communes, areaCode), provinceCode: province, districtCode: district,
                           hasDistricts: !districts.isEmpty, hasCommunes: !communes.isEmpty, areaError: Views.beside(error, "areaCode"))
    }

    /// Step 1 chooses the commune; step 2 is the venue's details.
    func registerPage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil) async throws -> Response {
        var details = venueFields(values, error: error)
        if details.fields[3].value.isEmpty { details.fields[3].value = String(VenueRegistration.defaultStay) }
        let view = RegisterView(
            chooser: try await areaChooser(action: "/venue/register", request: request, values: values, error: error),
            fields: details.fields, category: details.category, categoryError: Views.beside(error, "category"),
            problem: Views.above(error, placed: Self.venueFieldNames + ["areaCode"]))
        return Views.page("register", view, status: error?.httpStatus ?? .ok)
    }

    static let venueFieldNames = ["name", "address", "contactPhone", "defaultStayMinutes", "capacity", "openingHours", "category"]

    /// A venue's details as form fields, for registration and settings alike, each with its error beside it.
    func venueFields(_ values: [String: String], error: AppError?) -> (fields: [Views.Field], category: [Choice]) {
        func field(_ name: String, _ label: String, _ en: String) -> Views.Field {
            Views.Field(name: name, label: label, en: en, value: values[name] ?? "", error: Views.beside(error, name))
        }
        var name = field("name", "Tên địa điểm", "Venue name"); name.required = true; name.maxlength = "200"
        var address = field("address", "Địa chỉ (số nhà, đường)", "Street address"); address.required = true; address.maxlength = "300"
        var phone = field("contactPhone", "Số điện thoại liên hệ", "Contact phone")
        phone.required = true; phone.type = "tel"; phone.inputmode = "tel"; phone.autocomplete = "tel"
        var stay = field("defaultStayMinutes", "Thời gian ở lại thường lệ (phút)", "Usual stay (minutes)")
        stay.type = "number"; stay.inputmode = "numeric"
        var capacity = field("capacity", "Sức chứa (người, không bắt buộc)", "Capacity (people, optional)")
        capacity.type = "number"; capacity.inputmode = "numeric"
        var hours = field("openingHours", "Giờ mở cửa (không bắt buộc)", "Opening hours (optional)"); hours.maxlength = "100"
        let categories = VenueCategory.allCases.map { c in
            Choice(value: c.rawValue, label: "\(c.vietnamese) / \(c.english)", selected: c.rawValue == values["category"])
        }
        return ([name, address, phone, stay, capacity, hours], categories)
    }

    /// A whole number typed in a form field; an empty field is none.
    static func number(_ fields: [String: String], _ name: String) throws(AppError) -> Int? {
        guard let raw = fields[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let n = Int(raw) else { throw AppError.invalid(name, "\(name) must be a whole number") }
        return n
    }

    struct RegisteredView {
        let venueName: String, venueId: Int64, key: String, shortCode: String
        let session: Views.SessionView
    }

    func registerForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        do {
            let registration = VenueRegistration(
                name: fields["name"], address: fields["address"], areaCode: fields["areaCode"], category: fields["category"],
                defaultStayMinutes: try Self.number(fields, "defaultStayMinutes"), contactPhone: fields["contactPhone"],
                capacity: try Self.number(fields, "capacity"), openingHours: fields["openingHours"].flatMap { $0.isEmpty ? nil : $0 })
            let registered = try await app.registerVenue(registration, by: try await session(request, context)?.principal)
            // Signed in at once with the new key, so that the next step (print the poster) needs nothing more.
            let (cookie, session) = try await app.signIn(key: registered.managementToken, client: "registration", now: app.config.clock())
            var response = Views.page("registered", RegisteredView(
                venueName: registered.venue.name, venueId: registered.venue.id, key: registered.managementToken,
                shortCode: registered.venue.formattedShortCode,
                session: .init(name: registered.venue.name, home: "/venue", csrf: session.csrf)), status: .created)
            response.setCookie(sessionCookie(cookie, maxAge: app.config.sessionHours * 3600))
            return response
        } catch let error as AppError where error.kind == .badRequest {
            return try await registerPage(request, context, values: fields, error: error)
        }
    }

    // MARK: Paging

    /// One page of a list, and the links around it.
    struct PagerView { let page: Int; let pages: Int; let previous: String?; let next: String? }

    /// `rows` newest first, `size` a page; `link(n)` is page n's address.
    func paged<T>(_ rows: [T], size: Int, request: Request, link: (Int) -> String) -> (rows: [T], pager: PagerView?) {
        let pages = max(1, (rows.count + size - 1) / size)
        let raw = request.uri.queryParameters.get("page").flatMap { Int(String($0)) } ?? 1
        let page = min(max(1, raw), pages)
        let slice = Array(rows.dropFirst((page - 1) * size).prefix(size))
        guard pages > 1 else { return (slice, nil) }
        return (slice, PagerView(page: page, pages: pages, previous: page > 1 ? link(page - 1) : nil, next: page < pages ? link(page + 1) : nil))
    }

    // MARK: Today at the door

    struct VisitorRow { let ref: String; let name: String; let phone: String; let checkedIn: String; let checkedOut: String; let open: Bool }

    struct TodayView {
        let session: Views.SessionView
        let venueName: String, address: String, day: String
        let word: String, colorClass: String, colorName: String
        let inside: Int, capacity: String, full: Bool
        let insideRows: [VisitorRow]
        let today: [VisitorRow], todayCount: Int
        let pager: PagerView?
        let notice: String?
        let hasInside: Bool, hasToday: Bool
    }

    func row(_ e: TruyVet.LogEntry) -> VisitorRow {
        VisitorRow(ref: e.ref, name: e.person.name, phone: e.person.phone, checkedIn: Instant.readable(e.visit.checkinAt),
                   checkedOut: e.visit.checkoutAt.map(Instant.readable) ?? "", open: e.visit.checkoutAt == nil)
    }

    func venueToday(_ request: Request, _ context: AppRequestContext, notice: String? = nil) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let now = app.config.clock()
        let code = app.dayCode(venueID: venue.id, at: now)
        let inside = try await app.present(venue: venue, now: now)
        let today = try await app.visitLog(venue: venue, from: Day(now).start, to: now.addingTimeInterval(60))
        let (page, pager) = paged(today.reversed().map(row), size: 50, request: request) { "/venue?page=\($0)" }
        let view = TodayView(
            session: sessionView, venueName: venue.name, address: venue.address, day: code.day,
            word: code.word, colorClass: String(code.color.dropFirst()), colorName: code.colorName,
            inside: inside.count, capacity: venue.capacity.map { String($0) } ?? "—", full: venue.capacity.map { inside.count >= $0 } ?? false,
            insideRows: inside.map(row), today: page, todayCount: today.count, pager: pager, notice: notice,
            hasInside: !inside.isEmpty, hasToday: !today.isEmpty)
        return Views.page("venue", view)
    }

    func checkoutOneForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, _, _) = try await signedIn(request, context, form: fields)
        guard let ref = fields["visitId"], !ref.isEmpty else { throw AppError.missing("visitId") }
        _ = try await app.checkout(visitRef: ref, secret: nil, principal: session.principal, now: app.config.clock())
        return redirect("/venue")
    }

    func checkoutAllForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (_, venue, _) = try await signedIn(request, context, form: fields)
        guard fields["confirm"] == "yes" else {
            throw AppError.invalid("confirm", "tick the box to confirm that everyone has left")
        }
        let count = try await app.checkoutEveryone(venue: venue)
        return try await venueToday(request, context, notice: "Đã cho \(count) người ra. / Checked out \(count) visitors.")
    }

    // MARK: Door screen

    struct ScreenView {
        let session: Views.SessionView
        let venueName: String, qr: String, url: String, secondsLeft: Int, stepSeconds: Int, screenOnly: Bool
        let word: String, colorClass: String
    }

    /// For a tablet at the door: a QR code that changes every `screenCodeSeconds`, the page reloading itself when it
    /// does (no JavaScript). Each load keeps the session alive.
    func screenPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let now = app.config.clock()
        let (url, left) = app.screenCode(venue, at: now)
        let svg = QRRender.svg(try QRCode(url), moduleSize: 10)
        let code = app.dayCode(venueID: venue.id, at: now)
        return Views.page("screen", ScreenView(
            session: sessionView, venueName: venue.name, qr: "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString(),
            url: url, secondsLeft: left, stepSeconds: app.config.screenCodeSeconds, screenOnly: venue.screenOnly,
            word: code.word, colorClass: String(code.color.dropFirst())))
    }

    // MARK: Import

    struct ImportView {
        let session: Views.SessionView
        let venueName: String, venueId: Int64
        let report: Report?
        let problem: String?
        typealias Report = ImportReportView
    }

    /// An import's per-row report as the `import-report` template shows it (visits and area figures alike).
    struct ImportReportView {
        struct Row { let line: Int; let field: String; let text: String }
        let accepted: Int, duplicates: Int?
        let rejected: [Row], repaired: [Row]
        let hasRejected: Bool, hasRepaired: Bool

        init(accepted: Int, duplicates: Int?, rejected: [ImportReport.Rejection], repaired: [CSV.Repair]) {
            self.accepted = accepted
            self.duplicates = duplicates
            self.rejected = rejected.map { Row(line: $0.line, field: $0.field ?? "", text: $0.reason) }
            self.repaired = repaired.map { Row(line: $0.line, field: $0.field, text: "\($0.from) → \($0.to)") }
            hasRejected = !rejected.isEmpty
            hasRepaired = !repaired.isEmpty
        }
    }

    /// A file uploaded by a console form (multipart/form-data: the file as `body`, and `csrf`), as UTF-8 text.
    func uploadedCSV(_ request: Request, _ context: AppRequestContext) async throws -> (csrf: String, text: Result<String, AppError>) {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = type.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") }).map({ String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }) else {
            throw AppError.invalid("body", "send the file as multipart/form-data (the page's form does)")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        struct Upload: Decodable { var csrf: String?; var body: Data? }
        let upload: Upload
        do { upload = try FormDataDecoder().decode(Upload.self, from: buffer, boundary: boundary) } catch {
            throw AppError.invalid("body", "the upload could not be read; choose the file again")
        }
        guard let file = upload.body, !file.isEmpty else { return (upload.csrf ?? "", .failure(AppError.missing("body"))) }
        guard let text = String(validating: file, as: UTF8.self) else {
            return (upload.csrf ?? "", .failure(AppError.invalid("body", "the file must be CSV text in UTF-8 (in Excel: Save As, CSV UTF-8)")))
        }
        return (upload.csrf ?? "", .success(text))
    }

    func importPage(_ request: Request, _ context: AppRequestContext, report: TruyVet.VisitImportReport? = nil, error: AppError? = nil) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let shown = report.map { ImportReportView(accepted: $0.accepted, duplicates: $0.duplicates, rejected: $0.rejected, repaired: $0.repaired) }
        return Views.page("import", ImportView(session: sessionView, venueName: venue.name, venueId: venue.id, report: shown,
                                               problem: error?.bilingual), status: error?.httpStatus ?? .ok)
    }

    /// A paper log or passenger list uploaded as a file (multipart/form-data, field `body`, with `csrf`): the same
    /// import as `POST /v1/visits/import`, its per-row report shown as a table.
    func importForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let upload = try await uploadedCSV(request, context)
        let (session, _, _) = try await signedIn(request, context, form: ["csrf": upload.csrf])
        do {
            let report = try await app.importVisits(csv: try upload.text.get(), principal: session.principal, now: app.config.clock())
            return try await importPage(request, context, report: report)
        } catch let error as AppError where error.kind == .badRequest {
            return try await importPage(request, context, error: error)
        }
    }

    // MARK: Status

    struct StatusView {
        let session: Views.SessionView
        let venueName: String, commune: String, category: String
        let inForce: LevelLine?, upcoming: LevelLine?
        let assessed: String?
        let everyLevel: [MeasureTable.Rule]
        let windows: [WindowLine], flags: [FlagLine]
        let hasWindows: Bool, hasFlags: Bool
        struct LevelLine { let level: Int; let label: String; let effectiveFrom: String; let measure: String; let measureEn: String }
        struct WindowLine { let from: String; let to: String; let withdrawn: Bool }
        struct FlagLine { let at: String; let detail: String }
    }

    /// What applies to the venue: the level in force in its commune and what it means for its category, the change
    /// announced to come, the exposure windows tracers published for it, and its burst flags.
    func statusPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let now = app.config.clock()
        let status = try await app.venueStatus(venue, at: now)
        func line(_ a: Announcement?) -> StatusView.LevelLine? {
            a.map { a in
                let color = app.levelRules.rules(province: nil, on: a.date).color(a.level)
                let measure = app.measures.measure(for: venue.category, level: a.level)
                return .init(level: a.level, label: color.vi, effectiveFrom: Instant.readable(a.effectiveFrom), measure: measure.vi, measureEn: measure.en)
            }
        }
        let assessed: String? = switch status.assessed {
        case .success(let a)?: "Cấp \(a.level) theo số liệu ngày \(a.date) (chưa công bố nếu khác cấp đang áp dụng) / level \(a.level) on \(a.date)'s figures"
        case .failure(let e)?: e.bilingual
        case nil: nil
        }
        let since = now.addingTimeInterval(-30 * 86400)
        let windows = try await app.store.publishedWindows(venueID: venue.id, area: nil, since: since).map {
            StatusView.WindowLine(from: Instant.readable($0.from), to: Instant.readable($0.to), withdrawn: $0.withdrawnAt != nil)
        }
        let flags = try await app.store.flags(venueID: venue.id, since: since, limit: 100).map {
            StatusView.FlagLine(at: Instant.readable($0.at), detail: $0.detail)
        }
        let path = try await app.areaPath(venue.areaCode).map(\.name).joined(separator: ", ")
        return Views.page("status", StatusView(
            session: sessionView, venueName: venue.name, commune: path, category: "\(venue.category.vietnamese) / \(venue.category.english)",
            inForce: line(status.inForce), upcoming: line(status.upcoming), assessed: assessed, everyLevel: app.measures.everyLevel,
            windows: windows, flags: flags, hasWindows: !windows.isEmpty, hasFlags: !flags.isEmpty))
    }

    // MARK: Settings

    struct SettingsView {
        let session: Views.SessionView
        let venueName: String
        let fields: [Views.Field]
        let category: [Choice]
        let categoryError: String?
        let screenOnly: Bool
        let notice: String?, problem: String?
    }

    func settingsPage(_ request: Request, _ context: AppRequestContext, values: [String: String]? = nil, error: AppError? = nil, notice: String? = nil) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let current: [String: String] = [
            "name": venue.name, "address": venue.address, "contactPhone": app.contactPhone(of: venue),
            "defaultStayMinutes": String(venue.defaultStayMinutes), "capacity": venue.capacity.map(String.init) ?? "",
            "openingHours": venue.openingHours ?? "", "category": venue.category.rawValue,
        ]
        let shown = values ?? current
        let details = venueFields(shown, error: error)
        return Views.page("settings", SettingsView(
            session: sessionView, venueName: venue.name, fields: details.fields, category: details.category,
            categoryError: Views.beside(error, "category"),
            screenOnly: values.map { $0["screenOnly"] == "yes" } ?? venue.screenOnly, notice: notice,
            problem: Views.above(error, placed: Self.venueFieldNames)), status: error?.httpStatus ?? .ok)
    }

    func settingsForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, venue, _) = try await signedIn(request, context, form: fields)
        do {
            var changes = TruyVet.VenueChanges()
            changes.name = fields["name"]
            changes.address = fields["address"]
            changes.category = fields["category"]
            changes.contactPhone = fields["contactPhone"]
            changes.defaultStayMinutes = try Self.number(fields, "defaultStayMinutes")
            changes.capacity = try Self.number(fields, "capacity")
            changes.clearCapacity = changes.capacity == nil
            let hours = fields["openingHours"]?.trimmingCharacters(in: .whitespaces) ?? ""
            changes.openingHours = hours.isEmpty ? nil : hours
            changes.clearOpeningHours = hours.isEmpty
            changes.screenOnly = fields["screenOnly"] == "yes"
            _ = try await app.editVenue(venue.id, changes, by: session.principal, now: app.config.clock())
            return try await settingsPage(request, context, notice: "Đã lưu. / Saved.")
        } catch let error as AppError where error.kind == .badRequest {
            return try await settingsPage(request, context, values: fields, error: error)
        }
    }

    // MARK: Staff desk

    struct DeskView {
        let session: Views.SessionView
        let venueName: String
        let code: Views.Field
        let outSelected: Bool
        let manual: [Views.Field]
        let result: Result?
        let problem: String?
        struct Result { let checkedOut: Bool; let name: String; let detail: String; let time: String; let word: String; let colorClass: String }
    }

    func deskPage(_ request: Request, _ context: AppRequestContext, values: [String: String] = [:], error: AppError? = nil, form: String = "",
                  result: TruyVet.DeskResult? = nil) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        func message(_ field: String, in which: String) -> String? {
            error.flatMap { form == which && $0.field == field ? $0.bilingual : nil }
        }
        var code = Views.Field(name: "code", label: "Mã thẻ TruyVet hoặc mã QR trên CCCD", en: "TruyVet card code or the QR code on a citizen ID card",
                               value: form == "scan" && error != nil ? values["code"] ?? "" : "", error: message("code", in: "scan"),
                               autocomplete: "off", maxlength: "400")
        code.required = true
        code.autofocus = true
        func manualField(_ name: String, _ label: String, _ en: String) -> Views.Field {
            Views.Field(name: name, label: label, en: en, value: form == "checkin" && error != nil ? values[name] ?? "" : "",
                        error: message(name, in: "checkin"))
        }
        var name = manualField("name", "Họ và tên", "Full name"); name.required = true; name.maxlength = "100"
        var phone = manualField("phone", "Số điện thoại (nếu có)", "Phone (if any)"); phone.type = "tel"; phone.inputmode = "tel"; phone.maxlength = "20"
        var id = manualField("idNumber", "Số CCCD (nếu không có điện thoại)", "ID card number (if no phone)"); id.inputmode = "numeric"; id.maxlength = "14"
        let placed = form == "scan" ? ["code"] : ["name", "phone", "idNumber"]
        let shown = result.map { r in
            DeskView.Result(checkedOut: r.checkedOut, name: r.person.name,
                            detail: r.person.phone.isEmpty ? "CCCD ••• \(r.person.idNumber?.suffix(3) ?? "")" : "••• \(r.person.phone.suffix(3))",
                            time: Instant.readable(r.checkedOut ? r.receipt.visit.checkoutAt ?? r.receipt.visit.checkinAt : r.receipt.visit.checkinAt),
                            word: r.receipt.dayCode.word, colorClass: String(r.receipt.dayCode.color.dropFirst()))
        }
        return Views.page("desk", DeskView(
            session: sessionView, venueName: venue.name, code: code, outSelected: values["action"] == "out", manual: [name, phone, id],
            result: shown, problem: Views.above(error, placed: placed)),
            status: error?.httpStatus ?? (result.map { $0.checkedOut } == false ? .created : .ok))
    }

    func deskScanForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, venue, _) = try await signedIn(request, context, form: fields)
        do {
            let action: TruyVet.ScanAction = fields["action"] == "out" ? .checkout : .checkin
            let result = try await app.deskScan(fields["code"], action: action, venue: venue, by: session.principal, now: app.config.clock())
            return try await deskPage(request, context, values: ["action": fields["action"] ?? "in"], form: "scan", result: result)
        } catch let error as AppError where error.kind == .badRequest || error.kind == .conflict {
            return try await deskPage(request, context, values: fields, error: error, form: "scan")
        }
    }

    func deskCheckinForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (session, venue, _) = try await signedIn(request, context, form: fields)
        do {
            let result = try await app.deskCheckin(name: fields["name"], phone: fields["phone"], idNumber: fields["idNumber"], venue: venue,
                                                   by: session.principal, now: app.config.clock())
            return try await deskPage(request, context, form: "checkin", result: result)
        } catch let error as AppError where error.kind == .badRequest {
            return try await deskPage(request, context, values: fields, error: error, form: "checkin")
        }
    }

    // MARK: Poster

    struct PosterView {
        let session: Views.SessionView
        let venueId: Int64, venueName: String, shortCode: String, checkinURL: String, generation: UInt32
        let notice: String?
    }

    func posterPage(_ request: Request, _ context: AppRequestContext, notice: String? = nil) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        return Views.page("poster", PosterView(session: sessionView, venueId: venue.id, venueName: venue.name,
                                               shortCode: venue.formattedShortCode, checkinURL: app.checkinURL(venue),
                                               generation: venue.posterGeneration, notice: notice))
    }

    func rotateForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await form(request)
        let (_, venue, _) = try await signedIn(request, context, form: fields)
        guard fields["confirm"] == "yes" else {
            throw AppError.invalid("confirm", "tick the box to confirm that the printed posters will stop working")
        }
        _ = try await app.rotatePoster(venue.id)
        return try await posterPage(request, context, notice: "Đã tạo áp phích mới: hãy in và dán lại. Áp phích cũ không còn dùng được. / A new poster was made: print it and put it up; the old ones no longer work.")
    }

    // MARK: Log

    struct LogView {
        let session: Views.SessionView
        let venueName: String
        let from: Views.Field, to: Views.Field
        let rows: [VisitorRow], count: Int
        let pager: PagerView?
        let csvURL: String
        let problem: String?
        let hasRows: Bool
    }

    /// The visits whose check-in falls on the days `from` … `to` (local days, today by default), newest first, with the
    /// same CSV as the API.
    func logPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (_, venue, sessionView) = try await signedIn(request, context)
        let q = request.uri.queryParameters
        let today = Day(app.config.clock())
        var problem: AppError? = nil
        func day(_ name: String, _ fallback: Day) -> Day {
            guard let raw = q.get(name).map({ String($0) }), !raw.isEmpty else { return fallback }
            do { return try Day.parse(raw, field: name) } catch { problem = error; return fallback }
        }
        let from = day("from", today)
        var to = day("to", from)
        if to < from { to = from }
        if to.number - from.number > 92 { problem = AppError.invalid("to", "choose at most 93 days at a time"); to = from.adding(92) }
        let start = from.start, end = to.adding(1).start
        let entries = try await app.visitLog(venue: venue, from: start, to: end)
        let (page, pager) = paged(entries.reversed().map(row), size: 200, request: request) { "/venue/log?from=\(from)&to=\(to)&page=\($0)" }
        func dateField(_ name: String, _ label: String, _ en: String, _ value: Day) -> Views.Field {
            var f = Views.Field(name: name, label: label, en: en, value: value.description, type: "date")
            if let problem, problem.field == name { f.error = problem.bilingual }
            return f
        }
        let iso = { (d: Date) in Instant.format(d).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        let view = LogView(
            session: sessionView, venueName: venue.name,
            from: dateField("from", "Từ ngày", "From", from), to: dateField("to", "Đến ngày", "To", to),
            rows: page, count: entries.count, pager: pager,
            csvURL: "/v1/venues/\(venue.id)/visits?format=csv&from=\(iso(start))&to=\(iso(end))",
            problem: problem.map(\.bilingual), hasRows: !entries.isEmpty)
        return Views.page("log", view)
    }
}
