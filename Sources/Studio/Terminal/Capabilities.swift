/// What the terminal said about itself: folded from the replies to the start-up queries.
public struct TerminalCapabilities: Sendable, Equatable {
    /// DA1's attribute list; nil until the terminal answered (every terminal answers DA1: it is the fence).
    public var primaryAttributes: [Int]?
    public var version: String?
    /// From `CSI 16 t`.
    public var reportedCellPixels: PixelSize?
    /// From `CSI 14 t` and `CSI 18 t`.
    public var textAreaPixels: PixelSize?
    public var textAreaCells: CellSize?
    /// From `TIOCGWINSZ` (`ws_xpixel`, `ws_ypixel`, with the cell counts of the same call).
    public var ioctlPixels: PixelSize?
    public var ioctlCells: CellSize?
    /// XTSMGRAPHICS item 1 (read).
    public var colourRegisters: Int?
    /// XTSMGRAPHICS item 2 (read): the largest sixel image.
    public var sixelGeometry: PixelSize?
    /// DECRPM for 2026 and 1016: nil when not answered.
    public var synchronizedOutput: Bool?
    public var pixelMouse: Bool?
    /// The kitty graphics query (`a=q`, id `KittyGraphics.queryID`): true when answered `OK` (before DA1, or late),
    /// false when answered with an error, nil when not answered.
    public var kittyGraphics: Bool?
    /// The same query sent through tmux's passthrough (id `KittyGraphics.passthroughQueryID`), answered by the
    /// terminal outside tmux (few tmux versions forward the answer; nil is the common case).
    public var kittyThroughTmux: Bool?
    /// The shared-memory transmission query (`t=s`): true when the terminal read the object (it is on this machine).
    public var kittySharedMemory: Bool?
    /// Inside tmux: the first DA1 is tmux's own, and DA1, XTVERSION and XTSMGRAPHICS answers after it come from
    /// the terminal outside (asked through the passthrough), into `outer`.
    public var behindTmux = false
    public var outer = OuterTerminal()

    public init() {}

    /// Set when this reply is the outer terminal's (see `behindTmux`).
    private var fromOuter: Bool { behindTmux && primaryAttributes != nil }

    /// Sixel iff DA1 lists attribute 4 exactly (14, 24 and 41 are other things).
    public var hasSixel: Bool { primaryAttributes?.dropFirst().contains(4) ?? false }

    public mutating func apply(_ reply: TerminalReply) {
        switch reply {
        case .primaryAttributes(let a):
            if fromOuter { outer.primaryAttributes = a } else { primaryAttributes = a }
        case .cellPixels(let w, let h): if w > 0 && h > 0 { reportedCellPixels = PixelSize(width: w, height: h) }
        case .textAreaPixels(let w, let h): if w > 0 && h > 0 { textAreaPixels = PixelSize(width: w, height: h) }
        case .textAreaCells(let c, let r): if c > 0 && r > 0 { textAreaCells = CellSize(columns: c, rows: r) }
        case .graphicsAttribute(let item, let status, let values):
            guard status == 0 else { return }
            // tmux with sixel answers XTSMGRAPHICS itself (after a resize too): that is its own.
            if fromOuter && !hasSixel {
                if item == 1, let n = values.first { outer.colourRegisters = n }
                if item == 2, values.count >= 2 { outer.sixelGeometry = PixelSize(width: values[0], height: values[1]) }
                return
            }
            if item == 1, let n = values.first { colourRegisters = n }
            if item == 2, values.count >= 2 { sixelGeometry = PixelSize(width: values[0], height: values[1]) }
        case .modeReport(let mode, let state):
            // 0: not recognised; 1/2: set/reset; 3/4: permanently set/reset (4 means it cannot be used).
            let usable = state == 1 || state == 2 || state == 3
            if mode == 2026 { synchronizedOutput = usable }
            if mode == 1016 { pixelMouse = usable }
        case .version(let v):
            if fromOuter { outer.version = v } else { version = v }
        case .kittyGraphics(let id, let message):
            if id == KittyGraphics.queryID { kittyGraphics = message == "OK" }
            if id == KittyGraphics.passthroughQueryID { kittyThroughTmux = message == "OK" }
            if id == KittyGraphics.sharedMemoryQueryID { kittySharedMemory = message == "OK" }
        case .other: break
        }
    }

