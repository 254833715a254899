import AtomicFiles
import Foundation
import Kernels
import Model

/// What a run needs besides its config.
public struct TrainingRunOptions: Sendable {
    /// The folder holding `train{source_dataset}` and `train{target_dataset}`.
    public var dataRoot: URL
    /// The run's name: its folder under `checkpointsDirectory`.
    public var name: String
    public var checkpointsDirectory: URL
    /// Continue from `latest_train_state.safetensors` in the run folder, exactly where it stopped.
    public var resume = false
    /// Start the generator(s) from a checkpoint (fine-tuning; the paper's fast domain adaptation). For two-generator
    /// models a `…G_A…` file brings its `…G_B…` sibling when one exists.
    public var initFrom: URL? = nil
    /// Seeds initialisation, data order, augmentation, intensities and pools.
    public var seed: UInt64 = 0
    /// Stop (after checkpointing) once this many steps have been taken in total.
    public var maxSteps: Int? = nil
    /// The noise model's SIDD crops in an .h5 file instead of the two folders (`train --h5-file`; overrides the
    /// config's `h5file_path`). See `H5PairFile`.
    public var h5File: URL? = nil

    /// A fresh run (no resume, no initial weights, seed 0, no step limit).
    public init(dataRoot: URL, name: String, checkpointsDirectory: URL) {
        self.dataRoot = dataRoot; self.name = name; self.checkpointsDirectory = checkpointsDirectory
    }
}

/// Something that happened during a run, for the console or the studio.
public enum TrainingEvent: Sendable {
    /// A one-off message: skipped images, the VGG term off, a resume.
    case notice(String)
    /// A metrics record was appended; `line` is the reference's console line.
    case logged(MetricsRecord, line: String)
    /// Checkpoint files were written.
    case checkpoint([URL])
    /// A trajectory strip was written.
    case strip(URL)
}

/// How a run ended.
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var epoch: Int
    /// True when `stop()` (or a signal) ended the run early.
    public var stopped: Bool
    /// Image files skipped because they could not be read, per folder.
    public var skippedImages: [String: [String]]
    public var latestCheckpoint: URL?
}

/// Trains a MonoPix model on two image folders: the reference's `train.py` loop with checkpoints, resumable state,
/// metrics and trajectory strips, on the CPU.
///
/// `print_freq` and `display_freq` count optimisation steps over the whole run (the reference counts iterations
/// within an epoch, so a dataset smaller than `display_freq` batches never shows anything there).
///
/// Create it (which validates the config and the data folders), then call `run()` from any thread; `stop()` from
/// another thread (or a signal handler's queue) makes `run()` checkpoint and return after the current step.
/// Files, under `{checkpointsDirectory}/{name}/`: `{epoch}_net_G_A.safetensors` (and `G_B`, `D_*` with `saveD`),
/// `latest_net_*.safetensors`, `latest_train_state.safetensors`, `metrics.jsonl`, `strips/step_{step}.png`.
public final class Trainer: @unchecked Sendable {
    public let session: TrainingSession
    public let options: TrainingRunOptions
    /// `{checkpointsDirectory}/{name}`.
    public let runDirectory: URL
    /// Called on the training thread for every event.
    public var onEvent: ((TrainingEvent) -> Void)?

    let config: MonoPixConfig
    let data: DataSettings
    /// The two data folders, or (`h5file_path`, `--h5-file`) the .h5 file and its crop size (`patchSize`).
    let folders: (a: ImageFolder, b: ImageFolder)?
    let h5: (file: H5PairFile, patch: Int)?
    /// With `paired_target` and `paired_l1` > 0: the photos the source images were made from.
    let targets: (folder: ImageFolder, index: [Int])?
    let batchSize: Int
    let printFrequency: Int, displayFrequency: Int, saveEpochFrequency: Int, saveLatestFrequency: Int
    private let stopLock = NSLock()
    private var stopRequested = false

