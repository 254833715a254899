import XCTest
import ImageIO

/// Every broken, hostile or missing input gives the right `ImageIOError`, never a crash or an exit.
final class BadFileTests: XCTestCase {
    private let readers: [(String, (URL) throws -> Any)] = [
        ("ImageFile.readRGB", { try ImageFile.readRGB($0) }),
        ("PNGFile.readRGB", { try PNGFile.readRGB($0) }),
        ("PNGFile.read", { try PNGFile.read($0) }),
    ]

    private func path(_ name: String) -> String { Fixtures.url(name).path }

    func testTruncatedPNG() {
        let expected = path("truncated.png")
        for (_, read) in readers {
            assertImageIOError(try read(Fixtures.url("truncated.png"))) {
                guard case .corrupt(let p, .png, let message) = $0 else { return false }
                return p == expected && message == "unexpected end of file"
            }
        }
        XCTAssertEqual(error { try PNGFile.readRGB(Fixtures.url("truncated.png")) }?.description,
                       "\(path("truncated.png")): corrupt PNG (libpng: unexpected end of file)")
    }

    func testBadCRC() {
        for (_, read) in readers {
            assertImageIOError(try read(Fixtures.url("bad_crc.png"))) {
                guard case .corrupt(_, .png, let message) = $0 else { return false }
                return message.contains("CRC")
            }
        }
        XCTAssertEqual(error { try PNGFile.read(Fixtures.url("bad_crc.png")) }?.description,
                       "\(path("bad_crc.png")): corrupt PNG (libpng: IDAT: CRC error)")
    }

    func testBrokenDeflateStream() {
        for (_, read) in readers {
            assertImageIOError(try read(Fixtures.url("bad_zlib.png"))) {
                guard case .corrupt(_, .png, let message) = $0 else { return false }
                return message.hasPrefix("IDAT: ")
            }
        }
    }

    func testTextFileNamedPNG() {
        for (_, read) in readers {
            assertImageIOError(try read(Fixtures.url("not_an_image.png"))) {
                guard case .notAnImage(let p, _, let found) = $0 else { return false }
                return p == path("not_an_image.png") && found == "starts with 68 65 6c 6c 6f 2c 20 49"
            }
        }
        XCTAssertEqual(error { try ImageFile.readRGB(Fixtures.url("not_an_image.png")) }?.description,
                       "\(path("not_an_image.png")): not a PNG or JPEG image (starts with 68 65 6c 6c 6f 2c 20 49)")
        XCTAssertEqual(error { try JPEGFile.readRGB(Fixtures.url("rgb8.png")) },
                       .notAnImage(path: path("rgb8.png"), expected: "JPEG", found: "starts with 89 50 4e 47 0d 0a 1a 0a"))
        XCTAssertEqual(error { try PNGFile.read(Fixtures.url("baseline.jpg")) }?.description.contains("not a PNG image"),
                       true)
    }

    func testEmptyFile() {
        XCTAssertEqual(error { try ImageFile.readRGB(Fixtures.url("empty.png")) },
                       .notAnImage(path: path("empty.png"), expected: "PNG or JPEG", found: "the file is empty"))
    }

    func testHugePNGIsRefusedFromTheHeader() {
        for (_, read) in readers {
            XCTAssertEqual(error { try read(Fixtures.url("huge.png")) },
                           .tooLarge(path: path("huge.png"), width: 100_000, height: 100_000, limit: .standard))
        }
        XCTAssertEqual(error { try ImageFile.readRGB(Fixtures.url("huge.png")) }?.description,
                       "\(path("huge.png")): image too large (100000x100000 pixels; "
                       + "the limit is 32768 per side and 268435456 pixels in all)")
    }

    func testHugeJPEGIsRefusedFromTheHeader() {
        XCTAssertEqual(error { try ImageFile.readRGB(Fixtures.url("huge.jpg")) },
                       .tooLarge(path: path("huge.jpg"), width: 60_000, height: 60_000, limit: .standard))
    }

    func testSizesBeyondTheCodecsOwnLimitsAreStillTooLarge() {
        // libpng's default limit is 1,000,000 per side, libjpeg's 65500: ours answers first, with the dimensions.
        XCTAssertEqual(error { try PNGFile.read(Fixtures.url("wide.png")) },
                       .tooLarge(path: path("wide.png"), width: 2_000_000, height: 1, limit: .standard))
        XCTAssertEqual(error { try JPEGFile.readRGB(Fixtures.url("wide.jpg")) },
                       .tooLarge(path: path("wide.jpg"), width: 65535, height: 7, limit: .standard))
    }

