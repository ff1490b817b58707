import Foundation

/// Venue categories: the activity rows of the measures table (Resolution 128 guidance) plus `other`.
public enum VenueCategory: String, Codable, Sendable, CaseIterable {
    case gathering                 // 1 gatherings and events, indoor or outdoor
    case passengerTransport = "passenger_transport"   // 2 public passenger transport vehicle
    case production            // 4.1 production sites, construction projects
    case retail                // 4.2 malls, supermarkets, convenience stores, wholesale markets
    case restaurant            // 4.3 restaurants, eateries, traditional markets
    case highRiskService = "high_risk_service"        // 4.4 karaoke, massage, bars, internet, games, hair, beauty
    case streetVending = "street_vending"             // 4.5 street vending, lottery tickets
    case education             // 5 in-person education and training
    case office                // 6 offices, public agencies
    case religious             // 7 religious and worship sites
    case hotel                 // 8.1 resorts, hotels, guest houses, tourist sites
    case culture               // 8.2 museums, exhibitions, libraries, cinemas, performance and sports venues
    case other

    public var vietnamese: String {
        switch self {
        case .gathering: "Sự kiện, tập trung đông người"
        case .passengerTransport: "Phương tiện vận tải hành khách công cộng"
        case .production: "Cơ sở sản xuất, công trình xây dựng"
        case .retail: "Trung tâm thương mại, siêu thị, cửa hàng tiện lợi, chợ đầu mối"
        case .restaurant: "Nhà hàng, quán ăn, chợ truyền thống"
        case .highRiskService: "Dịch vụ có nguy cơ cao (karaoke, massage, quán bar, internet, trò chơi, cắt tóc, làm đẹp)"
        case .streetVending: "Bán hàng rong, vé số"
        case .education: "Giáo dục, đào tạo trực tiếp"
        case .office: "Công sở, cơ quan"
        case .religious: "Cơ sở tôn giáo, tín ngưỡng"
        case .hotel: "Khu nghỉ dưỡng, khách sạn, nhà nghỉ, điểm du lịch"
        case .culture: "Bảo tàng, triển lãm, thư viện, rạp chiếu phim, biểu diễn, thể thao"
        case .other: "Khác"
        }
    }

    public var english: String {
        switch self {
        case .gathering: "Gatherings and events"
        case .passengerTransport: "Public passenger transport vehicle"
        case .production: "Production site or construction project"
        case .retail: "Mall, supermarket, convenience store or wholesale market"
        case .restaurant: "Restaurant, eatery or traditional market"
        case .highRiskService: "High-risk service (karaoke, massage, bar, internet, games, hair, beauty)"
        case .streetVending: "Street vending or lottery tickets"
        case .education: "In-person education and training"
        case .office: "Office or public agency"
        case .religious: "Religious or worship site"
        case .hotel: "Resort, hotel, guest house or tourist site"
        case .culture: "Museum, exhibition, library, cinema, performance or sports venue"
        case .other: "Other"
        }
    }

