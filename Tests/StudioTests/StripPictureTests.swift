import Foundation
import ImageIO
import XCTest
@testable import Studio

/// The run's newest trajectory strip, drawn as a picture at the foot of the training panel.
final class StripPictureTests: XCTestCase {
    func testAWideStripIsLaidOutAsTheGridThatShowsItsFramesLargest() {
        // Twelve 4x4 frames side by side, frame f filled with the value f.
        var strip = RGBImage(width: 48, height: 4)
        for y in 0..<4 { for x in 0..<48 { for c in 0..<3 { strip.pixels[(y * 48 + x) * 3 + c] = UInt8(x / 4) } } }
        let grid = StripSpec.tiled(strip, into: (width: 40, height: 16))   // the box of a narrow half-block panel
        XCTAssertEqual(grid.width, 24, "six columns")
        XCTAssertEqual(grid.height, 8, "two rows")
        XCTAssertEqual(grid[0, 0, 0], 0)
        XCTAssertEqual(grid[23, 0, 0], 5)
        XCTAssertEqual(grid[0, 4, 0], 6, "the seventh frame starts the second row")
        XCTAssertEqual(grid[23, 7, 0], 11)
        XCTAssertEqual(StripSpec.tiled(strip, into: (width: 4800, height: 4)).width, 48, "a wide box keeps the row")
    }

    func testThePanelReservesRowsForTheStripAndThePresenterDrawsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let strips = dir.appendingPathComponent("exp/strips")
        try FileManager.default.createDirectory(at: strips, withIntermediateDirectories: true)
        try PNGFile.write(RGBImage(width: 96, height: 16, red: 200, green: 10, blue: 10), to: strips.appendingPathComponent("step_0000010.png"))

        var s = makeState(columns: 120, rows: 40)
        s.panel.training = TrainingSetup(executable: "/m", config: "/c.yaml", dataRoot: "/d", name: "exp", checkpointsDirectory: dir.path)
        s.press("t")
        s.send(.logLines(source: "exp/metrics.jsonl", lines: [#"{"step": 1, "G_A": 1.0}"#, #"{"step": 2, "G_A": 0.5}"#],
                         reset: false, arrival: 1_700_000_000))
        XCTAssertNil(view(s).strip, "no strip yet")
        s.send(.trainingStrip("step_0000010.png"))
        let frame = view(s)
        let spec = try XCTUnwrap(frame.strip)
        XCTAssertEqual(spec.file, strips.appendingPathComponent("step_0000010.png").path)
        let panel = try XCTUnwrap(Layout(s).panel)
        XCTAssertEqual(spec.rect.x, panel.x)
        XCTAssertLessThanOrEqual(spec.rect.y + spec.rect.height, panel.y + panel.height)
        XCTAssertTrue(frame.lines.contains { $0.contains("newest strip step_0000010.png") })

        // Half blocks of the strip's red, one row of cells per two pixel rows, at the reserved cells.
        let bytes = GraphicsPresenter.render(.strip(spec), nil, mode: .blocks(trueColour: true))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("\u{1B}[38;2;200;10;10m"), "the strip's colour")
        XCTAssertTrue(text.contains("\u{1B}[\(spec.rect.y + 1);\(spec.rect.x + 1)H"), "drawn at the panel's foot")
    }
}
