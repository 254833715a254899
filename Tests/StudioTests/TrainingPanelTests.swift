import Foundation
import XCTest
@testable import Studio

private let setup = TrainingSetup(executable: "/usr/bin/monopix", config: "/c/run.yaml", dataRoot: "/data",
                                  name: "exp", checkpointsDirectory: "/ck")

private func trainingState(_ s: TrainingSetup? = setup) -> StudioState {
    var state = makeState()
    state.panel.training = s
    state.press("T")
    return state
}

final class TrainingPanelTests: XCTestCase {
    func testEnterStartsARunWithTheConfigAndDataRoot() {
        var s = trainingState()
        let commands = s.press("enter")
        guard case .startTraining(let launch)? = commands.first, commands.count == 1 else { return XCTFail("\(commands)") }
        XCTAssertEqual(launch.executable, "/usr/bin/monopix")
        XCTAssertEqual(launch.arguments, ["train", "--config", "/c/run.yaml", "--dataroot", "/data", "--name", "exp",
                                          "--checkpoints-dir", "/ck"])
        XCTAssertEqual(launch.logFile.path, "/ck/exp/studio-train.log")
        XCTAssertEqual(launch.metricsFile.path, "/ck/exp/metrics.jsonl")
        XCTAssertEqual(launch.stripsDirectory.path, "/ck/exp/strips")
        XCTAssertEqual(s.panel.run, .starting(resume: false))
        XCTAssertTrue(s.press("enter").isEmpty, "no second child while the first is starting")
        s.send(.trainingStarted(pid: 42, metricsLabel: "exp/metrics.jsonl"))
        XCTAssertEqual(s.panel.run, .running(pid: 42, resume: false))
        XCTAssertEqual(s.panel.sources, ["exp/metrics.jsonl"])
    }

    func testResumeAddsTheFlag() {
        var s = trainingState()
        let commands = s.press("R")
        guard case .startTraining(let launch)? = commands.first else { return XCTFail("\(commands)") }
        XCTAssertEqual(launch.arguments.last, "--resume")
        XCTAssertEqual(s.panel.run, .starting(resume: true))
    }

    func testMissingOptionsGiveAHintAndNoCommand() {
        var s = trainingState(TrainingSetup(executable: "/m", config: nil, dataRoot: "/d", name: "x", checkpointsDirectory: "/c"))
        XCTAssertTrue(s.press("enter").isEmpty)
        XCTAssertEqual(s.panel.run, .idle)
        XCTAssertTrue(s.message?.text.contains("--train-config") == true)
        XCTAssertTrue(trainingLine(s.panel)?.contains("--train-config FILE") == true, "the panel shows the hint")
        XCTAssertNil(trainingLine(makeState().panel), "no line when training is not offered")
    }

    func testStopSendsSIGINTThenSIGTERMAndTheExitSaysStopped() {
        var s = trainingState()
        s.press("enter")
        s.send(.trainingStarted(pid: 7, metricsLabel: "m"))
        guard case .stopTraining(force: false)? = s.press("enter").first else { return XCTFail() }
        XCTAssertEqual(s.panel.run, .stopping(pid: 7, forced: false))
        guard case .stopTraining(force: true)? = s.press("enter").first else { return XCTFail() }
        XCTAssertEqual(s.panel.run, .stopping(pid: 7, forced: true))
        s.send(.trainingExited(code: 0, signalled: false))
        XCTAssertEqual(s.panel.run, .stopped)
        XCTAssertEqual(trainingLine(s.panel), "run 'exp': stopped · T Enter start, R resume")
    }

    func testExitStatusesSayFinishedOrFailed() {
        var s = trainingState()
        s.press("enter")
        s.send(.trainingStarted(pid: 7, metricsLabel: "m"), .trainingExited(code: 0, signalled: false))
        XCTAssertEqual(s.panel.run, .finished)
        s.press("enter")
        s.send(.trainingStarted(pid: 8, metricsLabel: "m"), .trainingExited(code: 3, signalled: false))
        XCTAssertEqual(s.panel.run, .failed("exit code 3"))
        XCTAssertEqual(s.message?.isError, true)
        s.press("enter")
        s.send(.trainingFailedToStart("no such file"))
        XCTAssertEqual(s.panel.run, .failed("no such file"))
    }

