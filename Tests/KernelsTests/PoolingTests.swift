import XCTest
@testable import Kernels

/// The padded max pool of ResNet's stem (`maxPool2d(_:kernel:stride:padding:)`) against a naive window scan.
final class ACCMaxPoolTests: XCTestCase {
    func naive(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let s = x.shape
        let ho = (s.h + 2 * padding - kernel) / stride + 1, wo = (s.w + 2 * padding - kernel) / stride + 1
        var out = Tensor(shape: Shape(n: s.n, c: s.c, h: ho, w: wo))
        for n in 0..<s.n { for c in 0..<s.c { for oy in 0..<ho { for ox in 0..<wo {
            var m = -Float.infinity
            for ky in 0..<kernel { for kx in 0..<kernel {
                let y = oy * stride - padding + ky, xx = ox * stride - padding + kx
                if y >= 0, y < s.h, xx >= 0, xx < s.w { m = max(m, x[n, c, y, xx]) }
            } }
            out.scalars[((n * s.c + c) * ho + oy) * wo + ox] = m
        } } } }
        return out
    }

    func testPaddedMaxPoolMatchesNaiveScan() {
        var rng = SystemRandomNumberGenerator()
        for (h, w) in [(1, 1), (2, 3), (7, 7), (8, 9), (16, 11), (33, 20)] {
            for (k, s, p) in [(3, 2, 1), (3, 1, 1), (2, 2, 1), (3, 2, 0), (5, 2, 2)] where h + 2 * p >= k && w + 2 * p >= k {
                // Negative values too: the padding must not act as zero.
                let x = Tensor(shape: Shape(n: 2, c: 3, h: h, w: w),
                               scalars: (0..<(2 * 3 * h * w)).map { _ in Float.random(in: -2 ... -0.5, using: &rng) })
                let got = maxPool2d(x, kernel: k, stride: s, padding: p)
                let want = naive(x, kernel: k, stride: s, padding: p)
                XCTAssertEqual(got.shape, want.shape, "\(h)x\(w) k\(k) s\(s) p\(p)")
                XCTAssertEqual(got.scalars, want.scalars, "\(h)x\(w) k\(k) s\(s) p\(p)")
            }
        }
    }

    func testGlobalAveragePool() {
        let x = Tensor(shape: Shape(n: 2, c: 2, h: 1, w: 3), scalars: [1, 2, 3, 4, 5, 6, -1, -2, -3, 0, 0, 9])
        XCTAssertEqual(globalAveragePool(x), [2, 5, -2, 3])
    }
}
