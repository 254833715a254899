import XCTest
@testable import Studio

final class BrushTests: XCTestCase {
    func testFalloffIsOpaqueToHardnessThenSmoothToZeroAtTheRadius() {
        let r: Float = 10, h: Float = 0.5
        XCTAssertEqual(brushFalloff(distance: 0, radius: r, hardness: h), 1)
        XCTAssertEqual(brushFalloff(distance: 5, radius: r, hardness: h), 1, "opaque out to hardness·radius")
        XCTAssertEqual(brushFalloff(distance: 7.5, radius: r, hardness: h), 0.5, accuracy: 1e-6, "smoothstep midpoint")
        XCTAssertEqual(brushFalloff(distance: 10, radius: r, hardness: h), 0)
        XCTAssertEqual(brushFalloff(distance: 12, radius: r, hardness: h), 0)
        var previous: Float = 1
        for d in stride(from: Float(5), through: 10, by: 0.25) {
            let a = brushFalloff(distance: d, radius: r, hardness: h)
            XCTAssertLessThanOrEqual(a, previous, "monotonic")
            previous = a
        }
        // Hard brush: a step at the radius.
        XCTAssertEqual(brushFalloff(distance: 9.99, radius: r, hardness: 1), 1)
        // Soft brush: falls from the centre.
        XCTAssertLessThan(brushFalloff(distance: 1, radius: r, hardness: 0), 1)
    }

    func testOneDabPaintsTheDiscAndLeavesTheRestFollowingTheLevel() {
        var layer = MaskLayer(width: 20, height: 20)
        var stroke = Stroke(target: .value(1), brush: BrushSettings(diameter: 8, hardness: 1), layer: layer)
        stroke.move(to: 10, 10, layer: &layer, level: 0.2)
        XCTAssertEqual(layer[10, 10], 1)
        XCTAssertEqual(layer[7, 10], 1, "pixel centre 7.5 is 2.5 from the centre: inside radius 4")
        XCTAssertTrue(layer[5, 10].isNaN, "pixel centre 5.5 is 4.5 away: outside")
        XCTAssertTrue(layer[0, 0].isNaN)
        XCTAssertEqual(stroke.dirty.clamped(width: 20, height: 20).isEmpty, false)
    }

    func testFastStrokeIsFilledWithDabsAtTheSpacing() {
        var layer = MaskLayer(width: 100, height: 10)
        var stroke = Stroke(target: .value(1), brush: BrushSettings(diameter: 4, hardness: 1, spacing: 0.25), layer: layer)
        stroke.move(to: 5, 5, layer: &layer, level: 0)
        stroke.move(to: 95, 5, layer: &layer, level: 0)   // one motion report across the whole image
        for x in 5...94 { XCTAssertEqual(layer[x, 5], 1, "gap at x=\(x)") }
    }

    func testOpacityCapsAStrokeAndFlowBuildsUp() {
        var layer = MaskLayer(width: 10, height: 10)
        var brush = BrushSettings(diameter: 6, hardness: 1, opacity: 0.5, flow: 0.3)
        var stroke = Stroke(target: .value(1), brush: brush, layer: layer)
        stroke.dab(at: 5, 5, layer: &layer, level: 0)
        XCTAssertEqual(layer[5, 5], 0.3, accuracy: 1e-6)
        stroke.dab(at: 5, 5, layer: &layer, level: 0)
        XCTAssertEqual(layer[5, 5], 0.5, accuracy: 1e-6, "0.51 of coverage, capped by opacity 0.5")
        for _ in 0..<10 { stroke.dab(at: 5, 5, layer: &layer, level: 0) }
        XCTAssertEqual(layer[5, 5], 0.5, accuracy: 1e-6)
        brush.opacity = 1
        _ = brush
    }

    func testEraserGoesBackToFollowingTheLevel() {
        var layer = MaskLayer(width: 10, height: 10, values: [Float](repeating: 0.9, count: 100))
        var stroke = Stroke(target: .erase, brush: BrushSettings(diameter: 4, hardness: 1), layer: layer)
        stroke.move(to: 5, 5, layer: &layer, level: 0.3)
        XCTAssertTrue(layer[5, 5].isNaN)
        XCTAssertEqual(layer.value(x: 5, y: 5, level: 0.3), 0.3)
        XCTAssertEqual(layer[0, 0], 0.9)
    }

    func testFloodFillStopsAtDifferentValues() {
        // A vertical wall of 0.5 at x = 5 splits the image.
        var layer = MaskLayer(width: 10, height: 6)
        for y in 0..<6 { layer[5, y] = 0.5 }
        let rect = MaskTools.floodFill(&layer, x: 1, y: 1, value: 1, level: 0)
        XCTAssertEqual(rect, PixelRect(x: 0, y: 0, width: 5, height: 6))
        for y in 0..<6 {
            for x in 0..<5 { XCTAssertEqual(layer[x, y], 1) }
            XCTAssertEqual(layer[5, y], 0.5)
            for x in 6..<10 { XCTAssertTrue(layer[x, y].isNaN, "right side untouched") }
        }
    }

    func testLinearGradientAndStrips() {
        var layer = MaskLayer(width: 10, height: 2)
        MaskTools.linearGradient(&layer, from: (0, 1), to: (10, 1), startValue: 0, endValue: 1)
        for x in 0..<10 { XCTAssertEqual(layer[x, 0], (Float(x) + 0.5) / 10, accuracy: 1e-6) }
        XCTAssertEqual(layer[3, 1], layer[3, 0], "constant across the gradient's direction")
        // Beyond the end points the values are clamped.
        MaskTools.linearGradient(&layer, from: (2, 0), to: (8, 0), startValue: 1, endValue: -1)
        XCTAssertEqual(layer[0, 0], 1)
        XCTAssertEqual(layer[9, 0], -1)
        var strips = MaskLayer(width: 8, height: 1)
        MaskTools.strips(&strips, from: (0, 0), to: (8, 0), startValue: 0, endValue: 1, count: 4)
        XCTAssertEqual(strips.values, [0, 0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1])
    }

    func testUndoHistoryKeepsAtLeastFiftySteps() {
        var history = UndoHistory()
        var a = MaskLayer(width: 2, height: 1)
        for i in 0..<120 {
            let before = a
            a[0, 0] = Float(i)
            history.record(name: "s\(i)", before: before, after: a, rect: a.bounds)
        }
        XCTAssertEqual(history.undoSteps.count, UndoHistory.defaultLimit)
        XCTAssertGreaterThanOrEqual(UndoHistory.defaultLimit, 50)
        XCTAssertEqual(history.undoSteps.last?.name, "s119")
    }
}
