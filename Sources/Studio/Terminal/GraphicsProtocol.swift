/// What the user asked for with `--graphics` (or, when that is `auto`, with `MONOPIX_GRAPHICS`).
public enum GraphicsPreference: String, Sendable, CaseIterable, Codable {
    case auto, kitty, iterm, sixel, blocks

    /// The environment variable a bug report can set to force a protocol without editing a command line.
    public static let environmentKey = "MONOPIX_GRAPHICS"

    /// `--graphics` wins when given; `MONOPIX_GRAPHICS` only replaces `auto`. An unknown value is ignored (the
    /// reason line says so).
    static func effective(_ preference: GraphicsPreference, environment: [String: String]) -> (GraphicsPreference, String?) {
        guard preference == .auto, let raw = environment[environmentKey], !raw.isEmpty else { return (preference, nil) }
        guard let forced = GraphicsPreference(rawValue: raw.lowercased()) else {
            return (.auto, "\(environmentKey)=\(raw) is not one of auto, kitty, iterm, sixel, blocks: ignored")
        }
        return (forced, forced == .auto ? nil : "\(environmentKey)=\(raw)")
    }
}

/// Where a tmux pane sits in the terminal outside tmux: bytes sent through tmux's passthrough land at the outer
/// terminal's cursor, which tmux moves lazily, so they carry their own cursor move offset by the pane's origin.
public struct TmuxPane: Sendable, Equatable {
    public var left: Int
    public var top: Int
    public init(left: Int, top: Int) { self.left = left; self.top = top }
}

/// How the canvas is drawn.
public enum GraphicsMode: Sendable, Equatable {
    /// The kitty graphics protocol: a PNG placed over the canvas's cells by a fixed id, replaced in place.
    /// `tmux` set: through tmux's passthrough, to the terminal outside it. `sharedMemory`: the pixels go through a
    /// shared-memory object (`t=s`, `KittySharedMemory`) instead of the tty.
    case kitty(tmux: TmuxPane? = nil, sharedMemory: Bool = false)
    /// iTerm2's inline images (`OSC 1337 ; File=`), sized in cells.
    case iterm(tmux: TmuxPane? = nil)
    /// Sixel images with at most `registers` colours, at most `maxSize` pixels.
    case sixel(registers: Int, maxSize: PixelSize, tmux: TmuxPane? = nil)
    /// Half blocks `▀`, two pixels per cell, in 24-bit colour or the 256-colour palette.
    case blocks(trueColour: Bool)

    public var isSixel: Bool { if case .sixel = self { return true }; return false }
    public var isKitty: Bool { if case .kitty = self { return true }; return false }
    var isKittyThroughTmux: Bool { if case .kitty(let p, _) = self { return p != nil }; return false }
    var isKittyThroughSharedMemory: Bool { if case .kitty(nil, true) = self { return true }; return false }

    /// The pane an image goes through tmux's passthrough to, or nil when written as is.
    public var passthrough: TmuxPane? {
        switch self {
        case .kitty(let p, _), .iterm(let p), .sixel(_, _, let p): return p
        case .blocks: return nil
        }
    }

    /// The short name in the status line and in traces.
    public var name: String {
        let base: String
        switch self {
        case .kitty(_, let shm): base = shm ? "kitty shm" : "kitty"
        case .iterm: base = "iterm"
        case .sixel: base = "sixel"
        case .blocks: base = "blocks"
        }
        return passthrough == nil ? base : base + " via tmux"
    }
}

/// What tmux says about itself and the terminal it runs in (`tmux show` / `tmux display`): the studio cannot ask
/// the outer terminal directly, tmux answers the queries itself.
public struct TmuxContext: Sendable, Equatable {
    /// `allow-passthrough`: `on` or `all` → true, `off` → false, nil when tmux could not be asked.
    public var passthrough: Bool?
    /// `#{client_termname}`: the outer terminal's TERM (`xterm-kitty`, `xterm-ghostty`, `xterm-256color`…).
    public var clientTermName: String?
    /// `#{client_termtype}`: the outer terminal's XTVERSION/DA2 answer as tmux saw it (tmux ≥ 3.3).
    public var clientTermType: String?
    /// Where the pane is in the outer terminal.
    public var pane = TmuxPane(left: 0, top: 0)

    public init(passthrough: Bool? = nil, clientTermName: String? = nil, clientTermType: String? = nil,
                pane: TmuxPane = TmuxPane(left: 0, top: 0)) {
        self.passthrough = passthrough
        self.clientTermName = clientTermName
        self.clientTermType = clientTermType
        self.pane = pane
    }
}

