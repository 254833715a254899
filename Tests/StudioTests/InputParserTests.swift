import XCTest
@testable import Studio

final class InputParserTests: XCTestCase {
    private func parse(_ s: String, pixelMouse: Bool = false) -> [InputToken] {
        var p = InputParser()
        p.pixelMouse = pixelMouse
        return p.feed(Array(s.utf8)) + p.flush()
    }

    func testKeysAreNormalised() {
        XCTAssertEqual(parse("a?[Q é"), [.key("a"), .key("?"), .key("["), .key("Q"), .key("space"), .key("é")])
        XCTAssertEqual(parse("\u{1A}\u{19}\u{09}\r\u{7F}"), [.key("ctrl+z"), .key("ctrl+y"), .key("tab"), .key("enter"), .key("backspace")])
        XCTAssertEqual(parse("\u{1B}[A\u{1B}[1;2D\u{1B}OB\u{1B}[5~\u{1B}[3~\u{1B}[1;5C"),
                       [.key("up"), .key("shift+left"), .key("down"), .key("pgup"), .key("delete"), .key("ctrl+right")])
        XCTAssertEqual(parse("\u{1B}x"), [.key("alt+x")])
    }

    func testCtrlShiftZInTheEncodingsThatCarryIt() {
        // xterm's modifyOtherKeys, and the kitty / fixterms CSI u form.
        XCTAssertEqual(parse("\u{1B}[27;6;90~"), [.key("ctrl+shift+z")])
        XCTAssertEqual(parse("\u{1B}[122;6u"), [.key("ctrl+shift+z")])
        XCTAssertEqual(parse("\u{1B}[105;5u"), [.key("ctrl+i")])
    }

    func testLoneEscapeWaitsForTheFlush() {
        var p = InputParser()
        XCTAssertEqual(p.feed([0x1B]), [])
        XCTAssertTrue(p.hasPending)
        XCTAssertEqual(p.flush(), [.key("escape")])
    }

    func testSequencesSplitAcrossReads() {
        var p = InputParser()
        XCTAssertEqual(p.feed(Array("\u{1B}[<0;1".utf8)), [])
        XCTAssertEqual(p.feed(Array("0;5M".utf8)), [.mouse(MouseEvent(kind: .press, button: .left, column: 9, row: 4))])
        XCTAssertEqual(p.feed([0xC3]), [])
        XCTAssertEqual(p.feed([0xA9]), [.key("é")])
    }

    func testSGRMouse() {
        XCTAssertEqual(parse("\u{1B}[<0;10;5M\u{1B}[<32;12;5M\u{1B}[<0;12;5m"), [
            .mouse(MouseEvent(kind: .press, button: .left, column: 9, row: 4)),
            .mouse(MouseEvent(kind: .drag, button: .left, column: 11, row: 4)),
            .mouse(MouseEvent(kind: .release, button: .left, column: 11, row: 4)),
        ])
        XCTAssertEqual(parse("\u{1B}[<2;1;1M\u{1B}[<64;3;3M\u{1B}[<65;3;3M\u{1B}[<8;2;2M\u{1B}[<35;4;4M"), [
            .mouse(MouseEvent(kind: .press, button: .right, column: 0, row: 0)),
            .mouse(MouseEvent(kind: .wheelUp, button: .none, column: 2, row: 2)),
            .mouse(MouseEvent(kind: .wheelDown, button: .none, column: 2, row: 2)),
            .mouse(MouseEvent(kind: .press, button: .left, column: 1, row: 1, alt: true)),
            .mouse(MouseEvent(kind: .move, button: .none, column: 3, row: 3)),
        ])
    }

    func testPixelMouseCarriesPixelsAndDerivesTheCell() {
        var p = InputParser()
        p.pixelMouse = true
        p.cellPixels = (10, 20)
        XCTAssertEqual(p.feed(Array("\u{1B}[<0;105;41M".utf8)),
                       [.mouse(MouseEvent(kind: .press, button: .left, column: 10, row: 2, pixel: (104, 40)))])
    }

