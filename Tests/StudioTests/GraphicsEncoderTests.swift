import Foundation
import ImageIO
import XCTest
@testable import Studio

/// The kitty, iTerm2 and tmux-passthrough bytes, checked byte by byte against the protocols' documentation.
final class GraphicsEncoderTests: XCTestCase {
    /// A noisy picture, so that its PNG needs several 4096-byte chunks.
    private func noise(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        var x: UInt32 = 12345
        for i in image.pixels.indices {
            x = x &* 1_103_515_245 &+ 12345
            image.pixels[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        return image
    }

    private func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testPNGInMemoryReadsBackAsTheSamePixels() throws {
        let image = noise(width: 37, height: 11)
        let png = try PNGFile.encode(image, level: 1)
        XCTAssertEqual(Array(png.prefix(8)), PNGFile.signature)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mem-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(png).write(to: url)
        let back = try PNGFile.readRGB(url)
        XCTAssertEqual(back.width, 37)
        XCTAssertEqual(back.pixels, image.pixels)
    }

    func testKittyChunksCarryThePNGInBase64OfAtMost4096Bytes() throws {
        let png = try PNGFile.encode(noise(width: 64, height: 64), level: 1)   // ~12 KB: 4 chunks of base64
        let codes = KittyGraphics.place(png: png, id: 4_242_001, columns: 30, rows: 12)
        XCTAssertGreaterThan(codes.count, 2)
        var payload: [UInt8] = []
        for (n, code) in codes.enumerated() {
            let t = text(code)
            XCTAssertTrue(t.hasPrefix("\u{1B}_G"), "an APC G")
            XCTAssertTrue(t.hasSuffix("\u{1B}\\"), "ended by ST")
            let body = t.dropFirst(3).dropLast(2)
            let parts = body.split(separator: ";", maxSplits: 1)
            let keys = parts[0], data = parts[1]
            let last = n == codes.count - 1
            if n == 0 {
                XCTAssertEqual(keys, "a=T,f=100,t=d,i=4242001,p=1,c=30,r=12,C=1,q=2,m=1")
            } else {
                XCTAssertEqual(keys, last ? "m=0,q=2" : "m=1,q=2", "later chunks: only m (and q)")
            }
            XCTAssertLessThanOrEqual(data.utf8.count, 4096)
            if !last { XCTAssertEqual(data.utf8.count, 4096, "all but the last are full") }
            XCTAssertFalse(data.contains("\u{1B}"))
            payload += Array(data.utf8)
        }
        XCTAssertEqual(Data(base64Encoded: Data(payload)).map(Array.init), png, "the chunks join to the PNG")
    }

    func testASmallKittyImageIsOneCodeAndDeletionFreesIt() throws {
        let png = try PNGFile.encode(RGBImage(width: 2, height: 2, red: 1, green: 2, blue: 3), level: 1)
        let codes = KittyGraphics.place(png: png, id: 7, columns: 1, rows: 1)
        XCTAssertEqual(codes.count, 1)
        XCTAssertTrue(text(codes[0]).hasPrefix("\u{1B}_Ga=T,f=100,t=d,i=7,p=1,c=1,r=1,C=1,q=2,m=0;"))
        XCTAssertEqual(text(KittyGraphics.delete(id: 7)), "\u{1B}_Ga=d,d=I,i=7,q=2\u{1B}\\")
        XCTAssertEqual(KittyGraphics.query(id: 31), "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\")
        XCTAssertEqual(Data(base64Encoded: "AAAA").map(Array.init), [0, 0, 0], "the query's 1x1 RGB pixel")
    }

    func testITermInlineImage() throws {
        let png = try PNGFile.encode(noise(width: 8, height: 8), level: 1)
        let t = text(ITermImages.inline(png: png, columns: 40, rows: 15))
        let header = "\u{1B}]1337;File=inline=1;width=40;height=15;preserveAspectRatio=0;doNotMoveCursor=1;size=\(png.count):"
        XCTAssertTrue(t.hasPrefix(header), t.prefix(100).debugDescription)
        XCTAssertTrue(t.hasSuffix("\u{07}"), "ended by BEL")
        let data = t.dropFirst(header.count).dropLast()
        XCTAssertEqual(Data(base64Encoded: String(data)).map(Array.init), png)
    }

    func testPassthroughDoublesEveryEscape() {
        let payload = Array("\u{1B}_Ga=d,d=I,i=7,q=2\u{1B}\\".utf8)
        XCTAssertEqual(text(TmuxPassthrough.wrap(payload)), "\u{1B}Ptmux;\u{1B}\u{1B}_Ga=d,d=I,i=7,q=2\u{1B}\u{1B}\\\u{1B}\\")
        let placed = text(TmuxPassthrough.wrap(Array("X".utf8), column: 2, row: 3, pane: TmuxPane(left: 80, top: 1)))
        XCTAssertEqual(placed, "\u{1B}Ptmux;\u{1B}\u{1B}7\u{1B}\u{1B}[5;83HX\u{1B}\u{1B}8\u{1B}\\",
                       "moved to the outer cell (pane origin + cell, 1-based), cursor put back")
        // Inside: no ESC that is not doubled, so tmux ends the DCS only at the final ST.
        let sixelish = Array("\u{1B}P0;1;0q#0;2;0;0;0~-\u{1B}\\".utf8)
        let wrapped = TmuxPassthrough.wrap(sixelish)
        let inner = wrapped.dropFirst(7).dropLast(2)
        var i = inner.startIndex
        while i < inner.endIndex {
            if inner[i] == 0x1B { XCTAssertEqual(inner[i + 1], 0x1B); i += 2 } else { i += 1 }
        }
    }

    func testTheEncodedPicturePerMode() throws {
        let image = noise(width: 40, height: 30)
        let rect = CellRect(x: 4, y: 2, width: 4, height: 3)
        let kitty = text(GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .kitty()))
        XCTAssertTrue(kitty.hasPrefix("\u{1B}[3;5H\u{1B}_Ga=T,f=100,t=d,i=4242001,p=1,c=4,r=3,"), "moved to the canvas, its id")
        let strip = text(GraphicsPresenter.encode(image, at: rect, slot: .strip, mode: .kitty()))
        XCTAssertTrue(strip.contains("i=4242002,"), "the strip has its own id")
        let iterm = text(GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .iterm()))
        XCTAssertTrue(iterm.hasPrefix("\u{1B}[3;5H\u{1B}]1337;File=inline=1;width=4;height=3;"))
        let pane = TmuxPane(left: 10, top: 0)
        let through = GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .kitty(tmux: pane))
        let wraps = text(through).components(separatedBy: "\u{1B}Ptmux;").dropFirst()
        XCTAssertFalse(wraps.isEmpty)
        for w in wraps { XCTAssertTrue(w.hasPrefix("\u{1B}\u{1B}7\u{1B}\u{1B}[3;15H\u{1B}\u{1B}_G"), "each chunk wrapped, with its move") }
        let sixel = text(GraphicsPresenter.encode(image, at: rect, slot: .canvas,
                                                  mode: .sixel(registers: 16, maxSize: PixelSize(width: 100, height: 100), tmux: pane)))
        XCTAssertTrue(sixel.hasPrefix("\u{1B}Ptmux;\u{1B}\u{1B}7\u{1B}\u{1B}[3;15H\u{1B}\u{1B}P0;1;0q"))
    }
}

