import Foundation
import TruyVetCore

/// Example data for newcomers: venues across Bắc Kạn's communes, people visiting them for three weeks, a few cases.
/// Deterministic: the same seed and end day give the same store on every machine.
extension TruyVet {
    public struct DemoSummary: Sendable {
        public var venues = 0
        public var people = 0
        public var visits = 0
        public var cases: [CaseRecord] = []
        public var hotCommune = ""
        public var karaoke: Registered?
        public var tracerToken = ""
        public var healthToken = ""
        public var firstDay = ""
        public var lastDay = ""
    }

    /// Bắc Kạn province: the example of the seed documents.
    public static let demoProvince = "06"
    /// Phường Đức Xuân, Bắc Kạn city: where the demo's outbreak is.
    public static let demoHotCommune = "01840"
    public static let demoHotPopulation = 14_000
    public static let demoProvincePopulation = 316_463

    /// Fills an empty store. `lastDay` is the last local day of visits (`YYYY-MM-DD`); three weeks end there.
    public func fillDemo(seed: UInt64 = 2021, lastDay: String = "2021-11-21", venueCount: Int = 300, peopleCount: Int = 3000,
                         progress: (@Sendable (String) -> Void)? = nil) async throws -> DemoSummary {
        guard try await store.visitCount() == 0, try await store.venues(inArea: Self.demoProvince, limit: 1, offset: 0).isEmpty else {
            throw AppError(.conflict, code: "not_empty", message: "the demo fills an empty store; this one already has visits or Bắc Kạn venues (use a new --data-dir)")
        }
        var rng = SplitMix(seed: seed)
        var summary = DemoSummary()
        let end = try CaseRules.localMidnight(lastDay, field: "lastDay").addingTimeInterval(86400)
        let start = end.addingTimeInterval(-21 * 86400)
        summary.firstDay = Instant.day(start)
        summary.lastDay = lastDay
        summary.hotCommune = Self.demoHotCommune

        // Communes of the province, by district.
        var communes: [Area] = []
        for district in try await store.areas(parent: Self.demoProvince) {
            communes += try await store.areas(parent: district.code)
        }
        guard !communes.isEmpty else { throw AppError(.unavailable, code: "no_areas", message: "the areas of Bắc Kạn are missing; run truyvet areas import") }
        let hot = try await store.area(code: Self.demoHotCommune)
        guard let hot else { throw AppError(.unavailable, code: "no_areas", message: "commune \(Self.demoHotCommune) is missing") }
        let cityCommunes = communes.filter { $0.parentCode == hot.parentCode }

        // Populations summing to the province's 316,463; the outbreak's ward has 14,000, so its five cases
        // in the last week keep it green (A ≈ 17.9) and a sixth turns it yellow (A ≈ 21.4).
        progress?("populations")
        let others = communes.filter { $0.code != hot.code }
        let weights = others.map { _ in 1 + Double(rng.next() % 1000) / 250 }
        let remaining = Self.demoProvincePopulation - Self.demoHotPopulation
        var shares = weights.map { Int(Double(remaining) * $0 / weights.reduce(0, +)) }
        shares[0] += remaining - shares.reduce(0, +)
        for (commune, population) in zip(others, shares) { try await store.setPopulation(code: commune.code, population: population) }
        try await store.setPopulation(code: hot.code, population: Self.demoHotPopulation)

        // Venues: every category, a third of them in the provincial city, a karaoke in the outbreak's commune.
        progress?("venues")
        let categories = VenueCategory.allCases
        var venues: [Venue] = []
        for i in 0..<venueCount {
            let category = i == 0 ? VenueCategory.highRiskService : categories[i % categories.count]
            let commune = i == 0 || i % 9 == 1 ? hot : (i % 3 == 0 ? cityCommunes : communes).randomElement(using: &rng)!
            let template = Self.demoVenues[category]!
            let place = Self.shortName(commune.name)
            let name = (i == 0 ? "Karaoke Ánh Dương" : template.names.randomElement(using: &rng)!)
                .replacingOccurrences(of: "{s}", with: Self.givenNames.randomElement(using: &rng)!)
                .replacingOccurrences(of: "{c}", with: place)
                .replacingOccurrences(of: "{n}", with: String(Int.random(in: 1...30, using: &rng)))
            let registered = try await registerVenue(VenueRegistration(
                name: name, address: "Số \(Int.random(in: 1...200, using: &rng)) đường \(Self.streets.randomElement(using: &rng)!)",
                areaCode: commune.code, category: category.rawValue, defaultStayMinutes: template.defaultStay,
                contactPhone: String(format: "0209%07d", Int.random(in: 0..<10_000_000, using: &rng)),
                capacity: template.capacity))
            if i == 0 { summary.karaoke = registered }
            venues.append(registered.venue)
        }
        summary.venues = venues.count
        let byCommune = Dictionary(grouping: venues, by: \.areaCode)
        let byDistrict = Dictionary(grouping: venues, by: \.districtCode)

        // People: a home commune (a fifth in the outbreak's commune), some with a workplace.
        progress?("people and visits")
        struct Resident { let sealed: SealedPerson; let home: Area; let work: Venue?; let phone: String }
        var residents: [Resident] = []
        let workplaces = venues.filter { [.office, .production, .education, .retail].contains($0.category) }
        for i in 0..<peopleCount {
            let home = i % 5 == 0 ? hot : (i % 2 == 0 ? cityCommunes : communes).randomElement(using: &rng)!
            let name = "\(Self.surnames.randomElement(using: &rng)!) \(Self.middleNames.randomElement(using: &rng)!) \(Self.givenNames.randomElement(using: &rng)!)"
            let phone = String(format: "+849%08d", 10_000_000 + i * 7919 % 89_999_999)
            let person = try PersonInput(name: name, phone: phone, idNumber: rng.next() % 2 == 0 ? String(format: "006%09d", i) : nil)
            let nearby = workplaces.filter { $0.districtCode == home.parentCode }
            let work = rng.next() % 10 < 4 ? nearby.randomElement(using: &rng) : nil
            residents.append(Resident(sealed: seal(person), home: home, work: work, phone: phone))
        }
        summary.people = residents.count

        // Visits: a working day for those with a workplace, and up to three errands a day near home; 15 % never check out.
        var batch: [ImportedVisit] = []
        var line = 0
        for day in 0..<21 {
            let midnight = start.addingTimeInterval(Double(day) * 86400)
            let weekday = (Int((midnight.timeIntervalSince1970 + 7 * 3600) / 86400) + 4) % 7  // 0 = Sunday; 1970-01-01 was a Thursday
            for r in residents {
                var t = midnight.addingTimeInterval(Double(6 * 60 + Int(rng.next() % 120)) * 60)
                var plan: [(Venue, Int)] = []
                if let work = r.work, weekday != 6, weekday != 0 {
                    plan.append((work, 8 * 60 + Int(rng.next() % 90)))
                }
                for _ in 0..<Int(rng.next() % 4) {
                    let pool = byCommune[r.home.code].flatMap { rng.next() % 10 < 7 ? $0 : nil } ?? byDistrict[r.home.parentCode ?? ""] ?? venues
                    let venue = pool.randomElement(using: &rng)!
                    let range = Self.demoVenues[venue.category]!.stay
                    plan.append((venue, Int.random(in: range, using: &rng)))
                }
                for (venue, minutes) in plan {
                    let checkin = t.addingTimeInterval(Double(rng.next() % 60) * 60)
                    let leave = checkin.addingTimeInterval(Double(minutes) * 60)
                    guard leave < midnight.addingTimeInterval(86400 + 12 * 3600) else { break }
                    line += 1
                    batch.append(ImportedVisit(line: line, venueID: venue.id, person: r.sealed, checkinAt: checkin,
                                               checkoutAt: rng.next() % 100 < 15 ? nil : leave))
                    t = leave.addingTimeInterval(Double(10 + rng.next() % 90) * 60)
                }
            }
            let (inserted, _) = try await store.importVisits(batch)
            summary.visits += inserted.count
            batch.removeAll(keepingCapacity: true)
            progress?("day \(day + 1)/21")
        }

        // Cases: residents of the outbreak's commune confirmed over the last week; the F1 of the first, quarantined
        // the next day, tests positive later (a quarantine case).
        progress?("cases")
        let tracer = Principal(role: .tracer, label: "demo tracer")
        let hotResidents = residents.filter { $0.home.code == hot.code }
        var picked = 0
        var outbreak: [SealedPerson] = []
        var caseDays = [7, 6, 5, 4, 3, 2]
        for r in hotResidents where picked < 5 {
            let day = caseDays.removeFirst()
            let confirmed = end.addingTimeInterval(-Double(day) * 86400 + 17 * 3600)
            let input = CaseInput(phone: r.phone, areaCode: r.home.code, sampleDate: Instant.day(confirmed.addingTimeInterval(-86400)),
                                  onsetDate: picked % 2 == 0 ? Instant.day(confirmed.addingTimeInterval(-2 * 86400)) : nil,
                                  confirmedAt: Instant.format(confirmed), isolatedAt: Instant.format(confirmed.addingTimeInterval(3600)))
            summary.cases.append(try await registerCase(input, by: tracer, now: confirmed.addingTimeInterval(3600)))
            outbreak.append(r.sealed)
            picked += 1
        }
        // The outbreak's thread: each of these cases sang at the karaoke two evenings before being confirmed (the
        // first two on the same evening), which the cluster search finds at the top.
        if let karaoke = summary.karaoke?.venue, let first = summary.cases.first {
            var evenings: [ImportedVisit] = []
            for (i, (record, sealed)) in zip(summary.cases, outbreak).enumerated() {
                let at = (i == 1 ? first.confirmedAt : record.confirmedAt).addingTimeInterval(-45 * 3600)
                line += 1
                evenings.append(ImportedVisit(line: line, venueID: karaoke.id, person: sealed, checkinAt: at, checkoutAt: at.addingTimeInterval(150 * 60)))
            }
            summary.visits += try await store.importVisits(evenings).inserted.count
        }
        if let first = summary.cases.first {
            let contacts = try await Overlap.trace(person: first.personID, window: (first.windowFrom, first.windowTo), degree: 1,
                                                   rules: config.overlap, source: StorePresences(app: self))
            let casePeople = Set(summary.cases.map(\.personID))
            if let f1 = contacts.first(where: { !casePeople.contains($0.personID) }), let sealed = try await store.person(id: f1.personID) {
                let since = first.confirmedAt.addingTimeInterval(86400)
                _ = try await setQuarantine(personRef: personRef(f1.personID),
                                            QuarantineInput(since: Instant.format(since), caseId: first.id), by: tracer, now: since)
                let confirmed = since.addingTimeInterval(3 * 86400)
                let phone = try open(sealed).phone
                let home = residents.first { $0.phone == phone }?.home.code ?? hot.code
                summary.cases.append(try await registerCase(
                    CaseInput(phone: phone, areaCode: home, sampleDate: Instant.day(confirmed), confirmedAt: Instant.format(confirmed)),
                    by: tracer, now: confirmed))
            }
        }
        // Its visits are from the past: this store keeps them (TRUYVET_RETENTION_DAYS still wins when set).
        try await store.setSetting(Self.retentionSetting, "0")
        summary.tracerToken = try await createToken(role: .tracer, label: "demo tracer")
        summary.healthToken = try await createToken(role: .health, label: "demo health office")
        return summary
    }

