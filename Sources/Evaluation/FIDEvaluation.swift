import Foundation
import ImageIO
import Kernels

/// The reference's `Evaluations/test_network_FID.py --input_path EXP --gt_path DATA_ROOT --cal_DomainA 0|1
/// --start_lvl N` over a results folder of `monopix predict --inf-type exhaustive --n-search 10`, with pytorch-fid's
/// network, preprocessing and distance.
///
/// What the reference selects (read from lukun199/MonoPix):
/// - generated images: the sub-folders of EXP whose names have no `.`, sorted; in each, levels `start_lvl` … `10`
///   (`{image}/{image}_enhlvl_{NN}.png`; the input `_99` is not read). `start_lvl 0` is the whole trajectory,
///   `10` its end;
/// - real images: every file of `DATA_ROOT/trainA_Winter` and `trainB_Summer` when EXP's path contains `S2W`,
///   `W2S` or `SW` (Yosemite), else `trainA_Cat` and `trainB_Dog` (AFHQ); with `start_lvl 0` both domains, else
///   domain A (`cal_DomainA 1`) or B (`0`);
/// - the distance: `sqrtm(cov1 @ cov2)` by scipy, `|mu1 - mu2|^2 + tr(cov1 + cov2 - 2 covmean)`, real part
///   (`frechetDistance`), real statistics first;
/// - the file: `EXP/FID_{style}_startlvl_{N}_{wholetraj}.json` = `{"FID_all": fid}`, `style` Yosemite / AFHQ for
///   the whole trajectory, else Winter / Summer or Cat / Dog for the domain (`wholetraj` only for start 0, else
///   empty: `FID_Cat_startlvl_10_.json`).
///
/// Where it differs, on purpose: the reference runs torchvision's ImageNet Inception-v3 (`inception_v3(pretrained=
/// True)` without its `transform_input`) on skimage-resized (anti-aliased) images with ImageNet mean/std; this runs
/// pytorch-fid's FID Inception (`InceptionV3`) on its preprocessing (bilinear to 299x299, `2 x - 1`), the
/// standard FID, so numbers are comparable with published FIDs but not digit for digit with the paper's script. It
/// does not cache the real statistics (the reference's `pkl_feats/`). `--real` may also be a plain folder of images
/// (no `trainA_*` / `trainB_*` inside), used whole.
public struct FIDEvaluation: Sendable {
    public static let levelTags = ContinuityEvaluation.levelTags
    /// The image file extensions read from a real-image folder (the formats `ImageFile` decodes).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    public let network: InceptionV3
    /// The first level of each trajectory compared (`start_lvl`, 0 … 10).
    public let startLevel: Int
    /// Whether the real images are domain A's (`cal_DomainA >= 0.5`, the reference's default); not used for the
    /// whole trajectory (start level 0), which compares against both domains.
    public let domainA: Bool
    /// Images per network call (the reference passes each folder's levels as one batch; results do not depend on it).
    public var batchSize = 11

    public init(network: InceptionV3, startLevel: Int, domainA: Bool) {
        precondition((0...10).contains(startLevel), "FIDEvaluation: start level \(startLevel)")
        self.network = network
        self.startLevel = startLevel
        self.domainA = domainA
    }

    /// Whether the reference takes the experiment for Yosemite summer↔winter (its path names `S2W`, `W2S` or `SW`)
    /// rather than AFHQ cat↔dog.
    public static func isYosemite(_ resultsPath: String) -> Bool {
        ["S2W", "W2S", "SW"].contains { resultsPath.contains($0) }
    }

    /// The reference's data-root folders for domain A and B.
    public static func domainFolders(resultsPath: String) -> (a: String, b: String) {
        isYosemite(resultsPath) ? ("trainA_Winter", "trainB_Summer") : ("trainA_Cat", "trainB_Dog")
    }

    /// `FID_{style}_startlvl_{N}_{wholetraj or nothing}.json`, as the reference names it.
    public func summaryFileName(resultsPath: String) -> String {
        let yosemite = Self.isYosemite(resultsPath)
        let style: String
        if startLevel == 0 {
            style = yosemite ? "Yosemite" : "AFHQ"
        } else {
            style = yosemite ? (domainA ? "Winter" : "Summer") : (domainA ? "Cat" : "Dog")
        }
        return "FID_\(style)_startlvl_\(startLevel)_\(startLevel == 0 ? "wholetraj" : "").json"
    }

