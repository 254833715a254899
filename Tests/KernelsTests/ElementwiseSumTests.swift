import XCTest
import CElementwise
@testable import Kernels

/// Batch norm's plane reductions (CElementwise's mpx_plane_sum, mpx_plane_gradient_sums): the same bits on every ISA
/// path, and within float rounding of a sum in double.
final class ElementwiseSumTests: XCTestCase {
    func testPlaneSumsAgreeOnEveryPathAndWithDouble() {
        var rng = SystemRandomNumberGenerator()
        for count in [1, 15, 17, 1023, 1025, 16384 + 7] {
            let x = (0..<count).map { _ in Float.random(in: -2...3, using: &rng) }
            let g = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            let sum = x.reduce(0.0) { $0 + Double($1) }, mean = Float(sum / Double(count))
            let squares = x.reduce(0.0) { $0 + Double($1 - mean) * Double($1 - mean) }
            let products = zip(g, x).reduce(0.0) { $0 + Double($1.0) * Double(($1.1 - mean) * 0.7) }
            var first: [Double]? = nil
            forEachISA { isa in
                var sums = [0.0, 0.0]
                mpx_plane_gradient_sums(g, x, count, mean, 0.7, &sums)
                let got = [mpx_plane_sum(x, count, 0, 0), mpx_plane_sum(x, count, mean, 1), sums[0], sums[1]]
                if let first { XCTAssertEqual(got, first, "\(isa) against the widest path, \(count) values") } else { first = got }
                XCTAssertEqual(got[0], sum, accuracy: 1e-5 * Double(count), "\(isa) \(count)")
                XCTAssertEqual(got[1], squares, accuracy: 1e-5 * squares + 1e-6, "\(isa) \(count)")
                XCTAssertEqual(got[2], g.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-5 * Double(count), "\(isa) \(count)")
                XCTAssertEqual(got[3], products, accuracy: 1e-5 * Double(count), "\(isa) \(count)")
            }
        }
    }
}
