import ArgumentParser
import Foundation
import Engine
import Model
import Studio

/// `monopix studio`: paint intensity masks over images and watch the generator's result.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Paint per-pixel intensity masks, scrub the level and see the result in the terminal.",
        discussion: """
            Opens the images (a folder, or a file and its folder). Press ? in the studio for every key. \
            Real pixels through the kitty graphics protocol (kitty, Ghostty, Konsole), iTerm2 images (iTerm2, \
            WezTerm, VS Code) or sixel (xterm -ti vt340, foot, mlterm…), also inside tmux with allow-passthrough on; \
            half blocks elsewhere. The session (masks, levels, view) is kept in .monopix-session/ \
            beside the images.
            """
    )

    @Argument(help: "Images or a folder of PNG/JPEG images (default: the bundled samples).")
    var paths: [String] = []

    @Option(name: [.customLong("model"), .customLong("checkpoint")], help: "Generator checkpoint (.pth or .safetensors; default: the bundled low-light model).")
    var model: String?

    @Option(help: "The YAML config the checkpoint was trained with (default: the bundled model's).")
    var config: String?

    @Option(help: "The intensity range of the slider, as lo,hi (default: the task's: -1,2 for low light, 0,1.5 for noise, else 0,1).")
    var range: String?

    @Flag(name: .customLong("low-light"), help: "Shorthand for --range -1,2.")
    var lowLight = false

    @Option(help: "The level images start at (default: 1, within the range).")
    var level: Float?

    @Option(help: "How to draw images: auto, kitty, iterm, sixel or blocks (or set MONOPIX_GRAPHICS; this option wins).")
    var graphics: GraphicsPreference = .auto

    @Option(name: .customLong("watch"), help: "A training log to follow in the panel (metrics.jsonl, console log, loss_log.txt). Repeatable.")
    var watch: [String] = []

    @Option(name: .customLong("train-config"), help: "The YAML config for training runs started from the panel (T, Enter).")
    var trainConfig: String?

    @Option(name: .customLong("train-data"), help: "The data root for training runs started from the panel.")
    var trainData: String?

    @Option(name: .customLong("train-name"), help: "The name of runs started from the panel (default: the config's name).")
    var trainName: String?

    @Option(name: .customLong("session-dir"), help: "Where to keep the session (default: .monopix-session/ beside the images).")
    var sessionDirectory: String?

    @Flag(name: .customLong("no-session"), help: "Neither restore nor save a session.")
    var noSession = false

    @Flag(help: "Probe the terminal, report what it can draw, and exit.")
    var detect = false

    @Option(name: .customLong("memory-budget"), help: ArgumentHelp(
        "Memory the studio may take in all (default 2.5G).",
        discussion: "Large photos are shown through a proxy the budget can hold; exports run full size in tiles."))
    var memoryBudget = "2.5G"

    @Flag(name: .customLong("demo-renderer"), help: .hidden)
    var demoRenderer = false

    func validate() throws {
        _ = try parsedRange()
    }

    func parsedRange(for loaded: LoadedModel? = nil) throws -> ClosedRange<Float> {
        if lowLight { return -1...2 }
        guard let range else {
            // The reference's trajectories per task (method.md §6).
            switch loaded?.config.string("model") {
            case "cycleCtrl_lowlight": return -1...2
            case "cycleCtrl_noise": return 0...1.5
            default: return 0...1
            }
        }
        let parts = range.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo < hi else {
            throw ValidationError("--range wants lo,hi with lo < hi, e.g. 0,1 or -1,2 (got \(range))")
        }
        return lo...hi
    }

    func run() throws {
        do {
            if detect {
                print(try StudioApp.detect(preference: graphics))
                return
            }
            var loaded: LoadedModel?
            var unavailable: String?
            if !demoRenderer {
                do { loaded = try loadModel() } catch { unavailable = "\(error)" }
            }
            var images = paths.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
            if images.isEmpty {
                guard let samples = BundledAssets.samples else { throw ValidationError("give an image or a folder (the bundled samples were not found)") }
                // The held-out low-light photo first (the bundled model's showcase); its folder's others follow.
                let showcase = samples.appendingPathComponent("chelsea_dark.png")
                images = [FileManager.default.fileExists(atPath: showcase.path) ? showcase : samples]
            }
            let range = try parsedRange(for: loaded)
            let options = StudioOptions(
                paths: images,
                range: range, initialLevel: level, graphics: graphics,
                watch: watch.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } + discoveredRuns(),
                sessionDirectory: sessionDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) },
                useSession: !noSession, training: trainingSetup())
            var services = StudioServices()
            if demoRenderer {
                services.renderer = DemoRenderer()
            } else if let loaded {
                guard let budget = MemoryBudget(parsing: memoryBudget) else {
                    throw ValidationError("--memory-budget: expected a size such as 2.5G or 1500M, not '\(memoryBudget)'")
                }
                services.renderer = EngineRenderer(model: loaded, range: range, memoryBudget: budget)
                services.exporter = EngineExporter(model: loaded, memoryBudget: budget)
            } else {
                // The studio still opens (to paint masks); the status line says why there is no output.
                services.rendererUnavailable = unavailable
            }
            try StudioApp.run(options, services: services)
        } catch let error as StudioError {
            FileHandle.standardError.write("monopix studio: \(error)\n".data(using: .utf8)!)
            throw ExitCode(error == .notATerminal ? 2 : 1)
        }
    }
}

extension StudioCommand {
    /// The training the panel offers: the run folder is {checkpoints_dir}/{name} from the config (or --train-name).
    func trainingSetup() -> TrainingSetup {
        func expand(_ p: String) -> String { URL(fileURLWithPath: (p as NSString).expandingTildeInPath).standardizedFileURL.path }
        let config = trainConfig.map(expand)
        let cfg = config.flatMap { try? MonoPixConfig(contentsOf: URL(fileURLWithPath: $0)) }
        let fallbackName = config.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "studio"
        let name = trainName ?? cfg.map { $0.string("name") }.flatMap { $0.isEmpty ? nil : $0 } ?? fallbackName
        let checkpoints = cfg.map { $0.string("checkpoints_dir") }.flatMap { $0.isEmpty ? nil : $0 } ?? "./checkpoints"
        return TrainingSetup(executable: StudioApp.currentExecutable, config: config, dataRoot: trainData.map(expand),
                             name: name, checkpointsDirectory: expand(checkpoints))
    }

    /// Our runs' metrics under ./checkpoints (the configs' default checkpoints_dir), so the panel shows them unasked.
    func discoveredRuns() -> [URL] {
        let root = URL(fileURLWithPath: "checkpoints", isDirectory: true)
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let explicit = Set(watch.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).standardizedFileURL.path })
        return runs.sorted().map { root.appendingPathComponent($0).appendingPathComponent("metrics.jsonl") }
            .filter { FileManager.default.fileExists(atPath: $0.path) && !explicit.contains($0.standardizedFileURL.path) }
    }

    /// The model named by --model/--config, or the bundled one.
    func loadModel() throws -> LoadedModel {
        if model == nil && config == nil {
            guard let c = BundledAssets.config, let m = BundledAssets.model else {
                throw EngineError.invalidArgument("the bundled model was not found (\(BundledAssets.modelPath)); pass --model and --config")
            }
            return try LoadedModel(config: c, checkpoint: m)
        }
        guard let model, let config else { throw EngineError.invalidArgument("--model and --config go together") }
        return try LoadedModel(config: URL(fileURLWithPath: config), checkpoint: URL(fileURLWithPath: model))
    }
}

extension GraphicsPreference: ExpressibleByArgument {}
