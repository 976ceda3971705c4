// swift-tools-version: 6.1
// Peer comparison for Beryl: the same namespace workload against RocksDB (C API) and SQLite, in
// one process and one run. A separate package, so the main build and `make test` never need the
// peers' libraries (Debian librocksdb-dev, libsqlite3-dev). Run with `make bench-compare`.
import PackageDescription

// SwiftPM identifies a path dependency by its folder name (CI clones elsewhere): derive it.
let rootIdentity = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "").lowercased()

let package = Package(
    name: "BerylCompare",
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CPeers", path: "Sources/CPeers"),
        // The bench helpers of the main package (a symbolic link to ../../BenchSupport): not a product there.
        .target(name: "CompareSupport", path: "Sources/CompareSupport"),
        .executableTarget(
            name: "beryl-compare",
            dependencies: [
                "CPeers",
                .product(name: "Changelog", package: rootIdentity),
                .product(name: "Namespace", package: rootIdentity),
                .product(name: "Platform", package: rootIdentity),
                "CompareSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
