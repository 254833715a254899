import Foundation
import ImageIO
import Kernels

/// The reference's `Evaluations/test_network_ACC.py --input_path EXP --cal_DomainA 0|1 --ckpt_loadpath CKPT` over a
/// results folder of `monopix predict --inf-type exhaustive --n-search 10`.
///
/// What the reference does (read from lukun199/MonoPix):
/// - the classifier is its `Mymodel`: torchvision `resnet50(num_classes=64)` under the key prefix `resnet50.`, then
///   `fcs` = Linear(64, 64), LeakyReLU, Linear(64, 32), LeakyReLU, Linear(32, 1); `sigmoid` of the one logit is the
///   confidence of domain A (its training labels Winter/Cat, domain A, as 1 and Summer/Dog, domain B, as 0). It is
///   not a two-class `fc`; `ResNet50` also accepts a plain torchvision resnet50 with a one- or two-output `fc`.
/// - image folders are the sub-folders of EXP whose names have no `.`, in sorted order; in each, levels `00` … `10`
///   (`{image}/{image}_enhlvl_{NN}.png`, eleven files; the input `_99` is not read);
/// - preprocessing: skimage's `io.imread` (8-bit RGB, full size: no resize, no crop), `(img / 255.0 - 0.5) * 2` in
///   double, float32, CHW; no ImageNet mean/std. The eleven images go through the network as one batch (eval-mode
///   batch norm, so each image's result is its own);
/// - the score of an image at a level is `sigmoid(logit)`, or `1 - sigmoid(logit)` when `cal_DomainA < 0.5` (the
///   target is then domain B); there is no threshold or argmax;
/// - per image folder it writes `score_this.json`: `{"score_this": [[s00], [s01], … [s10]]}` (the `[11, 1]` array);
/// - per image, the maximum over the eleven levels; it writes `EXP/Score_ACC{tag}.json`:
///   `{"score_all": [max per image], "score_mean": mean of those}`, where `tag` is
///   `basename(ckpt).split('_')[0][5:]` (`epoch50_resnet50.pth` → `50`); it prints nothing.
///
/// In addition (ours, not the reference's) `ACC_per_level.json` holds, per level 00 … 10, the mean score and the
/// fraction of images classified as the target domain (score > 0.5).
public struct ACCEvaluation: Sendable {
    public static let perImageFileName = "score_this.json"
    public static let perLevelFileName = "ACC_per_level.json"
    public static let levelTags = ContinuityEvaluation.levelTags

    public let classifier: ResNet50
    /// Whether the target is domain A (`cal_DomainA >= 0.5`, the reference's default) or B.
    public let targetIsDomainA: Bool
    public var writesPerImageFiles = true

    public init(classifier: ResNet50, targetIsDomainA: Bool) {
        self.classifier = classifier
        self.targetIsDomainA = targetIsDomainA
    }

    /// The reference's file name for a checkpoint: `Score_ACC{basename.split('_')[0][5:]}.json`.
    public static func summaryFileName(checkpoint: URL) -> String {
        let first = checkpoint.lastPathComponent.split(separator: "_", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return "Score_ACC\(String(first.dropFirst(5))).json"
    }

    /// The network's input for one image: `(img / 255 - 0.5) * 2`, `[1, 3, H, W]`.
    public static func input(_ image: RGBImage) -> Tensor {
        let w = image.width, h = image.height
        return Tensor(uninitializedShape: Shape(c: 3, h: h, w: w)) { dst in
            for c in 0..<3 {
                for i in 0..<(w * h) { dst[c * w * h + i] = Float((Double(image.pixels[3 * i + c]) / 255 - 0.5) * 2) }
            }
        }
    }

    /// The target-domain score of one image.
    public func score(_ image: RGBImage) -> Double {
        let a = classifier.domainAScores(Self.input(image))[0]
        return Double(targetIsDomainA ? a : 1 - a)
    }

    /// The image folders as the reference lists them: sub-folders whose names contain no `.`, sorted.
    public static func imageFolders(in results: URL) throws -> [URL] {
        let folders = try ContinuityEvaluation.imageFolders(in: results).filter { !$0.lastPathComponent.contains(".") }
        guard !folders.isEmpty else {
            throw EvaluationError.noImageFolders(path: results.relativePath, reason: "no image folders (names without a '.')")
        }
        return folders
    }

    /// The eleven scores of one image folder.
    public func scores(inImageFolder folder: URL) throws -> [Double] {
        let files = Self.levelTags.map { ContinuityEvaluation.file(in: folder, tag: $0) }
        let missing = files.filter { !FileManager.default.fileExists(atPath: $0.path) }
        guard missing.isEmpty else {
            throw EvaluationError.missingLevels(folder: folder.relativePath, files: missing.map(\.lastPathComponent))
        }
        return try files.map { try score(ImageFile.readRGB($0)) }
    }

    public struct Report: Sendable {
        /// Per evaluated image folder, in order: its name and eleven scores.
        public var scores: [(image: String, levels: [Double])] = []
        public var failures: [ContinuityEvaluation.Failure] = []
        public var written: [URL] = []

        /// Per image, the maximum over its levels (`score_all`).
        public var best: [Double] { scores.map { $0.levels.max()! } }
        /// `score_mean`.
        public var mean: Double { best.reduce(0, +) / Double(max(1, best.count)) }
        /// Per level, the mean score.
        public var levelMeans: [Double] {
            (0..<ACCEvaluation.levelTags.count).map { l in scores.map { $0.levels[l] }.reduce(0, +) / Double(max(1, scores.count)) }
        }
        /// Per level, the fraction of images whose score exceeds 0.5 (classified as the target domain).
        public var levelFractions: [Double] {
            (0..<ACCEvaluation.levelTags.count).map { l in
                Double(scores.filter { $0.levels[l] > 0.5 }.count) / Double(max(1, scores.count))
            }
        }
    }

    /// Scores every image folder and writes the result files (atomically). `progress(image, index, count)` is
    /// called before each folder; folders that fail are reported and skipped (the reference would stop).
    public func evaluate(resultsFolder results: URL, checkpoint: URL,
                         progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let folders = try Self.imageFolders(in: results)
        var report = Report()
        for (index, folder) in folders.enumerated() {
            let name = folder.lastPathComponent
            progress(name, index, folders.count)
            do {
                let s = try scores(inImageFolder: folder)
                report.scores.append((name, s))
                if writesPerImageFiles {
                    let url = folder.appendingPathComponent(Self.perImageFileName)
                    try PythonJSON.object([("score_this", .array(s.map { .array([.number(Double(Float($0)))]) }))]).write(to: url)
                    report.written.append(url)
                }
            } catch {
                report.failures.append(.init(image: name, message: "\(error)"))
            }
        }
        guard !report.scores.isEmpty else { return report }
        let summary = results.appendingPathComponent(Self.summaryFileName(checkpoint: checkpoint))
        try PythonJSON.object([("score_all", .array(report.best.map(PythonJSON.number))), ("score_mean", .number(report.mean))])
            .write(to: summary)
        let perLevel = results.appendingPathComponent(Self.perLevelFileName)
        try PythonJSON.object([
            ("target", .string(targetIsDomainA ? "A" : "B")),
            ("images", .number(Double(report.scores.count))),
            ("levels", .array(Self.levelTags.map(PythonJSON.string))),
            ("fraction_target", .array(report.levelFractions.map(PythonJSON.number))),
            ("mean_score", .array(report.levelMeans.map(PythonJSON.number))),
        ]).write(to: perLevel)
        report.written += [summary, perLevel]
        return report
    }
}
