import XCTest
import ImageIO

/// Round trips and the atomicity of every write.
final class PNGWriteTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder() }
    override func tearDownWithError() throws { try FileManager.default.removeItem(at: folder) }

    private func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testRGBRoundTrip() throws {
        var pixels = [UInt8](repeating: 0, count: 31 * 17 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 7919 + i / 3) % 256) }
        let image = RGBImage(width: 31, height: 17, pixels: pixels)
        let url = folder.appendingPathComponent("out.png")
        try PNGFile.write(image, to: url)
        XCTAssertEqual(try PNGFile.readRGB(url), image)
        XCTAssertEqual(try ImageFile.readRGB(url), image)
        let lossless = try PNGFile.read(url)
        XCTAssertEqual(lossless.channels, 3)
        XCTAssertEqual(lossless.bitDepth, 8)
        XCTAssertEqual(lossless.samples, pixels.map(UInt16.init))
        XCTAssertEqual(try contents(), ["out.png"], "no temporary file left behind")
    }

    func testFixtureRoundTrip() throws {
        let image = try PNGFile.readRGB(Fixtures.url("interlaced_rgb8.png"))
        let url = folder.appendingPathComponent("copy.png")
        try PNGFile.write(image, to: url)
        XCTAssertEqual(try PNGFile.readRGB(url), image)
    }

    func testGray16WithTextRoundTrip() throws {
        let samples = (0..<(40 * 9)).map { UInt16(($0 * 2_654_435_761) & 0xFFFF) } + []
        let text = [
            "monopix:min": "-0.25",
            "monopix:max": "1.75",
            "Title": "café",              // Latin-1: a tEXt chunk
            "Author": "Zoë 東京",           // not Latin-1: an iTXt chunk
            "Comment": String(repeating: "long ", count: 400),
        ]
        let url = folder.appendingPathComponent("mask.png")
        try PNGFile.writeGray(width: 40, height: 9, samples: samples, bitDepth: 16, text: text, to: url)
        let back = try PNGFile.read(url)
        XCTAssertEqual(back, DecodedPNG(width: 40, height: 9, channels: 1, bitDepth: 16, samples: samples, text: text))
        XCTAssertEqual(try PNGFile.readRGB(url).pixels[0], UInt8(Formula.scale16(Int(samples[0]))))
        XCTAssertEqual(try contents(), ["mask.png"])
    }

    func testGray8RoundTrip() throws {
        let samples = (0..<(5 * 3)).map { UInt16($0 * 17) }
        let url = folder.appendingPathComponent("gray8.png")
        try PNGFile.writeGray(width: 5, height: 3, samples: samples, bitDepth: 8, to: url)
        let back = try PNGFile.read(url)
        XCTAssertEqual(back.bitDepth, 8)
        XCTAssertEqual(back.samples, samples)
        XCTAssertEqual(back.text, [:])
    }

    func testOverwriteReplacesAndKeepsNoTemporaryFile() throws {
        let url = folder.appendingPathComponent("image.png")
        try PNGFile.write(RGBImage(width: 2, height: 2, red: 1), to: url)
        try PNGFile.write(RGBImage(width: 3, height: 1, green: 200), to: url)
        XCTAssertEqual(try PNGFile.readRGB(url), RGBImage(width: 3, height: 1, green: 200))
        XCTAssertEqual(try contents(), ["image.png"])
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644)
    }

    func testWriteIntoMissingFolderFails() {
        let url = folder.appendingPathComponent("missing/out.png")
        assertImageIOError(try PNGFile.write(RGBImage(width: 1, height: 1), to: url)) {
            $0 == .unwritable(path: url.path, reason: "No such file or directory")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testFailingEncodeLeavesExistingTargetIntact() throws {
        let url = folder.appendingPathComponent("keep.png")
        let original = RGBImage(width: 4, height: 4, blue: 99)
        try PNGFile.write(original, to: url)
        let before = try Data(contentsOf: url)
        // libpng refuses a zero-width image after the temporary file was created: the error path must remove it.
        assertImageIOError(try PNGFile.write(RGBImage(width: 0, height: 3, pixels: []), to: url)) {
            guard case .unsupported(let p, .png, let what) = $0 else { return false }
            return p == url.path && what.hasPrefix("libpng: ")
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try contents(), ["keep.png"])
    }

    func testRenameOntoAFolderFailsCleanly() throws {
        let url = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        assertImageIOError(try PNGFile.write(RGBImage(width: 1, height: 1), to: url)) {
            if case .unwritable(url.path, _) = $0 { return true }
            return false
        }
        XCTAssertEqual(try contents(), ["taken"])
    }

    func testInvalidGrayArgumentsThrowBeforeWriting() throws {
        let url = folder.appendingPathComponent("bad.png")
        assertImageIOError(try PNGFile.writeGray(width: 1, height: 1, samples: [300], bitDepth: 8, to: url)) {
            if case .unsupported(_, .png, "sample 300 in an 8-bit image") = $0 { return true }
            return false
        }
        assertImageIOError(try PNGFile.writeGray(width: 1, height: 1, samples: [3], bitDepth: 4, to: url)) {
            if case .unsupported = $0 { return true }
            return false
        }
        for key in ["", " lead", "trail ", "two  spaces", String(repeating: "k", count: 80), "tab\tkey", "日本"] {
            assertImageIOError(try PNGFile.writeGray(width: 1, height: 1, samples: [3], bitDepth: 8,
                                                     text: [key: "v"], to: url)) {
                if case .unsupported = $0 { return true }
                return false
            }
        }
        assertImageIOError(try PNGFile.writeGray(width: 1, height: 1, samples: [3], bitDepth: 8,
                                                 text: ["k": "a\0b"], to: url)) {
            if case .unsupported = $0 { return true }
            return false
        }
        XCTAssertEqual(try contents(), [])
    }
}
