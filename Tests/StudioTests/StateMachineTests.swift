import Engine
import ImageIO
import XCTest
@testable import Studio

final class StateMachineTests: XCTestCase {
    func testLoadingAnImageAsksForAnExactRender() {
        var s = StudioState(documents: [URL(fileURLWithPath: "/x/a.png")], range: 0...1, rendererName: "t")
        let start = s.start()
        guard case .loadImage(0, let url)? = start.first else { return XCTFail("\(start)") }
        XCTAssertEqual(url.lastPathComponent, "a.png")
        let commands = s.send(.imageLoaded(document: 0, image: RGBImage(width: 4, height: 4), sessionMask: nil))
        let r = commands.compactMap(\.renderRequest).first
        XCTAssertNotNil(r)
        XCTAssertEqual(r?.exact, true)
        XCTAssertEqual(r?.intensity().uniformLevel, 1, "the level starts at full translation")
    }

    func testPaintingAStrokeChangesTheRightPixels() {
        var s = makeState(width: 40, height: 20)
        s.press("b", "3")   // brush, value 0.3
        s.brush = BrushSettings(diameter: 4, hardness: 1, spacing: 0.1)
        let a = s.cell(forImageX: 5.5, y: 10.5), b = s.cell(forImageX: 30.5, y: 10.5)
        let commands = s.send(mouse(.press, a), mouse(.drag, b), mouse(.release, b))
        // The stroke follows the row between the two points...
        let m = s.mask
        for x in 8...28 { XCTAssertEqual(m[x, 10], 0.3, accuracy: 1e-6, "x=\(x)") }
        // ...and leaves the rest following the level.
        XCTAssertTrue(m[20, 0].isNaN)
        XCTAssertTrue(m[20, 19].isNaN)
        XCTAssertTrue(m[38, 10].isNaN)
        // Previews while dragging, an exact render on release.
        let renders = commands.compactMap(\.renderRequest)
        XCTAssertEqual(renders.first?.exact, false)
        XCTAssertEqual(renders.last?.exact, true)
        XCTAssertEqual(renders.last?.intensity().values[10 * 40 + 15], 0.3)
        XCTAssertEqual(renders.last?.intensity().values[0], 1, "unpainted pixels get the level")
        XCTAssertEqual(s.documents[0].history.undoSteps.count, 1, "one stroke, one undo step")
    }

    func testUndoAndRedoAStroke() {
        var s = makeState()
        s.brush = BrushSettings(diameter: 6, hardness: 1)
        let c = s.cell(forImageX: 20, y: 10)
        s.send(mouse(.press, c), mouse(.release, c))
        let painted = s.mask
        XCTAssertFalse(painted.isBlank)
        s.press("ctrl+z")
        XCTAssertTrue(s.mask.isBlank)
        s.press("ctrl+y")
        XCTAssertEqual(s.mask.values.map { $0.isNaN ? -9 : $0 }, painted.values.map { $0.isNaN ? -9 : $0 })
        s.press("ctrl+z", "ctrl+shift+z")
        XCTAssertFalse(s.mask.isBlank, "Ctrl+Shift+Z redoes too")
        s.press("u", "u")
        XCTAssertTrue(s.mask.isBlank)
        XCTAssertEqual(s.message?.text, "nothing to undo")
    }

    func testInvertIsOneUndoStepThatMirrorsTheLevelToo() {
        var s = makeState(range: -1...2)
        s.press("home")   // level to -1
        XCTAssertEqual(s.level, -1)
        s.documents[0].mask![0, 0] = 2
        s.press("ctrl+i")
        XCTAssertEqual(s.level, 2)
        XCTAssertEqual(s.mask[0, 0], -1)
        s.press("ctrl+z")
        XCTAssertEqual(s.level, -1)
        XCTAssertEqual(s.mask[0, 0], 2)
    }

