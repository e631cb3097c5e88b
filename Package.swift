// swift-tools-version: 6.0
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "runclinic",
    products: [
        .executable(name: "runclinic", targets: ["runclinic"]),
        // OpenCV pulls in ~150 shared objects: the engine dlopens this library on first use so
        // that start-up (a shell client may spawn the server per call) does not pay for them.
        .library(name: "RunclinicImageInspection", type: .dynamic, targets: ["CImageInspection"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // The system SQLite (libsqlite3-dev), used through its C API on the hot path.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // libpq (libpq-dev's header; libpq5 loaded with dlopen): the PostgreSQL store.
        .target(name: "CLibPQ"),
        // libcurl (libcurl4-openssl-dev): SMTP with STARTTLS for the email alerts.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        // The OpenCV shim: C++ with an extern "C" API that catches every exception.
        // The shim's C API (types only), which the engine uses without linking OpenCV.
        .target(name: "CImageInspectionAPI"),
        // Nearest binary descriptors by Hamming distance, in C for the popcount instruction (which
        // Swift's baseline x86-64 target does not use): keypoint matching, without OpenCV.
        .target(name: "CDescriptorMatching"),
        .target(
            name: "CImageInspection",
            dependencies: ["CImageInspectionAPI"],
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            // OpenCV's codecs are not linked: the shim loads them only for a format its own
            // decoders leave (see load_imread), since they bring ~130 shared objects with them.
            linkerSettings: [
                .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_features2d"),
                .linkedLibrary("opencv_core"), .linkedLibrary("jpeg"), .linkedLibrary("deflate"), .linkedLibrary("gif"),
                .linkedLibrary("heif"),
                .linkedLibrary("dl"),
            ]
        ),
        // A small JSON codec that reads and writes NaN/Infinity like Python's json module.
        .target(name: "RunclinicJSON"),
        // Text helpers every layer uses ("did you mean").
        .target(name: "RunclinicText"),
        // The engine: store, runs, metrics. Knows nothing of JSON-RPC.
        .target(
            name: "RunclinicEngine",
            dependencies: [
                "CSQLite", "CLibPQ", "CImageInspectionAPI", "CDescriptorMatching", "RunclinicJSON", "RunclinicText",
                logging,
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The analysis, comparison and audit reports' templates (Mustache), compiled into the binary.
            resources: [
                .embedInCode("Analysis/Reports/Templates/report.md.mustache"),
                .embedInCode("Analysis/Reports/Templates/report.html.mustache"),
                .embedInCode("Compare/Templates/comparison.md.mustache"),
                .embedInCode("Compare/Templates/comparison.html.mustache"),
                .embedInCode("Audit/Templates/gallery.html.mustache"),
            ],
            // The monitor mutates detector state through class references on every point logged:
            // release builds skip the dynamic exclusivity checks (3% of logging, measured by perf);
            // debug builds, which the tests run, keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // JSON-RPC 2.0: messages, framing, connections, transports. Knows nothing of analysis.
        .target(name: "RunclinicRPC", dependencies: ["RunclinicJSON", "RunclinicText", logging]),
        // The API: maps JSON-RPC methods onto the engine.
        .target(
            name: "RunclinicService",
            dependencies: ["RunclinicEngine", "RunclinicRPC", "RunclinicJSON", "CCurl", logging],
            resources: [.embedInCode("Resources/openrpc.json")]
        ),
        // The dashboard's transport: HTTP for its page, the same JSON-RPC over a WebSocket. Knows
        // nothing of analysis; the page (and the chart library it draws with) is compiled in.
        .target(
            name: "RunclinicWeb",
            dependencies: [
                "RunclinicRPC", "RunclinicJSON", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            exclude: ["Resources/SOURCE.md"],
            resources: [
                .embedInCode("Resources/dashboard.html"),
                .embedInCode("Resources/dashboard.js"),
                .embedInCode("Resources/dashboard.css"),
                .embedInCode("Resources/chart.min.js"),
            ]
        ),
        // The API as MCP tools for AI assistants (the official Swift SDK over stdio): the tools are
        // generated from the same method declarations. Knows nothing of analysis.
        .target(
            name: "RunclinicMCP",
            dependencies: ["RunclinicJSON", logging, .product(name: "MCP", package: "swift-sdk")]
        ),
        .executableTarget(
            name: "runclinic",
            dependencies: [
                "RunclinicService", "RunclinicEngine", "RunclinicRPC", "RunclinicJSON", "RunclinicText", "RunclinicWeb",
                "RunclinicMCP",
                logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RunclinicJSONTests", dependencies: ["RunclinicJSON"]),
        .testTarget(name: "RunclinicEngineTests", dependencies: ["RunclinicEngine", "RunclinicJSON"]),
        .testTarget(name: "RunclinicRPCTests", dependencies: ["RunclinicRPC", "RunclinicJSON", "RunclinicText"]),
        .testTarget(
            name: "RunclinicServiceTests",
            dependencies: ["RunclinicService", "RunclinicEngine", "RunclinicRPC", "RunclinicJSON"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
