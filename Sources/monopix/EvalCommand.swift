import ArgumentParser
import Evaluation
import Foundation
import ImageIO

/// `monopix eval`: the reference's evaluation scripts (Evaluations/Cal_LPIPS_Tragectory.py, Eval_Continuity.py)
/// and the full-reference metrics for scripting.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate results: trajectory continuity, ACC (domain classifier), FID, PSNR, SSIM, LPIPS.",
        subcommands: [EvalContinuityCommand.self, EvalACCCommand.self, EvalFIDCommand.self, EvalPSNRCommand.self, EvalSSIMCommand.self, EvalLPIPSCommand.self])
}

/// The LPIPS weight files, shared by `eval continuity` and `eval lpips`.
struct LPIPSWeightOptions: ParsableArguments {
    @Option(name: [.customLong("lpips-weights"), .customLong("lpips_weights")],
            help: "The lpips package's linear heads, weights/v0.1/alex.pth (keys lin0.model.1.weight …).")
    var lpipsWeights: String?

    @Option(name: [.customLong("alexnet-weights"), .customLong("alexnet_weights")],
            help: "A torchvision alexnet state_dict (.pth or .safetensors; keys features.0.weight …).")
    var alexnetWeights: String?

    var given: Bool { lpipsWeights != nil || alexnetWeights != nil }

    static let bothNeeded = ValidationError(
        "LPIPS needs both --lpips-weights FILE (the lpips package's weights/v0.1/alex.pth) "
            + "and --alexnet-weights FILE (a torchvision alexnet state_dict)")

    func load() throws -> LPIPS {
        guard let lpipsWeights, let alexnetWeights else { throw Self.bothNeeded }
        return try LPIPS(alexnetWeights: URL(fileURLWithPath: alexnetWeights), lpipsWeights: URL(fileURLWithPath: lpipsWeights))
    }
}

/// `monopix eval continuity --path RESULTS/EXP`: Cal_LPIPS_Tragectory.py then Eval_Continuity.py.
struct EvalContinuityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "continuity",
        abstract: "Range, Smoothness and Linearity of 11-level trajectories (levels 00..10 and the input 99).",
        discussion: """
            PATH holds one folder per image, as `monopix predict --inf-type exhaustive --n-search 10` writes them: \
            {image}/{image}_enhlvl_00.png … _10.png and _99.png (the input). For each image, adj[i] = d(level i+1, \
            level i) and against1[i] = d(input, level i); the reference's files are written atomically: \
            PATH/lpips_all_.json ({image: {adj, against1}}), PATH/Continuity_Metric.json (Range, Smoothness, \
            AbsoluteLinearity, RelativeLinearity) and {image}/lpips_this.json.

            The distance is LPIPS (AlexNet, v0.1) when both weight files are given. Without them it falls back to \
            1 - SSIM, says so, and the files keep their names but gain a key "distance": "ssim" (in \
            Continuity_Metric.json and in each image's entry); --distance ssim or l2 (RMS difference in [0, 1]) \
            chooses a distance explicitly. Folders with missing levels are reported and skipped; the exit code is \
            1 if any folder failed.
            """)

    @Option(help: "The experiment's results folder (one sub-folder per image).")
    var path: String

    @Option(help: "lpips, ssim (1 - SSIM) or l2 (RMS difference in [0, 1]). Default: lpips if weights are given, else ssim.")
    var distance: String?

    @OptionGroup var weights: LPIPSWeightOptions

    func validate() throws {
        switch distance {
        case nil, "ssim", "l2": break
        case "lpips": if weights.lpipsWeights == nil || weights.alexnetWeights == nil { throw LPIPSWeightOptions.bothNeeded }
        default: throw ValidationError("--distance must be lpips, ssim or l2, not '\(distance!)'")
        }
        if distance == nil, weights.given, weights.lpipsWeights == nil || weights.alexnetWeights == nil {
            throw LPIPSWeightOptions.bothNeeded
        }
    }

    func run() throws {
        let results = URL(fileURLWithPath: path)
        let folders = try ContinuityEvaluation.imageFolders(in: results)
        let chosen: TrajectoryDistance
        switch distance {
        case "ssim": chosen = .ssim
        case "l2": chosen = .l2
        case nil where !weights.given:
            print("No LPIPS weights given (--lpips-weights, --alexnet-weights): using 1 - SSIM as the distance; "
                  + "the result files say \"distance\": \"ssim\".")
            chosen = .ssim
        default:
            chosen = .lpips(try weights.load())
        }
        if chosen.name != "lpips", weights.given {
            print("--distance \(chosen.name): the LPIPS weight files are not used.")
        }
        let evaluation = ContinuityEvaluation(distance: chosen)
        var progress = ProgressBar(total: folders.count)
        let report = try evaluation.evaluate(resultsFolder: results) { name, index, _ in
            if index > 0 { progress.advance() }
            progress.update(label: name)
        }
        progress.advance()
        progress.finish()
        for failure in report.failures {
            FileHandle.standardError.write("skipped \(failure.image): \(failure.message)\n".data(using: .utf8)!)
        }
        let total = report.distances.count + report.failures.count
        guard let m = report.metrics else {
            print("no image folder could be evaluated (\(total) tried); nothing written")
            throw ExitCode(1)
        }
        print("\(report.distances.count) of \(total) images, distance \(chosen.name == "ssim" ? "1 - SSIM" : chosen.name)")
        print("Range \(m.range)")
        print("Smoothness \(m.smoothness)")
        print("AbsoluteLinearity \(m.absoluteLinearity)")
        print("RelativeLinearity \(m.relativeLinearity)")
        print("wrote \(results.appendingPathComponent(ContinuityEvaluation.distancesFileName).relativePath) and "
              + "\(results.appendingPathComponent(ContinuityEvaluation.metricsFileName).relativePath)")
        if !report.failures.isEmpty {
            print("\(report.failures.count) image folder(s) skipped (see above)")
            throw ExitCode(1)
        }
    }
}