/// The protocol chosen, why (for `--detect` and the status line), and a hint to the user when pixels are one
/// setting away.
public struct GraphicsChoice: Sendable, Equatable {
    public var mode: GraphicsMode
    public var reason: String
    public var hint: String?
}

/// The terminals that speak iTerm2's inline images, by the name in XTVERSION or `TERM_PROGRAM`.
private let itermNames = ["iterm2", "iterm.app", "wezterm", "mintty", "vscode"]
/// The terminals that speak the kitty graphics protocol, by name (used only where the query cannot reach them:
/// behind tmux, whose own answers hide the outer terminal). Not WezTerm: its kitty support is off by default,
/// its iTerm2 images are not.
private let kittyNames = ["kitty", "ghostty", "konsole"]
/// The sixel terminals by name, for the same case. Not xterm: `xterm-256color` is every terminal's TERM, and xterm
/// has sixel only with `-ti vt340` (`--graphics sixel` says so).
private let sixelNames = ["foot", "mlterm", "contour"]

/// The one place that chooses how pictures reach the screen: the fallback chain kitty → iTerm2 → sixel → half
/// blocks, each step taken only on evidence (an answer to a query, or a name), as notcurses' blitter selection.
/// Inside tmux: tmux's own sixel first, then the outer terminal's protocol through passthrough when
/// `allow-passthrough` is on, else half blocks with a hint. GNU screen: half blocks. `refuseFallback` (tests) keeps
/// a forced protocol even without evidence; a forced one is always kept, with a reason that says it was forced.
public func chooseGraphics(preference asked: GraphicsPreference, capabilities caps: TerminalCapabilities,
                           environment env: [String: String], tmux: TmuxContext? = nil,
                           refuseFallback: Bool = false) -> GraphicsChoice {
    let (preference, override) = GraphicsPreference.effective(asked, environment: env)
    let colorterm = env["COLORTERM"]?.lowercased() ?? ""
    let trueColour = colorterm.contains("truecolor") || colorterm.contains("24bit")
    let blocks = GraphicsMode.blocks(trueColour: trueColour)
    let blocksNote = trueColour ? "half blocks, 24-bit colour" : "half blocks, 256 colours (COLORTERM is not truecolor)"
    let registers = caps.colourRegisters ?? 256
    let maxSize = caps.sixelGeometry ?? PixelSize(width: 1000, height: 1000)
    let version = caps.version?.lowercased() ?? ""
    let insideTmux = env["TMUX"] != nil || version.hasPrefix("tmux")
    let pane: TmuxPane? = insideTmux ? (tmux?.pane ?? TmuxPane(left: 0, top: 0)) : nil
    // Inside tmux the pictures pass through only when tmux has no sixel of its own.
    let through: TmuxPane? = insideTmux && !caps.hasSixel ? pane : nil
    let sixel = GraphicsMode.sixel(registers: min(256, max(2, registers)), maxSize: maxSize, tmux: through)
    let source = override.map { " (\($0))" } ?? " (--graphics \(preference.rawValue))"
    // Shared memory when the terminal proved it reads it (same machine), unless a bug report turns it off.
    let sharedMemory = !insideTmux && caps.kittySharedMemory == true && env["MONOPIX_KITTY_TRANSMISSION"] != "direct"
    let kittyHere = GraphicsMode.kitty(tmux: pane, sharedMemory: sharedMemory)
    let transmission = sharedMemory ? ", through shared memory" : ""

    switch preference {
    case .blocks:
        return GraphicsChoice(mode: blocks, reason: blocksNote + source)
    case .kitty:
        return GraphicsChoice(mode: kittyHere, reason: "kitty graphics" + transmission + source
                              + (caps.kittyGraphics == true || refuseFallback ? "" : " although the kitty query was not answered OK"))
    case .iterm:
        return GraphicsChoice(mode: .iterm(tmux: pane), reason: "iTerm2 inline images" + source)
    case .sixel:
        return GraphicsChoice(mode: sixel, reason: "sixel" + source
                              + (caps.hasSixel || refuseFallback || insideTmux ? "" : " although DA1 does not list 4"))
    case .auto:
        break
    }
    let prefix = override.map { $0 + "; " } ?? ""
    func pick(_ mode: GraphicsMode, _ why: String, hint: String? = nil) -> GraphicsChoice {
        GraphicsChoice(mode: mode, reason: prefix + why, hint: hint)
    }

    if env["STY"] != nil && !insideTmux {
        return pick(blocks, "\(blocksNote): GNU screen passes no graphics")
    }
    if insideTmux {
        if caps.hasSixel, registers >= 64 {
            return pick(sixel, "sixel by tmux itself (its DA1 lists 4), \(min(256, registers)) colours")
        }
        // Who is outside: the passthrough query's answer, else the names tmux and the environment give.
        let outer = [caps.outer.version, tmux?.clientTermName, tmux?.clientTermType, env["TERM_PROGRAM"] == "tmux" ? nil : env["TERM_PROGRAM"],
                     env["KITTY_WINDOW_ID"] != nil ? "kitty" : nil, env["GHOSTTY_RESOURCES_DIR"] != nil ? "ghostty" : nil,
                     env["ITERM_SESSION_ID"] != nil ? "iterm2" : nil, env["KONSOLE_VERSION"] != nil ? "konsole" : nil]
            .compactMap { $0?.lowercased() }
        let outerName = outer.first ?? "unknown"
        let passthroughOn = tmux?.passthrough == true || caps.kittyThroughTmux == true || caps.outer.answered
        guard passthroughOn else {
            let said = tmux?.passthrough == false ? "allow-passthrough is off" : "allow-passthrough is unknown"
            return pick(blocks, "\(blocksNote): inside tmux without sixel, \(said)",
                        hint: "tmux: set -g allow-passthrough on for pixels")
        }
        // A name says kitty unless the terminal itself refused the query.
        let kittyByName = caps.kittyThroughTmux != false && outer.contains(where: { o in kittyNames.contains { o.contains($0) } })
        if caps.kittyThroughTmux == true || kittyByName {
            let why = caps.kittyThroughTmux == true ? "the outer terminal answered the kitty query OK" : "the outer terminal is \(outerName)"
            return pick(.kitty(tmux: pane), "kitty graphics through tmux passthrough: \(why)")
        }
        if outer.contains(where: { o in itermNames.contains { o.contains($0) } }) {
            return pick(.iterm(tmux: pane), "iTerm2 images through tmux passthrough: the outer terminal is \(outerName)")
        }
        if caps.outer.hasSixel {
            let n = caps.outer.colourRegisters ?? 256
            if n >= 64 {
                return pick(.sixel(registers: min(256, n), maxSize: caps.outer.sixelGeometry ?? maxSize, tmux: pane),
                            "sixel through tmux passthrough: the outer terminal's DA1 lists 4, \(min(256, n)) colours")
            }
        }
        if outer.contains(where: { o in sixelNames.contains { o.contains($0) } }) {
            return pick(.sixel(registers: 256, maxSize: maxSize, tmux: pane),
                        "sixel through tmux passthrough: the outer terminal is \(outerName) (256 colours assumed)")
        }
        return pick(blocks, "\(blocksNote): inside tmux, the outer terminal (\(outerName)) has no known pixel protocol")
    }
    if caps.kittyGraphics == true {
        return pick(kittyHere, "kitty graphics\(transmission): the a=q query was answered OK before DA1")
    }
    let program = env["TERM_PROGRAM"]?.lowercased() ?? ""
    // VS Code's terminal (xterm.js) draws images only with terminal.integrated.enableImages, whose image addon
    // also makes DA1 list sixel: without that 4, iTerm2 images would show nothing.
    if program == "vscode", caps.primaryAttributes != nil, !caps.hasSixel {
        return pick(blocks, "\(blocksNote): VS Code's terminal without images (its DA1 does not list 4)",
                    hint: "VS Code: turn on terminal.integrated.enableImages for pixels")
    }
    if let name = [version, program].first(where: { v in !v.isEmpty && itermNames.contains { v.hasPrefix($0) } }) {
        return pick(.iterm(), "iTerm2 inline images: the terminal is \(name)")
    }
    guard caps.primaryAttributes != nil else {
        return pick(blocks, "\(blocksNote): the terminal has not answered DA1 (yet)")
    }
    guard caps.hasSixel else {
        let kitty = caps.kittyGraphics == false ? ", the kitty query was refused" : ", no kitty answer"
        return pick(blocks, "\(blocksNote): DA1 does not list sixel (4)\(kitty)")
    }
    guard registers >= 64 else {
        return pick(blocks, "\(blocksNote): only \(registers) sixel colour registers")
    }
    return pick(sixel, "sixel, \(min(256, registers)) colours, up to \(maxSize)")
}