    func testCustomLimits() throws {
        let small = ImageLimits(maxSide: 12, maxPixels: 1000)
        XCTAssertEqual(error { try PNGFile.readRGB(Fixtures.url("rgb8.png"), limits: small) },
                       .tooLarge(path: path("rgb8.png"), width: 13, height: 7, limit: small))
        let fewPixels = ImageLimits(maxSide: 100, maxPixels: 90)
        XCTAssertEqual(error { try JPEGFile.readRGB(Fixtures.url("baseline.jpg"), limits: fewPixels) },
                       .tooLarge(path: path("baseline.jpg"), width: 37, height: 23, limit: fewPixels))
        XCTAssertNoThrow(try PNGFile.read(Fixtures.url("rgb8.png"), limits: ImageLimits(maxSide: 13, maxPixels: 91)))
        XCTAssertTrue(ImageLimits.standard.admits(width: 16384, height: 16384))
        XCTAssertFalse(ImageLimits.standard.admits(width: 32769, height: 1))
        XCTAssertFalse(ImageLimits.standard.admits(width: 16385, height: 16384))
        XCTAssertFalse(ImageLimits.standard.admits(width: Int.max, height: Int.max))
    }

    func testTruncatedJPEG() {
        XCTAssertEqual(error { try ImageFile.readRGB(Fixtures.url("truncated.jpg")) },
                       .corrupt(path: path("truncated.jpg"), format: .jpeg, message: "Premature end of JPEG file"))
    }

    func testGarbageAfterSOI() {
        assertImageIOError(try JPEGFile.readRGB(Fixtures.url("garbage.jpg"))) {
            guard case .corrupt(let p, .jpeg, let message) = $0 else { return false }
            return p == self.path("garbage.jpg") && !message.isEmpty
        }
    }

    func testMissingFile() {
        let missing = Fixtures.url("no-such-file.png")
        for (_, read) in readers {
            XCTAssertEqual(error { try read(missing) }, .notFound(path: missing.path))
        }
        XCTAssertEqual(error { try JPEGFile.readRGB(missing) }, .notFound(path: missing.path))
        XCTAssertEqual(error { try ImageFile.readRGB(missing) }?.description, "\(missing.path): no such file")
        let underAFile = Fixtures.url("rgb8.png").appendingPathComponent("x.png")
        XCTAssertEqual(error { try ImageFile.readRGB(underAFile) }, .notFound(path: underAFile.path))
    }

    func testFolderIsUnreadable() {
        assertImageIOError(try ImageFile.readRGB(Fixtures.folder)) {
            guard case .unreadable(_, let reason) = $0 else { return false }
            return reason == "Is a directory"
        }
    }

    func testCorruptionInsideAFileThatStartsWell() throws {
        // Bytes flipped in the middle of otherwise valid files: an error or an image, never a crash.
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["rgb8.png", "interlaced_rgb8.png", "baseline.jpg", "progressive.jpg"] {
            let original = try Fixtures.bytes(name)
            for cut in stride(from: 9, to: original.count, by: max(1, original.count / 23)) {
                var bytes = original
                bytes[cut] ^= 0x5A
                let url = folder.appendingPathComponent("flipped-\(cut)-\(name)")
                try Data(bytes).write(to: url)
                do { _ = try ImageFile.readRGB(url) } catch is ImageIOError {} catch { XCTFail("\(error)") }
                let truncated = folder.appendingPathComponent("cut-\(cut)-\(name)")
                try Data(original[..<cut]).write(to: truncated)
                assertImageIOError(try ImageFile.readRGB(truncated)) {
                    if case .corrupt = $0 { return true }
                    return false
                }
            }
        }
    }

    func testDescriptionsNameTheFileAndTheProblem() {
        let p = "/tmp/photo.png"
        XCTAssertEqual(ImageIOError.corrupt(path: p, format: .png, message: "IDAT: invalid distance too far back")
            .description, "/tmp/photo.png: corrupt PNG (libpng: IDAT: invalid distance too far back)")
        XCTAssertEqual(ImageIOError.notFound(path: p).description, "/tmp/photo.png: no such file")
        XCTAssertEqual(ImageIOError.unreadable(path: p, reason: "Permission denied").description,
                       "/tmp/photo.png: cannot read (Permission denied)")
        XCTAssertEqual(ImageIOError.unsupported(path: p, format: .jpeg, what: "libjpeg: Unsupported JPEG data precision 12")
            .description, "/tmp/photo.png: unsupported JPEG (libjpeg: Unsupported JPEG data precision 12)")
        XCTAssertEqual(ImageIOError.unwritable(path: p, reason: "No such file or directory").description,
                       "/tmp/photo.png: cannot write (No such file or directory)")
        XCTAssertEqual(ImageIOError.tooLarge(path: p, width: 1, height: 2, limit: .standard).path, p)
    }

    private func error(_ body: () throws -> Any) -> ImageIOError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? ImageIOError
        }
    }
}
