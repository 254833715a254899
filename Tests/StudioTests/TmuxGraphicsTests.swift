import Foundation
import XCTest

/// The real binary in a detached tmux session with `--graphics auto`: tmux 3.3 has no sixel of its own and no
/// terminal outside it answers, so the studio draws half blocks, and says how to get pixels when
/// `allow-passthrough` is off. Skipped without tmux or the built binary.
final class TmuxGraphicsTests: XCTestCase {
    private var harness: TmuxHarness!

    override func setUpWithError() throws {
        harness = try TmuxHarness(name: "gfx-test", session: "g")
    }

    override func tearDownWithError() throws { harness?.stop() }

    private func run(config: String) throws -> String {
        try config.write(to: harness.config, atomically: true, encoding: .utf8)
        let samples = TmuxHarness.packageRoot.appendingPathComponent("assets/samples/astronaut.png").path
        // Whatever terminal runs the tests, its names must not reach the studio's choice.
        let clean = "env -u KITTY_WINDOW_ID -u GHOSTTY_RESOURCES_DIR -u ITERM_SESSION_ID -u KONSOLE_VERSION -u TERM_PROGRAM -u MONOPIX_GRAPHICS"
        let command = "\(clean) \(TmuxHarness.binary()!) studio '\(samples)' --demo-renderer --no-session; echo STUDIO-EXIT=$?; sleep 30"
        try harness.run(["new-session", "-d", "-s", "g", "-x", "120", "-y", "40", command])
        // The canvas is drawn once the image is loaded and encoded, after the first text frame.
        let screen = try harness.waitFor("the canvas") { $0.contains("astronaut.png") && $0.contains("? help") && $0.contains("▀") }
        try harness.keys(["q"])
        try harness.waitFor("the exit") { $0.contains("STUDIO-EXIT=0") }
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