    /// The generated images compared: per image folder (sorted, names without a `.`), levels `startLevel` … 10.
    public func generatedFiles(in results: URL) throws -> [URL] {
        let folders = try ACCEvaluation.imageFolders(in: results)
        var files: [URL] = []
        for folder in folders {
            let levels = Self.levelTags[startLevel...].map { ContinuityEvaluation.file(in: folder, tag: $0) }
            let missing = levels.filter { !FileManager.default.fileExists(atPath: $0.path) }
            // The reference stops at the first missing file; a partial set would change the statistics silently.
            guard missing.isEmpty else {
                throw EvaluationError.missingLevels(folder: folder.relativePath, files: missing.map(\.lastPathComponent))
            }
            files += levels
        }
        return files
    }

    /// The real images: in `real`'s reference sub-folders (`trainA_*` / `trainB_*`, chosen as the reference does) if
    /// it has them, else every image in `real` itself. Sorted by path (the order does not change the statistics).
    public func realFiles(in real: URL, resultsPath: String) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError.noImageFolders(path: real.relativePath, reason: "not a folder")
        }
        let (a, b) = Self.domainFolders(resultsPath: resultsPath)
        let hasA = Self.isFolder(real.appendingPathComponent(a)), hasB = Self.isFolder(real.appendingPathComponent(b))
        guard hasA || hasB else { return try Self.images(in: real) }
        let wanted = startLevel == 0 ? [a, b] : [domainA ? a : b]
        var files: [URL] = []
        for name in wanted {
            let folder = real.appendingPathComponent(name, isDirectory: true)
            guard Self.isFolder(folder) else {
                throw EvaluationError.noImageFolders(
                    path: real.relativePath,
                    reason: "no \(name)/ (the reference's data root holds \(a)/ and \(b)/\(startLevel == 0 ? "; the whole trajectory compares against both" : ""))")
            }
            files += try Self.images(in: folder)
        }
        return files
    }

    static func isFolder(_ url: URL) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &dir) && dir.boolValue
    }

    /// The PNG and JPEG files directly in `folder`, sorted; at least one.
    static func images(in folder: URL) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        guard !names.isEmpty else {
            throw EvaluationError.noImageFolders(path: folder.relativePath, reason: "no PNG or JPEG images")
        }
        return names.map { folder.appendingPathComponent($0) }
    }

    /// The pool3 features of `files`, `[count][dimension]` row-major, `batchSize` images per network call;
    /// `progress(done, count)` after each batch.
    public func features(of files: [URL], progress: (Int, Int) -> Void = { _, _ in }) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(files.count * network.featureDimension)
        var start = 0
        while start < files.count {
            let batch = files[start..<min(files.count, start + max(1, batchSize))]
            out += network.features(of: try batch.map { try ImageFile.readRGB($0) })
            start += batch.count
            progress(start, files.count)
        }
        return out
    }

    public struct Report: Sendable {
        public var fid: Double
        public var realCount: Int
        public var generatedCount: Int
        public var real: FeatureStatistics
        public var generated: FeatureStatistics
        public var written: URL
    }

    /// Which set `evaluate` is working through, for its progress callback.
    public enum Phase: String, Sendable { case real, generated }

    /// Computes the FID of the selected trajectory levels against the real images and writes the reference's file
    /// (atomically). `progress(phase, done, count)` is called after each batch.
    public func evaluate(resultsFolder results: URL, real: URL,
                         progress: (Phase, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let generatedFiles = try generatedFiles(in: results)
        let realFiles = try realFiles(in: real, resultsPath: results.relativePath)
        let dimension = network.featureDimension
        let realStats = try FeatureStatistics(features: features(of: realFiles) { progress(.real, $0, $1) }, dimension: dimension)
        let generatedStats = try FeatureStatistics(features: features(of: generatedFiles) { progress(.generated, $0, $1) },
                                                   dimension: dimension)
        let fid = try frechetDistance(realStats, generatedStats)
        let url = results.appendingPathComponent(summaryFileName(resultsPath: results.relativePath))
        try PythonJSON.object([("FID_all", .number(fid))]).write(to: url)
        return Report(fid: fid, realCount: realFiles.count, generatedCount: generatedFiles.count, real: realStats,
                      generated: generatedStats, written: url)
    }
}
