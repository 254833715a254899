import Foundation

/// The `monopix train` child started from the panel. Lives in the runtime; its start and exit go back to the
/// state machine as events through the mailbox.
final class TrainingChild {
    private var process: Process?
    private let lock = NSLock()
    /// SIGINT was sent already (a second one would make the trainer exit without its checkpoint).
    private(set) var interrupted = false

    var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    var pid: Int32? { lock.withLock { process.map(\.processIdentifier) } }

    /// Starts the child with stdout and stderr appended to the launch's log file and stdin from /dev/null (so
    /// nothing it prints reaches the screen and it never reads the terminal). `exited` is called once, off the
    /// caller's thread, with the exit status (or the signal, `signalled`).
    func start(_ launch: TrainingLaunch, exited: @escaping @Sendable (Int32, Bool) -> Void) throws -> Int32 {
        guard !isRunning else { throw TrainingChildError.alreadyRunning }
        let fm = FileManager.default
        try fm.createDirectory(at: launch.runDirectory, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: launch.logFile.path) { _ = fm.createFile(atPath: launch.logFile.path, contents: nil) }
        let log = try FileHandle(forWritingTo: launch.logFile)
        log.seekToEndOfFile()
        let header = "\n=== monopix studio: \(launch.executable) \(launch.arguments.joined(separator: " ")) at \(Date())\n"
        log.write(Data(header.utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launch.executable)
        p.arguments = launch.arguments
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        p.terminationHandler = { proc in
            try? log.close()
            exited(proc.terminationStatus, proc.terminationReason == .uncaughtSignal)
        }
        do { try p.run() } catch {
            try? log.close()
            throw error
        }
        lock.withLock { process = p }
        interrupted = false
        return p.processIdentifier
    }

    /// SIGINT (the trainer checkpoints and exits), or SIGTERM when `force`.
    func stop(force: Bool) {
        guard let pid, isRunning else { return }
        if !force { interrupted = true }
        kill(pid, force ? SIGTERM : SIGINT)
    }

    /// For quitting: SIGINT, up to `grace` seconds, then SIGTERM and up to `grace` more, then SIGKILL.
    /// Returns true when the child is gone.
    @discardableResult
    func stopAndWait(grace: Double = 5) -> Bool {
        guard let pid, isRunning else { return true }
        for (sig, wait) in [(SIGINT, grace), (SIGTERM, grace), (SIGKILL, 1.0)] {
            if sig == SIGINT && interrupted { } else { kill(pid, sig) }
            if sig == SIGINT { interrupted = true }
            let deadline = Date().addingTimeInterval(wait)
            while isRunning, Date() < deadline { usleep(20_000) }
            if !isRunning { return true }
        }
        return !isRunning
    }

    /// The newest `step_*.png` in `directory`, by name (nil when there is none).
    static func newestStrip(in directory: URL) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("step_") && $0.hasSuffix(".png") }.max()
    }

    /// The program to run for `monopix train`: `CommandLine.arguments[0]` as an absolute path (searched on PATH
    /// when it has no slash), else `/proc/self/exe`.
    static func currentExecutable() -> String {
        let arg0 = CommandLine.arguments.first ?? ""
        if arg0.contains("/") {
            return URL(fileURLWithPath: arg0).standardizedFileURL.path
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/\(arg0)"
            if !arg0.isEmpty, FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arg0
    }
}

enum TrainingChildError: Error, CustomStringConvertible {
    case alreadyRunning
    var description: String { "a training run is already going" }
}
