// swift-tools-version: 6.1
import PackageDescription

// Data flows one way: MachineModel -> Calibration -> CostModel -> Refinement -> Planner -> Verifier -> Store ->
// (refine) Refinement. Pure modules (MachineModel, Workloads, CostModel, Refinement, Planner) import no C library and
// do no I/O beyond parsing text they are handed; only Calibration, Verifier and Store reach devices, files and the
// database.
let package = Package(
    name: "KernelCast",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kernelcast", targets: ["KernelCastCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL", pkgConfig: "OpenCL",
                       providers: [.apt(["ocl-icd-opencl-dev"])]),
        .systemLibrary(name: "CHwloc", path: "Sources/CHwloc", pkgConfig: "hwloc",
                       providers: [.apt(["libhwloc-dev"])]),
        .target(name: "MachineModel", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Workloads", dependencies: ["MachineModel", .product(name: "Yams", package: "Yams")]),
        .target(name: "CostModel", dependencies: ["MachineModel", "Workloads"]),
        .target(name: "Store", dependencies: ["MachineModel", .product(name: "GRDB", package: "GRDB.swift"),
                                            .product(name: "PostgresNIO", package: "postgres-nio"),
                                            .product(name: "Logging", package: "swift-log")]),
        .target(name: "Devices", dependencies: ["MachineModel", "COpenCL", "CHwloc"]),
        .target(name: "Calibration", dependencies: ["MachineModel", "Devices", "Store"]),
        .target(name: "Verifier", dependencies: ["MachineModel", "Workloads", "CostModel", "Devices", "Store"]),
        // The cost model as refined by measurements: the fit, its file, the bands, the machine edits it applies. Its own
        // module so that the service and the MCP tools refine without the planner.
        .target(name: "Refinement", dependencies: ["MachineModel", "Workloads", "CostModel"]),
        .target(name: "Planner", dependencies: ["MachineModel", "Workloads", "CostModel", "Refinement"]),
        // Presentation of the planner's results: the HTML report with its SVG charts.
        .target(name: "Report", dependencies: ["MachineModel", "Workloads", "CostModel", "Refinement"]),
        .target(name: "Orchestration", dependencies: ["MachineModel", "Workloads", "CostModel", "Refinement", "Planner", "Verifier", "Store", "Devices"]),
        // Presentation over one library: the service's operations answer the HTTP API, the MCP tools and `kernelcast api`.
        .target(name: "Service", dependencies: ["MachineModel", "Workloads", "CostModel", "Refinement", "Planner", "Orchestration", "Verifier", "Store"]),
        .target(name: "HTTPAPI", dependencies: ["Service", "MCPSurface", .product(name: "Hummingbird", package: "hummingbird"),
                                                 .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "HTTPTypes", package: "swift-http-types")]),
        .target(name: "MCPSurface", dependencies: ["Service", .product(name: "MCP", package: "swift-sdk")]),
        .executableTarget(
            name: "KernelCastCLI",
            dependencies: [
                "MachineModel", "Workloads", "CostModel", "Devices", "Calibration", "Verifier", "Store", "Refinement", "Planner", "Orchestration",
                "Report", "Service", "HTTPAPI", "MCPSurface",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MachineModelTests", dependencies: ["MachineModel"]),
        .testTarget(name: "KernelCastCLITests", dependencies: ["KernelCastCLI"]),
        .testTarget(name: "VerifierTests", dependencies: ["Verifier", "Devices", "MachineModel", "Store", "PostgresTestSupport"], exclude: ["Cheaters"]),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "Devices", "Store", "MachineModel"]),
        // A PostgreSQL server of the distribution's packages, started and stopped by the tests that need one.
        .target(name: "PostgresTestSupport", path: "Tests/PostgresTestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PostgresTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "MachineModel"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "MachineModel"]),
        .testTarget(name: "CostModelTests", dependencies: ["CostModel", "Workloads", "MachineModel"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTPAPI", "MachineModel", "Verifier", "PostgresTestSupport",
                                                      .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "CostModel", "Workloads", "MachineModel"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Refinement", "Report", "KernelCastCLI"], exclude: ["Fixtures"]),
        .testTarget(name: "FuzzTests", dependencies: ["MachineModel", "Workloads", "CostModel", "Refinement", "Planner", "Calibration", "Verifier", "Service"]),
    ],
    swiftLanguageModes: [.v6]
)