    func testQuitWhileRunningAsksFirst() {
        var s = trainingState()
        s.press("enter")
        s.send(.trainingStarted(pid: 7, metricsLabel: "m"))
        s.press("escape")   // leave the panel keys
        XCTAssertTrue(s.press("q").isEmpty, "asks first")
        XCTAssertTrue(s.confirmingQuit)
        XCTAssertEqual(s.message?.text, "a training run is going: q again to stop it and quit, Esc to stay")
        XCTAssertTrue(s.press("escape").isEmpty)
        XCTAssertFalse(s.confirmingQuit)
        XCTAssertFalse(s.quitting)
        s.press("q")
        let commands = s.press("q")
        XCTAssertTrue(s.quitting)
        guard case .quit? = commands.last else { return XCTFail("\(commands)") }
        // The runtime stops the child after the loop (SIGINT, a few seconds, SIGTERM).
    }

    func testQuitFromThePanelKeysAsksToo() {
        var s = trainingState()
        s.press("enter")
        s.send(.trainingStarted(pid: 7, metricsLabel: "m"))
        XCTAssertTrue(s.press("q").isEmpty)
        XCTAssertTrue(s.confirmingQuit)
        guard case .quit? = s.press("ctrl+c").last else { return XCTFail() }
    }

    func testQuitWithoutARunDoesNotAsk() {
        var s = trainingState()
        s.press("escape")
        guard case .quit? = s.press("q").last else { return XCTFail() }
    }

    func testStripIsNamedInTheStatusLine() {
        var s = trainingState()
        s.press("enter")
        s.send(.trainingStarted(pid: 7, metricsLabel: "m"), .trainingStrip("step_000200.png"))
        XCTAssertEqual(trainingLine(s.panel), "run 'exp': running pid 7 · strip step_000200.png · T Enter stop")
    }
}

/// A terminal that reads nothing and draws nowhere, for driving the runtime.
private final class NullScreen: TerminalScreen {
    var size = CellSize(columns: 100, rows: 30)
    var descriptor: Int32 = -1
    var wakeDescriptor: Int32 = -1
    var windowPixels: PixelSize?
    func start() throws {}
    func stop() {}
    func readInput(timeoutMilliseconds: Int) -> TerminalInput { TerminalInput() }
    func draw(_ frame: Frame) {}
    func write(_ bytes: [UInt8]) {}
    func invalidate() {}
}

final class TrainingRuntimeTests: XCTestCase {
    /// A real child (a shell standing in for monopix train): started from the panel, its metrics followed, its
    /// output kept out of the screen, and stopped when the studio quits.
    func testARealChildIsFollowedAndStoppedOnQuit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: images.appendingPathComponent("a.png").path, contents: Data())
        let script = dir.appendingPathComponent("fake-monopix.sh")
        // Writes a metrics line and a strip into the run folder named by --checkpoints-dir/--name, then waits.
        try """
        #!/bin/sh
        while [ $# -gt 0 ]; do case "$1" in --name) name=$2; shift;; --checkpoints-dir) ck=$2; shift;; esac; shift; done
        run="$ck/$name"; mkdir -p "$run/strips"
        echo "hello from the child"
        echo '{"step":1,"epoch":1,"loss_G":0.5}' >> "$run/metrics.jsonl"
        : > "$run/strips/step_000001.png"; : > "$run/strips/step_000002.png"
        exec sleep 30
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)

        var options = StudioOptions(paths: [images], useSession: false)
        options.training = TrainingSetup(executable: script.path, config: "/c.yaml", dataRoot: "/d", name: "exp",
                                         checkpointsDirectory: dir.appendingPathComponent("checkpoints").path)
        let runtime = try StudioRuntime(options: options, services: StudioServices(), screen: NullScreen())
        runtime.dispatch(.key(Key("T")))
        runtime.dispatch(.key(Key("enter")))
        guard case .running(let pid, _) = runtime.state.panel.run else { return XCTFail("\(runtime.state.panel.run)") }
        XCTAssertTrue(runtime.training.isRunning)

        let deadline = Date().addingTimeInterval(10)
        while runtime.state.panel.store.recordCount == 0 || runtime.state.panel.strip == nil, Date() < deadline {
            _ = runtime.followLogs()
            usleep(50_000)
        }
        XCTAssertEqual(runtime.state.panel.store.recordCount, 1)
        XCTAssertEqual(runtime.state.panel.strip, "step_000002.png")
        let log = try String(contentsOf: dir.appendingPathComponent("checkpoints/exp/studio-train.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("hello from the child"), log)

        runtime.dispatch(.key(Key("q")))
        XCTAssertTrue(runtime.running, "asks first")
        runtime.dispatch(.key(Key("q")))
        XCTAssertFalse(runtime.running)
        let t0 = Date()
        runtime.shutdown(grace: 1)
        XCTAssertFalse(runtime.training.isRunning)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 4)
        XCTAssertEqual(kill(pid, 0), -1, "the child is gone")
    }
}
