import Foundation
import XCTest

/// The real binary in a detached tmux session with `--graphics auto`: tmux 3.3 has no sixel of its own and no
/// terminal outside it answers, so the studio draws half blocks, and says how to get pixels when
/// `allow-passthrough` is off. Skipped without tmux or the built binary.
final class TmuxGraphicsTests: XCTestCase {
    private var socket = ""
    private var directory: URL!

    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private static func binary() -> String? {
        if let b = ProcessInfo.processInfo.environment["MONOPIX_BINARY"] { return b }
        return ["release", "debug"].map { packageRoot.appendingPathComponent(".build/\($0)/monopix").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// tmux on the test's own server and config, spawned directly and reaped (the server it forks keeps whatever
    /// the child had open, so nothing here waits for a pipe).
    @discardableResult
    private func tmux(_ arguments: String...) throws -> String {
        let output = directory.appendingPathComponent(".tmux-output").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let conf = directory.appendingPathComponent("tmux.conf").path
        let argv = [Self.tmuxPath!, "-L", socket, "-f", conf] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else { throw XCTSkip("cannot run tmux") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    private func waitForScreen(_ what: String, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        var last = ""
        while Date() < deadline {
            last = try tmux("capture-pane", "-p", "-t", "g")
            if predicate(last) { return last }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what); the screen was:\n\(last)")
        throw XCTSkip("stopping after a failed wait")
    }

    override func setUpWithError() throws {
        guard Self.tmuxPath != nil else { throw XCTSkip("tmux is not installed") }
        guard Self.binary() != nil else { throw XCTSkip("build the monopix product first") }
        socket = "monopix-gfx-test-\(getpid())"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("studio-gfx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if !socket.isEmpty { _ = try? tmux("kill-server") }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func run(config: String) throws -> String {
        try config.write(to: directory.appendingPathComponent("tmux.conf"), atomically: true, encoding: .utf8)
        let samples = Self.packageRoot.appendingPathComponent("assets/samples/astronaut.png").path
        // Whatever terminal runs the tests, its names must not reach the studio's choice.
        let clean = "env -u KITTY_WINDOW_ID -u GHOSTTY_RESOURCES_DIR -u ITERM_SESSION_ID -u KONSOLE_VERSION -u TERM_PROGRAM -u MONOPIX_GRAPHICS"
        let command = "\(clean) \(Self.binary()!) studio '\(samples)' --demo-renderer --no-session; echo STUDIO-EXIT=$?; sleep 30"
        try tmux("new-session", "-d", "-s", "g", "-x", "120", "-y", "40", command)
        // The canvas is drawn once the image is loaded and encoded, after the first text frame.
        let screen = try waitForScreen("the canvas") { $0.contains("astronaut.png") && $0.contains("? help") && $0.contains("▀") }
        try tmux("send-keys", "-t", "g", "q")
        _ = try waitForScreen("the exit") { $0.contains("STUDIO-EXIT=0") }
        return screen
    }

    func testPassthroughOffGivesHalfBlocksAndTheHint() throws {
        let screen = try run(config: "set -g allow-passthrough off\n")
        XCTAssertTrue(screen.contains("tmux: set -g allow-passthrough on for pixels · blocks · ? help"), screen)
        XCTAssertFalse(screen.contains("Gi=3"), "no kitty query leaked into the pane")
    }

    func testPassthroughOnWithNothingOutsideGivesHalfBlocksWithoutTheHint() throws {
        let screen = try run(config: "set -g allow-passthrough on\n")
        XCTAssertTrue(screen.contains(" blocks · ? help"), screen)
        XCTAssertFalse(screen.contains("allow-passthrough on for pixels"), "passthrough is on already")
    }
}