    /// Checks the config and the data (both folders must exist and hold PNG or JPEG images) and builds the model.
    public init(config: MonoPixConfig, options: TrainingRunOptions) throws {
        self.config = config
        self.options = options
        session = try TrainingSession(config: config, seed: Seeds.derive(options.seed, .initialization))
        data = try DataSettings(config: config)
        batchSize = config.int("batchSize")
        guard batchSize >= 1 else {
            throw TrainingError.unsupportedOption(file: config.source, key: "batchSize", value: "\(batchSize)", expected: "at least 1")
        }
        let h5Path = options.h5File?.path ?? config.string("h5file_path")
        // (With an .h5 file the crops are patchSize squares and fineSize plays no part.)
        if h5Path.isEmpty && session.settings.patchD && session.settings.patchSize > data.fineSize {
            throw TrainingError.unsupportedOption(file: config.source, key: "patchSize", value: "\(session.settings.patchSize)",
                                                  expected: "at most fineSize (\(data.fineSize))")
        }
        printFrequency = max(1, config.int("print_freq"))
        displayFrequency = max(1, config.int("display_freq"))
        saveEpochFrequency = max(1, config.int("save_epoch_freq"))
        saveLatestFrequency = max(1, config.int("save_latest_freq"))
        if !h5Path.isEmpty {
            // The reference reads .h5 files only in `dataset_mode: noise_dataset` (the noise model).
            guard config.string("model") == "cycleCtrl_noise" else {
                throw TrainingError.unsupportedOption(file: config.source, key: "h5file_path", value: h5Path,
                                                      expected: "model cycleCtrl_noise (only the noise model trains from .h5 files)")
            }
            guard session.settings.pairedWeight <= 0 else {
                throw TrainingError.unsupportedOption(file: config.source, key: "paired_l1", value: "\(session.settings.pairedWeight)",
                                                      expected: "0 with h5file_path (paired_target reads folders)")
            }
            let file = try H5PairFile(URL(fileURLWithPath: h5Path))
            let patch = session.settings.patchSize
            guard patch >= 16 else {
                throw TrainingError.unsupportedOption(file: config.source, key: "patchSize", value: "\(patch)",
                                                      expected: "at least 16 (the .h5 crops are patchSize squares; the generator pads to multiples of 16)")
            }
            let smallest = file.smallestSide
            guard patch <= smallest.side else {
                throw TrainingError.h5Dataset(path: file.path, dataset: smallest.dataset, found: "\(smallest.side) pixels on its shorter side",
                                              expected: "at least patchSize (\(patch)) on each side")
            }
            h5 = (file, patch)
            folders = nil
            targets = nil
        } else {
            let folderA = try ImageFolder(options.dataRoot.appendingPathComponent("train" + config.string("source_dataset")),
                                          role: "source (train\(config.string("source_dataset")))")
            let folderB = try ImageFolder(options.dataRoot.appendingPathComponent("train" + config.string("target_dataset")),
                                          role: "target (train\(config.string("target_dataset")))")
            if session.settings.pairedWeight > 0 {
                let name = "train" + config.string("paired_target")
                let photos = try ImageFolder(options.dataRoot.appendingPathComponent(name), role: "paired target (\(name))")
                targets = (photos, try folderA.counterparts(in: photos))
            } else {
                targets = nil
            }
            folders = (folderA, folderB)
            h5 = nil
        }
        runDirectory = options.checkpointsDirectory.appendingPathComponent(options.name)
    }

    /// Asks the run to checkpoint and return after the current step. Safe from any thread.
    public func stop() {
        stopLock.lock(); stopRequested = true; stopLock.unlock()
    }

    public var isStopping: Bool {
        stopLock.lock(); defer { stopLock.unlock() }
        return stopRequested
    }

    /// The records of this run's `metrics.jsonl` so far.
    public var metrics: [MetricsRecord] { MetricsLog.read(runDirectory.appendingPathComponent("metrics.jsonl")) }

    /// Reads any run's metrics file (complete lines only).
    public static func metrics(at url: URL) -> [MetricsRecord] { MetricsLog.read(url) }

    var stateURL: URL { runDirectory.appendingPathComponent("latest_train_state.safetensors") }

