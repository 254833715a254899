import Foundation
import ImageIO
import XCTest

/// Drives the real `monopix studio` binary in a detached tmux session (120x40, half blocks, the demo renderer):
/// open, paint, scrub, undo, switch the view, follow a growing training log, quit. Skipped when tmux or the built
/// binary is missing. Waits poll the captured screen with a deadline; nothing sleeps for a fixed time.
final class TmuxStudioTests: XCTestCase {
    private var harness: TmuxHarness!
    private var directory: URL { harness.directory }
    private static var packageRoot: URL { TmuxHarness.packageRoot }
    private static var slowdown: Double { TmuxHarness.slowdown }
    private static func binary() -> String? { TmuxHarness.binary() }

    @discardableResult
    private func tmux(_ arguments: String...) throws -> String { try harness.run(arguments) }

    @discardableResult
    private func waitFor(_ what: String, seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
                         _ predicate: (String) -> Bool) throws -> String {
        try harness.waitFor(what, seconds: seconds, file: file, line: line, predicate)
    }

    private func keys(_ k: String...) throws { try harness.keys(k) }

    private func literal(_ text: String) throws { try harness.literal(text) }

    /// A PNG with a horizontal and a vertical gradient.
    private func writeImage(_ name: String, width: Int, height: Int) throws {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width {
            image[x, y, 0] = UInt8(x * 255 / width); image[x, y, 1] = UInt8(y * 255 / height); image[x, y, 2] = 96
        } }
        try PNGFile.write(image, to: directory.appendingPathComponent(name))
    }

    override func setUpWithError() throws {
        harness = try TmuxHarness(name: "test", session: "studio")
    }

    override func tearDownWithError() throws { harness?.stop() }

    func testOpenPaintScrubUndoViewPanelQuit() throws {
        try writeImage("a.png", width: 96, height: 64)
        try writeImage("b.png", width: 64, height: 64)
        let log = directory.appendingPathComponent("loss_log.txt")
        try (1...5).map { "(epoch: 1, iters: \($0 * 100), time: 0.1) D_A: 0.\(5 - $0) G_A: 1.\($0)" }
            .joined(separator: "\n").appending("\n").write(to: log, atomically: true, encoding: .utf8)
        let command = "\(Self.binary()!) studio '\(directory.path)' --graphics blocks --demo-renderer --watch '\(log.path)'; "
            + "echo STUDIO-EXIT=$?; sleep 30"
        try tmux("new-session", "-d", "-s", "studio", "-x", "120", "-y", "40", command)

        // Open: the first image, rendered by the demo renderer, drawn in half blocks; the panel follows the log.
        var s = try waitFor("the first frame") { $0.contains("1/2 a.png 96×64") && $0.contains("exact") }
        XCTAssertTrue(s.contains("demo renderer"))
        XCTAssertTrue(s.contains("▀"), "half blocks on the canvas")
        XCTAssertTrue(s.contains("level ├"))
        XCTAssertTrue(s.contains("blocks · ? help"))
        XCTAssertFalse(s.contains("^["), "no escape sequence leaked onto the screen")
        try waitFor("the log's records") { $0.contains("training — loss_log.txt") && $0.contains("5 records") }

        // Paint with the keyboard: pen down, three cells right, pen up = one undo step.
        try keys("0", "Enter", "l", "l", "l", "Enter")
        try waitFor("one undo step") { $0.contains("undo 1 redo 0") && $0.contains("pen") == false }
        // Paint with the mouse (SGR reports, as the terminal would send them): press, drag, release.
        try literal("\u{1B}[<0;20;10M\u{1B}[<32;30;12M\u{1B}[<0;30;12m")
        s = try waitFor("the mouse stroke") { $0.contains("undo 2 redo 0") }

        // Scrub: 1.00 → 0.99 → 0.98, then a coarse step down to the grid: 0.90.
        try keys(",", ",", "<")
        try waitFor("the slider at 0.90") { $0.contains(" 0.90  [0.00, 1.00]") }

        // Undo the mouse stroke.
        try keys("C-z")
        try waitFor("undo") { $0.contains("undo 1 redo 1") }

        // Switch view.
        try keys("m")
        try waitFor("the mask overlay") { $0.contains("│ mask overlay │") && $0.contains("overlay 50%") }
        try keys("|")
        try waitFor("side by side") { $0.contains("input │ output") }

        // The training panel follows the growing log; hide and show it.
        try (6...8).map { "(epoch: 2, iters: \($0 * 100), time: 0.1) D_A: 0.1 G_A: 0.\($0)\n" }.joined()
            .appendingToFile(log)
        try waitFor("the new lines") { $0.contains("8 records") && $0.contains("epoch 2") }
        try keys("t")
        try waitFor("the panel hidden") { !$0.contains("training — loss_log.txt") }
        try keys("t")
        try waitFor("the panel back") { $0.contains("training — loss_log.txt") }

        // Help shows every key; any key closes it.
        try keys("?")
        try waitFor("the help") { $0.contains("keys — any key closes") && $0.contains("Ctrl+Z u") }
        try keys("Escape")
        try waitFor("the help closed") { !$0.contains("keys — any key closes") }

        // Quit: the terminal is restored, the exit status is 0 and the session is on disk.
        try keys("q")
        s = try waitFor("the exit") { $0.contains("STUDIO-EXIT=") }
        XCTAssertTrue(s.contains("STUDIO-EXIT=0"), s)
        let session = directory.appendingPathComponent(".monopix-session")
        XCTAssertTrue(FileManager.default.fileExists(atPath: session.appendingPathComponent("session.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: session.appendingPathComponent("a.png.mask.npy").path))
    }

    /// The real engine: the bundled low-light model on a bundled sample (copied, so the export lands in a temporary
    /// folder). Open, scrub the level (blends of the engine's cached levels, then exact), paint a stroke
    /// (incrementally recomputed), export with Ctrl+E, quit.
    /// A 12 MP photo with the bundled model: the first frame on a proxy (labelled), zoomed in the view at full
    /// resolution, a stroke painted on it, the studio's peak resident memory within its budget (2.5 GB).
    func testALargePhotoOpensOnAProxyZoomsToFullResolutionAndPaints() throws {
        try writeImage("big.png", width: 4000, height: 3000)
        let command = "cd '\(Self.packageRoot.path)' && \(Self.binary()!) studio '\(directory.appendingPathComponent("big.png").path)' --graphics blocks; "
            + "echo STUDIO-EXIT=$?; sleep 30"
        try tmux("new-session", "-d", "-s", "studio", "-x", "120", "-y", "40", command)
        try waitFor("the first frame, on a proxy") { $0.contains("exact") && $0.contains("proxy 512x384 of 4000x3000") }
        for _ in 0..<20 { try keys("+") }
        try waitFor("the zoomed view at full resolution", seconds: 60) { $0.contains("zoom 6400%") && $0.contains("full resolution in view") }
        try literal("\u{1B}[<0;40;15M\u{1B}[<32;45;16M\u{1B}[<32;50;17M\u{1B}[<0;50;17m")
        try waitFor("the stroke's frame, then the view at full resolution again", seconds: 60) {
            $0.contains("undo 1 redo 0") && $0.contains("full resolution in view")
        }
        let shell = try tmux("display-message", "-p", "-t", "studio", "#{pane_pid}").trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        if let studio = children.split(separator: " ").first,
           let status = try? String(contentsOfFile: "/proc/\(studio)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kB = Int(line.split(separator: " ").dropFirst().first ?? "") {
            XCTAssertLessThan(kB * 1024, 2_500_000_000, "peak resident memory within the studio's budget")
        }
        try keys("q")
        let s = try waitFor("the exit") { $0.contains("STUDIO-EXIT=") }
        XCTAssertTrue(s.contains("STUDIO-EXIT=0"), s)
    }

    func testTheBundledModelRendersPaintsAndExports() throws {
        let sample = Self.packageRoot.appendingPathComponent("assets/samples/chelsea_dark.png")
        try FileManager.default.copyItem(at: sample, to: directory.appendingPathComponent("chelsea_dark.png"))
        let command = "cd '\(Self.packageRoot.path)' && \(Self.binary()!) studio '\(directory.path)' --graphics blocks; "
            + "echo STUDIO-EXIT=$?; sleep 30"
        try tmux("new-session", "-d", "-s", "studio", "-x", "120", "-y", "40", command)
        var s = try waitFor("the first exact frame") { $0.contains("chelsea_dark.png 320×212") && $0.contains("exact") }
        XCTAssertTrue(s.contains("MonoPix_LowLight_Small"), "the bundled model is named in the title")
        XCTAssertFalse(s.contains("demo renderer"))
        XCTAssertTrue(s.contains("[-1.00, 2.00]"), "the low-light range comes from the model's task")
        // Scrubbing: after a pause the engine fills its ladder of levels in the background; dragging the slider
        // (row 38 of 40) then shows blends of cached levels at once, and releasing it the exact frame.
        Thread.sleep(forTimeInterval: 3)
        try literal("\u{1B}[<0;50;38M\u{1B}[<32;53;38M")
        s = try waitFor("a blend while dragging the slider") { $0.contains("blend of cached levels") && $0.contains("release for exact") }
        try literal("\u{1B}[<0;53;38m")
        s = try waitFor("the exact frame on release") { $0.contains("exact") && !$0.contains("blend of cached") }
        // A mouse stroke, recomputed by the engine.
        try literal("\u{1B}[<0;20;10M\u{1B}[<32;30;12M\u{1B}[<0;30;12m")
        s = try waitFor("the stroke's frame") { $0.contains("undo 1 redo 0") && $0.contains("exact") }
        // Export the current image's trajectory, spatial result and mask: Ctrl+E, then c for the current image.
        try keys("C-e")
        try waitFor("the export choice") { $0.contains("the current image") }
        try keys("c")
        let folder = directory.appendingPathComponent("monopix-export/MonoPix_LowLight_Small_studio_exhaustive/chelsea_dark")
        let deadline = Date().addingTimeInterval(60 * Self.slowdown)
        while Date() < deadline, !FileManager.default.fileExists(atPath: folder.appendingPathComponent("chelsea_dark_mask_view.png").path) {
            usleep(100_000)
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in ["chelsea_dark_enhlvl_99.png", "chelsea_dark_enhlvl_-10.png", "chelsea_dark_enhlvl_00.png", "chelsea_dark_enhlvl_20.png",
                     "chelsea_dark_spatial.png", "chelsea_dark_mask.png", "chelsea_dark_mask_view.png", "chelsea_dark_trajectory.gif"] {
            XCTAssertTrue(files.contains(name), "\(name) exported; found \(files.sorted())")
        }
        XCTAssertEqual(try PNGFile.readRGB(folder.appendingPathComponent("chelsea_dark_spatial.png")).width, 320)
        try keys("q")
        s = try waitFor("the exit") { $0.contains("STUDIO-EXIT=") }
        XCTAssertTrue(s.contains("STUDIO-EXIT=0"), s)
    }
}


private extension String {
    func appendingToFile(_ url: URL) throws {
        let h = try FileHandle(forWritingTo: url)
        h.seekToEndOfFile()
        h.write(Data(utf8))
        try h.close()
    }
}
