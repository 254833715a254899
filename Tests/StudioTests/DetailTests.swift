import Engine
import Foundation
import ImageIO
import Model
import XCTest
@testable import Studio

/// Zoomed in on a photo shown through a proxy, the view is rendered again at full resolution (exact), and the
/// canvas shows those pixels where they reach.
final class DetailTests: XCTestCase {
    /// A 400x300 photo whose shown exact frame is a 100x75 proxy (uniform red 50), in a 100x30 half-block terminal.
    private func proxied() throws -> StudioState {
        var s = makeState(width: 400, height: 300, columns: 100, rows: 30)
        let id = try XCTUnwrap(s.render.pendingID)
        s.send(.frameRendered(RenderResult(id: id, image: RGBImage(width: 100, height: 75, red: 50), seconds: 0.1, exact: true)))
        return s
    }

    func testOnlyAViewZoomedPastTheProxyWantsFullResolution() throws {
        var s = try proxied()
        XCTAssertTrue(s.wantedDetail() == nil, "fitted: the proxy has more pixels than the view")
        _ = s.zoom(by: 1.25, at: nil)
        XCTAssertTrue(s.wantedDetail() == nil, "a proxy pixel still smaller than a view pixel")
        _ = s.zoom(by: 2, at: nil)
        XCTAssertTrue(s.wantedDetail() != nil, "a proxy pixel over more than a view pixel")
        _ = s.zoom(by: 64, at: nil)
        let wanted = try XCTUnwrap(s.wantedDetail())
        let view = Layout.panes(s, layout: Layout(s))[0].viewport.visibleImageRect(margin: 0)
        XCTAssertTrue(wanted.region.contains(view), "\(wanted.region) covers the view \(view)")
        XCTAssertGreaterThan(wanted.region.width, view.width, "with a margin for small pans")
        XCTAssertLessThan(wanted.region.width * wanted.region.height, 400 * 300 / 4)
        XCTAssertEqual(wanted.outputVersion, s.documents[0].outputVersion)
    }

    func testADetailIsKeptForItsFrameAndDroppedWithIt() throws {
        var s = try proxied()
        _ = s.zoom(by: 64, at: nil)
        let wanted = try XCTUnwrap(s.wantedDetail())
        let r = wanted.region
        let frame = DetailFrame(image: RGBImage(width: r.width, height: r.height, red: 200), region: r, outputVersion: wanted.outputVersion)
        // One of an older frame is refused.
        s.send(.detailRendered(DetailFrame(image: frame.image, region: r, outputVersion: wanted.outputVersion - 1), document: 0))
        XCTAssertTrue(s.documents[0].detail == nil)
        s.send(.detailRendered(frame, document: 0))
        XCTAssertTrue(s.wantedDetail() == nil, "the view is covered")
        XCTAssertTrue(statusLine(s).contains("full resolution in view"), statusLine(s))

        // Panning out of it wants another.
        _ = s.zoom(by: 1, at: nil)
        s.documents[0].transform.centerX = 20
        s.documents[0].transform.centerY = 20
        XCTAssertTrue(s.wantedDetail() != nil)
        XCTAssertFalse(statusLine(s).contains("full resolution in view"))

        // A new frame (the level changed) drops it until that frame is exact.
        s.send(.detailRendered(frame, document: 0))
        s.press(",")
        XCTAssertTrue(s.wantedDetail() == nil, "a render is pending: nothing wanted")
        let id = try XCTUnwrap(s.render.pendingID)
        s.send(.frameRendered(RenderResult(id: id, image: RGBImage(width: 100, height: 75, red: 60), seconds: 0.1, exact: true)))
        XCTAssertTrue(s.documents[0].detail == nil)
        XCTAssertTrue(s.wantedDetail() != nil)
    }

    func testTheCanvasShowsTheDetailWhereItReaches() throws {
        var s = try proxied()
        _ = s.zoom(by: 64, at: nil)
        let r = try XCTUnwrap(s.wantedDetail()).region
        // Only the left half of the wanted region, so both sources show.
        let half = PixelRect(x: r.x, y: r.y, width: r.width / 2, height: r.height)
        s.send(.detailRendered(DetailFrame(image: RGBImage(width: half.width, height: half.height, red: 200), region: half,
                                           outputVersion: s.documents[0].outputVersion), document: 0))
        let spec = try XCTUnwrap(view(s).canvas)
        XCTAssertEqual(spec.detailRegion, half)
        let doc = s.documents[0]
        let picture = Compositor.compose(spec, CanvasSources(input: doc.image!, output: doc.output, mask: doc.mask, detail: doc.detail))
        let reds = Set(stride(from: 0, to: picture.pixels.count, by: 3).map { picture.pixels[$0] })
        XCTAssertTrue(reds.contains(200), "detail pixels")
        XCTAssertTrue(reds.contains(50), "proxy pixels beyond it")
    }

