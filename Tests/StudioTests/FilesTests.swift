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

    /// A damaged or hand-edited session.json: numbers a Float holds but the studio's controls never produce
    /// (found by fuzzing: zoom 3e38 trapped converting the zoom label to Int, a huge brush its dab size).
    func testSessionValuesOutOfRangeAreClampedOnRestore() throws {
        let store = SessionStore(directory: directory)
        let json = #"""
        {"version": 1, "current": "img0.png",
         "settings": {"viewMode": "overlay", "overlayOpacity": -7, "primaryValue": 3e38, "secondaryValue": -1e30,
                      "brush": {"diameter": 3e38, "hardness": 40, "opacity": -1, "flow": 2, "spacing": 0}},
         "images": [{"name": "img0.png", "level": 1e30, "transform": {"zoom": 3e38, "centerX": -3e38, "centerY": 5}},
                    {"name": "img1.png", "level": 0.5, "transform": {"zoom": 0}}]}
        """#
        try json.write(to: directory.appendingPathComponent("session.json"), atomically: true, encoding: .utf8)
        let file = try XCTUnwrap(store.load())
        var s = StudioState(documents: [URL(fileURLWithPath: "/tmp/img0.png"), URL(fileURLWithPath: "/tmp/img1.png")],
                            range: 0...1, rendererName: "t")
        s.restore(file)
        XCTAssertEqual(s.overlayOpacity, 0)
        XCTAssertEqual(s.primaryValue, 1)
        XCTAssertEqual(s.secondaryValue, 0)
        XCTAssertEqual(s.brush, BrushSettings(diameter: 2048, hardness: 1, opacity: 0, flow: 1, spacing: 0.01))
        XCTAssertEqual(s.documents[0].level, 1)
        XCTAssertEqual(s.documents[0].transform.zoom, ViewTransform.zoomRange.upperBound)
        XCTAssertEqual(s.documents[1].transform.zoom, ViewTransform.zoomRange.lowerBound)
        _ = s.handle(.resize(CellSize(columns: 100, rows: 30)))
        _ = s.handle(.graphics(.blocksDefault))
        _ = s.start()
        _ = s.handle(.imageLoaded(document: 0, image: RGBImage(width: 40, height: 20), sessionMask: nil))
        XCTAssertTrue(view(s).lines.joined().contains("zoom 6400%"))
        let pane = Layout.panes(s, layout: Layout(s))[0].viewport
        XCTAssertEqual(pane.centerX, 0, "the centre is kept within the image")
        XCTAssertEqual(pane.centerY, 5)
        for (kind, column) in [(MouseEvent.Kind.press, 30), (.drag, 40), (.release, 40)] {
            _ = s.handle(.mouse(MouseEvent(kind: kind, button: .left, column: column, row: 10)))
        }
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
