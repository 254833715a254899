import XCTest
@testable import Kernels

/// The transformed filters (C, sixteen input channels at a time on AVX-512, four on AVX2, the rest one at a time) are bit for bit the
/// double-precision definition below, rounded once: models trained before keep their bits.
final class WinogradFilterTests: XCTestCase {
    func reference(_ conv: Convolution, _ tile: WinogradTile) -> [Float] {
        let a = tile.alpha, g = tile.filterMatrix.flatMap { $0 }, plane = conv.outChannels * conv.inChannels
        var u = [Float](repeating: .nan, count: tile.points * plane)
        for co in 0..<conv.outChannels {
            for ci in 0..<conv.inChannels {
                let f = Array(conv.weight[(co * conv.inChannels + ci) * 9..<(co * conv.inChannels + ci + 1) * 9])
                var t = [Double](repeating: 0, count: 3 * a)
                for i in 0..<a {
                    for c in 0..<3 {
                        let p0 = g[3 * i] * Double(f[c]), p1 = g[3 * i + 1] * Double(f[3 + c]), p2 = g[3 * i + 2] * Double(f[6 + c])
                        t[3 * i + c] = (p0 + p1) + p2
                    }
                }
                for i in 0..<a {
                    for j in 0..<a {
                        let p0 = t[3 * i] * g[3 * j], p1 = t[3 * i + 1] * g[3 * j + 1], p2 = t[3 * i + 2] * g[3 * j + 2]
                        u[(i * a + j) * plane + co * conv.inChannels + ci] = Float((p0 + p1) + p2)
                    }
                }
            }
        }
        return u
    }

    func testTransformedFiltersAreTheDoublePrecisionDefinition() { forEachISA { _ in transformedFiltersAreTheDefinition() } }

    func transformedFiltersAreTheDefinition() {
        var rng = TestRandom(state: 31)
        for (outC, inC) in [(1, 1), (3, 7), (5, 8), (4, 9), (2, 17), (70, 66), (9, 130)] {
            for tile in [WinogradTile.f2, .f4] {
                var weights = rng.array(outC * inC * 9)
                // Values whose products round: a wide spread of magnitudes.
                for i in stride(from: 0, to: weights.count, by: 5) { weights[i] *= 1e-3 }
                for i in stride(from: 2, to: weights.count, by: 7) { weights[i] *= 37 }
                let conv = Convolution(outChannels: outC, inChannels: inC, kernel: 3, padding: 1, weight: weights,
                                       bias: [Float](repeating: 0, count: outC))
                let fast = conv.winogradFilters(tile), slow = reference(conv, tile)
                XCTAssertEqual(fast.count, slow.count)
                let same = zip(fast, slow).allSatisfy { $0.bitPattern == $1.bitPattern }
                XCTAssertTrue(same, "\(outC)x\(inC) \(tile)")
            }
        }
    }
}