    public static func parse(_ raw: String?, field: String = "category") throws(AppError) -> VenueCategory {
        guard let raw else { throw .missing(field) }
        guard let value = VenueCategory(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw .invalid(field, "unknown category '\(raw)'; expected one of: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

public struct Venue: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var address: String
    /// The commune (5-digit code); district and province follow from it.
    public var areaCode: String
    public var districtCode: String
    public var provinceCode: String
    public var category: VenueCategory
    public var defaultStayMinutes: Int
    /// The contact phone, sealed like personal data (`TruyVet.contactPhone(of:)` opens it).
    public var sealedContactPhone: Data
    public var capacity: Int?
    public var openingHours: String?
    /// Unguessable code for manual entry, shown on the poster (10 characters, Crockford base32).
    public var shortCode: String
    /// Poster generation: rotating the poster increments it and old posters stop verifying.
    public var posterGeneration: UInt32
    public var createdAt: Date
    /// Only the door screen's rotating codes check in here: the printed posters (and their short code) answer like a
    /// forged code, so that a photographed poster cannot be used from elsewhere.
    public var screenOnly: Bool

    public init(id: Int64, name: String, address: String, areaCode: String, districtCode: String, provinceCode: String,
                category: VenueCategory, defaultStayMinutes: Int, sealedContactPhone: Data, capacity: Int?, openingHours: String?,
                shortCode: String, posterGeneration: UInt32, createdAt: Date, screenOnly: Bool = false) {
        self.id = id
        self.name = name
        self.address = address
        self.areaCode = areaCode
        self.districtCode = districtCode
        self.provinceCode = provinceCode
        self.category = category
        self.defaultStayMinutes = defaultStayMinutes
        self.sealedContactPhone = sealedContactPhone
        self.capacity = capacity
        self.openingHours = openingHours
        self.shortCode = shortCode
        self.posterGeneration = posterGeneration
        self.createdAt = createdAt
        self.screenOnly = screenOnly
    }

    /// `ABCD-EFGH-JK`, for reading aloud and typing.
    public var formattedShortCode: String { ShortCode.format(shortCode) }
}

/// A venue registration as submitted, before validation.
public struct VenueRegistration: Sendable, Codable {
    public var name: String?
    public var address: String?
    public var areaCode: String?
    public var category: String?
    public var defaultStayMinutes: Int?
    public var contactPhone: String?
    public var capacity: Int?
    public var openingHours: String?

    public init(name: String?, address: String?, areaCode: String?, category: String?, defaultStayMinutes: Int? = nil,
                contactPhone: String?, capacity: Int? = nil, openingHours: String? = nil) {
        self.name = name
        self.address = address
        self.areaCode = areaCode
        self.category = category
        self.defaultStayMinutes = defaultStayMinutes
        self.contactPhone = contactPhone
        self.capacity = capacity
        self.openingHours = openingHours
    }

    public static let defaultStay = 120
    public static let stayRange = 5...1440

    /// Validated fields; the area code is checked against the store separately.
    public struct Valid: Sendable, Equatable {
        public var name: String
        public var address: String
        public var areaCode: String
        public var category: VenueCategory
        public var defaultStayMinutes: Int
        public var contactPhone: String
        public var capacity: Int?
        public var openingHours: String?
    }

    public func validated() throws(AppError) -> Valid {
        let name = try Text.required(name, field: "name", max: 200)
        let address = try Text.required(address, field: "address", max: 300)
        guard let areaCode else { throw .missing("areaCode") }
        let code = areaCode.trimmingCharacters(in: .whitespaces)
        guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid("areaCode", "areaCode must be the 5-digit code of a commune (phường/xã/thị trấn), e.g. 00001")
        }
        let category = try VenueCategory.parse(category)
        let stay = defaultStayMinutes ?? Self.defaultStay
        guard Self.stayRange.contains(stay) else {
            throw .invalid("defaultStayMinutes", "defaultStayMinutes must be between \(Self.stayRange.lowerBound) and \(Self.stayRange.upperBound)")
        }
        guard let contactPhone else { throw .missing("contactPhone") }
        let phone = try Phone.normalize(contactPhone, field: "contactPhone")
        if let capacity, !(1...1_000_000).contains(capacity) {
            throw .invalid("capacity", "capacity must be between 1 and 1000000 people")
        }
        let hours = try Text.clean(openingHours, field: "openingHours", max: 100, required: false)
        return Valid(name: name, address: address, areaCode: code, category: category, defaultStayMinutes: stay,
                     contactPhone: phone, capacity: capacity, openingHours: hours)
    }
}

/// How far QR check-in has reached in one commune over a span of days: venues registered by category, venues with a
/// check-in, check-ins and how many of them ended with a check-out.
public struct AdoptionCounts: Sendable, Equatable {
    public var venuesByCategory: [VenueCategory: Int] = [:]
    /// Venues with at least one check-in in the span.
    public var activeVenues = 0
    public var checkins = 0
    public var checkedOut = 0
    public init() {}

    public static func + (a: AdoptionCounts, b: AdoptionCounts) -> AdoptionCounts {
        var out = a
        out.venuesByCategory.merge(b.venuesByCategory, uniquingKeysWith: +)
        out.activeVenues += b.activeVenues
        out.checkins += b.checkins
        out.checkedOut += b.checkedOut
        return out
    }
}