/// The presenter's bookkeeping for kitty images, which float above the text and must be taken down explicitly.
final class KittyPresenterTests: XCTestCase {
    private final class Inbox: @unchecked Sendable {
        let lock = NSLock()
        var items: [GraphicsPresenter.Encoded] = []
        let arrived: XCTestExpectation
        init(_ e: XCTestExpectation) { arrived = e }
        func post(_ e: GraphicsPresenter.Encoded) { lock.lock(); items.append(e); lock.unlock(); arrived.fulfill() }
    }

    private let delete = "\u{1B}_Ga=d,d=I,i=4242001,q=2\u{1B}\\"

    func testPlacedReplacedInPlaceDeletedUnderAPopupAndOnTakeDown() throws {
        var s = makeState()
        let kitty = GraphicsInfo(mode: .kitty(), cellPixels: PixelSize(width: 10, height: 20), pixelMouse: false, reason: "test")
        s.send(.graphics(kitty))
        let doc = try XCTUnwrap(s.document)
        let sources = CanvasSources(input: try XCTUnwrap(doc.image), output: doc.output, mask: doc.mask, detail: doc.detail)
        let frame = view(s)
        XCTAssertNotNil(frame.canvas)
        let inbox = Inbox(expectation(description: "encoded"))
        let presenter = GraphicsPresenter(deliver: { inbox.post($0) })
        XCTAssertNil(presenter.present(frame, sources: sources, mode: kitty.mode, damaged: true), "nothing to show before the encode")
        wait(for: [inbox.arrived], timeout: 30)
        let encoded = try XCTUnwrap(inbox.items.first)
        let shown = String(decoding: try XCTUnwrap(presenter.accept(encoded, popupOverCanvas: false)), as: UTF8.self)
        XCTAssertTrue(shown.contains("\u{1B}_Ga=T,f=100,t=d,i=4242001,p=1,"), "placed under the canvas's id")
        XCTAssertFalse(shown.contains("a=d"), "the first frame deletes nothing: later ones replace it by id")

        var covered = frame
        covered.popupOverCanvas = true
        let down = String(decoding: try XCTUnwrap(presenter.present(covered, sources: sources, mode: kitty.mode, damaged: false)), as: UTF8.self)
        XCTAssertEqual(down, delete, "a popup takes the image down (it would float above the popup's text)")
        XCTAssertNil(presenter.present(covered, sources: sources, mode: kitty.mode, damaged: false), "once")
        let back = String(decoding: try XCTUnwrap(presenter.present(frame, sources: sources, mode: kitty.mode, damaged: false)), as: UTF8.self)
        XCTAssertTrue(back.contains("a=T"), "the popup closed: the image comes back without a new encode")
        XCTAssertEqual(String(decoding: presenter.takeDownAll(), as: UTF8.self), delete, "resize and quit delete it")
        XCTAssertEqual(presenter.takeDownAll(), [], "nothing left to delete")
    }

