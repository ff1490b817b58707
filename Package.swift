// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "truyvet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "truyvet", targets: ["truyvet"]),
        .executable(name: "truyvet-bench", targets: ["truyvet-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries, found with pkg-config and installed from Debian packages.
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Pure functions: QR matrices, PNG/SVG rendering, PDF posters.
        .target(name: "TruyVetQR", dependencies: ["CQRencode", "CCairo", "CZlib"]),
        // Domain core: no I/O.
        .target(name: "TruyVetCore", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Storage: the SQLite implementation of the store protocol.
        .target(name: "TruyVetStore", dependencies: [
            "TruyVetCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Storage: the PostgreSQL implementation of the store protocol (several servers on one database).
        .target(name: "TruyVetPostgres", dependencies: [
            "TruyVetCore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP application and the product's operations, over any store.
        .target(name: "TruyVetApp", dependencies: [
            "TruyVetCore", "TruyVetQR",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ], resources: [.copy("Resources/vn-admin-units-2021.csv"), .copy("Resources/level-rules.json"), .copy("Resources/measures.json"), .copy("Resources/openapi.json"),
                       .copy("Resources/templates"), .copy("Resources/style.css")]),
        // The composition root: opens the data directory and the store its URL names (SQLite or PostgreSQL).
        .target(name: "TruyVetSetup", dependencies: ["TruyVetApp", "TruyVetCore", "TruyVetStore", "TruyVetPostgres"]),
        .executableTarget(name: "truyvet", dependencies: [
            "TruyVetApp", "TruyVetSetup",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "truyvet-bench", dependencies: ["TruyVetApp", "TruyVetSetup", "TruyVetCore", "TruyVetQR", "TruyVetPostgres"]),

        // Helpers for tests: run zbarimg, pdftoppm, pdftotext on what the product renders.
        .target(name: "TruyVetTestSupport", dependencies: ["TruyVetCore"], path: "Tests/Support"),
        .testTarget(name: "TruyVetQRTests", dependencies: ["TruyVetQR", "TruyVetTestSupport"]),
        .testTarget(name: "TruyVetCoreTests", dependencies: ["TruyVetCore", "TruyVetTestSupport"]),
        .testTarget(name: "TruyVetAppTests", dependencies: [
            "TruyVetApp", "TruyVetSetup", "TruyVetStore", "TruyVetPostgres", "TruyVetTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Configuration", package: "swift-configuration"),
        ]),
    ]
)
