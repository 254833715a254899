import ImageIO
import XCTest
@testable import Studio

final class SixelTests: XCTestCase {
    /// A 7x13 image of four colour quadrants (13 rows: two full sixel bands and a partial one).
    private func quadrants() -> RGBImage {
        var image = RGBImage(width: 7, height: 13)
        for y in 0..<13 {
            for x in 0..<7 {
                let (r, g, b): (UInt8, UInt8, UInt8) = x < 4 ? (y < 6 ? (255, 0, 0) : (0, 255, 0)) : (y < 6 ? (0, 0, 255) : (255, 255, 255))
                image[x, y, 0] = r; image[x, y, 1] = g; image[x, y, 2] = b
            }
        }
        return image
    }

    func testEncodesAValidDCSWithRasterAttributesAndPalette() throws {
        let bytes = try SixelEncoder.encode(quadrants(), colours: 16)
        let text = String(decoding: bytes, as: UTF8.self)
        // DCS introducer with P1;P2;P3 = 0;1;0 and the sixel final `q`.
        XCTAssertTrue(text.hasPrefix("\u{1B}P0;1;0q"), text.debugDescription.prefix(40).description)
        // Raster attributes: aspect 1:1, the image's width and height.
        XCTAssertTrue(text.contains("q\"1;1;7;13"))
        // String terminator.
        XCTAssertTrue(text.hasSuffix("\u{1B}\\"))
        XCTAssertEqual(text.filter { $0 == "\u{1B}" }.count, 2, "only the DCS and the ST")
        // Palette entries `#n;2;r;g;b` in percent: the four colours are all there.
        let palette = Set(text.matches(of: #/#(\d+);2;(\d+);(\d+);(\d+)/#).map { "\($0.2);\($0.3);\($0.4)" })
        for c in ["100;0;0", "0;100;0", "0;0;100", "100;100;100"] {
            XCTAssertTrue(palette.contains(c), "palette misses \(c): \(palette)")
        }
        XCTAssertLessThanOrEqual(palette.count, 16, "no more colours than registers")
    }

    /// The expected size: the bands cover the height (13 rows → 3 bands, separated by `-`), and every band's
    /// colour runs add up to the width.
    func testBandsCoverTheImage() throws {
        let bytes = try SixelEncoder.encode(quadrants(), colours: 16)
        var text = String(decoding: bytes, as: UTF8.self)
        text.removeFirst("\u{1B}P0;1;0q\"1;1;7;13".count)
        text.removeLast(2)
        // Drop the palette definitions, keep the pixel data.
        let data = text.replacing(#/#\d+;2;\d+;\d+;\d+/#, with: "")
        let bands = data.split(separator: "-", omittingEmptySubsequences: false)
        XCTAssertEqual(bands.count, 3)
        for band in bands {
            var widest = 0
            for run in band.split(separator: "$") {
                // Colour selections `#n` and sixel characters, `!count` repeating the next one; `$` goes back to
                // the band's left edge.
                var width = 0
                var body = run.replacing(#/#\d+/#, with: "")[...]
                while !body.isEmpty {
                    if let m = body.prefixMatch(of: #/!(\d+)(.)/#) {
                        width += Int(m.1)!
                        body = body[m.range.upperBound...]
                    } else {
                        width += 1
                        body = body.dropFirst()
                    }
                }
                XCTAssertLessThanOrEqual(width, 7)
                widest = max(widest, width)
            }
            XCTAssertEqual(widest, 7, "every band reaches the image's right edge")
        }
    }

    func testHalfBlocksPutTwoPixelsInACell() {
        var image = RGBImage(width: 2, height: 2)
        image[0, 0, 0] = 255            // top-left red
        image[0, 1, 2] = 255            // bottom-left blue
        let bytes = HalfBlocks.encode(image, column: 3, row: 5, trueColour: true)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("\u{1B}[6;4H"))
        XCTAssertTrue(text.contains("\u{1B}[38;2;255;0;0m\u{1B}[48;2;0;0;255m▀"))
        XCTAssertEqual(text.filter { $0 == "▀" }.count, 2)
        let palette = String(decoding: HalfBlocks.encode(image, column: 0, row: 0, trueColour: false), as: UTF8.self)
        XCTAssertTrue(palette.contains("\u{1B}[38;5;196m\u{1B}[48;5;21m▀"), palette.debugDescription)
        XCTAssertEqual(HalfBlocks.paletteIndex((128, 128, 128)), 244)
    }
}
