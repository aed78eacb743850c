// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "corsair",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "Corsair", targets: ["Corsair"]),
        .library(name: "ShardMap", targets: ["ShardMap"]),
        .library(name: "UnitText", targets: ["UnitText"]),
        .library(name: "CorsairSimulation", targets: ["CorsairSimulation"]),
        .executable(name: "corsair", targets: ["corsair"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // `swift package generate-documentation`: the DocC catalogs in Sources/*/Documentation.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // `corsair serve|load --metrics-bind`: the Prometheus backend for swift-metrics and the small
        // HTTP listener that serves /metrics, /healthz and /readyz (FlyingFox: no swift-nio to build).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // libzmq itself, from Debian's libzmq3-dev. No pkgConfig: Debian's libzmq.pc adds -isystem
        // flags that SwiftPM warns about on every build.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // The only code that calls libzmq.
        .target(
            name: "ZeroMQ",
            dependencies: ["CZeroMQ"]
        ),
        // Durations and byte sizes as text (`2500ms`, `16MiB`): parsed from config files and command
        // lines, written in logs and errors. Shared by ShardMap and Corsair, so neither imports the
        // other for it.
        .target(name: "UnitText"),
        // Config model, hashing, validation and reload (with the reload Service). No ZeroMQ.
        .target(
            name: "ShardMap",
            dependencies: [
                "UnitText",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Protocol, client engine, sharded client, server.
        .target(
            name: "Corsair",
            dependencies: [
                "ZeroMQ",
                "ShardMap",
                "UnitText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Discrete-event simulation of many clients' retry policies against a shard map, in virtual time.
        .target(
            name: "CorsairSimulation",
            dependencies: [
                "Corsair",
                "ShardMap",
                "UnitText",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Raw libzmq loops, the baseline the benchmarks compare Corsair against.
        .executableTarget(
            name: "ZMQBaseline",
            linkerSettings: [.linkedLibrary("zmq"), .linkedLibrary("pthread")]
        ),
        // The `corsair` command. Its folder is named apart from `Sources/Corsair` so that no two paths
        // differ only in case (macOS's default file system would merge them).
        .executableTarget(
            name: "corsair",
            dependencies: [
                "Corsair",
                "CorsairSimulation",
                "ShardMap",
                "UnitText",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            path: "Sources/CorsairCLI"
        ),
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ"]
        ),
        .testTarget(
            name: "ShardMapTests",
            dependencies: [
                "ShardMap",
                "UnitText",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CorsairTests",
            dependencies: [
                "Corsair",
                "ZeroMQ",
                "ShardMap",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "CorsairSimulationTests",
            dependencies: ["CorsairSimulation", "Corsair", "ShardMap"]
        ),
        // Runs the `corsair` binary as separate processes.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["corsair", "ZeroMQ"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    guard target.name != "ZMQBaseline" else { continue }
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