    func testSixelHasNothingToTakeDown() {
        let presenter = GraphicsPresenter(deliver: { _ in })
        XCTAssertEqual(presenter.takeDownAll(), [])
    }
}

/// kitty's shared-memory transmission: the object holds the pixels, the escape code only its name.
final class KittySharedMemoryTests: XCTestCase {
    /// What the terminal does: open the object by name, read it, unlink it.
    private func take(_ name: String) -> [UInt8]? {
        let fd = shm_open(name, O_RDONLY, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd); shm_unlink(name) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n == out.count ? out : nil
    }

    private func name(in code: String) -> String? {
        guard let b64 = code.split(separator: ";").last?.dropLast(2) else { return nil }
        return Data(base64Encoded: String(b64)).map { String(decoding: $0, as: UTF8.self) }
    }

    func testTheObjectHoldsThePixelsAndTheCodeItsName() throws {
        var image = RGBImage(width: 5, height: 3)
        for i in image.pixels.indices { image.pixels[i] = UInt8(i * 7 % 256) }
        let bytes = GraphicsPresenter.encode(image, at: CellRect(x: 1, y: 2, width: 5, height: 2), slot: .canvas,
                                             mode: .kitty(sharedMemory: true))
        let t = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(t.hasPrefix("\u{1B}[3;2H\u{1B}_Ga=T,f=24,t=s,s=5,v=3,S=45,i=4242001,p=1,c=5,r=2,C=1,q=2;"), t)
        XCTAssertTrue(t.hasSuffix("\u{1B}\\"))
        let object = try XCTUnwrap(name(in: t))
        XCTAssertTrue(object.hasPrefix("/monopix-\(getpid())-"))
        XCTAssertEqual(take(object), image.pixels)
        XCTAssertLessThan(bytes.count, 120, "only the name crosses the tty")
    }

