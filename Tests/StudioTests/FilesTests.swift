import Engine
import Foundation
import ImageIO
import Model
import XCTest
@testable import Studio

final class FilesTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("studio-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Unpainted pixels are NaN in the session's layer files: they must survive the .npy round trip.
    func testPaintedLayersKeepNaNThroughNPY() throws {
        let url = directory.appendingPathComponent("layer.npy")
        try NumpyArray(shape: [2, 3], values: [0, 0.5, 1, -1, .nan, 2]).write(to: url)
        let back = try NumpyArray(contentsOf: url)
        XCTAssertEqual(back.shape, [2, 3])
        XCTAssertEqual(back.values.map { $0.isNaN ? 99 : $0 }, [0, 0.5, 1, -1, 99, 2])
    }

    func testMaskFilesNPYAndPNGSampleMapping() throws {
        let map = IntensityMap(width: 3, height: 2, values: [0, 0.25, 1, -0.5, 0.75, 1])
        let url = directory.appendingPathComponent("m.npy")
        try MaskFiles.save(map, range: 0...1, to: url)
        let layer = try MaskFiles.load(url, width: 3, height: 2, range: 0...1)
        XCTAssertEqual(layer.values, map.values)
        XCTAssertThrowsError(try MaskFiles.load(url, width: 2, height: 3, range: 0...1))
        // 16-bit PNG samples: the range widens to hold -0.5; 0 → min, 65535 → max.
        let (samples, lo, hi) = MaskFiles.pngSamples(map.values, range: 0...1)
        XCTAssertEqual(lo, -0.5)
        XCTAssertEqual(hi, 1)
        XCTAssertEqual(samples[3], 0)
        XCTAssertEqual(samples[2], 65535)
        XCTAssertEqual(samples[0], UInt16((0.5 / 1.5 * 65535).rounded()))
        let decoded = DecodedPNG(width: 3, height: 2, channels: 1, bitDepth: 16, samples: samples,
                                 text: [MaskFiles.minKey: String(lo), MaskFiles.maxKey: String(hi)])
        for (a, b) in zip(MaskFiles.values(decoded, range: 0...1), map.values) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // Without the text chunks an 8-bit gray PNG spans the configured range.
        let gray = DecodedPNG(width: 2, height: 1, channels: 1, bitDepth: 8, samples: [0, 255], text: [:])
        XCTAssertEqual(MaskFiles.values(gray, range: -1...2), [-1, 2])
    }

    func testSessionSavesAtomicallyAndRestores() throws {
        let store = SessionStore(directory: directory.appendingPathComponent(".monopix-session"))
        var s = makeState(width: 6, height: 4, documents: 2)
        s.documents[0].mask![1, 1] = 0.5
        s.documents[0].maskVersion = 3
        s.press("<", "|")
        try store.save(s.snapshot())
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted()
        XCTAssertEqual(names, ["img0.png.mask.npy", "session.json"], "no temporary files left")
        let file = try XCTUnwrap(store.load())
        XCTAssertEqual(file.settings.viewMode, .sideBySide)
        XCTAssertEqual(file.images.map(\.mask), ["img0.png.mask.npy", nil])
        var restored = StudioState(documents: s.documents.map(\.url), range: 0...1, rendererName: "t")
        restored.restore(file)
        XCTAssertEqual(restored.documents[0].level, 0.9, accuracy: 1e-6)
        XCTAssertEqual(restored.viewMode, .sideBySide)
        let mask = try XCTUnwrap(store.loadMask(for: "img0.png", width: 6, height: 4))
        XCTAssertEqual(mask[1, 1], 0.5)
        XCTAssertTrue(mask[0, 0].isNaN, "unpainted stays unpainted")
        XCTAssertNil(store.loadMask(for: "img0.png", width: 5, height: 4), "a mask of another size is ignored")
        // Clearing the mask removes its file at the next save.
        s.press("c")
        try store.save(s.snapshot())
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.maskURL(for: "img0.png").path))
    }

    func testFolderListingAndStartFile() throws {
        for name in ["b.png", "a.jpg", "c.txt", ".hidden.png", "a10.png", "a2.png"] {
            FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data())
        }
        let (images, start, folder) = try ImageFolder.images(for: [directory.appendingPathComponent("a10.png")])
        XCTAssertEqual(images.map(\.lastPathComponent), ["a.jpg", "a2.png", "a10.png", "b.png"])
        XCTAssertEqual(start, 2)
        XCTAssertEqual(folder.standardizedFileURL.path, directory.standardizedFileURL.path)
        XCTAssertThrowsError(try ImageFolder.images(for: [directory.appendingPathComponent("nope")]))
    }
}