    /// Trains until the schedule ends (`niter + niter_decay` epochs), `maxSteps` is reached, or `stop()` is called.
    /// Checkpoints before returning.
    public func run() throws -> TrainingSummary {
        do {
            try FileManager.default.createDirectory(at: runDirectory.appendingPathComponent("strips"), withIntermediateDirectories: true)
        } catch {
            throw TrainingError.cannotWrite(path: runDirectory.path, reason: error.localizedDescription)
        }
        // A run killed mid-checkpoint left its temporary files; without this each kill would add one for good.
        AtomicFile.sweepStale(in: runDirectory)
        AtomicFile.sweepStale(in: runDirectory.appendingPathComponent("strips"))
        let metricsURL = runDirectory.appendingPathComponent("metrics.jsonl")
        let loader: BatchLoader
        if let folders {
            loader = BatchLoader(a: folders.a, b: folders.b, targets: targets, settings: data, batchSize: batchSize, seed: options.seed)
        } else {
            loader = BatchLoader(source: .h5(h5!.file, patch: h5!.patch), settings: data, batchSize: batchSize, seed: options.seed)
        }
        defer { loader.stop() }

        var counters = RunCounters(epoch: 1, iteration: 0, step: 0, images: 0, elapsed: 0, seed: options.seed)
        var start = BatchPosition(epoch: 1, iteration: 1)
        if options.resume {
            guard FileManager.default.fileExists(atPath: stateURL.path) else {
                throw TrainingError.cannotResume(path: stateURL.path, reason: "no training state saved in this run folder")
            }
            counters = try TrainState.restore(session, from: StateDict.load(contentsOf: stateURL), source: stateURL.path)
            guard counters.seed == options.seed else {
                throw TrainingError.cannotResume(path: stateURL.path, reason: "the run used --seed \(counters.seed), not \(options.seed)")
            }
            start = counters.iteration == 0 ? BatchPosition(epoch: counters.epoch, iteration: 1)
                : loader.following(BatchPosition(epoch: counters.epoch, iteration: counters.iteration))
            try MetricsLog.truncate(metricsURL, after: counters.step)
            emit(.notice("resuming \(options.name) after step \(counters.step) (epoch \(counters.epoch), iteration \(counters.iteration))"))
        } else if let initFrom = options.initFrom {
            try initialize(from: initFrom)
        }
        let skippedAtStart = folders.map { $0.a.skippedAtScan.count + $0.b.skippedAtScan.count } ?? 0
        if let folders, skippedAtStart > 0 {
            emit(.notice("skipped \(skippedAtStart) unreadable image files (\(folders.a.skippedAtScan.count) in \(folders.a.url.lastPathComponent), \(folders.b.skippedAtScan.count) in \(folders.b.url.lastPathComponent))"))
        }
        for notice in session.notices { emit(.notice(notice)) }
        if let folders {
            emit(.notice("\(folders.a.count) + \(folders.b.count) images, \(loader.iterationsPerEpoch) iterations per epoch, \(session.epochCount) epochs"))
        } else if let h5 {
            emit(.notice("\(h5.file.count) clean + \(h5.file.count) noisy images in \(h5.file.url.lastPathComponent) (\(h5.file.layout.rawValue)), "
                         + "\(h5.patch)x\(h5.patch) crops, \(loader.iterationsPerEpoch) iterations per epoch, \(session.epochCount) epochs"))
        }

        let log = try MetricsLog(url: metricsURL)
        let strip: TrajectoryStrip?
        if let folders {
            strip = TrajectoryStrip(folder: folders.a, size: data.fineSize, data: data)
        } else if let h5, let first = try? h5.file.cleanImage(0) {
            strip = TrajectoryStrip(sample: first, size: h5.patch)
        } else {
            strip = nil
        }
        loader.start(at: start)

        let clock = ContinuousClock()
        let began = clock.now
        let elapsedBefore = counters.elapsed
        var windowStart = clock.now, windowImages = 0
        var lastSavedStep = options.resume ? counters.step : -1
        var stopped = false
        var latest: URL? = nil
        func elapsed() -> Double {
            let d = clock.now - began
            return elapsedBefore + Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        func saveLatest() throws {
            counters.elapsed = elapsed()
            latest = try saveCheckpoint(label: "latest", counters: counters)
            lastSavedStep = counters.step
        }

        while true {
            if isStopping { stopped = true; break }
            if let max = options.maxSteps, counters.step >= max { break }
            let (position, batch) = try loader.next()
            if position.epoch > session.epochCount { break }
            let lr = session.learningRate(epoch: position.epoch)
            session.learningRate = Float(lr)
            let draws = session.draws(for: batch, seed: Seeds.derive(options.seed, .step, counters.step))
            let losses = session.step(batch, draws: draws)
            counters.step += 1
            counters.images += batch.count
            counters.epoch = position.epoch
            counters.iteration = position.iteration
            windowImages += batch.count

            if counters.step % printFrequency == 0 {
                let now = clock.now
                let window = now - windowStart
                let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
                let record = MetricsRecord(step: counters.step, epoch: position.epoch, iteration: position.iteration,
                                           time: elapsed(), learningRate: lr,
                                           imagesPerSecond: seconds > 0 ? Double(windowImages) / seconds : 0,
                                           losses: losses.mapValues(Double.init), lossOrder: session.lossNames)
                try log.append(record)
                emit(.logged(record, line: record.consoleLine(epochs: session.epochCount)))
                windowStart = now; windowImages = 0
            }
            if let strip, counters.step % displayFrequency == 0 {
                let url = runDirectory.appendingPathComponent("strips/" + String(format: "step_%07d.png", counters.step))
                try strip.write(session.evaluationGenerator(), to: url)
                emit(.strip(url))
            }
            if counters.images / saveLatestFrequency != (counters.images - batch.count) / saveLatestFrequency {
                try saveLatest()
            }
            if position.iteration == loader.iterationsPerEpoch {
                if position.epoch % saveEpochFrequency == 0 {
                    counters.elapsed = elapsed()
                    _ = try saveCheckpoint(label: "\(position.epoch)", counters: counters, withState: false)
                }
                try saveLatest()
            }
        }
        if counters.step != lastSavedStep && counters.step > 0 { try saveLatest() }
        var skipped: [String: [String]] = [:]
        if let folders {
            skipped[folders.a.url.lastPathComponent] = folders.a.skipped
            skipped[folders.b.url.lastPathComponent] = folders.b.skipped
        }
        let decodeFailures = (folders.map { $0.a.skipped.count + $0.b.skipped.count } ?? 0) - skippedAtStart
        if decodeFailures > 0 { emit(.notice("skipped \(decodeFailures) images that failed to decode during training")) }
        return TrainingSummary(steps: counters.step, epoch: counters.epoch, stopped: stopped, skippedImages: skipped,
                               latestCheckpoint: latest ?? (FileManager.default.fileExists(atPath: stateURL.path) ? stateURL : nil))
    }

    /// `run()` on a thread of its own, for async callers (the studio): cancelling the calling task stops the run
    /// after the current step, with a checkpoint, and returns its summary.
    public func train() async throws -> TrainingSummary {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TrainingSummary, Error>) in
                let thread = Thread { [self] in
                    do { continuation.resume(returning: try run()) } catch { continuation.resume(throwing: error) }
                }
                thread.name = "monopix.trainer"
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancel: {
            stop()
        }
    }

