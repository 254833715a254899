import ArgumentParser
import Dispatch
import Foundation
import Kernels
import Model
import Training

/// `monopix train`: the reference's train.py on the CPU, with resumable checkpoints and a metrics log.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a MonoPix model (cycleCtrl, cycleCtrl_lowlight, cycleCtrl_noise) on two image folders.",
        discussion: """
            Reads DATAROOT/train{source_dataset} and DATAROOT/train{target_dataset} (PNG/JPEG), or for the noise model \
            the clean (A) and noisy (B) SIDD crops of an .h5 file (--h5-file or the config's h5file_path: datasets \
            clean_i/noisy_i, uint8 HxWx3, or DANet's 0..N-1, uint8 HxWx6), cropped to patchSize. Writes, under \
            {checkpoints-dir}/{name}/: {epoch}_net_G_A.safetensors (and G_B; D_* with saveD), latest_net_*.safetensors, \
            latest_train_state.safetensors (for --resume), metrics.jsonl and strips/step_*.png. Ctrl-C (or SIGTERM) \
            checkpoints and exits after the current step; a second Ctrl-C exits at once.
            """)

    @Option(help: "The run's YAML config (the reference's configs/*.yaml).")
    var config: String?

    @Option(name: [.customLong("dataroot"), .customLong("data-root")], help: "Folder with the train{source_dataset} and train{target_dataset} folders (default: the config's dataroot).")
    var dataroot: String?

    @Option(name: .customLong("h5-file"), help: "The noise model's training data: an .h5 file of clean and noisy SIDD crops instead of the folders (overrides the config's h5file_path).")
    var h5File: String?

    @Option(help: "Run name: its folder under the checkpoints folder (default: the config's name).")
    var name: String?

    @Option(name: [.customLong("checkpoints-dir"), .customLong("checkpoints_dir")], help: "Where run folders go (default: the config's checkpoints_dir).")
    var checkpointsDir: String?

    @Flag(help: "Continue the run from its latest_train_state.safetensors, exactly where it stopped.")
    var resume = false

    @Option(name: .customLong("init-from"), help: "Start the generator(s) from this checkpoint (fine-tuning; a G_A file brings its G_B sibling).")
    var initFrom: String?

    @Option(help: "Seeds initialisation, data order, augmentation, intensities and pools (default: the config's seeds).")
    var seed: UInt64?

    @Option(name: .customLong("max-steps"), help: "Stop (after checkpointing) after this many steps in total.")
    var maxSteps: Int?

    @Option(name: .customLong("batch-size"), help: "Overrides batchSize.")
    var batchSize: Int?

    @Option(name: .customLong("fine-size"), help: "Overrides fineSize (the training crop).")
    var fineSize: Int?

    @Option(name: .customLong("ngf-mult"), help: "Overrides ngf_mult (scales every network width; 1 is the reference).")
    var ngfMult: Double?

    @Option(name: .customLong("set"), help: "Overrides any config key, e.g. --set lr=0.0002 --set niter=5 (repeatable).")
    var set: [String] = []

    @Flag(name: .customLong("check-gradients"), help: "Check every op's gradient against finite differences, then exit.")
    var checkGradients = false

    func run() throws {
        AllocatorPolicy.keepFreedMemoryForReuse()
        if checkGradients {
            var failed = 0
            for r in GradientCheck.run() {
                let ok = r.relativeError < (r.isNetwork ? 5e-2 : 5e-3)
                if !ok { failed += 1 }
                let name = r.name.padding(toLength: max(44, r.name.count), withPad: " ", startingAt: 0)
                print((ok ? "ok    " : "FAIL  ") + name + String(format: " %4d partials  relative error %.2e", r.coordinates, r.relativeError))
            }
            if failed > 0 { throw ExitCode(1) }
            return
        }
        guard let config else { throw ValidationError("missing --config FILE (the run's YAML config)") }
        var cfg = try MonoPixConfig(contentsOf: URL(fileURLWithPath: config))
        var overrides: [String: ConfigValue] = [:]
        if let batchSize { overrides["batchSize"] = .int(batchSize) }
        if let fineSize { overrides["fineSize"] = .int(fineSize) }
        if let ngfMult { overrides["ngf_mult"] = .double(ngfMult) }
        if let name { overrides["name"] = .string(name) }
        for item in set {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("--set wants KEY=VALUE, not '\(item)'")
            }
            let key = String(item[..<eq]), text = String(item[item.index(after: eq)...])
            if let i = Int(text) { overrides[key] = .int(i) } else if let d = Double(text) { overrides[key] = .double(d) }
            else { overrides[key] = .string(text) }
        }
        if !overrides.isEmpty { cfg = try cfg.with(overrides) }
        if let h5File, h5File.isEmpty { throw ValidationError("--h5-file wants a file") }
        let h5 = h5File ?? nonEmpty(cfg.string("h5file_path"))
        // With an .h5 file the folders are not read.
        guard let root = dataroot ?? nonEmpty(cfg.string("dataroot")) ?? (h5 != nil ? "." : nil) else {
            throw ValidationError("no data: pass --dataroot DIR (the config's dataroot is empty), or --h5-file FILE for the noise model")
        }
        var options = TrainingRunOptions(dataRoot: URL(fileURLWithPath: root), name: cfg.string("name"),
                                         checkpointsDirectory: URL(fileURLWithPath: checkpointsDir ?? cfg.string("checkpoints_dir")))
        options.h5File = h5File.map { URL(fileURLWithPath: $0) }
        options.resume = resume
        options.initFrom = initFrom.map { URL(fileURLWithPath: $0) }
        options.seed = seed ?? UInt64(max(0, cfg.int("seeds")))
        options.maxSteps = maxSteps
        if resume && initFrom != nil { throw ValidationError("--resume and --init-from exclude each other") }

        let trainer = try Trainer(config: cfg, options: options)
        let epochs = trainer.session.epochCount
        trainer.onEvent = { event in
            switch event {
            case .notice(let text): print("note: \(text)")
            case .logged(_, let line): print(line)
            case .checkpoint(let urls):
                if let first = urls.first, !first.lastPathComponent.hasPrefix("latest") {
                    print("saving the model at the end of epoch \(first.lastPathComponent.prefix { $0 != "_" })")
                }
            case .strip: break
            }
            fflush(stdout)
        }
        print("training \(cfg.string("model")) '\(options.name)' for \(epochs) epochs into \(trainer.runDirectory.path)")
        let signals = installStopHandlers(trainer)
        defer { signals.forEach { $0.cancel() } }
        let summary = try trainer.run()
        let skipped = summary.skippedImages.values.reduce(0) { $0 + $1.count }
        let ending = summary.stopped ? "stopped" : (maxSteps == summary.steps ? "reached --max-steps" : "finished")
        print("\(ending) after \(summary.steps) steps (epoch \(summary.epoch))"
              + (skipped > 0 ? "; \(skipped) unreadable images skipped" : "")
              + (summary.latestCheckpoint.map { "; resume state in \($0.path)" } ?? ""))
    }

    func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

    /// SIGINT and SIGTERM ask the trainer to checkpoint and stop; a second one exits at once.
    func installStopHandlers(_ trainer: Trainer) -> [DispatchSourceSignal] {
        ([SIGINT, SIGTERM] as [Int32]).map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if trainer.isStopping { FileHandle.standardError.write(Data("interrupted again: exiting without a checkpoint\n".utf8)); Foundation.exit(130) }
                FileHandle.standardError.write(Data("stopping: checkpointing after the current step (interrupt again to quit now)\n".utf8))
                trainer.stop()
            }
            source.resume()
            return source
        }
    }
}
