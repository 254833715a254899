import XCTest
@testable import Monitoring

final class SmoothingTests: XCTestCase {
    /// The formula from terminal.md, written out longhand for three points.
    func testDebiasedEMAMatchesTheFormula() {
        let w = 0.6
        let ys = [1.0, 3.0, 2.0]
        var last = 0.0
        last = last * w + (1 - w) * 1
        let s1 = last / (1 - pow(w, 1))
        last = last * w + (1 - w) * 3
        let s2 = last / (1 - pow(w, 2))
        last = last * w + (1 - w) * 2
        let s3 = last / (1 - pow(w, 3))
        let got = debiasedEMA(ys, weight: w)
        XCTAssertEqual(got.count, 3)
        XCTAssertEqual(got[0], s1, accuracy: 1e-12)
        XCTAssertEqual(got[1], s2, accuracy: 1e-12)
        XCTAssertEqual(got[2], s3, accuracy: 1e-12)
        XCTAssertEqual(got[0], 1, accuracy: 1e-12, "debiasing: the first point is the first value")
        XCTAssertEqual(s2, (0.4 * 0.6 * 1 + 0.4 * 3) / 0.64, accuracy: 1e-12)
    }

    func testNonFiniteValuesPassThroughWithoutAdvancing() {
        let got = debiasedEMA([2, .nan, 4], weight: 0.5)
        XCTAssertEqual(got[0], 2)
        XCTAssertTrue(got[1].isNaN)
        // n is 2 at the third point, not 3.
        XCTAssertEqual(got[2], (0.5 * 0.5 * 2 + 0.5 * 4) / (1 - 0.25), accuracy: 1e-12)
    }

    func testConstantSeriesUnchangedAndWeightZeroIsIdentity() {
        XCTAssertEqual(debiasedEMA([0.3, 0.3, 0.3]), [0.3, 0.3, 0.3])
        XCTAssertEqual(debiasedEMA([1, 5, 2], weight: 0), [1, 5, 2])
        XCTAssertEqual(debiasedEMA([], weight: 0.6), [])
    }

    func testPercentileIsNumpyLinear() {
        let v = (1...20).map(Double.init)
        XCTAssertEqual(percentile(sorted: v, 0.05)!, 1.95, accuracy: 1e-12)
        XCTAssertEqual(percentile(sorted: v, 0.95)!, 19.05, accuracy: 1e-12)
        XCTAssertEqual(percentile(sorted: [7], 0.5), 7)
    }

    func testYRangeIgnoresOutliers() {
        var values = [Double](repeating: 1, count: 50) + [Double](repeating: 2, count: 50)
        values.append(1000)
        let clipped = chartYRange(values, style: ChartStyle(ignoreOutliers: true, padding: 0))!
        XCTAssertEqual(clipped.upperBound, 2, accuracy: 1e-9)
        let full = chartYRange(values, style: ChartStyle(ignoreOutliers: false, padding: 0))!
        XCTAssertEqual(full.upperBound, 1000)
    }
}
