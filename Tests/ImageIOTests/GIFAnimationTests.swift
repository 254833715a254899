import CGIF
import Foundation
import ImageIO
import XCTest

/// The animated GIF of a trajectory: read back with giflib's own decoder (and ImageMagick's `identify` where it is
/// installed), frames, loop and colours as written; nothing left behind when a writer is dropped unfinished.
final class GIFAnimationTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-gif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A frame in two flat colours (left and right), so the 256-colour palette holds them exactly.
    private func frame(_ k: Int, width: Int = 37, height: Int = 23) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width {
            let left = x < width / 2
            image[x, y, 0] = UInt8(left ? 40 * k : 200); image[x, y, 1] = UInt8(left ? 10 : 30 * k); image[x, y, 2] = 90
        } }
        return image
    }

    func testFramesLoopAndColoursReadBackWithGiflib() throws {
        let url = folder.appendingPathComponent("t.gif")
        let writer = try GIFAnimationWriter(url: url, width: 37, height: 23, delay: 7)
        for k in 0..<4 { try writer.append(frame(k)) }
        try writer.finish()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["t.gif"], "no temporaries")

        var error: Int32 = 0
        let gif = try XCTUnwrap(DGifOpenFileName(url.path, &error))
        defer { DGifCloseFile(gif, &error) }
        XCTAssertEqual(DGifSlurp(gif), GIF_OK)
        XCTAssertEqual(gif.pointee.ImageCount, 4)
        XCTAssertEqual(gif.pointee.SWidth, 37)
        XCTAssertEqual(gif.pointee.SHeight, 23)
        for k in 0..<4 {
            let saved = gif.pointee.SavedImages[k]
            var control = GraphicsControlBlock()
            XCTAssertEqual(DGifSavedExtensionToGCB(gif, Int32(k), &control), GIF_OK)
            XCTAssertEqual(control.DelayTime, 7)
            let map = try XCTUnwrap(saved.ImageDesc.ColorMap)
            func colour(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
                let c = map.pointee.Colors[Int(saved.RasterBits[y * 37 + x])]
                return (c.Red, c.Green, c.Blue)
            }
            let expected = frame(k)
            for (x, y) in [(3, 4), (30, 20)] {
                let c = colour(x: x, y: y)
                XCTAssertEqual([c.0, c.1, c.2], [expected[x, y, 0], expected[x, y, 1], expected[x, y, 2]], "frame \(k) at \(x),\(y)")
            }
        }
        // The NETSCAPE2.0 loop, before the first frame.
        let first = gif.pointee.SavedImages[0]
        let blocks = (0..<Int(first.ExtensionBlockCount)).map { first.ExtensionBlocks[$0] }
        XCTAssertTrue(blocks.contains { $0.Function == APPLICATION_EXT_FUNC_CODE && $0.ByteCount == 11
                && String(decoding: UnsafeBufferPointer(start: $0.Bytes, count: 11), as: UTF8.self) == "NETSCAPE2.0" })

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/identify") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/identify")
            p.arguments = [url.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(out.split(separator: "\n").count, 4, out)
        }
    }

    func testForthAndBack() {
        XCTAssertEqual(GIFAnimationWriter.bounceOrder(count: 5), [0, 1, 2, 3, 4, 3, 2, 1])
        XCTAssertEqual(GIFAnimationWriter.bounceOrder(count: 2), [0, 1])
        XCTAssertEqual(GIFAnimationWriter.bounceOrder(count: 1), [0])
    }

    func testAWrongFrameIsRefusedAndAnUnfinishedWriterLeavesNothing() throws {
        let url = folder.appendingPathComponent("t.gif")
        var writer: GIFAnimationWriter? = try GIFAnimationWriter(url: url, width: 37, height: 23)
        try writer!.append(frame(1))
        XCTAssertThrowsError(try writer!.append(frame(2, width: 36))) { error in
            XCTAssertTrue("\(error)".contains("t.gif"), "\(error)")
        }
        writer = nil
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
        XCTAssertThrowsError(try GIFAnimationWriter(url: url, width: 70000, height: 10))
    }
}
