import Foundation
import ImageIO

/// The distance between two images of a trajectory.
public enum TrajectoryDistance: Sendable {
    /// LPIPS v0.1, AlexNet trunk: the reference's distance.
    case lpips(LPIPS)
    /// `1 - SSIM` (scikit-image's SSIM, `ImageMetrics.ssim`): the fallback when no LPIPS weights are available.
    case ssim
    /// The root-mean-square difference of the samples in [0, 1] units.
    case l2

    /// The name written to the result files' `"distance"` key (`lpips`, `ssim`, `l2`).
    public var name: String {
        switch self {
        case .lpips: return "lpips"
        case .ssim: return "ssim"
        case .l2: return "l2"
        }
    }

    /// The distance between two images of the same size.
    public func callAsFunction(_ a: RGBImage, _ b: RGBImage) throws -> Double {
        guard a.width == b.width, a.height == b.height else {
            throw EvaluationError.sizeMismatch(first: "the first image", firstSize: "\(a.width)x\(a.height)",
                                               second: "the second", secondSize: "\(b.width)x\(b.height)")
        }
        switch self {
        case .lpips(let model): return try model.distance(a, b)
        case .ssim: return 1 - ImageMetrics.ssim(a, b)
        case .l2: return Self.rms(a, b)
        }
    }

    static func rms(_ a: RGBImage, _ b: RGBImage) -> Double {
        var sum = 0.0
        for i in a.pixels.indices { let d = (Double(a.pixels[i]) - Double(b.pixels[i])) / 255; sum += d * d }
        return (sum / Double(max(1, a.pixels.count))).squareRoot()
    }

    /// A trajectory's distances, as Cal_LPIPS_Tragectory.py orders the arguments:
    /// `adj[i] = d(level i+1, level i)`, `against1[i] = d(input, level i)`.
    public func trajectory(levels: [RGBImage], input: RGBImage) throws -> ContinuityMetrics.Distances {
        switch self {
        case .lpips(let model):
            // Each image goes through the trunk once, not once per pair.
            let f = try levels.map(model.features)
            let f0 = try model.features(input)
            return .init(adj: (0..<(levels.count - 1)).map { model.distance(f[$0 + 1], f[$0]) },
                         against1: f.map { model.distance(f0, $0) })
        case .ssim, .l2:
            return .init(adj: try (0..<(levels.count - 1)).map { try self(levels[$0 + 1], levels[$0]) },
                         against1: try levels.map { try self(input, $0) })
        }
    }
}

/// `Cal_LPIPS_Tragectory.py` followed by `Eval_Continuity.py` over a results folder of `monopix predict
/// --inf-type exhaustive --n-search 10`: one folder per image holding `{image}_enhlvl_00.png` …
/// `{image}_enhlvl_10.png` and the input `{image}_enhlvl_99.png`.
///
/// Writes, as the reference does, `lpips_all_.json` (`{image: {"adj": [10], "against1": [11]}}`) and
/// `Continuity_Metric.json` (`{"Range", "Smoothness", "AbsoluteLinearity", "RelativeLinearity"}`) into the results
/// folder, and `lpips_this.json` (`{"this_lpips": {"adj", "against1"}}`) into each image folder. With a distance
/// other than LPIPS the files keep their names and gain a key `"distance": "ssim"` (or `"l2"`): in
/// `Continuity_Metric.json`, in `lpips_this.json`'s inner object and in each image's entry of
/// `lpips_all_.json`, where Eval_Continuity.py ignores it. Every file is written atomically.
public struct ContinuityEvaluation: Sendable {
    public static let distancesFileName = "lpips_all_.json"
    public static let metricsFileName = "Continuity_Metric.json"
    public static let perImageFileName = "lpips_this.json"
    /// File tags of the trajectory's levels, `00` … `10`, and of the input.
    public static let levelTags = (0...10).map { $0 < 10 ? "0\($0)" : "\($0)" }
    public static let inputTag = "99"

    public let distance: TrajectoryDistance
    /// Whether `lpips_this.json` is written into each image folder (the reference does).
    public var writesPerImageFiles: Bool

    public init(distance: TrajectoryDistance, writesPerImageFiles: Bool = true) {
        self.distance = distance
        self.writesPerImageFiles = writesPerImageFiles
    }