    func testSliderKeysAndDrag() {
        var s = makeState()
        XCTAssertEqual(s.level, 1)
        s.press(",")
        XCTAssertEqual(s.level, 0.99, accuracy: 1e-6)
        s.press("<", "<")
        XCTAssertEqual(s.level, 0.8, accuracy: 1e-6, "coarse steps snap to the grid")
        s.press(".", ".", ".", "<")
        XCTAssertEqual(s.level, 0.8, accuracy: 1e-6, "0.83 goes down to the grid point below it")
        s.press(">")
        XCTAssertEqual(s.level, 0.9, accuracy: 1e-6)
        s.press("home")
        XCTAssertEqual(s.level, 0)
        s.press(",")
        XCTAssertEqual(s.level, 0, "clamped to the range")
        // Drag on the track: the middle of the track is the middle of the range.
        let layout = Layout(s)
        let mid = layout.sliderTrack.x + layout.sliderTrack.width / 2
        let commands = s.send(mouse(.press, (mid, layout.sliderRow)), mouse(.drag, (layout.sliderTrack.x + layout.sliderTrack.width - 1, 10)),
                              mouse(.release, (layout.sliderTrack.x + layout.sliderTrack.width - 1, 10)))
        XCTAssertEqual(s.level, 1 - 0.5 / Float(layout.sliderTrack.width), accuracy: 1e-5, "drag keeps the slider even off its row")
        XCTAssertEqual(commands.compactMap(\.renderRequest).last?.exact, true, "exact on release")
    }

    func testLowLightRangeScalesDigitsAndSteps() {
        var s = makeState(range: -1...2)
        s.press("5")
        XCTAssertEqual(s.primaryValue, 0.5, accuracy: 1e-6)
        s.press("end", ",")
        XCTAssertEqual(s.level, 1.97, accuracy: 1e-5)
    }

    func testViewSwitching() {
        var s = makeState()
        XCTAssertEqual(s.viewMode, .output)
        s.press("v")
        XCTAssertEqual(s.viewMode, .input)
        s.press("V", "V")
        XCTAssertEqual(s.viewMode, .wipe)
        s.press("Q")
        XCTAssertEqual(s.viewMode, .overlay)
        s.press("Q")
        XCTAssertEqual(s.viewMode, .wipe, "quick mask goes back")
        s.press("|")
        XCTAssertEqual(Layout.panes(s, layout: Layout(s)).count, 2)
        s.press(")")
        XCTAssertEqual(s.viewMode, .overlay, "changing the opacity shows the overlay")
        XCTAssertEqual(s.overlayOpacity, 0.6, accuracy: 1e-6)
    }

    func testWipeDividerDrags() {
        var s = makeState()
        s.press("w")
        let c = Layout(s).canvas
        let divider = c.x + c.width / 2
        s.send(mouse(.press, (divider, 10)), mouse(.drag, (c.x + c.width / 4, 10)), mouse(.release, (c.x + c.width / 4, 10)))
        XCTAssertEqual(s.wipe, (Float(c.width / 4) + 0.5) / Float(c.width), accuracy: 1e-4)
        XCTAssertTrue(s.mask.isBlank, "dragging the divider does not paint")
    }

    func testZoomMapsTheScreenOntoTheImageGrid() {
        var s = makeState(width: 200, height: 100, columns: 100, rows: 30)
        // Canvas: 100 x 26 cells = 100 x 52 view pixels; fit scale = min(100/200, 52/100) = 0.5.
        let vp0 = Layout.panes(s, layout: Layout(s))[0].viewport
        XCTAssertEqual(vp0.scale, 0.5)
        // Zoom 4x at the image point (150, 50): it stays under the same screen spot.
        let anchor: (x: Float, y: Float) = (150, 50)
        let before = vp0.viewPoint(imageX: anchor.x, imageY: anchor.y)
        _ = s.zoom(by: 4, at: anchor)
        let vp = Layout.panes(s, layout: Layout(s))[0].viewport
        XCTAssertEqual(vp.scale, 2)
        let after = vp.viewPoint(imageX: anchor.x, imageY: anchor.y)
        XCTAssertEqual(after.x, before.x, accuracy: 1e-3)
        XCTAssertEqual(after.y, before.y, accuracy: 1e-3)
        // At 2 view pixels per image pixel, one cell (1x2 view pixels) is half an image pixel wide and one tall:
        // painting with a 1-pixel brush hits exactly the image pixel under the cell.
        s.brush = BrushSettings(diameter: 1, hardness: 1)
        let cell = s.cell(forImageX: 140.5, y: 45.5)
        s.send(mouse(.press, cell), mouse(.release, cell))
        let touched = s.mask.values.enumerated().filter { !$0.element.isNaN }.map { ($0.offset % 200, $0.offset / 200) }
        XCTAssertEqual(touched.count, 1)
        XCTAssertEqual(touched.first?.0, 140)
        XCTAssertEqual(touched.first?.1, 45)
        // The wheel zooms too; z fits again.
        s.send(.mouse(MouseEvent(kind: .wheelUp, button: .none, column: 50, row: 10)))
        XCTAssertEqual(s.documents[0].transform.zoom, 5, accuracy: 1e-5)
        s.press("z")
        XCTAssertEqual(s.documents[0].transform, ViewTransform())
    }

