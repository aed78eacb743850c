// swift-tools-version:6.1

import PackageDescription

// Where Corsair comes from, and its identity: the name every `.product(name:package:)` spells.
//
// In a package of your own, depend on Corsair by URL; the identity is then the URL's last path
// component without ".git":
//
//     let corsair: Package.Dependency = .package(url: "https://github.com/YOUR-ORG/corsair", from: "0.1.0")
//     let corsairIdentity = "corsair"
//
// This example lives inside the Corsair repository and depends on it by path. A path dependency's
// identity is its folder's name, lowercased and without ".git", never the `name:` in its manifest:
// "corsair" in a clone called corsair, "main" in one called main, and whatever a CI checkout is
// called. So the example reads the folder's name from this file's own path.
let corsair: Package.Dependency = .package(path: "../..")
let corsairFolder = #filePath.split(separator: "/").dropLast(3).last ?? "corsair"
let corsairIdentity = String(corsairFolder.hasSuffix(".git") ? corsairFolder.dropLast(4) : corsairFolder)

let package = Package(
    name: "KeyValueService",
    platforms: [.macOS(.v15)],
    dependencies: [
        corsair,
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // One shard of the map: `kv-server CONFIG SHARD-ID`, until SIGTERM or SIGINT.
        .executableTarget(
            name: "kv-server",
            dependencies: [
                .product(name: "Corsair", package: corsairIdentity),
                .product(name: "ShardMap", package: corsairIdentity),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // SET and GET through the shard map: `kv-client CONFIG set KEY VALUE`, `kv-client CONFIG get KEY…`.
        .executableTarget(
            name: "kv-client",
            dependencies: [
                .product(name: "Corsair", package: corsairIdentity),
                .product(name: "ShardMap", package: corsairIdentity),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
