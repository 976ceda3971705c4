// swift-tools-version: 6.1
// Beryl: an in-memory file-system namespace persisted in memory-mapped, checksummed changelogs.
// Module order, lowest first: CBerylSupport (C shim) -> Platform -> Changelog -> LegacyEOS -> Namespace -> XRootD
// -> Replication -> MGM; Coordination (the etcd client) imports none of ours (docs/ARCHITECTURE.md). A lower
// module never imports a higher one, and every import is declared here.
import PackageDescription

let package = Package(
    name: "Beryl",
    products: [
        .library(name: "Platform", targets: ["Platform"]),
        .library(name: "Changelog", targets: ["Changelog"]),
        .library(name: "LegacyEOS", targets: ["LegacyEOS"]),
        .library(name: "Namespace", targets: ["Namespace"]),
        .library(name: "XRootD", targets: ["XRootD"]),
        .executable(name: "log-repair", targets: ["log-repair"]),
        .executable(name: "beryl", targets: ["beryl"]),
        .executable(name: "beryl-bench", targets: ["beryl-bench"]),
        .library(name: "Replication", targets: ["Replication"]),
        .library(name: "Coordination", targets: ["Coordination"]),
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
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
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
        // Syscalls with fault injection, the mapping, threads, locks, clocks, the stderr writer, file-system helpers.
        .target(name: "Platform", dependencies: ["CBerylSupport"]),
        // The log engine: format, scan, append, compaction, offline checks.
        .target(name: "Changelog", dependencies: ["Platform", "CBerylSupport"]),
        // The legacy EOS format, its scanner, verifier and writer, and the repair of both formats.
        .target(name: "LegacyEOS", dependencies: ["Changelog", "Platform", "CBerylSupport"]),
        .target(name: "Namespace", dependencies: ["Changelog", "LegacyEOS", "Platform"]),
        // The XRootD protocol codec and a blocking client: pure protocol, imports neither Changelog nor Namespace.
        .target(name: "XRootD", dependencies: []),
        // Changelog shipping, master -> slave: the sync protocol's messages, authentication and sockets.
        // HMAC-SHA256 of the sync handshake from swift-crypto (BoringSSL), never hand-written.
        .target(name: "Replication", dependencies: ["Platform", "Changelog", "Namespace", "XRootD", "Coordination", .product(name: "Crypto", package: "swift-crypto")]),
        // The etcd client (v3 JSON gateway over SwiftNIO's HTTP/1 codec) for coordinated failover.
        .target(
            name: "Coordination",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // The MGM server: the namespace over XRootD (SwiftNIO), admin commands, access rules.
        .target(
            name: "MGM",
            dependencies: [
                "Platform", "Changelog", "Namespace", "XRootD", "Replication", "CXrdSec",
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
            dependencies: ["Platform", "Changelog", "LegacyEOS", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/log-repair"
        ),
        .executableTarget(
            name: "beryl",
            dependencies: ["Platform", "Changelog", "LegacyEOS", "Namespace", "XRootD", "MGM",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "beryl-mgm",
            dependencies: ["MGM", "Platform", "Changelog", "Namespace", "Replication", "XRootD", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        // Bench-only helpers: not a product (the Compare package builds its own copy of the folder).
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport"),
        .executableTarget(
            name: "beryl-bench",
            dependencies: ["Platform", "Changelog", "LegacyEOS", "Namespace", "XRootD", "MGM", "BenchSupport", "BerylTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/beryl-bench"
        ),

        // MARK: Fuzzing (`make fuzz` builds these with --sanitize fuzzer,address)
        .target(name: "FuzzHarness", dependencies: ["Changelog", "LegacyEOS", "Namespace", "XRootD", "Replication"], path: "Fuzz/FuzzHarness"),
        .executableTarget(name: "FuzzScanner", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzScanner"),
        .executableTarget(name: "FuzzLegacyScanner", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzLegacyScanner"),
        .executableTarget(name: "FuzzRepair", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzRepair"),
        .executableTarget(name: "FuzzNamespaceDecoders", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzNamespaceDecoders"),
        .executableTarget(name: "FuzzXRootD", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzXRootD"),
        .executableTarget(name: "FuzzSyncMessage", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzSyncMessage"),

        // MARK: Tests
        // Test-only helpers: not a product.
        .target(name: "BerylTestSupport", dependencies: ["Platform", "Changelog", "LegacyEOS", "Coordination"], path: "Tests/Support"),
        .testTarget(name: "ChangelogTests", dependencies: ["Platform", "Changelog", "LegacyEOS", "Namespace", "FuzzHarness", "BerylTestSupport"]),
        .testTarget(name: "NamespaceTests", dependencies: ["BerylTestSupport", "Namespace", "Changelog", "LegacyEOS", "Platform"]),
        .testTarget(name: "XRootDTests", dependencies: ["BerylTestSupport", "XRootD"]),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination", "BerylTestSupport"]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "Namespace", "XRootD", "BerylTestSupport"]),
        .testTarget(
            name: "MGMTests",
            dependencies: ["BerylTestSupport", "Platform", "Changelog", "MGM", "Replication", "XRootD", "Namespace", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
