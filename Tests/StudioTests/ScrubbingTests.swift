import Engine
import ImageIO
import Kernels
import Model
import XCTest
@testable import Studio

/// Scrubbing the level: the engine answers at once from frames it cached for the mask, then the exact frame.
final class ScrubbingTests: XCTestCase {
    func testASliderDragAsksForAFullSizeScrubPreviewAndReleaseForAnExactFrame() {
        var s = makeState(width: 600, height: 300)
        let layout = Layout(s)
        let track = layout.sliderTrack
        let requests = s.send(mouse(.press, (track.x + 2, layout.sliderRow))).compactMap(\.renderRequest)
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests[0].exact, false)
        XCTAssertEqual(requests[0].image.width, 600, "the full image: the engine's cached levels are full size")
        XCTAssertEqual(requests[0].lowResolutionSide, StudioState.previewSide, "and the fallback when it has none")
        let release = s.send(mouse(.release, (track.x + 2, layout.sliderRow))).compactMap(\.renderRequest)
        XCTAssertEqual(release.last?.exact, true)
    }

    func testABlendIsShownWhileTheExactFrameOfTheSameRequestRenders() {
        var s = makeState()
        let request = s.press(",").compactMap(\.renderRequest)[0]
        let blend = RGBImage(width: 40, height: 20, red: 1)
        s.send(.frameRendered(RenderResult(id: request.id, image: blend, seconds: 0.004, exact: false, blended: true, isFinal: false)))
        XCTAssertEqual(s.documents[0].output, blend)
        XCTAssertEqual(s.render.pendingID, request.id, "still waiting for the exact frame")
        XCTAssertTrue(statusLine(s).contains("blend of cached levels 4 ms · exact frame rendering"), statusLine(s))
        let exact = RGBImage(width: 40, height: 20, red: 2)
        s.send(.frameRendered(RenderResult(id: request.id, image: exact, seconds: 0.08, exact: true)))
        XCTAssertEqual(s.documents[0].output, exact)
        XCTAssertNil(s.render.pendingID)
        XCTAssertTrue(statusLine(s).contains("exact 0.08 s"), statusLine(s))
    }

    func testTheRuntimeDeliversTheInstantFrameFirstThenTheExactOne() async throws {
        let renderer = CachingTestRenderer()
        let image = RGBImage(width: 8, height: 4, red: 100)
        let exactRequest = RenderRequest(id: 1, document: 0, image: image, mask: nil, level: 0.5, exact: true)
        let delivered = Delivered()
        try await StudioRuntime.perform(exactRequest, with: renderer) { delivered.add($0) }
        XCTAssertEqual(delivered.results.map(\.isFinal), [false, true])
        XCTAssertEqual(delivered.results.map(\.blended), [true, false])
        XCTAssertEqual(delivered.results.last?.image.width, 8)

        // A scrub preview is answered by the blend alone; without one, by a low-resolution render.
        let preview = RenderRequest(id: 2, document: 0, image: image, mask: nil, level: 0.5, exact: false, lowResolutionSide: 4)
        let more = Delivered()
        try await StudioRuntime.perform(preview, with: renderer) { more.add($0) }
        XCTAssertEqual(more.results.map(\.blended), [true])
        let none = Delivered()
        try await StudioRuntime.perform(preview, with: BrighteningTestRenderer()) { none.add($0) }
        XCTAssertEqual(none.results.map(\.image.width), [4])
        XCTAssertEqual(none.results.map(\.exact), [false])
    }

    /// The real engine: after a frame and a pause, the ladder is filled in the background; its levels come back
    /// exact and in between they are blended; a stroke (another painted layer) has nothing cached.
    func testTheEngineFillsTheLadderAndAnswersScrubsFromIt() async throws {
        var options = GeneratorOptions()
        options.widthMultiplier = 0.125
        let generator = Generator.random(options: options, seed: 3)
        let renderer = EngineRenderer(generator: generator, description: "random", range: 0...1, ladderLevels: 5)
        var pixels = [UInt8](repeating: 0, count: 40 * 24 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37) % 251) }
        let image = RGBImage(width: 40, height: 24, pixels: pixels)
        let subject = ScrubSubject(image: image, painted: nil)
        XCTAssertNil(renderer.instantFrame(of: subject, level: 0.3))
        let first = try await renderer.render(subject, level: 0.3)
        await renderer.waitForLadder()
        let cached = Set(renderer.ladder.cachedLevels)
        XCTAssertTrue(cached.isSuperset(of: [0, 0.25, 0.3, 0.5, 0.75, 1]), "\(cached.sorted())")

        let modulator = Modulator(generator: generator)
        let atHalf = try XCTUnwrap(renderer.instantFrame(of: subject, level: 0.5))
        XCTAssertTrue(atHalf.exact)
        XCTAssertEqual(atHalf.image, try modulator.render(image, level: 0.5))
        XCTAssertEqual(renderer.instantFrame(of: subject, level: 0.3)?.image, first)
        let between = try XCTUnwrap(renderer.instantFrame(of: subject, level: 0.43))   // off every rung
        XCTAssertFalse(between.exact)

        var painted = [Float](repeating: .nan, count: 40 * 24)
        painted[5] = 1
        XCTAssertNil(renderer.instantFrame(of: ScrubSubject(image: image, painted: painted), level: 0.4))
    }
}