    func testPixelMouseReportsPaintBetweenCells() {
        // Sixel-like: 10x20-pixel cells, pixel mouse on, an image of the canvas' pixel size.
        var s = makeState(width: 1000, height: 520, columns: 100, rows: 30)
        s.send(.graphics(GraphicsInfo(mode: .sixel(registers: 256, maxSize: PixelSize(width: 4000, height: 4000)),
                                      cellPixels: PixelSize(width: 10, height: 20), pixelMouse: true, reason: "test")))
        let vp = Layout.panes(s, layout: Layout(s))[0].viewport
        XCTAssertEqual(vp.scale, 1)
        s.brush = BrushSettings(diameter: 1, hardness: 1)
        // Terminal pixel (503, 20 + 207): row 1 is the canvas' first row (20 px down).
        let px = MouseEvent(kind: .press, button: .left, column: 50, row: 11, pixel: (503, 227))
        s.send(.mouse(px), .mouse(MouseEvent(kind: .release, button: .left, column: 50, row: 11, pixel: (503, 227))))
        let touched = s.mask.values.enumerated().filter { !$0.element.isNaN }.map(\.offset)
        XCTAssertEqual(touched, [207 * 1000 + 503])
    }

    func testKeyboardPainting() {
        var s = makeState()
        s.brush = BrushSettings(diameter: 2, hardness: 1)
        s.press("space")
        let c = s.cursor!
        XCTAssertEqual(s.mask[Int(c.x), Int(c.y)], 1, "a dab at the cursor")
        XCTAssertEqual(s.documents[0].history.undoSteps.count, 1)
        s.press("enter", "l", "l", "l", "enter")
        XCTAssertEqual(s.documents[0].history.undoSteps.count, 2, "pen down … pen up is one step")
        XCTAssertGreaterThan(s.cursor!.x, c.x)
        XCTAssertEqual(s.mask[Int(s.cursor!.x), Int(c.y)], 1)
    }

    func testFillGradientAndStripsTools() {
        var s = makeState(width: 40, height: 20)
        s.press("f", "4")
        s.send(mouse(.press, s.cell(forImageX: 3, y: 3)))
        XCTAssertTrue(s.mask.values.allSatisfy { $0 == 0.4 }, "a blank mask is one region")
        s.press("g", "d")
        let a = s.cell(forImageX: 0.5, y: 10), b = s.cell(forImageX: 39.5, y: 10)
        s.send(mouse(.press, a), mouse(.release, a))   // first click: the anchor
        XCTAssertNotNil(s.anchor)
        s.send(mouse(.press, b), mouse(.release, b))
        XCTAssertNil(s.anchor)
        XCTAssertGreaterThan(s.mask[1, 5], 0.9)
        XCTAssertLessThan(s.mask[38, 5], 0.1)
        s.press("s")
        s.send(mouse(.press, a), mouse(.drag, b), mouse(.release, b))   // dragged out in one go
        XCTAssertEqual(Set(s.mask.values).count, 5, "five strips")
        XCTAssertEqual(s.documents[0].history.undoSteps.count, 3)
    }

