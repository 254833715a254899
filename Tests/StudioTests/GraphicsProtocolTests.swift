import Foundation
import XCTest
@testable import Studio

/// The protocol choice on answers recorded from each terminal, written from the protocols' documentation
/// (kitty's graphics-protocol page: `ESC _ G i=31 ; OK ESC \` to an `a=q` query before DA1; xterm's ctlseqs for DA1
/// and XTVERSION `DCS > | text ST`; tmux's own DA1 `?1;2c`, with `4` when built with sixel).
final class GraphicsDetectionTests: XCTestCase {
    private static let esc = "\u{1B}"
    private static let st = "\u{1B}\\"
    static let kittyOK = esc + "_Gi=31;OK" + st
    static func version(_ v: String) -> String { esc + "P>|" + v + st }

    /// Answers to the start-up batch, per terminal. kitty, Konsole, xterm (plain and -ti vt340) and mlterm as recorded under
    /// Xvfb (`--detect`: Debian's kitty 0.26.5, Konsole 22.12.3, xterm 379, mlterm 3.9); the others from their
    /// documentation.
    static let kitty = kittyOK + esc + "_Gi=33;OK" + st + version("kitty(0.26.5)") + esc + "[6;18;9t" + esc + "[?2026;2$y" + esc + "[?62;c"
    static let ghostty = kittyOK + version("ghostty 1.1.3") + esc + "[?2026;2$y" + esc + "[?62;22c"
    static let wezterm = version("WezTerm 20240203-110809-5046fc22") + esc + "[?1;0;256S" + esc + "[?65;4;6;18;22c"
    static let weztermWithKitty = kittyOK + wezterm
    static let konsole = kittyOK + esc + "_Gi=33;EBADF:Failed to open" + st + version("Konsole 22.12.3") + esc + "[?1;0;256S"
        + esc + "[?2;0;16384;16384S" + esc + "[?62;1;4c"
    static let mlterm = esc + "[?1;0;1024S" + esc + "[?63;1;2;3;4;6;7;15;18;22;29c"
    static let iterm2 = version("iTerm2 3.5.5") + esc + "[?62;4c"
    static let xterm = version("XTerm(379)") + esc + "[?64;1;2;6;9;15;16;17;18;21;22;28c"
    static let xtermVT340 = version("XTerm(379)") + esc + "[?1;0;256S" + esc + "[?2;0;1000;1000S" + esc + "[?63;1;2;4;6;9;15;16;22;28c"
    static let foot = version("foot(1.16.2)") + esc + "[?1;0;1024S" + esc + "[?62;4;22;28c"
    /// A terminal that parses the graphics APC but refuses the query.
    static let refused = esc + "_Gi=31;ENOTSUPPORTED:no graphics here" + st + esc + "[?62;c"
    static let tmux = version("tmux 3.3a") + esc + "[?1;2c"
    static let tmuxWithSixel = version("tmux 3.4") + esc + "[?1;2;4c"

    /// Recorded under Xvfb: `xterm -ti vt340` running tmux 3.3a with `allow-passthrough on`, answering the plain
    /// batch (tmux: `?1;2c`) and then, through the passthrough, xterm's own DA1, XTSMGRAPHICS and XTVERSION.
    static let tmuxInXtermVT340 = esc + "[?1;2c" + esc + "[?63;1;2;4;6;9;15;16;22;28c" + esc + "[?1;0;256S" + version("XTerm(379)")

    private func capabilities(_ recorded: String, behindTmux: Bool = false) -> TerminalCapabilities {
        var parser = InputParser()
        var caps = TerminalCapabilities()
        caps.behindTmux = behindTmux
        // Fed in two reads split mid-sequence, as a slow link delivers them.
        let bytes = Array(recorded.utf8), cut = bytes.count / 2
        for token in parser.feed(Array(bytes[..<cut])) + parser.feed(Array(bytes[cut...])) {
            guard case .reply(let r) = token else { XCTFail("an answer became \(token)"); continue }
            caps.apply(r)
        }
        return caps
    }

