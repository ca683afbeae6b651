// swift-tools-version: 6.1
import PackageDescription

// The layers (docs/architecture.md): the leaves LockOrderGraph and LockOrderHierarchy know
// nothing of the runtime; LockOrderChecker builds the checker on them and the C support;
// LockCore's lock types sit on the checker; users import LockCore.
let package = Package(
    name: "lockorder",
    products: [
        .library(name: "LockCore", targets: ["LockCore"]),
        .library(name: "LockOrderChecker", targets: ["LockOrderChecker"]),
        // `@Test(.lockOrderChecked)`: test support, so the checker itself never imports Testing.
        .library(name: "LockOrderTesting", targets: ["LockOrderTesting"]),
        .library(name: "LockOrderContainers", targets: ["LockOrderContainers"]),
        .executable(name: "lockorder", targets: ["lockorder"]),
        // LD_PRELOAD=.build/debug/libLockOrderInterpose.so: every pthread lock of a process
        // checked (docs/interpose.md); `lockorder run -- PROGRAM` sets it up.
        .library(name: "LockOrderInterpose", type: .dynamic, targets: ["LockOrderInterpose"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Tests only: the drop-in shapes are compiled against the real NIOLock (never the core).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibunwind",
            pkgConfig: "libunwind",
            providers: [.apt(["libunwind-dev"])]
        ),
        .target(name: "CLockOrderSupport", dependencies: ["CLibunwind"]),
        // Leaves: the order graph (ids and evidence only) and the hierarchy model (levels,
        // exceptions, JSON, the Julia table). Neither knows threads, locks or reports.
        .target(name: "LockOrderGraph"),
        .target(name: "LockOrderHierarchy"),
        .target(
            name: "LockOrderChecker",
            dependencies: ["LockOrderGraph", "LockOrderHierarchy", "CLibunwind", "CLockOrderSupport"]),
        // Checked containers and contexts (Daslang's iteration and context locks): not in the
        // lock-order graph; re-exported by LockCore.
        .target(name: "LockOrderContainers", dependencies: ["LockOrderChecker"]),
        .target(
            name: "LockCore", dependencies: ["LockOrderChecker", "LockOrderContainers", "CLockOrderSupport"]),
        // The pthread interposer: C wrappers (never linked into anything but its .so) and the
        // Swift calls into the checker.
        .target(name: "CLockOrderInterpose", dependencies: ["CLibunwind", "CLockOrderSupport"]),
        .target(
            name: "LockOrderInterpose",
            dependencies: ["CLockOrderInterpose", "CLockOrderSupport", "LockOrderChecker"]),
        .target(name: "LockOrderTesting", dependencies: ["LockOrderChecker"]),
        .executableTarget(
            name: "lockorder",
            dependencies: [
                "LockCore",
                "LockOrderChecker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make bench`: the measured cost of checking (release builds only).
        .executableTarget(
            name: "lockorder-bench", dependencies: ["LockCore"], path: "Benchmarks/lockorder-bench"),
        // Helpers shared by the test targets: threads, stderr capture, child processes.
        .target(name: "LockOrderTestSupport", path: "Tests/LockOrderTestSupport"),
        .target(name: "CMallocSupport", path: "Tests/CMallocSupport"),
        // A child process for the graph-file tests: takes the lock orders given as arguments.
        .executableTarget(
            name: "lockorder-fixture", dependencies: ["LockCore"], path: "Tests/LockOrderFixture"),
        // Programs that know nothing of lockorder, run under the interposer by the end-to-end tests.
        .executableTarget(name: "lockorder-interpose-fixture", path: "Tests/InterposeFixtures/SwiftFixture"),
        .executableTarget(name: "lockorder-interpose-fixture-c", path: "Tests/InterposeFixtures/CFixture"),
        .testTarget(
            name: "LockOrderCheckerTests",
            dependencies: ["LockOrderChecker", "LockCore", "LockOrderTestSupport"]),
        .testTarget(
            name: "LockCoreTests",
            dependencies: ["LockCore", "LockOrderChecker", "LockOrderTestSupport", "CMallocSupport"]),
        .testTarget(name: "LockOrderGraphTests", dependencies: ["LockOrderGraph"]),
        .testTarget(name: "LockOrderHierarchyTests", dependencies: ["LockOrderHierarchy"]),
        .testTarget(
            name: "LockOrderTestingTests",
            dependencies: ["LockOrderTesting", "LockOrderChecker", "LockCore", "LockOrderTestSupport"]),
        .testTarget(
            name: "DropInShapeTests",
            dependencies: [
                "LockCore", "LockOrderTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .testTarget(
            name: "LockOrderContainersTests",
            dependencies: ["LockOrderContainers", "LockOrderChecker", "LockOrderTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["LockOrderChecker", "LockOrderTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