    func testTheQueryNamesAThreeByteObject() throws {
        let object = try XCTUnwrap(KittySharedMemory.store([0, 0, 0]))
        let q = KittySharedMemory.query(name: object)
        XCTAssertTrue(q.hasPrefix("\u{1B}_Gi=33,s=1,v=1,a=q,t=s,f=24;"))
        XCTAssertEqual(name(in: q), object)
        XCTAssertEqual(take(object), [0, 0, 0])
        let batch = CapabilityProbe.queries(environment: [:], sharedMemoryObject: object)
        XCTAssertTrue(batch.contains(q) && batch.hasSuffix("\u{1B}[c"), "in the batch, before DA1")
    }

    func testChosenOnlyWhenTheTerminalReadTheObject() {
        var caps = TerminalCapabilities()
        caps.apply(.kittyGraphics(id: 31, message: "OK"))
        caps.apply(.primaryAttributes([62]))
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps, environment: [:]).mode, .kitty())
        caps.apply(.kittyGraphics(id: 33, message: "OK"))
        let c = chooseGraphics(preference: .auto, capabilities: caps, environment: [:])
        XCTAssertEqual(c.mode, .kitty(sharedMemory: true))
        XCTAssertTrue(c.reason.contains("shared memory"), c.reason)
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps, environment: ["MONOPIX_KITTY_TRANSMISSION": "direct"]).mode,
                       .kitty(), "off for a bug report")
        var refused = TerminalCapabilities()
        refused.apply(.kittyGraphics(id: 31, message: "OK"))
        refused.apply(.kittyGraphics(id: 33, message: "EBADF:Failed to open shared memory"))
        XCTAssertEqual(refused.kittySharedMemory, false)
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: refused, environment: [:]).mode, .kitty(), "over ssh: direct")
    }
}

final class PassthroughLimitTests: XCTestCase {
    func testASixelThroughTmuxGetsFewerColoursToFitTmuxsBuffer() throws {
        var image = RGBImage(width: 720, height: 480)   // noise: the worst case for sixel's run lengths
        var x: UInt32 = 11
        for i in image.pixels.indices { x = x &* 1_103_515_245 &+ 12345; image.pixels[i] = UInt8(truncatingIfNeeded: x >> 16) }
        let rect = CellRect(x: 0, y: 1, width: 60, height: 20)
        let size = PixelSize(width: 1000, height: 1000)
        let direct = GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .sixel(registers: 256, maxSize: size))
        XCTAssertGreaterThan(direct.count, TmuxPassthrough.limit, "outside tmux: all 256 colours")
        let through = GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .sixel(registers: 256, maxSize: size, tmux: TmuxPane(left: 0, top: 0)))
        XCTAssertLessThanOrEqual(through.count, TmuxPassthrough.limit)
        XCTAssertTrue(String(decoding: through, as: UTF8.self).contains("\"1;1;720;480"), "the same pixels")
    }

    func testAnITermImageThroughTmuxStaysWithinTmuxsBuffer() throws {
        var image = RGBImage(width: 720, height: 720)   // noise: its PNG is as large as the raw pixels, ~1.5 MB
        var x: UInt32 = 7
        for i in image.pixels.indices { x = x &* 1_103_515_245 &+ 12345; image.pixels[i] = UInt8(truncatingIfNeeded: x >> 16) }
        let rect = CellRect(x: 0, y: 1, width: 90, height: 40)
        let direct = GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .iterm())
        XCTAssertGreaterThan(direct.count, TmuxPassthrough.limit, "outside tmux: full size")
        let through = GraphicsPresenter.encode(image, at: rect, slot: .canvas, mode: .iterm(tmux: TmuxPane(left: 0, top: 0)))
        XCTAssertLessThanOrEqual(through.count, TmuxPassthrough.limit)
        XCTAssertTrue(String(decoding: through, as: UTF8.self).contains("File=inline=1;width=90;height=40;"), "the same cells")
    }
}