    private func choose(_ recorded: String, _ env: [String: String] = [:], tmux: TmuxContext? = nil,
                        preference: GraphicsPreference = .auto) -> GraphicsChoice {
        chooseGraphics(preference: preference, capabilities: capabilities(recorded), environment: env, tmux: tmux)
    }

    func testKittyGhosttyAndKonsoleAnswerTheQuery() {
        for (name, recorded) in [("ghostty", Self.ghostty), ("konsole", Self.konsole), ("wezterm+kitty", Self.weztermWithKitty)] {
            let c = choose(recorded)
            XCTAssertEqual(c.mode, .kitty(), name)
            XCTAssertTrue(c.reason.contains("answered OK"), c.reason)
            XCTAssertNil(c.hint)
        }
        XCTAssertEqual(choose(Self.kitty).mode, .kitty(sharedMemory: true), "kitty reads the shared-memory object")
        XCTAssertEqual(capabilities(Self.konsole).kittySharedMemory, false, "Konsole has kitty graphics, not t=s")
        XCTAssertTrue(capabilities(Self.konsole).hasSixel, "Konsole lists sixel too: kitty comes first")
        XCTAssertEqual(capabilities(Self.kitty).kittyGraphics, true)
        XCTAssertEqual(capabilities(Self.refused).kittyGraphics, false)
        XCTAssertEqual(choose(Self.refused).mode, .blocks(trueColour: false), "an error answer is a no")
    }

    func testITermImagesByVersionOrProgramName() {
        XCTAssertEqual(choose(Self.iterm2).mode, .iterm(), "iTerm2 lists 4 too: its own images come first")
        XCTAssertEqual(choose(Self.wezterm).mode, .iterm(), "WezTerm without kitty graphics enabled")
        // VS Code (xterm.js): images only with its image addon, which also lists sixel in DA1.
        XCTAssertEqual(choose(Self.esc + "[?1;2;4c", ["TERM_PROGRAM": "vscode"]).mode, .iterm())
        let off = choose(Self.esc + "[?1;2c", ["TERM_PROGRAM": "vscode"])
        XCTAssertEqual(off.mode, .blocks(trueColour: false))
        XCTAssertEqual(off.hint, "VS Code: turn on terminal.integrated.enableImages for pixels")
        XCTAssertEqual(choose(Self.xterm, ["TERM_PROGRAM": "iTerm.app"]).mode, .iterm())
    }