    /// "Phường Đức Xuân" → "Đức Xuân".
    static func shortName(_ name: String) -> String {
        for prefix in ["Phường ", "Xã ", "Thị trấn "] where name.hasPrefix(prefix) { return String(name.dropFirst(prefix.count)) }
        return name
    }

    struct DemoVenue { let names: [String]; let stay: ClosedRange<Int>; let defaultStay: Int; let capacity: Int? }

    static let demoVenues: [VenueCategory: DemoVenue] = [
        .gathering: DemoVenue(names: ["Nhà văn hóa tổ {n}", "Hội trường thôn {c}"], stay: 60...180, defaultStay: 120, capacity: 150),
        .passengerTransport: DemoVenue(names: ["Xe khách Bắc Kạn – Hà Nội {n}", "Xe buýt nội tỉnh tuyến {n}"], stay: 60...240, defaultStay: 180, capacity: 45),
        .production: DemoVenue(names: ["Xưởng may {s}", "Xưởng gỗ {s}", "Công trình nhà ở {c}"], stay: 240...540, defaultStay: 480, capacity: 80),
        .retail: DemoVenue(names: ["Siêu thị mini {s}", "Cửa hàng tiện lợi {s}", "Tạp hóa {s}"], stay: 10...60, defaultStay: 30, capacity: 60),
        .restaurant: DemoVenue(names: ["Quán phở {s}", "Cơm bình dân {s}", "Quán bún {s}", "Chợ {c}"], stay: 20...90, defaultStay: 60, capacity: 40),
        .highRiskService: DemoVenue(names: ["Karaoke {s}", "Tiệm cắt tóc {s}", "Quán net {s}", "Spa {s}"], stay: 45...180, defaultStay: 120, capacity: 30),
        .streetVending: DemoVenue(names: ["Điểm bán vé số {s}", "Hàng rong chợ {c}"], stay: 5...20, defaultStay: 15, capacity: nil),
        .education: DemoVenue(names: ["Trường Tiểu học {c}", "Trường THCS {c}", "Trung tâm ngoại ngữ {s}"], stay: 180...300, defaultStay: 240, capacity: 400),
        .office: DemoVenue(names: ["UBND {c}", "Bưu điện {c}", "Chi nhánh ngân hàng {s}"], stay: 30...480, defaultStay: 240, capacity: 60),
        .religious: DemoVenue(names: ["Chùa {s}", "Đình làng {c}", "Nhà thờ {c}"], stay: 30...120, defaultStay: 60, capacity: 200),
        .hotel: DemoVenue(names: ["Nhà nghỉ {s}", "Khách sạn {s}", "Homestay Ba Bể {s}"], stay: 480...1200, defaultStay: 720, capacity: 50),
        .culture: DemoVenue(names: ["Nhà thi đấu {c}", "Thư viện {c}", "Sân bóng {s}"], stay: 60...150, defaultStay: 90, capacity: 300),
        .other: DemoVenue(names: ["Trạm y tế {c}", "Tiệm sửa xe {s}"], stay: 15...60, defaultStay: 30, capacity: 20),
    ]

    static let surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Hà", "Nông", "Triệu", "Lý", "Ma", "Hứa", "Vũ", "Đặng", "Bế", "Lục"]
    static let middleNames = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Hồng", "Thanh", "Hữu"]
    static let givenNames = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long",
                             "Mai", "Minh", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vân", "Yến"]
    static let streets = ["Trường Chinh", "Nguyễn Văn Tố", "Hùng Vương", "Kon Tum", "Võ Nguyên Giáp", "Trần Hưng Đạo", "Phùng Chí Kiên"]
}
