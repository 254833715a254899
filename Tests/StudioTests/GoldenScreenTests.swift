import Foundation
import XCTest
@testable import Studio

/// Whole screens as `view` draws them, compared with `testdata/*.txt` (bubbletea's golden files). The canvas
/// cells are blank there: the image is drawn by the terminal layer. To re-record after an intended change:
/// `MONOPIX_RECORD_GOLDEN=1 swift test --filter GoldenScreenTests`, then read the diff before committing.
final class GoldenScreenTests: XCTestCase {
    private static let testdata = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata")

    private func assertGolden(_ frame: Frame, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let text = frame.lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n") + "\n"
        let url = Self.testdata.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["MONOPIX_RECORD_GOLDEN"] != nil {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if text != expected {
            let diff = zip(text.split(separator: "\n", omittingEmptySubsequences: false), expected.split(separator: "\n", omittingEmptySubsequences: false))
                .enumerated().filter { $0.element.0 != $0.element.1 }
                .map { "row \($0.offset):\n  got      \($0.element.0)\n  expected \($0.element.1)" }
            XCTFail("\(name) differs:\n" + diff.prefix(8).joined(separator: "\n"), file: file, line: line)
        }
    }

    func testDefaultScreen() throws {
        var s = makeState(width: 512, height: 384, columns: 100, rows: 30)
        s.send(.frameRendered(RenderResult(id: s.render.pendingID!, image: s.documents[0].image!, seconds: 0.25, exact: true)))
        s.press("<", "<", "3")
        try assertGolden(view(s), "default-100x30")
    }

    func testTrainingPanel() throws {
        var s = makeState(width: 64, height: 64, columns: 100, rows: 30)
        s.panel.sources = ["metrics.jsonl"]
        s.press("t")
        let lines = (0..<40).map { i in
            #"{"step": \#(i * 10), "epoch": 1, "lr": 0.0001, "G_A": \#(2.0 / Double(i + 1) + 0.2), "D_A": \#(0.25 + 0.01 * Double(i % 5))}"#
        }
        s.send(.logLines(source: "metrics.jsonl", lines: lines, reset: false, arrival: 1_700_000_000))
        try assertGolden(view(s), "panel-100x30")
    }

    func testHelpScreen() throws {
        var s = makeState(columns: 120, rows: 40)
        s.press("?")
        try assertGolden(view(s), "help-120x40")
    }
}
