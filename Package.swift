// swift-tools-version: 6.1
// Beryl: an in-memory file-system namespace persisted in memory-mapped, checksummed changelogs.
// Module order, lowest first: CBerylSupport (C shim) -> Changelog -> Namespace -> XRootD -> Replication -> MGM.
// A lower module never imports a higher one.
import PackageDescription

let package = Package(
    name: "Beryl",
    products: [
        .library(name: "Changelog", targets: ["Changelog"]),
        .library(name: "Namespace", targets: ["Namespace"]),
        .library(name: "BenchSupport", targets: ["BenchSupport"]),
        .library(name: "XRootD", targets: ["XRootD"]),
        .executable(name: "log-repair", targets: ["log-repair"]),
        .executable(name: "beryl", targets: ["beryl"]),
        .executable(name: "beryl-bench", targets: ["beryl-bench"]),
        .library(name: "Replication", targets: ["Replication"]),
        .library(name: "MGM", targets: ["MGM"]),
        .executable(name: "beryl-mgm", targets: ["beryl-mgm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // MARK: C shim (syscalls Swift cannot reach, xxHash and LZ4 from Debian's libxxhash-dev / liblz4-dev)
        .target(
            name: "CBerylSupport",
            path: "CSupport",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("lz4"), .linkedLibrary("xxhash"), .linkedLibrary("z")]
        ),

        // C face over XRootD's server-side security framework (libXrdSec-5 + libXrdUtils from Debian's
        // xrootd-plugins / libxrootd-dev): the stock sss, unix, ... protocols for kXR_login / kXR_auth.
        .target(
            name: "CXrdSec",
            path: "Sources/CXrdSec",
            cxxSettings: [.unsafeFlags(["-I/usr/include/xrootd"])],
            linkerSettings: [.linkedLibrary("XrdSec-5"), .linkedLibrary("XrdUtils"), .linkedLibrary("stdc++")]
        ),

        // MARK: Engine
        .target(name: "Changelog", dependencies: ["CBerylSupport"]),
        .target(name: "Namespace", dependencies: ["Changelog"]),
        // The XRootD protocol codec and a blocking client: pure protocol, imports neither Changelog nor Namespace.
        .target(name: "XRootD", dependencies: []),
        // Changelog shipping, master -> slave: the sync protocol's messages, authentication and sockets.
        // HMAC-SHA256 of the sync handshake from swift-crypto (BoringSSL), never hand-written.
        .target(name: "Replication", dependencies: ["Changelog", "Namespace", "XRootD", .product(name: "Crypto", package: "swift-crypto")]),
        // The MGM server: the namespace over XRootD (SwiftNIO), admin commands, access rules.
        .target(
            name: "MGM",
            dependencies: [
                "Namespace", "XRootD", "Replication", "CXrdSec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: Executables
        .executableTarget(
            name: "log-repair",
            dependencies: ["Changelog", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/log-repair"
        ),
        .executableTarget(
            name: "beryl",
            dependencies: ["Changelog", "Namespace", "XRootD", "MGM",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "beryl-mgm",
            dependencies: ["MGM", "Changelog", "Namespace", "Replication", "XRootD", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport"),
        .executableTarget(
            name: "beryl-bench",
            dependencies: ["Changelog", "Namespace", "XRootD", "MGM", "BenchSupport", "BerylTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/beryl-bench"
        ),

        // MARK: Fuzzing (`make fuzz` builds these with --sanitize fuzzer,address)
        .target(name: "FuzzHarness", dependencies: ["Changelog", "Namespace", "XRootD", "Replication"], path: "Fuzz/FuzzHarness"),
        .executableTarget(name: "FuzzScanner", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzScanner"),
        .executableTarget(name: "FuzzLegacyScanner", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzLegacyScanner"),
        .executableTarget(name: "FuzzRepair", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzRepair"),
        .executableTarget(name: "FuzzNamespaceDecoders", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzNamespaceDecoders"),
        .executableTarget(name: "FuzzXRootD", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzXRootD"),
        .executableTarget(name: "FuzzSyncMessage", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzSyncMessage"),

        // MARK: Tests
        .target(name: "BerylTestSupport", dependencies: ["Changelog"], path: "Tests/Support"),
        .testTarget(name: "ChangelogTests", dependencies: ["Changelog", "FuzzHarness", "BerylTestSupport"]),
        .testTarget(name: "NamespaceTests", dependencies: ["BerylTestSupport", "Namespace", "Changelog"]),
        .testTarget(name: "XRootDTests", dependencies: ["BerylTestSupport", "XRootD"]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "BerylTestSupport"]),
        .testTarget(
            name: "MGMTests",
            dependencies: ["BerylTestSupport", "Changelog", "MGM", "Replication", "XRootD", "Namespace", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
