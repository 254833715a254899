import Foundation

/// Where `predict` writes, in the reference's layout:
/// `{savePath}/{name}_{tag}_{infType}/{image}/{image}_enhlvl_{NN}.png`, plus `{image}_enhlvl_99.png` for the input.
public struct PredictionLayout: Sendable {
    public let folder: URL
    /// Decimals of the level in file names: 1 (`_enhlvl_05`) unless the trajectory is finer than tenths.
    public let tagDecimals: Int

    /// `levels`: the trajectory that will be written, when known, so that its files get names that tell its levels apart.
    public init(savePath: URL, name: String, tag: String, inferenceType: String, levels: [Float] = []) {
        folder = savePath.appendingPathComponent("\(name)_\(tag)_\(inferenceType)")
        tagDecimals = Levels.tagDecimals(for: levels)
    }

    /// The image's base name: its file name without the extension. (The reference cuts the last four characters,
    /// which is the same for `.png` and `.jpg` and mangles `.jpeg`.)
    public static func stem(of file: URL) -> String { file.deletingPathExtension().lastPathComponent }

    public func imageFolder(for file: URL) -> URL { folder.appendingPathComponent(Self.stem(of: file)) }

    public func levelFile(for file: URL, level: Float) -> URL {
        imageFolder(for: file).appendingPathComponent("\(Self.stem(of: file))_enhlvl_\(Levels.fileTag(level, decimals: tagDecimals)).png")
    }

    public func inputFile(for file: URL) -> URL {
        imageFolder(for: file).appendingPathComponent("\(Self.stem(of: file))_enhlvl_99.png")
    }

    public func spatialFile(for file: URL) -> URL {
        imageFolder(for: file).appendingPathComponent("\(Self.stem(of: file))_spatial.png")
    }

    /// The trajectory as one animated file (`--animate gif`), beside its levels.
    public func animationFile(for file: URL) -> URL {
        imageFolder(for: file).appendingPathComponent("\(Self.stem(of: file))_trajectory.gif")
    }
}

/// The images a `--input` names: the file itself, or the PNG and JPEG files of a folder in name order.
public func imageFiles(at input: URL) throws -> [URL] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
        throw EngineError.missingFile(input.path, what: "input image or folder")
    }
    guard isDirectory.boolValue else { return [input] }
    let names = try FileManager.default.contentsOfDirectory(atPath: input.path).sorted()
    let images = names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
    return images.map { input.appendingPathComponent($0) }
}
