import Foundation

/// How the studio starts `monopix train` (from `--train-config`, `--train-data`, `--train-name`).
public struct TrainingSetup: Sendable, Equatable {
    /// The program to run: the monopix binary the studio runs from.
    public var executable: String
    public var config: String?
    public var dataRoot: String?
    /// The run's name: its folder under `checkpointsDirectory`.
    public var name: String
    public var checkpointsDirectory: String

    public init(executable: String, config: String?, dataRoot: String?, name: String, checkpointsDirectory: String) {
        self.executable = executable
        self.config = config
        self.dataRoot = dataRoot
        self.name = name
        self.checkpointsDirectory = checkpointsDirectory
    }

    /// `checkpoints/{name}`: metrics.jsonl, strips/ and the child's log live there.
    public var runDirectory: URL {
        URL(fileURLWithPath: checkpointsDirectory, isDirectory: true).appendingPathComponent(name, isDirectory: true)
    }

    /// What is missing before a run can start (nil when nothing is).
    var missing: String? {
        switch (config, dataRoot) {
        case (nil, nil): return "to train from here, start the studio with --train-config FILE --train-data DIR"
        case (nil, _): return "to train from here, start the studio with --train-config FILE"
        case (_, nil): return "to train from here, start the studio with --train-data DIR"
        default: return nil
        }
    }

    /// The child's command line (after the program).
    func arguments(resume: Bool) -> [String] {
        var args = ["train", "--config", config ?? "", "--dataroot", dataRoot ?? "", "--name", name,
                    "--checkpoints-dir", checkpointsDirectory]
        if resume { args.append("--resume") }
        return args
    }

    func launch(resume: Bool) -> TrainingLaunch {
        let dir = runDirectory
        return TrainingLaunch(executable: executable, arguments: arguments(resume: resume), runDirectory: dir,
                              logFile: dir.appendingPathComponent("studio-train.log"),
                              metricsFile: dir.appendingPathComponent("metrics.jsonl"),
                              stripsDirectory: dir.appendingPathComponent("strips", isDirectory: true))
    }
}

/// One child process to start.
struct TrainingLaunch: Sendable, Equatable {
    var executable: String
    var arguments: [String]
    var runDirectory: URL
    /// The child's stdout and stderr go here (nothing reaches the screen).
    var logFile: URL
    /// Followed in the panel.
    var metricsFile: URL
    /// `step_*.png`; the newest by name is shown.
    var stripsDirectory: URL
}

/// Where the run started from the panel is.
enum TrainingRun: Equatable, Sendable {
    case idle
    /// Asked for; the runtime has not said it started yet.
    case starting(resume: Bool)
    case running(pid: Int32, resume: Bool)
    /// SIGINT sent (`forced`: SIGTERM too); waiting for the exit.
    case stopping(pid: Int32, forced: Bool)
    /// Stopped on our request (exit status 0 after a stop).
    case stopped
    case finished
    case failed(String)

    /// A child exists (or is being started).
    var isActive: Bool {
        switch self {
        case .starting, .running, .stopping: return true
        default: return false
        }
    }

    var label: String {
        switch self {
        case .idle: return "not started"
        case .starting(let resume): return resume ? "resuming…" : "starting…"
        case .running(let pid, let resume): return (resume ? "running (resumed)" : "running") + " pid \(pid)"
        case .stopping(_, let forced): return forced ? "stopping (SIGTERM sent)" : "stopping (checkpointing)"
        case .stopped: return "stopped"
        case .finished: return "finished"
        case .failed(let why): return "failed: \(why)"
        }
    }
}

extension StudioState {
    /// Enter in the panel: start, or stop when a run is going (a second stop forces it).
    mutating func trainingEnter() -> [Command] {
        panel.run.isActive ? stopTraining() : startTraining(resume: false)
    }

    mutating func startTraining(resume: Bool) -> [Command] {
        guard !panel.run.isActive else {
            say("a training run is already going (Enter stops it)")
            return []
        }
        guard let setup = panel.training else {
            say("training from the studio is not available here", isError: true)
            return []
        }
        if let missing = setup.missing {
            say(missing, isError: true, seconds: 8)
            return []
        }
        panel.run = .starting(resume: resume)
        panel.strip = nil
        say(resume ? "resuming training run '\(setup.name)'" : "starting training run '\(setup.name)'")
        return [.startTraining(setup.launch(resume: resume))]
    }

    mutating func stopTraining() -> [Command] {
        switch panel.run {
        case .running(let pid, _):
            panel.run = .stopping(pid: pid, forced: false)
            say("stopping: the trainer checkpoints after the current step (Enter again forces it)")
            return [.stopTraining(force: false)]
        case .stopping(let pid, _):
            panel.run = .stopping(pid: pid, forced: true)
            say("forcing the stop (SIGTERM)")
            return [.stopTraining(force: true)]
        case .starting:
            say("the run is starting; stop it once it runs")
            return []
        default:
            return []
        }
    }

    mutating func trainingStarted(pid: Int32, metricsLabel: String) -> [Command] {
        guard case .starting(let resume) = panel.run else { return [] }
        panel.run = .running(pid: pid, resume: resume)
        if !panel.sources.contains(metricsLabel) { panel.sources.append(metricsLabel) }
        panel.visible = true
        return []
    }

    /// The child ended: `code` is its exit status, or the signal that ended it (`signalled`).
    mutating func trainingExited(code: Int32, signalled: Bool) -> [Command] {
        let wasStopping: Bool
        if case .stopping = panel.run { wasStopping = true } else { wasStopping = false }
        if signalled {
            panel.run = wasStopping ? .stopped : .failed("killed by signal \(code)")
        } else if code == 0 {
            panel.run = wasStopping ? .stopped : .finished
        } else {
            panel.run = .failed("exit code \(code)")
        }
        say("training \(panel.run.label)", isError: { if case .failed = panel.run { return true } else { return false } }(), seconds: 8)
        return []
    }

    mutating func trainingFailedToStart(_ message: String) -> [Command] {
        panel.run = .failed(message)
        say("training did not start: \(message)", isError: true, seconds: 8)
        return []
    }
}
