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
        // Animated trajectories (`predict --animate gif`): giflib's encoder and its median-cut colour quantizer.
        .systemLibrary(name: "CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),
        // SIDD training crops in DANet-style .h5 files (`train --h5-file`): the C API only, read-only.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),

        // The instruction-set level every C kernel dispatches to: the CPU's, capped by MONOPIX_ISA=avx512|avx2|baseline
        // (or by the tests), so that one machine runs every path.
        .target(name: "CISA"),
        // The Winograd data transforms: 16-lane AVX-512 or 8-lane AVX2/FMA where the CPU has them, 4-lane vectors
        // elsewhere (one binary, chosen at run time).
        .target(name: "CWinograd", dependencies: ["CISA"]),
        // AVX-512 f32 and bf16 and AVX2 f32 GEMMs (OpenBLAS runs its AVX2 kernels here: OPENBLAS_CORETYPE=Haswell),
        // dispatched at run time in one binary; GEMM.swift falls back to cblas at baseline and off x86-64.
        .target(name: "CGemm", dependencies: ["CISA"]),
        // The element passes (tanh, pools, the upsample's loops) as C loops compiled for AVX-512 / AVX2 / baseline.
        .target(name: "CElementwise", dependencies: ["CISA"]),
        .target(name: "Kernels", dependencies: ["CBLAS", "CISA", "CWinograd", "CGemm", "CElementwise"], swiftSettings: fast),
        // The setjmp frames libpng/libjpeg need for their longjmp errors; everything else is Swift (ImageIO).
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // Temp file, fsync, rename: every file the project writes, so a kill never leaves part of one.
        .target(name: "AtomicFiles"),
        .target(name: "ImageIO", dependencies: ["CImageCodecs", "CPNG", "CJPEG", "CGIF", "AtomicFiles"], swiftSettings: fast),
        .target(name: "Model", dependencies: [
            "Kernels", "AtomicFiles",
            .product(name: "Yams", package: "Yams"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: fast),
        .target(name: "Engine", dependencies: ["Model", "Kernels", "ImageIO", "Evaluation", "AtomicFiles"], swiftSettings: fast),
        // FID's statistics call OpenBLAS's double-precision GEMM and LAPACK's dsyevd directly.
        .target(name: "Evaluation", dependencies: ["ImageIO", "Kernels", "Model", "AtomicFiles", "CBLAS"], swiftSettings: fast),
        // libhdf5's first walk over an .h5 file's metadata, in a child process: a crash inside the library on a
        // damaged file (docs/reliability.md, finding 9) kills the child, and the trainer reports it.
        .target(name: "CHDF5Probe", dependencies: ["CHDF5"]),
        .target(name: "Training", dependencies: ["Model", "Kernels", "CGemm", "CElementwise", "ImageIO", "AtomicFiles", "CHDF5", "CHDF5Probe"], swiftSettings: fast),
        // Training-log readers and chart math, shared by the studio and the trainer; no dependencies.
        .target(name: "Monitoring"),
        .target(name: "Studio", dependencies: ["Engine", "Model", "ImageIO", "Monitoring", "CNCurses", "CSixel", "AtomicFiles"], swiftSettings: fast),
        .executableTarget(name: "monopix", dependencies: [
            "Engine", "Model", "Kernels", "ImageIO", "Studio", "Evaluation", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "CGIF"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Model", "Kernels", "ImageIO", "Evaluation"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "ImageIO", "Kernels", "Model"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "Kernels", "ImageIO", "Engine"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        // Golden screens in testdata/ are read through #filePath (re-recorded with MONOPIX_RECORD_GOLDEN=1).
        .testTarget(name: "StudioTests", dependencies: ["Studio", "Monitoring", "Engine", "Model", "ImageIO"], exclude: ["testdata"]),
    ],
    swiftLanguageModes: [.v5]
)