    func testSixelTerminalsAndPlainXterm() {
        XCTAssertEqual(choose(Self.foot).mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000)))
        XCTAssertEqual(choose(Self.mlterm).mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000)), "1024 registers: 256 used")
        XCTAssertEqual(choose(Self.xtermVT340).mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000)))
        let plain = choose(Self.xterm, ["COLORTERM": "truecolor"])
        XCTAssertEqual(plain.mode, .blocks(trueColour: true))
        XCTAssertTrue(plain.reason.contains("DA1 does not list sixel"), plain.reason)
    }

    func testTmuxWithItsOwnSixel() {
        let c = choose(Self.tmuxWithSixel, ["TMUX": "/tmp/tmux-0/default,1,0"], tmux: TmuxContext(passthrough: false))
        XCTAssertEqual(c.mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000)), "native: no passthrough")
        XCTAssertNil(c.mode.passthrough)
    }

    func testTmuxWithPassthroughOffGivesBlocksAndAHint() {
        let c = choose(Self.tmux, ["TMUX": "/tmp/tmux-0/default,1,0", "COLORTERM": "truecolor"],
                       tmux: TmuxContext(passthrough: false, clientTermName: "xterm-kitty"))
        XCTAssertEqual(c.mode, .blocks(trueColour: true))
        XCTAssertEqual(c.hint, "tmux: set -g allow-passthrough on for pixels")
        XCTAssertEqual(choose(Self.tmux, ["TMUX": "x"]).hint, "tmux: set -g allow-passthrough on for pixels", "tmux not askable")
    }

    func testTmuxWithPassthroughOnReachesTheOuterTerminal() {
        let pane = TmuxPane(left: 40, top: 1)
        let env = ["TMUX": "/tmp/tmux-0/default,1,0", "TERM_PROGRAM": "tmux"]
        XCTAssertEqual(choose(Self.tmux, env, tmux: TmuxContext(passthrough: true, clientTermName: "xterm-kitty", pane: pane)).mode,
                       .kitty(tmux: pane))
        XCTAssertEqual(choose(Self.tmux, env, tmux: TmuxContext(passthrough: true, clientTermName: "xterm-ghostty", pane: pane)).mode,
                       .kitty(tmux: pane))
        XCTAssertEqual(choose(Self.tmux, env, tmux: TmuxContext(passthrough: true, clientTermName: "xterm-256color",
                                                                  clientTermType: "iTerm2 3.5.5", pane: pane)).mode, .iterm(tmux: pane))
        XCTAssertEqual(choose(Self.tmux, env, tmux: TmuxContext(passthrough: true, clientTermName: "foot", pane: pane)).mode,
                       .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000), tmux: pane))
        let refusedByName = choose(Self.tmux + Self.esc + "_Gi=32;ENOTSUPPORTED:" + Self.st, env,
                                   tmux: TmuxContext(passthrough: true, clientTermName: "xterm-kitty", clientTermType: "foot(1.16.2)"))
        XCTAssertEqual(refusedByName.mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000), tmux: TmuxPane(left: 0, top: 0)),
                       "a refusal through the passthrough beats the name")
        let unknown = choose(Self.tmux, env, tmux: TmuxContext(passthrough: true, clientTermName: "xterm-256color"))
        XCTAssertEqual(unknown.mode, .blocks(trueColour: false), "a TERM every terminal uses proves nothing")
        XCTAssertNil(unknown.hint, "passthrough is on already")
        // The outer terminal's own answer through the passthrough counts as much as a name.
        var caps = capabilities(Self.tmux + Self.esc + "_Gi=32;OK" + Self.st)
        caps.ioctlCells = nil
        XCTAssertEqual(caps.kittyThroughTmux, true)
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps, environment: env, tmux: TmuxContext(pane: pane)).mode,
                       .kitty(tmux: pane))
    }

    func testTmuxPassesTheOuterTerminalsAnswersOn() {
        let caps = capabilities(Self.tmuxInXtermVT340, behindTmux: true)
        XCTAssertEqual(caps.primaryAttributes, [1, 2], "the first DA1 is tmux's")
        XCTAssertEqual(caps.outer, OuterTerminal(primaryAttributes: [63, 1, 2, 4, 6, 9, 15, 16, 22, 28], version: "XTerm(379)",
                                                 colourRegisters: 256))
        let pane = TmuxPane(left: 0, top: 0)
        let c = chooseGraphics(preference: .auto, capabilities: caps, environment: ["TMUX": "x"], tmux: TmuxContext(passthrough: true, pane: pane))
        XCTAssertEqual(c.mode, .sixel(registers: 256, maxSize: PixelSize(width: 1000, height: 1000), tmux: pane))
        XCTAssertTrue(c.reason.contains("outer terminal's DA1 lists 4"), c.reason)
        // An answer through the passthrough proves it is on, whatever `tmux show` said (or could not say).
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: caps, environment: ["TMUX": "x"], tmux: nil).mode.passthrough, pane)
        // Passthrough off: nothing comes back but tmux's own answers.
        let off = capabilities(Self.tmux, behindTmux: true)
        XCTAssertFalse(off.outer.answered)
        XCTAssertEqual(chooseGraphics(preference: .auto, capabilities: off, environment: ["TMUX": "x"], tmux: TmuxContext(passthrough: false)).hint,
                       "tmux: set -g allow-passthrough on for pixels")
        let inTmux = CapabilityProbe.queries(environment: ["TMUX": "x"])
        XCTAssertTrue(inTmux.hasSuffix("\u{1B}Ptmux;\u{1B}\u{1B}_Gi=32,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\u{1B}\\\u{1B}\u{1B}[>0q\u{1B}\u{1B}[?1;1;0S\u{1B}\u{1B}[?2;1;0S\u{1B}\u{1B}[c\u{1B}\\"),
                      "the outer batch through the passthrough, after tmux's own")
    }

    func testScreenGetsBlocks() {
        let c = choose(Self.xterm, ["STY": "1234.pts-0.host"])
        XCTAssertEqual(c.mode, .blocks(trueColour: false))
        XCTAssertTrue(c.reason.contains("GNU screen"), c.reason)
    }

    func testOverridesFlagThenEnvironment() {
        XCTAssertEqual(choose(Self.kitty, ["MONOPIX_GRAPHICS": "blocks"]).mode, .blocks(trueColour: false))
        XCTAssertTrue(choose(Self.kitty, ["MONOPIX_GRAPHICS": "blocks"]).reason.contains("MONOPIX_GRAPHICS=blocks"))
        XCTAssertEqual(choose(Self.xterm, ["MONOPIX_GRAPHICS": "kitty"]).mode, .kitty())
        XCTAssertEqual(choose(Self.kitty, ["MONOPIX_GRAPHICS": "blocks"], preference: .iterm).mode, .iterm(), "the flag wins")
        let bogus = choose(Self.kitty, ["MONOPIX_GRAPHICS": "pixels"])
        XCTAssertEqual(bogus.mode, .kitty(sharedMemory: true), "an unknown value is ignored")
        XCTAssertTrue(bogus.reason.contains("ignored"), bogus.reason)
        XCTAssertEqual(choose(Self.xterm, preference: .sixel).mode.isSixel, true)
        XCTAssertEqual(choose(Self.tmux, ["TMUX": "x"], tmux: TmuxContext(pane: TmuxPane(left: 3, top: 4)), preference: .kitty).mode,
                       .kitty(tmux: TmuxPane(left: 3, top: 4)), "forced inside tmux: through the passthrough")
    }

    func testTheProbeBatch() {
        let plain = CapabilityProbe.queries(environment: [:])
        XCTAssertTrue(plain.hasPrefix("\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"), "the kitty query first")
        XCTAssertTrue(plain.hasSuffix("\u{1B}[c"), "DA1 fences it")
        let inTmux = CapabilityProbe.queries(environment: ["TMUX": "x"])
        XCTAssertTrue(inTmux.hasPrefix(CapabilityProbe.queries), "inside tmux: tmux's own batch first")
        XCTAssertFalse(inTmux.replacingOccurrences(of: "\u{1B}\u{1B}_G", with: "").contains("\u{1B}_G"),
                       "never a bare APC: tmux would take it for a title")
        XCTAssertFalse(CapabilityProbe.queries(environment: ["STY": "1.x"]).contains("\u{1B}_G"), "screen: no APC at all")
    }

    func testTmuxAnswersAreParsed() {
        let c = TmuxContext.parse(display: "xterm-kitty\tkitty(0.39.1)\t81\t0\ton\ttop\n", passthrough: "on\n")
        XCTAssertEqual(c, TmuxContext(passthrough: true, clientTermName: "xterm-kitty", clientTermType: "kitty(0.39.1)",
                                      pane: TmuxPane(left: 81, top: 1)))
        XCTAssertEqual(TmuxContext.parse(display: "xterm\t\t0\t5\ton\tbottom", passthrough: "off").pane, TmuxPane(left: 0, top: 5))
        XCTAssertEqual(TmuxContext.parse(display: "", passthrough: "off").passthrough, false)
        XCTAssertEqual(TmuxContext.parse(display: "", passthrough: "all").passthrough, true)
        XCTAssertNil(TmuxContext.parse(display: "", passthrough: nil).passthrough)
    }
}

final class GraphicsHintTests: XCTestCase {
    func testTheTmuxHintStaysInTheStatusLine() {
        var s = makeState(columns: 120, rows: 40)
        s.send(.graphics(GraphicsInfo(mode: .blocks(trueColour: true), cellPixels: PixelSize(width: 10, height: 20), pixelMouse: false,
                                      reason: "test", hint: "tmux: set -g allow-passthrough on for pixels")))
        let status = view(s).lines[Layout(s).statusRow]
        XCTAssertTrue(status.hasSuffix("tmux: set -g allow-passthrough on for pixels · blocks · ? help "), status)
    }
}
