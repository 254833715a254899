import XCTest
import ImageIO

/// JPEG decoding against the RGB bytes Pillow decoded from the same files (see Tests/Fixtures/images/README.md).
final class JPEGReadTests: XCTestCase {
    private func assertMatchesPillow(_ name: String, line: UInt = #line) throws {
        let image = try JPEGFile.readRGB(Fixtures.url(name + ".jpg"))
        XCTAssertEqual(image.width, 37, line: line)
        XCTAssertEqual(image.height, 23, line: line)
        let expected = try Fixtures.bytes(name + ".rgb")
        XCTAssertEqual(image.pixels.count, expected.count, line: line)
        let differing = zip(image.pixels, expected).filter { $0 != $1 }.count
        let maxDifference = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertEqual(differing, 0, "\(name): \(differing) bytes differ from Pillow's, by up to \(maxDifference)",
                       line: line)
        // The same through the sniffing entry point.
        XCTAssertEqual(try ImageFile.readRGB(Fixtures.url(name + ".jpg")), image, line: line)
    }

    func testBaseline420() throws { try assertMatchesPillow("baseline") }
    func testBaseline422() throws { try assertMatchesPillow("baseline422") }
    func testProgressive() throws { try assertMatchesPillow("progressive") }
    func testGrayscaleBecomesRGB() throws {
        try assertMatchesPillow("gray")
        let image = try JPEGFile.readRGB(Fixtures.url("gray.jpg"))
        for i in 0..<(image.width * image.height) {
            XCTAssertEqual(image.pixels[3 * i], image.pixels[3 * i + 1])
            XCTAssertEqual(image.pixels[3 * i], image.pixels[3 * i + 2])
        }
    }
    func testAdobeCMYKBecomesRGB() throws { try assertMatchesPillow("cmyk") }

    func testImageFileDetectsJPEG() throws {
        XCTAssertEqual(try ImageFile.format(of: Fixtures.url("progressive.jpg")), .jpeg)
    }

    func testPlainCMYKWithoutAdobeMarker() throws {
        // Samples taken as ink amounts, not inverted; expected bytes from Pillow's formula (see the README).
        try assertMatchesPillow("cmyk_no_adobe")
    }
}
