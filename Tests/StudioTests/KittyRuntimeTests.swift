import Foundation
import ImageIO
import XCTest
@testable import Studio

/// A terminal that answers the start-up batch as kitty does, records everything written, and types `q` once a
/// kitty image has been placed.
private final class KittyLikeScreen: TerminalScreen {
    var size = CellSize(columns: 100, rows: 30)
    var descriptor: Int32 = -1
    var wakeDescriptor: Int32 = -1
    var windowPixels: PixelSize? = PixelSize(width: 1000, height: 600)
    private(set) var written: [UInt8] = []
    private(set) var writtenBeforeStop: Int?
    private var pending: [UInt8] = []
    private var typedQuit = false

    func start() throws {}
    func stop() { writtenBeforeStop = written.count }
    func draw(_ frame: Frame) {}
    func invalidate() {}

    func write(_ bytes: [UInt8]) {
        written += bytes
        let text = String(decoding: bytes, as: UTF8.self)
        // kitty answers its query before DA1; the shared-memory query is refused here (no terminal reads the object).
        if text.contains("\u{1B}_Gi=31,") { pending += Array("\u{1B}_Gi=31;OK\u{1B}\\".utf8) }
        if text.contains("\u{1B}_Gi=33,") { pending += Array("\u{1B}_Gi=33;EBADF:not here\u{1B}\\".utf8) }
        if text.hasSuffix("\u{1B}[c") { pending += Array("\u{1B}[?62;c".utf8) }
    }

    func readInput(timeoutMilliseconds: Int) -> TerminalInput {
        var input = TerminalInput()
        if !pending.isEmpty {
            input.bytes = pending
            pending = []
        } else if !typedQuit, String(decoding: written, as: UTF8.self).contains("\u{1B}_Ga=T,") {
            typedQuit = true
            input.bytes = Array("q".utf8)
        } else {
            // As poll would: nothing arrived within the timeout (the encode runs on its own queue meanwhile).
            usleep(useconds_t(min(timeoutMilliseconds, 5) * 1000))
        }
        return input
    }
}

final class KittyRuntimeTests: XCTestCase {
    func testDetectedPlacedAndDeletedBeforeTheTerminalIsHandedBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-kitty-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try PNGFile.write(RGBImage(width: 64, height: 48, red: 200, green: 120, blue: 40), to: dir.appendingPathComponent("a.png"))
        let screen = KittyLikeScreen()
        let runtime = try StudioRuntime(options: StudioOptions(paths: [dir], useSession: false), services: StudioServices(),
                                        screen: screen, environment: ["TERM": "xterm-kitty"])
        let done = expectation(description: "the studio quit")
        DispatchQueue.global().async { try? runtime.run(); done.fulfill() }
        wait(for: [done], timeout: 60)

        XCTAssertEqual(runtime.state.graphics.mode, .kitty(), "the shared-memory query was refused: direct PNG")
        let all = String(decoding: screen.written, as: UTF8.self)
        let stop = try XCTUnwrap(screen.writtenBeforeStop)
        let beforeStop = String(decoding: screen.written[..<stop], as: UTF8.self)
        let place = try XCTUnwrap(all.range(of: "\u{1B}_Ga=T,f=100,t=d,i=4242001,p=1,"))
        let delete = try XCTUnwrap(beforeStop.range(of: "\u{1B}_Ga=d,d=I,i=4242001,q=2\u{1B}\\", options: .backwards))
        XCTAssertLessThan(place.lowerBound, delete.lowerBound, "placed, then deleted on quit, before the terminal is restored")
    }
}
