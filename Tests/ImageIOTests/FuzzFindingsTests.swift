import Foundation
import XCTest
import ImageIO

/// Inputs libFuzzer found (scripts/fuzz.sh, targets png and jpeg) that cost seconds and gigabytes before failing;
/// each now fails at once with an error naming the file and what is wrong.
final class FuzzFindingsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// An ancillary chunk declaring 2 GB in a file of a few hundred bytes: libpng allocated and cleared the whole
    /// length before reading it (2 GB and seconds). Refused from the chunk headers before libpng runs.
    func testAChunkDeclaringMoreThanTheFileHoldsIsRefused() throws {
        var bytes = try Fixtures.bytes("text_gray16.png")
        bytes.removeLast(12)  // IEND
        let at = bytes.count
        bytes += be32(2_046_820_382) + Array("iTXt".utf8) + [0x6D, 0x6F, 0x6E]
        let url = try write(bytes, "huge-itxt.png")
        let expected = ImageIOError.corrupt(path: url.path, format: .png,
                                            message: "chunk iTXt at byte \(at) declares 2046820382 bytes, but the file has 0 left")
        XCTAssertEqual(error { try PNGFile.read(url) }, expected)
        XCTAssertEqual(error { try PNGFile.readRGB(url) }, expected)
    }

    /// A 13x7 file whose header claims 16384x16384: refused from the header and the file size, before the
    /// 2 GiB of rows libpng would otherwise fill.
    func testAHeaderClaimingMoreRowsThanTheFileCanHoldIsRefused() throws {
        var bytes = try Fixtures.bytes("rgba16.png")
        bytes.replaceSubrange(16 ..< 24, with: be32(16384) + be32(16384))
        bytes.replaceSubrange(29 ..< 33, with: be32(crc32(bytes[12 ..< 29])))
        let url = try write(bytes, "overclaimed.png")
        let expected = "a \(bytes.count)-byte file cannot hold the 16384x16384 image its header declares "
            + "(at least \(16384 * (1 + 16384 * 8) / 1032) bytes of compressed data)"
        XCTAssertEqual(error { try PNGFile.read(url) }, .corrupt(path: url.path, format: .png, message: expected))
        XCTAssertEqual(error { try ImageFile.readRGB(url) }, .corrupt(path: url.path, format: .png, message: expected))
    }

    /// The bound is deflate's best ratio, so the most compressible image there is still reads.
    func testABlackImageAtDeflatesBestRatioStillReads() throws {
        let url = folder.appendingPathComponent("black.png")
        try PNGFile.write(RGBImage(width: 2048, height: 1024), to: url)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        XCTAssertLessThan(size, 8 << 10, "zlib came close to its 1032:1 limit")
        XCTAssertEqual(try PNGFile.readRGB(url).width, 2048)
    }

    /// A JPEG cut short whose header claims 16384x16384: decoding stops at the end of the data instead of padding
    /// 256 megapixels with gray.
    func testATruncatedJPEGClaimingAHugeImageStopsAtTheEndOfItsData() throws {
        var bytes = try Fixtures.bytes("baseline.jpg")
        let sof = try XCTUnwrap((0 ..< bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange(sof + 5 ..< sof + 9, with: [0x40, 0x00, 0x40, 0x00])
        let url = try write(Array(bytes.prefix(bytes.count * 2 / 3)), "huge-cut.jpg")
        let start = Date()
        XCTAssertEqual(error { try JPEGFile.readRGB(url) }, .corrupt(path: url.path, format: .jpeg, message: "Premature end of JPEG file"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    private func error(_ body: () throws -> Any) -> ImageIOError? {
        do { _ = try body(); return nil } catch { return error as? ImageIOError }
    }

    private func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    /// PNG's CRC-32 (ISO 3309), over the chunk type and data.
    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0 ..< 8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}
