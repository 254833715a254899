import XCTest
import Kernels
import Model

final class IncrementalTests: XCTestCase {
    func randomTensor(_ shape: Shape, seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.count).map { _ in (2 * rng.unit() - 1) * scale })
    }

    /// Random strokes (rectangles) at random places, including borders, on a non-multiple-of-16 image: after each
    /// edit the incremental output must equal a full forward pass of the edited map.
    func checkStrokes(_ configure: (inout GeneratorOptions) -> Void, width: Int = 45, height: Int = 37, strokes: Int = 6,
                      file: StaticString = #filePath, line: UInt = #line) {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        configure(&o)
        let g = Generator.random(options: o, seed: 11)
        let image = randomTensor(Shape(n: 1, c: 3, h: height, w: width), seed: 1)
        var map = Tensor(shape: Shape(n: 1, c: 1, h: height, w: width), repeating: 0.5)
        var exec = IncrementalExecutor(generator: g, image: image, map: map)
        exec.fullFrameThreshold = .infinity  // every edit takes the region path, however much of this small frame it reaches
        XCTAssertLessThan(exec.output.maxAbsDifference(g(image, intensity: .map(map)).output), 1e-5, file: file, line: line)
        var rng = SplitMix64(seed: 5)
        for s in 0..<strokes {
            let size = 1 + Int(rng.next() % 12)
            // Every other stroke hugs a border.
            let top = s % 2 == 0 ? Int(rng.next() % UInt64(height)) : (s % 4 == 1 ? 0 : height - 1)
            let left = Int(rng.next() % UInt64(width))
            let r = Region(top: top, bottom: top + size, left: left, right: left + size).clipped(height: height, width: width)
            let value = 2 * rng.unit() - 0.5
            for y in r.top..<r.bottom { for x in r.left..<r.right { map[0, 0, y, x] = value } }
            let incremental = exec.update(map: map, changed: r)
            let full = g(image, intensity: .map(map)).output
            XCTAssertLessThan(incremental.maxAbsDifference(full), 1e-5, "stroke \(s) at \(r)", file: file, line: line)
            XCTAssertLessThan(exec.lastRecomputedFraction, 1.01, file: file, line: line)
        }
    }

    /// A 1/16-width generator, a random square image and a constant map of 0.2.
    func narrowNetwork(size: Int) -> (Generator, Tensor, Tensor) {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        return (Generator.random(options: o, seed: 2), randomTensor(Shape(n: 1, c: 3, h: size, w: size), seed: 3),
                Tensor(shape: Shape(n: 1, c: 1, h: size, w: size), repeating: 0.2))
    }

    func paint(_ r: Region, _ value: Float, into map: inout Tensor) {
        for y in r.top..<r.bottom { for x in r.left..<r.right { map[0, 0, y, x] = value } }
    }

    func testIdentityNorm() { checkStrokes { _ in } }
    func testBatchNormWithAttention() { checkStrokes { $0.norm = .batch; $0.selfAttention = true; $0.timesResidual = true; $0.tanhOutput = false } }
    func testInstanceNormRecomputesWholePlanesExactly() { checkStrokes({ $0.norm = .instance; $0.transcode = true; $0.useAveragePooling = true }, strokes: 3) }
    func testMultipleOfSixteen() { checkStrokes({ $0.tanhLatent = true }, width: 48, height: 32) }

    /// Painting with preview updates (bf16 over all the dab reaches, f32 or bf16 near the dab only) dab by dab: each
    /// preview is close, and the exact update that ends a stroke (with or without a change of its own) equals a full
    /// pass: nothing approximate is left behind.
    func testPreviewUpdatesAreCleanedUpByTheNextExactOne() {
        let modes: [IncrementalExecutor.UpdateMode] = [.preview(precision: .bf16, margin: nil), .preview(precision: .f32, margin: 1), .stroke]
        for norm in [NormKind.batch, .instance] { for mode in modes {
            // Narrow enough that every convolution is direct: Winograd's tiles fall differently on a region than on
            // the whole frame, which moves the rounding by up to ~1e-5 of its own.
            var o = GeneratorOptions()
            o.widthMultiplier = 1.0 / 16
            o.norm = norm
            o.selfAttention = true
            let g = Generator.random(options: o, seed: 13)
            let (h, w) = (41, 50)
            let image = randomTensor(Shape(n: 1, c: 3, h: h, w: w), seed: 2)
            var map = Tensor(shape: Shape(n: 1, c: 1, h: h, w: w), repeating: 0.3)
            var exec = IncrementalExecutor(generator: g, image: image, map: map)
            exec.fullFrameThreshold = .infinity
            var rng = SplitMix64(seed: 9)
            for stroke in 0..<4 {
                for _ in 0..<3 {
                    let top = Int(rng.next() % UInt64(h)), left = Int(rng.next() % UInt64(w)), size = 2 + Int(rng.next() % 6)
                    let r = Region(top: top, bottom: top + size, left: left, right: left + size).clipped(height: h, width: w)
                    for y in r.top..<r.bottom { for x in r.left..<r.right { map[0, 0, y, x] = Float(stroke) * 0.3 } }
                    let preview = exec.update(map: map, changed: r, mode: mode)
                    XCTAssertTrue(exec.isApproximate)
                    let truth = g(image, intensity: .map(map)).output
                    let meanError = Float(preview.meanAbsDifference(truth))
                    XCTAssertLessThan(meanError, 0.02, "\(norm) \(mode) preview")
                }
                // Odd strokes end with a change of their own, even ones with the release alone.
                var changed = Region.empty
                if stroke % 2 == 1 {
                    changed = Region(top: 0, bottom: 3, left: w - 4, right: w)
                    for y in changed.top..<changed.bottom { for x in changed.left..<changed.right { map[0, 0, y, x] = 1 } }
                }
                let exact = exec.update(map: map, changed: changed)
                XCTAssertFalse(exec.isApproximate)
                XCTAssertLessThan(exact.maxAbsDifference(g(image, intensity: .map(map)).output), 1e-5, "\(norm) \(mode) stroke \(stroke)")
            }
        } }
    }

    /// A local preview recomputes near the dab only: far less than all the dab reaches, and the dab itself.
    func testALocalPreviewRecomputesNearTheDab() {
        let (g, image, blank) = narrowNetwork(size: 256)
        var map = blank
        var reaching = IncrementalExecutor(generator: g, image: image, map: map)
        reaching.fullFrameThreshold = .infinity
        var local = reaching
        let r = Region(top: 100, bottom: 133, left: 80, right: 113)
        let before = local.output
        paint(r, 1, into: &map)
        reaching.update(map: map, changed: r, mode: .preview(precision: .f32, margin: nil))
        let preview = local.update(map: map, changed: r, mode: .preview(precision: .f32, margin: 2))
        XCTAssertLessThan(local.lastRecomputedFraction, reaching.lastRecomputedFraction / 3)
        // Inside the dab the preview moved away from the old frame, toward the truth.
        let truth = g(image, intensity: .map(map)).output
        var toTruth: Float = 0, toBefore: Float = 0
        for c in 0..<3 { for y in r.top..<r.bottom { for x in r.left..<r.right {
            toTruth += abs(preview[0, c, y, x] - truth[0, c, y, x]); toBefore += abs(before[0, c, y, x] - truth[0, c, y, x])
        } } }
        XCTAssertLessThan(toTruth, toBefore / 4)
    }

    /// An edit that reaches most of the frame's work (here a dab on a small image) runs one full pass instead.
    func testAnEditReachingMostOfTheWorkRecomputesTheWholeFrame() {
        let (g, image, blank) = narrowNetwork(size: 40)
        var map = blank
        var exec = IncrementalExecutor(generator: g, image: image, map: map)
        let r = Region(top: 10, bottom: 14, left: 10, right: 14)
        paint(r, 1, into: &map)
        exec.update(map: map, changed: r)
        XCTAssertEqual(exec.lastRecomputedFraction, 1)
        XCTAssertLessThan(exec.output.maxAbsDifference(g(image, intensity: .map(map)).output), 1e-5)
    }

    func testASmallDabRecomputesLittleOfALargeFrame() {
        let (g, image, blank) = narrowNetwork(size: 512)
        var map = blank
        var exec = IncrementalExecutor(generator: g, image: image, map: map)
        let r = Region(top: 240, bottom: 273, left: 200, right: 233)  // a radius-16 dab
        paint(r, 1, into: &map)
        exec.update(map: map, changed: r)
        XCTAssertLessThan(exec.lastRecomputedFraction, 0.3)
        XCTAssertLessThan(exec.output.maxAbsDifference(g(image, intensity: .map(map)).output), 1e-5)
    }
}
