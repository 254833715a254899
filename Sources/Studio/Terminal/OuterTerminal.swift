/// What the terminal outside tmux answered to the queries sent to it through tmux's passthrough (tmux 3.3 hands
/// those answers to the pane): the same DA1, XTVERSION and XTSMGRAPHICS as a terminal's own, arriving after tmux's
/// own DA1, which ends tmux's answers.
public struct OuterTerminal: Sendable, Equatable {
    public var primaryAttributes: [Int]?
    public var version: String?
    public var colourRegisters: Int?
    public var sixelGeometry: PixelSize?

    public init(primaryAttributes: [Int]? = nil, version: String? = nil, colourRegisters: Int? = nil, sixelGeometry: PixelSize? = nil) {
        self.primaryAttributes = primaryAttributes
        self.version = version
        self.colourRegisters = colourRegisters
        self.sixelGeometry = sixelGeometry
    }

    /// Sixel iff the outer DA1 lists attribute 4 exactly.
    public var hasSixel: Bool { primaryAttributes?.dropFirst().contains(4) ?? false }

    /// Anything at all came back: the passthrough works, whatever tmux's option says.
    public var answered: Bool { primaryAttributes != nil || version != nil || colourRegisters != nil }

    /// The batch sent through the passthrough: the kitty query, XTVERSION, XTSMGRAPHICS reads and DA1 (the outer
    /// terminal's fence), one wrapper.
    static var queries: String {
        TmuxPassthrough.wrap(KittyGraphics.query(id: KittyGraphics.passthroughQueryID)
                             + "\u{1B}[>0q\u{1B}[?1;1;0S\u{1B}[?2;1;0S\u{1B}[c")
    }
}
