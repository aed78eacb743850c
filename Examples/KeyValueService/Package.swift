// swift-tools-version:6.1

import PackageDescription

// SwiftPM names a path dependency after its folder, not after the `name:` in its manifest: the
// identity of `.package(path: "../..")` is the last component of the Corsair clone's path ("corsair",
// "main", or whatever a CI checkout is called), and `.product(package:)` must spell that identity.
// (SwiftPM drops a ".git" suffix and ignores case). Reading it from this manifest's own path keeps
// the example building in a clone of any name. With `.package(url:
// "https://github.com/YOUR-ORG/corsair", from: "0.1.0")` instead, the identity is the URL's last
// component, and you would write `package: "corsair"`.
let corsairFolder = #filePath.split(separator: "/").dropLast(3).last ?? "corsair"
let corsair = String(corsairFolder.hasSuffix(".git") ? corsairFolder.dropLast(4) : corsairFolder)

let package = Package(
    name: "KeyValueService",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // One shard of the map: `kv-server CONFIG SHARD-ID`, until SIGTERM or SIGINT.
        .executableTarget(
            name: "kv-server",
            dependencies: [
                .product(name: "Corsair", package: corsair),
                .product(name: "ShardMap", package: corsair),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // SET and GET through the shard map: `kv-client CONFIG set KEY VALUE`, `kv-client CONFIG get KEY…`.
        .executableTarget(
            name: "kv-client",
            dependencies: [
                .product(name: "Corsair", package: corsair),
                .product(name: "ShardMap", package: corsair),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