    /// `{folder}/{image}_enhlvl_{tag}.png`, the image being the folder's name.
    public static func file(in folder: URL, tag: String) -> URL {
        folder.appendingPathComponent("\(folder.lastPathComponent)_enhlvl_\(tag).png")
    }

    /// The distances of one image folder's trajectory.
    public func trajectory(inImageFolder folder: URL) throws -> ContinuityMetrics.Distances {
        let tags = Self.levelTags + [Self.inputTag]
        let files = tags.map { Self.file(in: folder, tag: $0) }
        let missing = files.filter { !FileManager.default.fileExists(atPath: $0.path) }
        guard missing.isEmpty else {
            throw EvaluationError.missingLevels(folder: folder.relativePath, files: missing.map(\.lastPathComponent))
        }
        let images = try files.map { try ImageFile.readRGB($0) }
        for (file, image) in zip(files, images).dropFirst() where image.width != images[0].width || image.height != images[0].height {
            throw EvaluationError.sizeMismatch(first: files[0].lastPathComponent, firstSize: "\(images[0].width)x\(images[0].height)",
                                               second: file.lastPathComponent, secondSize: "\(image.width)x\(image.height)")
        }
        return try distance.trajectory(levels: Array(images.dropLast()), input: images.last!)
    }

    /// An image folder that could not be evaluated.
    public struct Failure: Sendable, Equatable {
        public let image: String
        public let message: String
    }

    public struct Report: Sendable {
        /// Per image folder (by name) that was evaluated.
        public var distances: [String: ContinuityMetrics.Distances] = [:]
        /// The metrics over `distances`; nil when no folder could be evaluated (then nothing was written).
        public var metrics: ContinuityMetrics?
        public var failures: [Failure] = []
        /// The files written.
        public var written: [URL] = []
    }

    /// The image folders of a results folder: its sub-folders, hidden ones excepted, in name order.
    public static func imageFolders(in results: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: results.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError.noImageFolders(path: results.relativePath, reason: "not a folder")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: results.path).sorted()
        let folders = names.filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: results.appendingPathComponent(name).path, isDirectory: &dir)
                && dir.boolValue
        }
        guard !folders.isEmpty else {
            throw EvaluationError.noImageFolders(
                path: results.relativePath,
                reason: "no image folders (expected one folder per image, as `monopix predict --inf-type exhaustive --n-search 10` writes)")
        }
        return folders.map { results.appendingPathComponent($0, isDirectory: true) }
    }

    /// Evaluates every image folder of `results` and writes the result files. Folders that fail are listed in the
    /// report and left out of the metrics; `progress(image, index, count)` is called before each folder.
    public func evaluate(resultsFolder results: URL, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let folders = try Self.imageFolders(in: results)
        var report = Report()
        let tagged = distance.name == "lpips" ? [] : [("distance", PythonJSON.string(distance.name))]
        func entry(_ d: ContinuityMetrics.Distances) -> PythonJSON {
            .object([("adj", .array(d.adj.map(PythonJSON.number))), ("against1", .array(d.against1.map(PythonJSON.number)))] + tagged)
        }
        for (index, folder) in folders.enumerated() {
            let name = folder.lastPathComponent
            progress(name, index, folders.count)
            do {
                let d = try trajectory(inImageFolder: folder)
                report.distances[name] = d
                if writesPerImageFiles {
                    let url = folder.appendingPathComponent(Self.perImageFileName)
                    try PythonJSON.object([("this_lpips", entry(d))]).write(to: url)
                    report.written.append(url)
                }
            } catch {
                report.failures.append(Failure(image: name, message: "\(error)"))
            }
        }
        guard !report.distances.isEmpty else { return report }
        let metrics = ContinuityMetrics(distances: report.distances)
        report.metrics = metrics
        let all = PythonJSON.object(report.distances.keys.sorted().map { ($0, entry(report.distances[$0]!)) })
        let allURL = results.appendingPathComponent(Self.distancesFileName)
        try all.write(to: allURL)
        let metricsURL = results.appendingPathComponent(Self.metricsFileName)
        try PythonJSON.object([
            ("Range", .number(metrics.range)), ("Smoothness", .number(metrics.smoothness)),
            ("AbsoluteLinearity", .number(metrics.absoluteLinearity)), ("RelativeLinearity", .number(metrics.relativeLinearity)),
        ] + tagged).write(to: metricsURL)
        report.written += [allURL, metricsURL]
        return report
    }
}