    func testLatestRenderWinsAndPreviewsDoNotPileUp() {
        var s = makeState()
        let first = s.press(",").compactMap(\.renderRequest)
        let second = s.press(",").compactMap(\.renderRequest)
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(second.count, 1)
        let image = RGBImage(width: 40, height: 20, red: 7)
        // The first (stale) result is dropped; the second is shown.
        s.send(.frameRendered(RenderResult(id: first[0].id, image: image, seconds: 0.1, exact: true)))
        XCTAssertNil(s.documents[0].output)
        s.send(.frameRendered(RenderResult(id: second[0].id, image: image, seconds: 0.1, exact: true)))
        XCTAssertEqual(s.documents[0].output, image)
        // During a drag, a preview waits for the one in flight.
        s.brush = BrushSettings(diameter: 2, hardness: 1)
        let p = s.send(mouse(.press, (10, 10))).compactMap(\.renderRequest)
        let q = s.send(mouse(.drag, (12, 10)), mouse(.drag, (14, 10))).compactMap(\.renderRequest)
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(q.count, 0)
        let next = s.send(.frameRendered(RenderResult(id: p[0].id, image: image, seconds: 0.1, exact: false))).compactMap(\.renderRequest)
        XCTAssertEqual(next.count, 1, "the wanted preview goes out when the last one returns")
    }

    func testExportCommandAndProgress() {
        var s = makeState(documents: 3)
        s.documents[0].mask![1, 1] = 0.25
        s.press("ctrl+e")
        XCTAssertEqual(s.popup, .exportChoice)
        let commands = s.press("f")
        guard case .export(let request)? = commands.first else { return XCTFail("\(commands)") }
        XCTAssertEqual(request.scope, .folder)
        XCTAssertEqual(request.jobs.count, 3)
        XCTAssertEqual(request.trajectory.count, 11)
        XCTAssertEqual(request.trajectory.first, 0)
        XCTAssertEqual(request.trajectory.last, 1)
        XCTAssertEqual(request.jobs[0].painted?.values[1 * 40 + 1], 0.25)
        XCTAssertEqual(request.jobs[0].intensity(width: 40, height: 20).values[0], 1, "unpainted → the level")
        XCTAssertNil(request.jobs[1].painted)
        s.send(.exportProgress(ExportProgress(id: request.id, completed: 4, total: 39, message: "img0 level 0.3")))
        XCTAssertTrue(view(s).lines.last!.contains("export 4/39 img0 level 0.3"))
        let cancel = s.press("ctrl+e")
        guard case .cancelExport(request.id)? = cancel.first else { return XCTFail("\(cancel)") }
        s.send(.exportProgress(ExportProgress(id: request.id, completed: 4, total: 39, message: "", finished: true, error: "cancelled")))
        XCTAssertNil(s.export)
    }

    func testEachImageKeepsItsOwnMaskAndLevel() {
        var s = makeState(documents: 2)
        s.documents[0].mask![0, 0] = 0.5
        s.press("<")
        let commands = s.press("n")
        XCTAssertEqual(s.current, 1)
        guard case .loadImage(1, _)? = commands.last else { return XCTFail("\(commands)") }
        s.send(.imageLoaded(document: 1, image: RGBImage(width: 8, height: 8), sessionMask: nil))
        XCTAssertTrue(s.mask.isBlank)
        XCTAssertEqual(s.level, 1)
        s.press("p")
        XCTAssertEqual(s.mask[0, 0], 0.5)
        XCTAssertEqual(s.level, 0.9, accuracy: 1e-6)
    }

    func testSessionIsSavedDebouncedAfterChanges() {
        var s = makeState()
        s.send(.tick(now: 10))
        s.press(",")
        XCTAssertTrue(s.send(.tick(now: 10.5)).isEmpty)
        let saves = s.send(.tick(now: 11.2))
        guard case .saveSession(let snapshot)? = saves.first else { return XCTFail("\(saves)") }
        XCTAssertEqual(snapshot.documents.count, 1)
        XCTAssertTrue(s.send(.tick(now: 20)).isEmpty, "saved once")
    }