    private func emit(_ e: TrainingEvent) { onEvent?(e) }

    /// Writes `{label}_net_{name}.safetensors` for the generators (and discriminators with `saveD`), and for
    /// `latest` the training state too. Returns the train-state file (or the G_A file).
    @discardableResult
    func saveCheckpoint(label: String, counters: RunCounters, withState: Bool = true) throws -> URL {
        var written: [URL] = []
        for (name, net) in session.model.networks where session.model.savedNetworks.contains(name) {
            let url = runDirectory.appendingPathComponent("\(label)_net_\(name).safetensors")
            var sd = net.stateDict()
            sd.metadata = ["model": session.settings.model, "network": name, "epoch": "\(counters.epoch)", "step": "\(counters.step)"]
            do { try sd.write(to: url, format: .safetensors) } catch {
                throw TrainingError.cannotWrite(path: url.path, reason: "\(error)")
            }
            written.append(url)
        }
        if withState && label == "latest" {
            do { try TrainState.make(session, counters).write(to: stateURL, format: .safetensors) } catch {
                throw TrainingError.cannotWrite(path: stateURL.path, reason: "\(error)")
            }
            written.append(stateURL)
        }
        emit(.checkpoint(written))
        return written.last!
    }

    /// `--init-from`: the generator weights of a checkpoint (safetensors or .pth); a `G_A` file brings its `G_B`
    /// sibling for two-generator models. Discriminators and optimizers start fresh.
    func initialize(from url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.cannotResume(path: url.path, reason: "no such checkpoint for --init-from")
        }
        let sd = try StateDict.load(contentsOf: url)
        try session.load(sd, network: "G_A", source: url.path)
        var loaded = ["G_A"]
        if session.networkNames.contains("G_B") {
            let name = url.lastPathComponent
            if name.contains("G_A") {
                let sibling = url.deletingLastPathComponent().appendingPathComponent(name.replacingOccurrences(of: "G_A", with: "G_B"))
                if FileManager.default.fileExists(atPath: sibling.path) {
                    try session.load(StateDict.load(contentsOf: sibling), network: "G_B", source: sibling.path)
                    loaded.append("G_B")
                }
            }
            if !loaded.contains("G_B") { emit(.notice("--init-from: no G_B checkpoint beside \(url.lastPathComponent); G_B starts from scratch")) }
        }
        emit(.notice("initialised \(loaded.joined(separator: " and ")) from \(url.path)"))
    }
}
