import Foundation

/// Where the bundled model, its config and the sample images are: `$MONOPIX_HOME`, else the working directory,
/// else the checkout the executable was built in (`.build/<config>/monopix` → the repository root).
enum BundledAssets {
    static let modelPath = "assets/models/lowlight-small/model.safetensors"
    static let configPath = "configs/MonoPix_LowLight_Small.yaml"
    static let samplesPath = "assets/samples"

    static var root: URL? {
        var candidates: [URL] = []
        if let home = ProcessInfo.processInfo.environment["MONOPIX_HOME"] { candidates.append(URL(fileURLWithPath: home)) }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(configPath).path) }
    }

    static func url(_ relative: String) -> URL? {
        guard let root else { return nil }
        let u = root.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }

    static var model: URL? { url(modelPath) }
    static var config: URL? { url(configPath) }
    static var samples: URL? { url(samplesPath) }
}
