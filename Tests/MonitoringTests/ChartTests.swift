import XCTest
@testable import Monitoring

final class ChartTests: XCTestCase {
    func testBrailleDotsAreTheUnicodeBits() {
        var c = BrailleCanvas(columns: 2, rows: 1)
        c.set(0, 0)          // dot 1
        c.set(1, 3)          // dot 8
        c.set(2, 1)          // second cell, dot 2
        c.set(3, 2)          // second cell, dot 6
        c.set(9, 9)          // outside: ignored
        XCTAssertEqual(c.lines, ["\u{2881}\u{2822}"])
        XCTAssertTrue(c.isSet(1, 3))
        XCTAssertFalse(c.isSet(1, 2))
    }

    func testBrailleLineIsBresenham() {
        var c = BrailleCanvas(columns: 2, rows: 1)
        c.line(from: (0, 0), to: (3, 3))
        // The diagonal: (0,0) (1,1) in cell 0 = dots 1+5; (2,2) (3,3) in cell 1 = dots 3+8.
        XCTAssertEqual(c.lines, ["\u{2811}\u{2884}"])
    }

    /// A rising series from (0, 0) to (3, 3): bottom-left dot to top-right dot, straight in between.
    func testKnownSeriesGivesKnownDots() {
        let line = ChartLine(name: "loss", colour: 2, points: [(0, 0), (1, 1), (2, 2), (3, 3)])
        let grid = renderLineChart([line], width: 10, height: 5, style: ChartStyle(ignoreOutliers: false, padding: 0))
        // Labels "3", "1.5", "0" are right-aligned in 3 columns, then the axis, then 6 braille cells
        // (12 x 12 dots): the line climbs from dot (0, 11) to dot (11, 0), two dots per cell:
        // (0,11)+(1,10) = dots 7+6 = U+2860 "⡠", (2,9)+(3,8) = dots 2+4 = U+280A "⠊".
        XCTAssertEqual(grid.lines, [
            "  3┤⠀⠀⠀⠀⡠⠊",
            "1.5┤⠀⠀⡠⠊⠀⠀",
            "  0┤⡠⠊⠀⠀⠀⠀",
            "   └──────",
            "    0    3",
        ])
        XCTAssertEqual(grid.yRange, 0...3)
        XCTAssertEqual(grid.colours[2 * 10 + 4], 2, "dots carry the series colour")
        XCTAssertEqual(grid.colours[0], -1, "labels carry none")
    }

    func testLogScaleHidesNonPositiveValues() {
        let line = ChartLine(name: "x", colour: 0, points: [(0, 1), (1, 0), (2, 100), (3, -1)])
        let grid = renderLineChart([line], width: 20, height: 6, style: ChartStyle(yScale: .log, ignoreOutliers: false, padding: 0))
        XCTAssertEqual(grid.hiddenNonPositive, 2)
        XCTAssertEqual(grid.yRange, 0...2)
        XCTAssertTrue(grid.lines[0].hasPrefix("100┤"))
        XCTAssertTrue(grid.lines[3].hasPrefix("  1┤"))
    }

    func testStoreKeepsFirstSeenOrderAndFallsBackToPosition() {
        var store = MetricSeriesStore()
        store.append(LogLineParser.parse("epoch [1/2]  loss: G=1 D=2")!, arrival: 10)
        store.append(LogLineParser.parse("epoch [1/2]  loss: D=3 X=4")!, arrival: 11)
        XCTAssertEqual(store.names, ["G", "D", "X"])
        XCTAssertEqual(store.points["D"]!.map(\.step), [0, 1])
        XCTAssertEqual(store.points["D"]!.map(\.time), [10, 11])
        store.removeSeries(prefix: "")
        XCTAssertEqual(store.names, [])
    }
}
