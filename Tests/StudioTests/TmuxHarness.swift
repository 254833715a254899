import Foundation
import XCTest

/// A private tmux server and scratch folder for tests that drive the real `monopix` binary: tmux is spawned
/// directly with `posix_spawn` and reaped with `waitpid` (`new-session` forks the server, which inherits whatever
/// the child had open, so nothing here may wait for a pipe or a descriptor to close). Waits poll the captured
/// screen with a deadline; nothing sleeps for a fixed time. Skips when tmux or the built binary is missing.
final class TmuxHarness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `MONOPIX_BINARY`, else the newest of the debug and release builds.
    static func binary() -> String? {
        if let b = ProcessInfo.processInfo.environment["MONOPIX_BINARY"] { return b }
        let candidates = ["debug", "release"].map { packageRoot.appendingPathComponent(".build/\($0)/monopix").path }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        return candidates.max { a, b in
            let date = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date) ?? .distantPast }
            return date(a) < date(b)
        }
    }

    static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Sanitizer builds run the studio several times slower (`make check-tsan` sets 8): the waits scale by this.
    static let slowdown = ProcessInfo.processInfo.environment["MONOPIX_TEST_SLOWDOWN"].flatMap(Double.init) ?? 1

    let socket: String
    let directory: URL
    /// A tmux.conf in `directory` the server starts with, when the test writes one.
    var config: URL { directory.appendingPathComponent("tmux.conf") }
    /// The session the screen and keys go to.
    let session: String

    init(name: String, session: String) throws {
        guard Self.tmuxPath != nil else { throw XCTSkip("tmux is not installed") }
        guard Self.binary() != nil else { throw XCTSkip("build the monopix product first (swift build --product monopix)") }
        socket = "monopix-\(name)-\(getpid())"
        self.session = session
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("studio-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Stops the server and removes the folder.
    func stop() {
        _ = try? run(["kill-server"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs tmux on this server (with `config` where it exists) and returns what it printed.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let output = directory.appendingPathComponent(".tmux-output").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let configured = FileManager.default.fileExists(atPath: config.path) ? ["-f", config.path] : []
        let argv = [Self.tmuxPath!, "-L", socket] + configured + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw XCTSkip("cannot run tmux: \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", session]) }

    /// Polls the screen until `predicate` holds (`seconds` at most, times `slowdown`).
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
                 _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds * Self.slowdown)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what); the screen was:\n\(last)", file: file, line: line)
        throw XCTSkip("stopping after a failed wait")
    }

    func keys(_ k: [String]) throws {
        for key in k { try run(["send-keys", "-t", session, key]) }
    }

    func literal(_ text: String) throws {
        try run(["send-keys", "-t", session, "-l", text])
    }
}
