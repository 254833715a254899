import XCTest
import ImageIO

/// Every colour type and bit depth, read losslessly (`PNGFile.read`) and as RGB (`PNGFile.readRGB`), against the
/// formulas the fixtures were generated from.
final class PNGReadTests: XCTestCase {
    typealias F = Formula

    private func read(_ name: String) throws -> DecodedPNG { try PNGFile.read(Fixtures.url(name)) }
    private func readRGB(_ name: String) throws -> RGBImage { try PNGFile.readRGB(Fixtures.url(name)) }

    private func assertLayout(_ png: DecodedPNG, channels: Int, bitDepth: Int, line: UInt = #line) {
        XCTAssertEqual(png.width, F.width, line: line)
        XCTAssertEqual(png.height, F.height, line: line)
        XCTAssertEqual(png.channels, channels, line: line)
        XCTAssertEqual(png.bitDepth, bitDepth, line: line)
    }

    func testGray8() throws {
        let png = try read("gray8.png")
        assertLayout(png, channels: 1, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g8(x, y)] })
        XCTAssertEqual(try readRGB("gray8.png"), F.rgbImage { x, y in Array(repeating: F.g8(x, y), count: 3) })
    }

    func testGray16() throws {
        let png = try read("gray16.png")
        assertLayout(png, channels: 1, bitDepth: 16)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g16(x, y)] })
        XCTAssertEqual(try readRGB("gray16.png"),
                       F.rgbImage { x, y in Array(repeating: F.scale16(F.g16(x, y)), count: 3) })
    }

    func testGray4IsExpandedTo8Bits() throws {
        let png = try read("gray4.png")
        assertLayout(png, channels: 1, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g4(x, y) * 17] })
        XCTAssertEqual(try readRGB("gray4.png"), F.rgbImage { x, y in Array(repeating: F.g4(x, y) * 17, count: 3) })
    }

    func testGrayWithTRNSGetsAlphaLosslesslyAndIsIgnoredAsRGB() throws {
        let png = try read("gray8_trns.png")
        assertLayout(png, channels: 2, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g8(x, y), F.g8(x, y) == F.grayTRNS ? 0 : 255] })
        XCTAssertEqual(try readRGB("gray8_trns.png"),
                       F.rgbImage { x, y in Array(repeating: F.g8(x, y), count: 3) })
    }

    func testGrayAlpha8() throws {
        let png = try read("graya8.png")
        assertLayout(png, channels: 2, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g8(x, y), F.a8(x, y)] })
        XCTAssertEqual(try readRGB("graya8.png"), F.rgbImage { x, y in Array(repeating: F.g8(x, y), count: 3) })
    }

    func testGrayAlpha16() throws {
        let png = try read("graya16.png")
        assertLayout(png, channels: 2, bitDepth: 16)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g16(x, y), F.a16(x, y)] })
        XCTAssertEqual(try readRGB("graya16.png"),
                       F.rgbImage { x, y in Array(repeating: F.scale16(F.g16(x, y)), count: 3) })
    }

    func testRGB8() throws {
        let png = try read("rgb8.png")
        assertLayout(png, channels: 3, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples(F.rgb8))
        XCTAssertEqual(try readRGB("rgb8.png"), F.rgbImage(F.rgb8))
        XCTAssertEqual(png[4, 5, 1], UInt16(F.rgb8(4, 5)[1]))
    }

    func testRGB16() throws {
        let png = try read("rgb16.png")
        assertLayout(png, channels: 3, bitDepth: 16)
        XCTAssertEqual(png.samples, F.samples(F.rgb16))
        XCTAssertEqual(try readRGB("rgb16.png"), F.rgbImage { x, y in F.rgb16(x, y).map(F.scale16) })
    }

    func testRGBA8() throws {
        let png = try read("rgba8.png")
        assertLayout(png, channels: 4, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in F.rgb8(x, y) + [F.a8(x, y)] })
        XCTAssertEqual(try readRGB("rgba8.png"), F.rgbImage(F.rgb8))
    }

    func testRGBA16() throws {
        let png = try read("rgba16.png")
        assertLayout(png, channels: 4, bitDepth: 16)
        XCTAssertEqual(png.samples, F.samples { x, y in F.rgb16(x, y) + [F.a16(x, y)] })
        XCTAssertEqual(try readRGB("rgba16.png"), F.rgbImage { x, y in F.rgb16(x, y).map(F.scale16) })
    }

    func testPalette() throws {
        let png = try read("palette.png")
        assertLayout(png, channels: 3, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in F.palette(F.index(x, y)) })
        XCTAssertEqual(try readRGB("palette.png"), F.rgbImage { x, y in F.palette(F.index(x, y)) })
    }

    func testPaletteWithTRNS() throws {
        let png = try read("palette_trns.png")
        assertLayout(png, channels: 4, bitDepth: 8)
        XCTAssertEqual(png.samples, F.samples { x, y in
            F.palette(F.index(x, y)) + [F.paletteAlpha(F.index(x, y))]
        })
        XCTAssertEqual(try readRGB("palette_trns.png"), F.rgbImage { x, y in F.palette(F.index(x, y)) })
    }

    func testInterlaced() throws {
        let rgb = try read("interlaced_rgb8.png")
        assertLayout(rgb, channels: 3, bitDepth: 8)
        XCTAssertEqual(rgb.samples, F.samples(F.rgb8))
        XCTAssertEqual(try readRGB("interlaced_rgb8.png"), F.rgbImage(F.rgb8))

        let gray = try read("interlaced_gray16.png")
        assertLayout(gray, channels: 1, bitDepth: 16)
        XCTAssertEqual(gray.samples, F.samples { x, y in [F.g16(x, y)] })
    }

    func testTextChunksBeforeAndAfterImageData() throws {
        let png = try read("text_gray16.png")
        assertLayout(png, channels: 1, bitDepth: 16)
        XCTAssertEqual(png.samples, F.samples { x, y in [F.g16(x, y)] })
        XCTAssertEqual(png.text, [
            "monopix:min": "0.125",
            "monopix:max": "3.5",
            "Comment": String(repeating: "zlib-compressed comment ", count: 5),
            "Title": "café",
            "Author": "Zoë 東京",
            "Description": String(repeating: "ünïcödé ", count: 4),
        ])
    }

    func testNoTextGivesEmptyDictionary() throws {
        XCTAssertEqual(try read("rgb8.png").text, [:])
    }

    func testImageFileChoosesByContentNotExtension() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let disguised = folder.appendingPathComponent("actually-a-png.jpg")
        try FileManager.default.copyItem(at: Fixtures.url("rgb8.png"), to: disguised)
        XCTAssertEqual(try ImageFile.format(of: disguised), .png)
        XCTAssertEqual(try ImageFile.readRGB(disguised), F.rgbImage(F.rgb8))
        XCTAssertEqual(try ImageFile.readRGB(Fixtures.url("palette.png")), try readRGB("palette.png"))
    }
}
