import XCTest
import Evaluation
import ImageIO

final class MetricsTests: XCTestCase {
    /// The image pair of scripts/metric_goldens.py.
    func pair(_ w: Int, _ h: Int) -> (RGBImage, RGBImage) {
        var a = RGBImage(width: w, height: h), b = a
        for y in 0..<h { for x in 0..<w { for c in 0..<3 {
            let v = (x * 7 + y * 13 + c * 50) % 256
            a[x, y, c] = UInt8(v)
            b[x, y, c] = UInt8(min(255, max(0, v + (x * y + c) % 11 - 5)))
        } } }
        return (a, b)
    }

    /// Values printed by scikit-image 0.26.0 (scripts/metric_goldens.py).
    func testPSNRAndSSIMEqualScikitImage() {
        let (a, b) = pair(23, 19)
        XCTAssertEqual(ImageMetrics.psnr(a, b), 37.83161309020398, accuracy: 1e-9)
        XCTAssertEqual(ImageMetrics.ssim(a, b), 0.9969478959834451, accuracy: 1e-9)
        let (c, d) = pair(64, 48)
        XCTAssertEqual(ImageMetrics.psnr(c, d), 37.892690267947536, accuracy: 1e-9)
        XCTAssertEqual(ImageMetrics.ssim(c, d), 0.9964158394809711, accuracy: 1e-9)
        XCTAssertEqual(ImageMetrics.psnr(a, a), .infinity)
        XCTAssertEqual(ImageMetrics.ssim(a, a), 1, accuracy: 1e-12)
    }

    func testContinuityMetricsFollowTheReferenceFormulas() {
        // A perfectly linear trajectory: distances grow by 0.1 per level.
        let linear = ContinuityMetrics.Distances(adj: Array(repeating: 0.1, count: 10), against1: (0...10).map { Double($0) / 10 })
        // A trajectory that jumps once.
        let jumpy = ContinuityMetrics.Distances(adj: [0, 0, 0, 0, 0.9, 0, 0, 0, 0, 0.1],
                                                against1: [0, 0, 0, 0, 0, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0])
        let m = ContinuityMetrics(distances: ["a": linear, "b": jumpy])
        XCTAssertEqual(m.range, (1.0 + 1.0) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.smoothness, (0.1 + 0.9) / 2, accuracy: 1e-12)
        // numpy.corrcoef(numpy.arange(11), jumpy.against1)[0, 1] printed 0.8801724588467043.
        XCTAssertEqual(m.absoluteLinearity, (1 + pearson((0...10).map(Double.init), jumpy.against1)) / 2, accuracy: 1e-12)
        XCTAssertEqual(pearson((0...10).map(Double.init), jumpy.against1), 0.8801724588467043, accuracy: 1e-12)
        XCTAssertEqual(m.relativeLinearity, (1 + pearson((0..<10).map(Double.init), [0, 0, 0, 0, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0])) / 2, accuracy: 1e-12)
    }
}