    func testTrainingPanelReadsLogLinesAndTogglesSeries() {
        var s = makeState()
        s.panel.sources = ["loss_log.txt"]
        s.press("t")
        XCTAssertTrue(s.panel.visible)
        s.send(.logLines(source: "loss_log.txt", lines: ["garbage", "(epoch: 1, iters: 10, time: 0.1) D_A: 0.5 G_A: 1.0",
                                                         "(epoch: 1, iters: 20, time: 0.1) D_A: 0.4 G_A: 0.9"],
                         reset: false, arrival: 100))
        XCTAssertEqual(s.panel.store.names, ["D_A", "G_A"])
        s.press("T", "2", "l")
        XCTAssertTrue(s.panel.hidden.contains("G_A"))
        XCTAssertEqual(s.panel.yScale, .log)
        XCTAssertEqual(chartLines(s.panel).map(\.name), ["D_A"])
        s.press("escape", "2")
        XCTAssertFalse(s.panel.focused)
        XCTAssertEqual(s.primaryValue, 0.2, "outside the panel, digits set the value again")
        s.send(.logLines(source: "loss_log.txt", lines: [], reset: true, arrival: 101))
        XCTAssertEqual(s.panel.store.names, [])
    }

    func testSaveMaskPromptEditsThePath() {
        var s = makeState()
        s.press("ctrl+s")
        guard case .prompt(.saveMask, let text)? = s.popup else { return XCTFail() }
        XCTAssertEqual(text, "/tmp/img0.mask.png")
        for _ in 0..<3 { s.press("backspace") }
        let commands = s.press("n", "p", "y", "enter")
        guard case .saveMask(let url, let map, let range)? = commands.first else { return XCTFail("\(commands)") }
        XCTAssertEqual(url.path, "/tmp/img0.mask.npy")
        XCTAssertEqual(map.width, 40)
        XCTAssertEqual(range, 0...1)
        XCTAssertNil(s.popup)
    }

    func testHelpListsEveryBoundKey() {
        var s = makeState(columns: 140, rows: 50)
        s.press("?")
        let text = view(s).lines.joined(separator: "\n")
        for b in Keymap.bindings where !b.help.isEmpty {
            XCTAssertTrue(text.contains(b.help.prefix(30)), "help misses: \(b.help)")
        }
        s.press("x")
        XCTAssertNil(s.popup, "any key closes the help")
        XCTAssertEqual(s.primaryValue, 1, "…without doing anything else")
    }

    func testTooSmallTerminalShowsAMessage() {
        var s = makeState()
        s.send(.resize(CellSize(columns: 40, rows: 10)))
        XCTAssertTrue(view(s).lines.joined().contains("Terminal too small: 40x10"))
        XCTAssertNil(view(s).canvas)
        s.press("b")
        s.send(.resize(CellSize(columns: 100, rows: 30)))
        XCTAssertNotNil(view(s).canvas)
    }
}

final class RenderRequestTests: XCTestCase {
    func testPreviewIsSampledDownAndExactIsFullSize() {
        var mask = MaskLayer(width: 1000, height: 500)
        for y in 0..<500 { for x in 500..<1000 { mask[x, y] = 0.25 } }
        let image = RGBImage(width: 1000, height: 500, red: 9)
        let preview = RenderRequest.preview(id: 1, document: 0, image: image, mask: mask, level: 0.75, side: 256)
        XCTAssertFalse(preview.exact)
        XCTAssertEqual(preview.image.width, 256)
        XCTAssertEqual(preview.image.height, 128)
        let map = preview.intensity()
        XCTAssertEqual(map.width, 256)
        XCTAssertEqual(map[10, 10], 0.75, "unpainted: the level")
        XCTAssertEqual(map[200, 100], 0.25, "painted half")
        let exact = RenderRequest(id: 2, document: 0, image: image, mask: mask, level: 0.75, exact: true).intensity()
        XCTAssertEqual(exact.width, 1000)
        XCTAssertEqual(exact[999, 0], 0.25)
    }

    func testTheTestRendererBrightensByIntensity() async throws {
        let image = RGBImage(width: 2, height: 1, red: 100, green: 0, blue: 255)
        let out = try await BrighteningTestRenderer().render(image: image, intensity: IntensityMap(width: 2, height: 1, values: [0, 0.5]))
        XCTAssertEqual(Array(out.pixels[0..<3]), [100, 0, 255])
        XCTAssertEqual(Array(out.pixels[3..<6]), [177, 127, 255])
    }
}