extension ScrubbingTests {
    /// Painting: previews are full-size frames of the engine's incremental bf16 update; the stroke's exact frame
    /// afterwards is exact everywhere.
    func testStrokePreviewsAreFastEngineFramesAndTheExactFrameCleansThemUp() async throws {
        var s = makeState(width: 40, height: 24)
        s.brush = BrushSettings(diameter: 4, hardness: 1)
        let press = s.send(mouse(.press, (10, 10))).compactMap(\.renderRequest)
        XCTAssertEqual(press.first?.strokePreview, true)
        XCTAssertEqual(press.first?.image.width, 40, "full size: the engine updates its kept frame")

        var options = GeneratorOptions()
        options.widthMultiplier = 0.125
        let generator = Generator.random(options: options, seed: 5)
        let renderer = EngineRenderer(generator: generator, description: "random", range: 0...1)
        var pixels = [UInt8](repeating: 0, count: 40 * 24 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 53) % 241) }
        let image = RGBImage(width: 40, height: 24, pixels: pixels)
        _ = try await renderer.render(ScrubSubject(image: image, painted: nil), level: 0.5)
        var painted = [Float](repeating: .nan, count: 40 * 24)
        for y in 5..<12 { for x in 8..<15 { painted[y * 40 + x] = 1 } }
        let subject = ScrubSubject(image: image, painted: painted)
        let delivered = Delivered()
        let request = RenderRequest(id: 7, document: 0, image: image, mask: MaskLayer(width: 40, height: 24, values: painted),
                                    level: 0.5, exact: false, lowResolutionSide: 16, strokePreview: true)
        try await StudioRuntime.perform(request, with: renderer) { delivered.add($0) }
        XCTAssertEqual(delivered.results.map(\.image.width), [40], "not sampled down")
        XCTAssertEqual(delivered.results.map(\.exact), [false])
        let exact = try await renderer.render(subject, level: 0.5)
        XCTAssertEqual(exact, try Modulator(generator: generator).render(image, map: subject.intensity(at: 0.5)))
        await renderer.waitForLadder()   // no background work left for the next test
    }
}

private func statusLine(_ s: StudioState) -> String {
    view(s).lines.last ?? ""
}

/// A renderer that has a blend for every level (a flat gray) and renders by brightening.
private struct CachingTestRenderer: FrameRenderer {
    var description: String { "caching test renderer" }
    func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        try await BrighteningTestRenderer().render(image: image, intensity: intensity)
    }
    func instantFrame(of subject: ScrubSubject, level: Float) -> (image: RGBImage, exact: Bool)? {
        (RGBImage(width: subject.image.width, height: subject.image.height, red: 128, green: 128, blue: 128), false)
    }
}

private final class Delivered: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [RenderResult] = []
    var results: [RenderResult] { lock.withLock { list } }
    func add(_ r: RenderResult) { lock.withLock { list.append(r) } }
}