    /// The proxy follows what the canvas shows: a photo's first frame on the smallest proxy, a sharper one when
    /// the zoom passes a power of two, none once the renderer gave less than asked (its memory cap).
    func testTheProxyIsSizedForTheViewAndItsZoom() throws {
        var s = makeState(width: 2000, height: 1500)
        let first = try XCTUnwrap(s.render.pendingID)
        XCTAssertEqual(s.render.lastDisplayPixels, StudioState.minimumDisplayPixels)
        var commands = s.send(.frameRendered(RenderResult(id: first, image: RGBImage(width: 512, height: 384), seconds: 0.1, exact: true)))
        XCTAssertTrue(commands.compactMap(\.renderRequest).isEmpty, "a half-block canvas needs no more than the smallest proxy")

        commands = s.zoom(by: 1.25, at: nil)
        XCTAssertTrue(commands.compactMap(\.renderRequest).isEmpty, "the zoom's bucket (2x) still fits the smallest proxy")
        commands = s.zoom(by: 64, at: nil)
        let sharper = try XCTUnwrap(commands.compactMap(\.renderRequest).first)
        XCTAssertTrue(sharper.exact)
        XCTAssertEqual(sharper.displayPixels, 2000 * 1500, "at most the photo")
        commands = s.send(.frameRendered(RenderResult(id: sharper.id, image: RGBImage(width: 1000, height: 750), seconds: 0.1, exact: true)))
        XCTAssertTrue(commands.compactMap(\.renderRequest).isEmpty)
        XCTAssertTrue(s.zoom(by: 1.25, at: nil).compactMap(\.renderRequest).isEmpty, "capped: asking again gives no more")
        XCTAssertTrue(s.wantedDetail() != nil, "the view in full resolution instead")
    }

    /// The real engine: a region rendered at full resolution equals that region of the whole photo's exact frame,
    /// painted values included; photos shown at their own size get none.
    func testTheEngineRendersARegionExactlyAsTheWholePhoto() async throws {
        var options = GeneratorOptions()
        options.widthMultiplier = 0.125
        let generator = Generator.random(options: options, seed: 9)
        let renderer = EngineRenderer(generator: generator, description: "random", range: 0...1, proxyPixels: 4096)
        let (w, h) = (131, 97)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 61) % 239) }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        var painted = [Float](repeating: .nan, count: w * h)
        for y in 30..<60 { for x in 40..<90 { painted[y * w + x] = 0.9 } }
        let subject = ScrubSubject(image: image, painted: painted)
        let shown = try await renderer.render(subject, level: 0.2)
        XCTAssertLessThan(shown.width, w, "a proxy")

        let (left, top, rw, rh) = (37, 21, 61, 45)
        let detail = try await renderer.renderDetail(subject, level: 0.2, left: left, top: top, width: rw, height: rh)
        let region = try XCTUnwrap(detail)
        let whole = try Modulator(generator: generator).render(image, map: subject.intensity(at: 0.2))
        var expected = [UInt8]()
        for y in top..<(top + rh) {
            let start = (y * w + left) * 3
            expected.append(contentsOf: whole.pixels[start..<(start + rw * 3)])
        }
        XCTAssertEqual(region.width, rw)
        XCTAssertEqual(region.height, rh)
        XCTAssertTrue(region.pixels == expected, "the region equals the whole render's crop")

        let small = ScrubSubject(image: RGBImage(width: 60, height: 40), painted: nil)
        let notProxied = try await renderer.renderDetail(small, level: 0.2, left: 0, top: 0, width: 30, height: 20)
        XCTAssertTrue(notProxied == nil)
        await renderer.waitForLadder()   // no background work left for the next test
    }

    private func statusLine(_ s: StudioState) -> String {
        view(s).lines[s.size.rows - 1]
    }
}
