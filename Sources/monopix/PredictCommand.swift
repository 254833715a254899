import ArgumentParser
import Engine
import Evaluation
import Foundation
import Model

/// `monopix predict`: the reference's predict.py with the same flags (kebab-case; its underscore spellings work too).
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Translate images along the intensity trajectory, or with a per-pixel intensity mask.",
        discussion: """
            Writes {save-path}/{name}_{tag}_{inf-type}/{image}/{image}_enhlvl_{NN}.png as the reference does, with \
            {image}_enhlvl_99.png the input. Unlike the reference, inputs larger than 256 pixels are not silently \
            resized to 256x256: pass --max-size to down-scale.
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: [.customLong("input"), .customLong("input_path")], help: "An image file or a folder of PNG/JPEG images.")
    var input: String

    @Option(name: [.customLong("inf-type"), .customLong("inf_type")], help: "exhaustive, ternary (ternary_search) or spatial.")
    var infType = "exhaustive"

    @Option(name: [.customLong("lower"), .customLong("lowerb")], parsing: .unconditional, help: "Lowest intensity of the trajectory.")
    var lower: Float = 0

    @Option(name: [.customLong("higher"), .customLong("higherb")], parsing: .unconditional, help: "Highest intensity of the trajectory.")
    var higher: Float = 1

    @Option(name: [.customLong("n-search"), .customLong("N_search")], help: "Number of steps: N+1 levels are written.")
    var nSearch = 7

    @Option(help: "Tag in the output folder name (the reference recommends S2W, W2S, C2D, D2C).")
    var tag = ""

    @Option(name: [.customLong("save-path"), .customLong("save_path")], help: "Where results go.")
    var savePath = "results"

    @Option(help: "Per-pixel intensity map for --inf-type spatial (.npy float32 HxW, gray PNG with range, or colour PNG with --palette).")
    var mask: String?

    @Option(help: "Legend of a colour-coded mask, e.g. 'white=0.7,red=-0.5,*=-2'.")
    var palette: String?

    @Option(name: [.customLong("gt"), .customLong("gt_path")], help: "Folder of reference images (same file names) for --inf-type ternary.")
    var gt: String?

    @Option(name: [.customLong("critic"), .customLong("ts_critic")], help: "psnr, ssim (maximised) or lpips (minimised; needs the weight files).")
    var critic = "psnr"

    @Option(name: .customLong("lpips-weights"), help: "The lpips package's v0.1 alex.pth (linear heads), for --critic lpips.")
    var lpipsWeights: String?

    @Option(name: .customLong("alexnet-weights"), help: "A torchvision AlexNet state dict (.pth), for --critic lpips.")
    var alexnetWeights: String?

    @Flag(name: .customLong("mask-resize"), help: "Resample a mask whose size differs from the image's.")
    var maskResize = false

    @Option(name: .customLong("max-size"), help: "Down-scale images whose longest side exceeds this (area average).")
    var maxSize: Int?

    @Option(name: .customLong("memory-budget"), help: ArgumentHelp(
        "Memory the run may take in all, e.g. 1.5G, 800M (default 1.5G).",
        discussion: "Photos whose whole-image pass would not fit are computed exactly in tiles sized to it."))
    var memoryBudget = "1.5G"

    @Option(help: ArgumentHelp("K/N: process only share K of N of the images (1 <= K <= N), for N machines over a shared folder.",
                               discussion: "An image belongs to share K when FNV-1a-64(its file name) mod N = K - 1."))
    var shard: String?

    @Option(help: ArgumentHelp("gif: also write an exhaustive trajectory as one animation, forth and back ({image}_trajectory.gif).",
                               discussion: "APNG is not offered: Debian's libpng is built without the APNG patch."))
    var animate: String?

    @Option(name: .customLong("animate-size"), help: "Longest side of the animation's frames (area average; 0: the images' size).")
    var animateSize = 768

    @Option(name: .customLong("animate-delay"), help: "Hundredths of a second each frame shows.")
    var animateDelay = 12

    @Flag(name: .customLong("skip-existing"), help: "Skip images whose outputs are all there already (rerun after a crash or pre-emption).")
    var skipExisting = false

    func run() throws {
        let loaded = try model.load()
        let files = try imageFiles(at: URL(fileURLWithPath: input))
        let mode: Predictor.Mode
        switch infType {
        case "exhaustive":
            guard nSearch >= 1 else { throw EngineError.invalidArgument("--n-search must be at least 1") }
            mode = .exhaustive(lower: lower, higher: higher, count: nSearch + 1)
        case "spatial":
            guard let mask else { throw EngineError.invalidArgument("--inf-type spatial needs --mask FILE") }
            let legend = try palette.map { try MaskPalette(parsing: $0) }
            mode = .spatial(map: try IntensityMap(contentsOf: URL(fileURLWithPath: mask), palette: legend), source: mask, resize: maskResize)
        case "ternary", "ternary_search":
            guard let gt else { throw EngineError.invalidArgument("--inf-type ternary needs --gt DIR (reference images of the same names)") }
            let c: TernarySearch.Critic
            switch critic {
            case "psnr": c = .psnr
            case "ssim": c = .ssim
            case "lpips":
                guard let lpipsWeights, let alexnetWeights else {
                    throw EngineError.invalidArgument("--critic lpips needs --lpips-weights and --alexnet-weights (PyTorch files)")
                }
                c = .lpips(try LPIPS(alexnetWeights: URL(fileURLWithPath: alexnetWeights), lpipsWeights: URL(fileURLWithPath: lpipsWeights)))
            default: throw EngineError.invalidArgument("--critic must be psnr, ssim or lpips, not '\(critic)'")
            }
            mode = .ternary(TernarySearch(lower: lower, higher: higher, rounds: nSearch, critic: c), references: URL(fileURLWithPath: gt))
        default:
            throw EngineError.invalidArgument("--inf-type must be exhaustive, ternary or spatial, not '\(infType)'")
        }
        let folderType = infType == "ternary" ? "ternary_search" : infType
        var trajectory: [Float] = []
        if case .exhaustive(let lo, let hi, let count) = mode { trajectory = Levels.linspace(lo, hi, count: count) }
        let layout = PredictionLayout(savePath: URL(fileURLWithPath: savePath), name: loaded.config.string("name"),
                                      tag: tag, inferenceType: folderType, levels: trajectory)
        if layout.tagDecimals > 1 {
            FileHandle.standardError.write(Data("note: levels finer than tenths: files are named by \(layout.tagDecimals) decimals (_enhlvl_\(Levels.fileTag(trajectory[1], decimals: layout.tagDecimals)).png), where the reference would overwrite them\n".utf8))
        }
        guard let budget = MemoryBudget(parsing: memoryBudget) else {
            throw EngineError.invalidArgument("--memory-budget: expected a size such as 1.5G or 800M, not '\(memoryBudget)'")
        }
        let share = try shard.map { text in
            guard let s = Shard(parsing: text) else { throw EngineError.invalidArgument("--shard: expected K/N with 1 <= K <= N, not '\(text)'") }
            return s
        } ?? .whole
        let mine = files.filter { share.contains($0) }
        var animation: Predictor.Animation?
        if let animate {
            guard animate == "gif" else { throw EngineError.invalidArgument("--animate: expected gif, not '\(animate)' (APNG needs a libpng with the APNG patch, which Debian's is not)") }
            guard case .exhaustive = mode else { throw EngineError.invalidArgument("--animate gif animates a trajectory: it needs --inf-type exhaustive") }
            guard animateSize >= 0, (1...65535).contains(animateDelay) else {
                throw EngineError.invalidArgument("--animate-size must be at least 0 and --animate-delay 1 to 65535 hundredths of a second")
            }
            animation = Predictor.Animation(maxSide: animateSize, delay: animateDelay)
        }
        let predictor = Predictor(modulator: Modulator(generator: loaded.generator, memoryBudget: budget), layout: layout, mode: mode,
                                  maxSize: maxSize, animation: animation)
        var summary = PredictionSummary(shard: share)
        let start = Date()
        var progress = ProgressBar(total: mine.count)
        for file in mine {
            progress.update(label: file.lastPathComponent)
            if skipExisting && predictor.isComplete(file) {
                summary.skipped.append(file.lastPathComponent)
            } else {
                do {
                    try predictor.process(file)
                    summary.done.append(file.lastPathComponent)
                } catch {
                    summary.failed.append(.init(image: file.lastPathComponent, reason: "\(error)"))
                    progress.note("\(error)")
                }
            }
            progress.advance()
        }
        progress.finish()
        summary.seconds = Date().timeIntervalSince(start)
        let summaryFile = PredictionSummary.file(in: layout.folder, shard: share)
        try summary.write(to: summaryFile)
        let sharePart = share.count > 1 ? " (shard \(share) of \(files.count) images)" : ""
        let skippedPart = summary.skipped.isEmpty ? "" : ", \(summary.skipped.count) already complete"
        print("\(summary.done.count) of \(mine.count) images written to \(layout.folder.path)\(sharePart)\(skippedPart); summary in \(summaryFile.lastPathComponent)")
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}

/// Which model to run: a config plus a checkpoint file, or a checkpoints folder with epoch and direction.
struct ModelOptions: ParsableArguments {
    @Option(help: "The YAML config the model was trained with (default: the bundled low-light model's).")
    var config: String?

    @Option(help: "A generator checkpoint (.pth or .safetensors).")
    var checkpoint: String?

    @Option(name: [.customLong("checkpoints-dir"), .customLong("checkpoints_dir")], help: "Folder with {epoch}_net_G_A/G_B files.")
    var checkpointsDir: String?

    @Option(name: [.customLong("which-epoch"), .customLong("which_epoch")], help: "Epoch label of the checkpoint in --checkpoints-dir.")
    var whichEpoch = "latest"

    @Option(name: [.customLong("direction"), .customLong("which_direction")], help: "AtoB (G_A) or BtoA (G_B).")
    var direction = "AtoB"

    func load() throws -> LoadedModel {
        if config == nil, checkpoint == nil, checkpointsDir == nil {
            // No model named: the bundled low-light model.
            guard let c = BundledAssets.config, let m = BundledAssets.model else {
                throw EngineError.invalidArgument("no model given and the bundled one was not found (\(BundledAssets.modelPath)): pass --config and --checkpoint")
            }
            return try LoadedModel(config: c, checkpoint: m)
        }
        guard let config else {
            throw EngineError.invalidArgument("--config is required: the YAML the model was trained with")
        }
        let configURL = URL(fileURLWithPath: config)
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw EngineError.missingFile(config, what: "config") }
        let file: URL
        if let checkpoint { file = URL(fileURLWithPath: checkpoint) }
        else if let checkpointsDir {
            file = try LoadedModel.checkpoint(in: URL(fileURLWithPath: checkpointsDir), epoch: whichEpoch, direction: direction)
        } else {
            throw EngineError.invalidArgument("give --checkpoint FILE, or --checkpoints-dir DIR with --which-epoch and --direction")
        }
        return try LoadedModel(config: configURL, checkpoint: file)
    }
}