    func testRepliesNeverBecomeKeys() {
        let tokens = parse("\u{1B}[?62;4;22c\u{1B}[6;20;10t\u{1B}[?1;0;256S\u{1B}[?2;0;1000;800S\u{1B}[?2026;2$y"
                           + "\u{1B}P>|XTerm(390)\u{1B}\\\u{1B}]11;rgb:0000/0000/0000\u{07}\u{1B}[>41;390;0c" + "q")
        XCTAssertEqual(tokens, [
            .reply(.primaryAttributes([62, 4, 22])), .reply(.cellPixels(width: 10, height: 20)),
            .reply(.graphicsAttribute(item: 1, status: 0, values: [256])),
            .reply(.graphicsAttribute(item: 2, status: 0, values: [1000, 800])),
            .reply(.modeReport(mode: 2026, state: 2)), .reply(.version("XTerm(390)")),
            .reply(.other("11;rgb:0000/0000/0000")), .reply(.other(">41;390;0c")), .key("q"),
        ])
    }
}

final class CapabilityTests: XCTestCase {
    private func caps(_ replies: TerminalReply...) -> TerminalCapabilities {
        var c = TerminalCapabilities()
        replies.forEach { c.apply($0) }
        return c
    }

    func testSixelOnlyWithAttributeFourExactly() {
        XCTAssertTrue(caps(.primaryAttributes([62, 4])).hasSixel)
        XCTAssertTrue(caps(.primaryAttributes([61, 4, 6, 7, 14, 21])).hasSixel)
        XCTAssertFalse(caps(.primaryAttributes([62, 14, 24, 41])).hasSixel)
        XCTAssertFalse(caps(.primaryAttributes([1, 2])).hasSixel)
        XCTAssertFalse(TerminalCapabilities().hasSixel)
    }

    func testGraphicsChoice() {
        let env = ["COLORTERM": "truecolor"]
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: TerminalCapabilities(), environment: env).mode,
                       .blocks(trueColour: true), "no DA1 answer: blocks")
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps(.primaryAttributes([62, 4])), environment: [:]).mode,
                       .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000)), "silent XTSMGRAPHICS: 256 registers")
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps(.primaryAttributes([62, 4]), .graphicsAttribute(item: 1, status: 0, values: [16])),
                                      environment: env).mode, .blocks(trueColour: true), "below 64 registers: blocks")
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps(.primaryAttributes([62, 4]), .graphicsAttribute(item: 2, status: 0, values: [800, 600])),
                                      environment: [:]).mode, .sixel(registers: 256, maxSize: PixelSize(width: 800, height: 600)))
        XCTAssertEqual(chooseGraphics(preference: .blocks, capabilities: caps(.primaryAttributes([62, 4])), environment: ["COLORTERM": "xterm"]).mode,
                       .blocks(trueColour: false), "256 colours without COLORTERM=truecolor")
        XCTAssertTrue(chooseGraphics(preference: .sixel, capabilities: TerminalCapabilities(), environment: [:]).mode.isSixel,
                      "the override refuses to fall back")
    }

    func testCellSizeSources() {
        var c = caps(.cellPixels(width: 9, height: 18))
        XCTAssertEqual(c.cellPixels(columns: 80, rows: 24).size, PixelSize(width: 9, height: 18))
        c.ioctlPixels = PixelSize(width: 800, height: 480)
        c.ioctlCells = CellSize(columns: 80, rows: 24)
        XCTAssertEqual(c.cellPixels(columns: 80, rows: 24).size, PixelSize(width: 10, height: 20))
        c.ioctlPixels = PixelSize(width: 80, height: 24)   // implausible: one pixel per cell
        XCTAssertEqual(c.cellPixels(columns: 80, rows: 24).source, "CSI 16 t")
        XCTAssertEqual(TerminalCapabilities().cellPixels(columns: 80, rows: 24).size, PixelSize(width: 10, height: 20))
        let modes = caps(.modeReport(mode: 2026, state: 0), .modeReport(mode: 1016, state: 2))
        XCTAssertEqual(modes.synchronizedOutput, false)
        XCTAssertEqual(modes.pixelMouse, true)
    }
}

final class FocusReportTests: XCTestCase {
    func testFocusInAndOutAreTokensNotKeys() {
        var p = InputParser()
        XCTAssertEqual(p.feed(Array("\u{1B}[O\u{1B}[Ia".utf8)), [.focus(false), .focus(true), .key("a")])
    }
}
