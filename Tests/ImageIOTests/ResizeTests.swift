import XCTest
import ImageIO

final class ResizeTests: XCTestCase {
    func testUniformStaysUniform() {
        let image = RGBImage(width: 37, height: 23, red: 10, green: 200, blue: 255)
        XCTAssertEqual(image.resized(width: 5, height: 3), RGBImage(width: 5, height: 3, red: 10, green: 200, blue: 255))
        XCTAssertEqual(image.resized(width: 50, height: 40), RGBImage(width: 50, height: 40, red: 10, green: 200, blue: 255))
    }

    func testHalvingAveragesEach2x2Block() {
        var image = RGBImage(width: 4, height: 2)
        let values: [UInt8] = [0, 10, 20, 30, 40, 50, 60, 70]  // row 0: 0 10 20 30; row 1: 40 50 60 70
        for y in 0..<2 { for x in 0..<4 { for c in 0..<3 { image[x, y, c] = values[y * 4 + x] &+ UInt8(c) } } }
        let half = image.resized(width: 2, height: 1)
        // (0+10+40+50)/4 = 25, (20+30+60+70)/4 = 45
        XCTAssertEqual(half.pixels, [25, 26, 27, 45, 46, 47])
    }

    func testFractionalCoverageIsWeighted() {
        // 3 → 2 columns: output 0 covers pixel 0 and half of pixel 1; output 1 the other half and pixel 2.
        var image = RGBImage(width: 3, height: 1)
        for (x, v) in [0, 90, 180].enumerated() { for c in 0..<3 { image[x, 0, c] = UInt8(v) } }
        let out = image.resized(width: 2, height: 1)
        XCTAssertEqual(out[0, 0, 0], 30)   // (0 + 0.5*90) / 1.5
        XCTAssertEqual(out[1, 0, 0], 150)  // (0.5*90 + 180) / 1.5
    }

    func testDownscaleAntialiasesACheckerboard() {
        var image = RGBImage(width: 64, height: 64)
        for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 0 { for c in 0..<3 { image[x, y, c] = 255 } } }
        let small = image.resized(width: 8, height: 8)
        XCTAssertTrue(small.pixels.allSatisfy { $0 == 128 }, "a fine checkerboard averages to mid gray")
        let odd = image.resized(width: 7, height: 5)
        XCTAssertTrue(odd.pixels.allSatisfy { (120...135).contains($0) }, "\(odd.pixels)")
    }

    func testDownscaledToFit() {
        let image = RGBImage(width: 400, height: 100)
        let fit = image.downscaled(toFit: 100)
        XCTAssertEqual(fit.width, 100)
        XCTAssertEqual(fit.height, 25)
        XCTAssertEqual(image.downscaled(toFit: 400), image)
        let tall = RGBImage(width: 3, height: 1000).downscaled(toFit: 10)
        XCTAssertEqual(tall.width, 1)
        XCTAssertEqual(tall.height, 10)
    }

    func testFixtureDownscaleMeansPreserveTheAverage() throws {
        let image = try JPEGFile.readRGB(Fixtures.url("baseline.jpg"))
        let small = image.resized(width: 1, height: 1)
        for c in 0..<3 {
            let mean = Double((0..<(image.width * image.height)).map { Int(image.pixels[3 * $0 + c]) }.reduce(0, +))
                / Double(image.width * image.height)
            XCTAssertEqual(Double(small.pixels[c]), mean.rounded(), accuracy: 1)
        }
    }
}
