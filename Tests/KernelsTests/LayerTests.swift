import Foundation
import XCTest
import Kernels

final class LayerTests: XCTestCase {
    /// The rational tanh against libm's over the whole range that matters and beyond (it saturates at ±1).
    func testTanhMatchesLibm() { forEachISA { _ in tanhMatchesLibm() } }

    func tanhMatchesLibm() {
        var worst: Float = 0
        for i in -200_000...200_000 {
            let v = Float(i) * 1e-4
            worst = max(worst, abs(Kernels.tanh(Tensor(shape: Shape(c: 1, h: 1, w: 1), scalars: [v])).scalars[0] - Foundation.tanh(v)))
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(Kernels.tanh(Tensor(shape: Shape(c: 1, h: 1, w: 3), scalars: [-1e30, 0, 1e30])).scalars, [-1, 0, 1])
    }

    /// The C loops (compiled for AVX-512, AVX2 and baseline) compute what the Swift ones they replaced did, bit for
    /// bit, on every path: models trained before keep their outputs. The Swift expressions are kept here as the reference.
    func testElementPassesKeepTheBitsOfTheirSwiftReferences() { forEachISA { _ in elementPassesKeepTheBitsOfTheirSwiftReferences() } }

    func elementPassesKeepTheBitsOfTheirSwiftReferences() {
        func swiftTanh(_ v: Float) -> Float {
            let x = min(max(v, -7.90531110763549805), 7.90531110763549805)
            let x2 = x * x
            var p: Float = -2.76076847742355e-16
            p = p * x2 + 2.00018790482477e-13
            p = p * x2 - 8.60467152213735e-11
            p = p * x2 + 5.12229709037114e-08
            p = p * x2 + 1.48572235717979e-05
            p = p * x2 + 6.37261928875436e-04
            p = p * x2 + 4.89352455891786e-03
            var q: Float = 1.19825839466702e-06
            q = q * x2 + 1.18534705686654e-04
            q = q * x2 + 2.26843463243900e-03
            q = q * x2 + 4.89352518554385e-03
            return abs(x) < 0.0004 ? x : x * p / q
        }
        var rng = TestRandom(state: 21)
        var values = (0..<100_003).map { _ in rng.next() * 12 }
        values += [0, -0, 0.0003999, 0.0004, -0.0004, 7.9053111, -7.9053111, 100, -100, .infinity, -.infinity,
                   .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let x = Tensor(shape: Shape(c: 1, h: 1, w: values.count), scalars: values)
        let fast = Kernels.tanh(x).scalars
        for (v, y) in zip(values, fast) { XCTAssertEqual(y.bitPattern, swiftTanh(v).bitPattern, "tanh(\(v))") }
        XCTAssertTrue(Kernels.tanh(Tensor(shape: Shape(c: 1, h: 1, w: 1), scalars: [.nan])).scalars[0].isNaN)

        let z = rng.tensor(Shape(n: 2, c: 3, h: 9, w: 12))
        for pooling in [Pooling.max, .average] {
            let y = pooling(z)
            for plane in 0..<6 { for oy in 0..<4 { for ox in 0..<6 {
                let at = { (dy: Int, dx: Int) in z.scalars[plane * 108 + (2 * oy + dy) * 12 + 2 * ox + dx] }
                let (a, b, c, d) = (at(0, 0), at(0, 1), at(1, 0), at(1, 1))
                let expected = pooling == .max ? Swift.max(Swift.max(a, b), Swift.max(c, d)) : (a + b + c + d) / 4
                XCTAssertEqual(y.scalars[plane * 24 + oy * 6 + ox].bitPattern, expected.bitPattern)
            } } }
        }
    }

    func testPoolingDropsOddEdgesLikePyTorch() {
        let x = Tensor(shape: Shape(c: 1, h: 3, w: 5), scalars: (0..<15).map(Float.init))
        XCTAssertEqual(Pooling.max(x).scalars, [6, 8])
        XCTAssertEqual(Pooling.average(x).scalars, [3, 5])
    }

    /// PyTorch's max_pool2d (no padding, floor mode) as four nested loops over each window.
    func naiveMaxPool(_ x: Tensor, kernel: Int, stride: Int) -> Tensor {
        let s = x.shape
        let ho = (s.h - kernel) / stride + 1, wo = (s.w - kernel) / stride + 1
        var out = Tensor(shape: Shape(n: s.n, c: s.c, h: ho, w: wo))
        for n in 0..<s.n { for c in 0..<s.c { for oy in 0..<ho { for ox in 0..<wo {
            var m = -Float.infinity
            for ky in 0..<kernel { for kx in 0..<kernel { m = max(m, x[n, c, oy * stride + ky, ox * stride + kx]) } }
            out[n, c, oy, ox] = m
        } } } }
        return out
    }

    func testMaxPool2dMatchesTheDefinition() { forEachISA { _ in maxPool2dMatchesTheDefinition() } }

    func maxPool2dMatchesTheDefinition() {
        var rng = TestRandom(state: 11)
        for (h, w, kernel, stride) in [(3, 3, 3, 2), (4, 3, 3, 2), (15, 15, 3, 2), (10, 8, 3, 2), (7, 9, 2, 2), (6, 5, 3, 1), (5, 5, 1, 1)] {
            let x = rng.tensor(Shape(n: 2, c: 3, h: h, w: w))
            let y = maxPool2d(x, kernel: kernel, stride: stride)
            XCTAssertEqual(y, naiveMaxPool(x, kernel: kernel, stride: stride), "\(h)x\(w) k\(kernel) s\(stride)")
        }
        // AlexNet's sizes: 63 → 31 → ...; a 3x3 stride-2 pool of a 4x3 input keeps one window per axis.
        XCTAssertEqual(maxPool2d(Tensor(shape: Shape(c: 1, h: 63, w: 63)), kernel: 3, stride: 2).shape, Shape(c: 1, h: 31, w: 31))
        let x = Tensor(shape: Shape(c: 1, h: 4, w: 3), scalars: (0..<12).map(Float.init))
        XCTAssertEqual(maxPool2d(x, kernel: 3, stride: 2).scalars, [8])
        // 2x2 stride 2 agrees with Pooling.max.
        let z = rng.tensor(Shape(n: 1, c: 2, h: 7, w: 6))
        XCTAssertEqual(maxPool2d(z, kernel: 2, stride: 2), Pooling.max(z))
    }

    /// Direct transcription of PyTorch's upsample_bilinear2d (align_corners=False) for one plane.
    func naiveUpsample(_ x: Tensor) -> Tensor {
        let s = x.shape
        var out = Tensor(shape: Shape(n: s.n, c: s.c, h: 2 * s.h, w: 2 * s.w))
        func source(_ d: Int, _ size: Int) -> (Int, Int, Float) {
            let real = max(0, Float(0.5) * (Float(d) + 0.5) - 0.5)
            let i0 = Int(real)
            let i1 = i0 + (i0 < size - 1 ? 1 : 0)
            return (i0, i1, real - Float(i0))
        }
        for n in 0..<s.n { for c in 0..<s.c { for oy in 0..<2 * s.h { for ox in 0..<2 * s.w {
            let (y0, y1, ly) = source(oy, s.h), (x0, x1, lx) = source(ox, s.w)
            out[n, c, oy, ox] = (1 - ly) * ((1 - lx) * x[n, c, y0, x0] + lx * x[n, c, y0, x1])
                + ly * ((1 - lx) * x[n, c, y1, x0] + lx * x[n, c, y1, x1])
        } } } }
        return out
    }

    func testBilinearUpsampleMatchesTheDefinition() { forEachISA { _ in bilinearUpsampleMatchesTheDefinition() } }

    func bilinearUpsampleMatchesTheDefinition() {
        var rng = TestRandom(state: 7)
        for (h, w) in [(1, 1), (3, 5), (4, 4), (7, 2)] {
            let x = rng.tensor(Shape(n: 2, c: 3, h: h, w: w))
            XCTAssertLessThan(upsampleBilinear2x(x).maxAbsDifference(naiveUpsample(x)), 1e-6)
        }
        // A known case: [0, 1] upsamples to [0, 0.25, 0.75, 1].
        let x = Tensor(shape: Shape(c: 1, h: 1, w: 2), scalars: [0, 1])
        XCTAssertEqual(upsampleBilinear2x(x).scalars, [0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1])
    }

    func testReflectionPadAndCropAreInverse() {
        let x = Tensor(shape: Shape(c: 1, h: 2, w: 4), scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        let p = reflectionPad(x, Insets(top: 1, bottom: 1, left: 2, right: 1))
        XCTAssertEqual(p.shape, Shape(c: 1, h: 4, w: 7))
        // Row 0 mirrors row 1 of the source; columns mirror without repeating the edge.
        XCTAssertEqual(Array(p.scalars[0..<7]), [7, 6, 5, 6, 7, 8, 7])
        XCTAssertEqual(Array(p.scalars[7..<14]), [3, 2, 1, 2, 3, 4, 3])
        XCTAssertEqual(crop(p, Insets(top: 1, bottom: 1, left: 2, right: 1)), x)
    }

    func testPaddingToMultipleOfSixteenSplitsLikeTheReference() {
        XCTAssertEqual(Insets.toMultiple(of: 16, height: 29, width: 37), Insets(top: 1, bottom: 2, left: 5, right: 6))
        XCTAssertTrue(Insets.toMultiple(of: 16, height: 32, width: 256).isZero)
    }

    func testInstanceNormGivesZeroMeanUnitVariance() {
        var rng = TestRandom(state: 3)
        let y = instanceNorm(rng.tensor(Shape(n: 2, c: 3, h: 5, w: 7)))
        for plane in 0..<6 {
            let v = y.scalars[plane * 35..<(plane + 1) * 35].map(Double.init)
            let mean = v.reduce(0, +) / 35
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 35
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
    }

    func testFoldedBatchNormEqualsTheFormula() {
        let (scale, shift) = foldBatchNorm(weight: [2], bias: [0.5], runningMean: [1], runningVar: [4])
        let x: Float = 3
        XCTAssertEqual(x * scale[0] + shift[0], (x - 1) / (4 + 1e-5).squareRoot() * 2 + 0.5, accuracy: 1e-6)
    }

    func testConcatAndBroadcastMultiply() {
        let a = Tensor(shape: Shape(n: 2, c: 1, h: 1, w: 2), scalars: [1, 2, 3, 4])
        let b = Tensor(shape: Shape(n: 2, c: 2, h: 1, w: 2), scalars: [5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(concatChannels([a, b]).scalars, [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
        XCTAssertEqual(multiplyBroadcastingChannels(b, a).scalars, [5, 12, 7, 16, 27, 40, 33, 48])
        XCTAssertEqual(leadingChannels(b, 1).scalars, [5, 6, 9, 10])
    }
}
