// swift-tools-version:6.0
import PackageDescription

// Numeric code is compiled with -Ounchecked in release builds: the kernels index raw buffers in hot loops
// whose bounds are established once per call, and the bench and the numeric tests run in release.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "MonoPixStudio",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "monopix", targets: ["monopix"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // One system-library target per C library; each is reached through one Swift wrapper.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNCurses", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),

        .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "ImageIO", dependencies: ["CPNG", "CJPEG"], swiftSettings: fast),
        .target(name: "Model", dependencies: [
            "Kernels",
            .product(name: "Yams", package: "Yams"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: fast),
        .target(name: "Engine", dependencies: ["Model", "Kernels", "ImageIO"], swiftSettings: fast),
        // Training-log readers and chart math, shared by the studio and (later) the trainer; no dependencies.
        .target(name: "Monitoring"),
        .target(name: "Studio", dependencies: ["Engine", "ImageIO", "Monitoring", "CNCurses", "CSixel"], swiftSettings: fast),
        .executableTarget(name: "monopix", dependencies: [
            "Engine", "Model", "Kernels", "ImageIO", "Studio",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Model", "Kernels", "ImageIO"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        // Golden screens in testdata/ are read through #filePath (re-recorded with MONOPIX_RECORD_GOLDEN=1).
        .testTarget(name: "StudioTests", dependencies: ["Studio", "Monitoring", "Engine", "ImageIO"], exclude: ["testdata"]),
    ],
    swiftLanguageModes: [.v5]
)