/// Which domain `eval acc` scores: the reference's `--cal_DomainA 1` (A: Winter/Cat, its default) or `0` (B).
enum ACCDomain: String, EnumerableFlag {
    case domainA, domainB
}

/// `monopix eval acc --path RESULTS/EXP --checkpoint CLS.pth`: Evaluations/test_network_ACC.py.
struct EvalACCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acc",
        abstract: "ACC: a ResNet-50 domain classifier's confidence in the target domain over 11-level trajectories.",
        discussion: """
            PATH holds one folder per image (names without a '.'), each with {image}_enhlvl_00.png … _10.png. Every \
            level goes through the classifier at full size, scaled to [-1, 1]; its score is sigmoid(logit), the \
            confidence of domain A (Winter/Cat), or 1 minus that with --domain-b (the reference's --cal_DomainA 0). \
            Written atomically, as the reference writes them: {image}/score_this.json (the 11 scores) and \
            PATH/Score_ACC{tag}.json (score_all: each image's best level, score_mean: their mean; tag from the \
            checkpoint's name, epoch50_resnet50.pth → 50); and ours, PATH/ACC_per_level.json: per level, the \
            fraction of images classified as the target (score > 0.5) and the mean score.

            The checkpoint is the reference's classifier (Evaluations/ACC_pretrained: resnet50.* and fcs.*), or a \
            torchvision resnet50 state_dict whose fc has 1 output (a logit) or 2 (class 1 = domain A).
            """)

    @Option(name: [.customLong("path"), .customLong("input_path")], help: "The experiment's results folder (one sub-folder per image).")
    var path: String

    @Option(name: [.customLong("checkpoint"), .customLong("ckpt_loadpath")], help: "The classifier's state_dict (.pth or .safetensors).")
    var checkpoint: String

    @Flag(help: "The target domain: A (Winter/Cat, the reference's default) or B (Summer/Dog).")
    var domain: ACCDomain = .domainA

    @Option(name: .customLong("cal_DomainA"), help: "The reference's spelling: < 0.5 means --domain-b.")
    var calDomainA: Double?

    @Option(help: "A progress line to stderr every N images (0: none).")
    var progressEvery: Int = 10

    func run() throws {
        let results = URL(fileURLWithPath: path)
        let ckpt = URL(fileURLWithPath: checkpoint)
        let folders = try ACCEvaluation.imageFolders(in: results)
        let targetA = calDomainA.map { $0 >= 0.5 } ?? (domain == .domainA)
        let evaluation = ACCEvaluation(classifier: try ResNet50(contentsOf: ckpt), targetIsDomainA: targetA)
        let start = Date()
        let report = try evaluation.evaluate(resultsFolder: results, checkpoint: ckpt) { name, index, count in
            if progressEvery > 0, index % progressEvery == 0 {
                let line = "[\(index + 1)/\(count)] \(name) (" + String(format: "%.0f s)\n", Date().timeIntervalSince(start))
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
        for failure in report.failures {
            FileHandle.standardError.write("skipped \(failure.image): \(failure.message)\n".data(using: .utf8)!)
        }
        let total = report.scores.count + report.failures.count
        guard !report.scores.isEmpty else {
            print("no image folder could be evaluated (\(total) tried); nothing written")
            throw ExitCode(1)
        }
        print("\(report.scores.count) of \(total) images, target domain \(targetA ? "A" : "B")")
        print("level  fraction_target  mean_score")
        for (l, tag) in ACCEvaluation.levelTags.enumerated() {
            print(tag + String(format: "     %.4f           %.4f", report.levelFractions[l], report.levelMeans[l]))
        }
        print("score_mean \(report.mean)")
        let summary = results.appendingPathComponent(ACCEvaluation.summaryFileName(checkpoint: ckpt))
        print("wrote \(summary.relativePath) and \(results.appendingPathComponent(ACCEvaluation.perLevelFileName).relativePath)")
        if !report.failures.isEmpty {
            print("\(report.failures.count) image folder(s) skipped (see above)")
            throw ExitCode(1)
        }
    }
}

/// `monopix eval fid --path RESULTS/EXP --real DATA_ROOT --weights pt_inception-2015-12-05-6726825d.pth`:
/// Evaluations/test_network_FID.py with pytorch-fid's network and preprocessing.
struct EvalFIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "FID of trajectory levels against real images (pytorch-fid's Inception-v3, 2048-d pool3).",
        discussion: """
            PATH holds one folder per image (names without a '.'), each with {image}_enhlvl_00.png … _10.png; levels \
            --start-level … 10 of every folder are compared (0, the default, is the whole trajectory; 10 its end). \
            REAL is the reference's data root, holding trainA_Cat/ and trainB_Dog/ (trainA_Winter/ and \
            trainB_Summer/ when PATH contains S2W, W2S or SW): the whole trajectory is compared with both domains, \
            any other start level with domain A (--domain-a, the default; Winter/Cat) or B (--domain-b). A REAL \
            without those folders is a plain folder of PNG/JPEG images, used whole.

            Every image is resized to 299x299 (bilinear) and scaled to [-1, 1] as pytorch-fid does; the statistics \
            are float64, and FID = |mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrtm(S1 S2)). Written atomically, as the \
            reference names it: PATH/FID_{style}_startlvl_{N}_{wholetraj}.json = {"FID_all": fid} (style AFHQ or \
            Yosemite for the whole trajectory, else Cat/Dog or Winter/Summer). The reference itself runs \
            torchvision's ImageNet Inception with other preprocessing, so its numbers differ from these.

            The weights are pytorch-fid's pt_inception-2015-12-05-6726825d.pth (from its GitHub releases), read \
            without executing anything in the file.
            """)

    @Option(name: [.customLong("path"), .customLong("input_path")], help: "The experiment's results folder (one sub-folder per image).")
    var path: String

    @Option(name: [.customLong("real"), .customLong("gt_path")], help: "The data root (trainA_*/, trainB_*/) or a folder of real images.")
    var real: String

    @Option(help: "pytorch-fid's Inception weights, pt_inception-2015-12-05-6726825d.pth.")
    var weights: String

    @Flag(help: "The real images' domain when --start-level > 0: A (Winter/Cat, the reference's default) or B (Summer/Dog).")
    var domain: ACCDomain = .domainA

    @Option(name: .customLong("cal_DomainA"), help: "The reference's spelling: < 0.5 means --domain-b.")
    var calDomainA: Double?

    @Option(name: [.customLong("start-level"), .customLong("start_lvl")], help: "The first level compared, 0 … 10.")
    var startLevel: Int = 0

    @Option(help: "Images per network call.")
    var batchSize: Int = 11

    @Option(help: "A progress line to stderr every N images (0: none).")
    var progressEvery: Int = 100

    func validate() throws {
        guard (0...10).contains(startLevel) else { throw ValidationError("--start-level must be 0 … 10, not \(startLevel)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let results = URL(fileURLWithPath: path)
        let domainA = calDomainA.map { $0 >= 0.5 } ?? (domain == .domainA)
        var evaluation = FIDEvaluation(network: try InceptionV3(contentsOf: URL(fileURLWithPath: weights)),
                                       startLevel: startLevel, domainA: domainA)
        evaluation.batchSize = batchSize
        let start = Date()
        var reported: [FIDEvaluation.Phase: Int] = [:]
        let report = try evaluation.evaluate(resultsFolder: results, real: URL(fileURLWithPath: real)) { phase, done, count in
            guard progressEvery > 0 else { return }
            let last = reported[phase] ?? 0
            guard done == count || done / progressEvery > last / progressEvery else { return }
            reported[phase] = done
            let line = "[\(phase.rawValue) \(done)/\(count)] (" + String(format: "%.0f s)\n", Date().timeIntervalSince(start))
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
        let against = startLevel == 0 ? "both domains" : "domain \(domainA ? "A" : "B")"
        print("\(report.generatedCount) generated images (levels \(ContinuityEvaluation.levelTags[startLevel])..10) against "
              + "\(report.realCount) real images (\(against)), \(report.generated.dimension)-d features")
        print("FID \(report.fid)")
        print("wrote \(report.written.relativePath)")
    }
}

/// Two images of the same size, for the pairwise metrics.
struct ImagePair: ParsableArguments {
    @Argument(help: "The first image (PNG or JPEG).")
    var first: String

    @Argument(help: "The second image, of the same size.")
    var second: String

    func load() throws -> (RGBImage, RGBImage) {
        let a = try ImageFile.readRGB(URL(fileURLWithPath: first))
        let b = try ImageFile.readRGB(URL(fileURLWithPath: second))
        guard a.width == b.width, a.height == b.height else {
            throw EvaluationError.sizeMismatch(first: first, firstSize: "\(a.width)x\(a.height)",
                                               second: second, secondSize: "\(b.width)x\(b.height)")
        }
        return (a, b)
    }
}

struct EvalPSNRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psnr", abstract: "Print the PSNR of two images (scikit-image's definition, data range 255; inf if identical).")

    @OptionGroup var images: ImagePair

    func run() throws {
        let (a, b) = try images.load()
        print(ImageMetrics.psnr(a, b))
    }
}

struct EvalSSIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssim", abstract: "Print the SSIM of two images (scikit-image's structural_similarity, channel_axis=2).")

    @OptionGroup var images: ImagePair

    func run() throws {
        let (a, b) = try images.load()
        print(ImageMetrics.ssim(a, b))
    }
}

struct EvalLPIPSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lpips", abstract: "Print the LPIPS (v0.1, AlexNet) distance of two images.")

    @OptionGroup var images: ImagePair
    @OptionGroup var weights: LPIPSWeightOptions

    func validate() throws {
        if weights.lpipsWeights == nil || weights.alexnetWeights == nil { throw LPIPSWeightOptions.bothNeeded }
    }

    func run() throws {
        let model = try weights.load()
        let (a, b) = try images.load()
        print(try model.distance(a, b))
    }
}