    /// One cell in pixels, and where that came from: `TIOCGWINSZ` when plausible, else `CSI 16 t`, else the text
    /// area divided by the cells, else 10x20 (what Windows Terminal pretends).
    public func cellPixels(columns: Int, rows: Int) -> (size: PixelSize, source: String) {
        if let p = ioctlPixels, let c = ioctlCells, c.columns > 0, c.rows > 0,
           p.width >= 2 * c.columns, p.height >= 4 * c.rows, p.width < 24_000, p.height < 24_000 {
            return (PixelSize(width: p.width / c.columns, height: p.height / c.rows), "TIOCGWINSZ")
        }
        if let p = reportedCellPixels { return (p, "CSI 16 t") }
        if let p = textAreaPixels {
            let c = textAreaCells ?? CellSize(columns: columns, rows: rows)
            if c.columns > 0, c.rows > 0, p.width >= 2 * c.columns, p.height >= 4 * c.rows {
                return (PixelSize(width: p.width / c.columns, height: p.height / c.rows), "CSI 14 t / 18 t")
            }
        }
        return (PixelSize(width: 10, height: 20), "default 10x20")
    }
}

public struct PixelSize: Sendable, Equatable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }
}

public struct CellSize: Sendable, Equatable, Codable, CustomStringConvertible {
    public var columns: Int
    public var rows: Int
    public init(columns: Int, rows: Int) { self.columns = columns; self.rows = rows }
    public var description: String { "\(columns)x\(rows)" }
}

/// The start-up queries, sent as one batch and fenced by DA1.
public enum CapabilityProbe {
    /// The batch for this environment. The kitty query goes first so that its answer, when there is one, comes
    /// before DA1's. It is not sent as is inside tmux or GNU screen: both take an APC for a window title. Inside
    /// tmux, after tmux's own batch, the outer terminal is asked the same through the passthrough (tmux drops it
    /// unless `allow-passthrough` is on).
    public static func queries(environment: [String: String], sharedMemoryObject: String? = nil) -> String {
        if environment["TMUX"] != nil { return queries + OuterTerminal.queries }
        if environment["STY"] != nil { return queries }
        return KittyGraphics.query(id: KittyGraphics.queryID) + (sharedMemoryObject.map(KittySharedMemory.query) ?? "") + queries
    }

    /// Whether this environment gets the kitty queries as is (so a shared-memory object is worth making for one).
    static func asksKittyDirectly(_ environment: [String: String]) -> Bool {
        environment["TMUX"] == nil && environment["STY"] == nil
    }

    /// The queries every terminal is sent.
    public static let queries: String = [
        "\u{1B}[>0q",          // XTVERSION
        "\u{1B}[16t",          // cell size in pixels
        "\u{1B}[14t",          // text area in pixels
        "\u{1B}[18t",          // text area in cells
        "\u{1B}[?1;1;0S",      // XTSMGRAPHICS: colour registers
        "\u{1B}[?2;1;0S",      // XTSMGRAPHICS: sixel geometry
        "\u{1B}[?2026$p",      // DECRQM synchronized output
        "\u{1B}[?1016$p",      // DECRQM SGR-pixel mouse
        "\u{1B}[c",            // DA1: the fence
    ].joined()

    /// Sent again after a resize: the answers that depend on the window's size.
    public static let resizeQueries = "\u{1B}[16t\u{1B}[?2;1;0S"

    /// How long start-up waits for the fence before the UI comes up on half blocks (late answers still count).
    public static let timeoutSeconds = 0.25
}
