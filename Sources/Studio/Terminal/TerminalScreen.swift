/// What the runtime needs from a terminal: the one seam between the studio and ncurses, so the runtime can be
/// driven by an in-memory screen in tests and the state machine never sees a terminal at all.
protocol TerminalScreen: AnyObject {
    /// The size in cells, as the terminal last reported it.
    var size: CellSize { get }
    /// The terminal's file descriptor while started (for a last-ditch restore on a crash).
    var descriptor: Int32 { get }
    /// Writing a byte here wakes `readInput` (background work uses it to say it has news).
    var wakeDescriptor: Int32 { get }
    /// `TIOCGWINSZ`: the window in pixels (when the terminal fills those fields in) and in cells.
    var windowPixels: PixelSize? { get }

    func start() throws
    /// Puts the terminal back as it was (mouse modes off, cursor shown, main screen). Safe to call twice.
    func stop()

    /// Waits up to `timeoutMilliseconds` for input or a wake-up, then returns what arrived.
    func readInput(timeoutMilliseconds: Int) -> TerminalInput
    /// Draws the text layer of a frame (cells outside the canvas), then flushes it.
    func draw(_ frame: Frame)
    /// Writes bytes straight to the terminal (escape sequences, sixel, half blocks), after the text is flushed.
    func write(_ bytes: [UInt8])
    /// Forgets what the screen shows, so the next `draw` repaints every cell (Ctrl-L, after a resize).
    func invalidate()
}

struct TerminalInput {
    var bytes: [UInt8] = []
    var resized = false
}

/// Escape sequences the studio sends itself.
enum TerminalSequence {
    static let saveCursor = "\u{1B}7"
    static let restoreCursor = "\u{1B}8"
    static let hideCursor = "\u{1B}[?25l"
    static let beginSynchronized = "\u{1B}[?2026h"
    static let endSynchronized = "\u{1B}[?2026l"
    static let resetAttributes = "\u{1B}[0m"
    /// Button-event tracking (motion while a button is held) with SGR coordinates.
    static let mouseOn = "\u{1B}[?1000h\u{1B}[?1002h\u{1B}[?1006h"
    static let pixelMouseOn = "\u{1B}[?1016h"
    static let focusEventsOn = "\u{1B}[?1004h"
    static let focusEventsOff = "\u{1B}[?1004l"
    /// Everything the studio may have switched on, switched off again.
    static let restore = "\u{1B}[?1004l\u{1B}[?1016l\u{1B}[?1006l\u{1B}[?1003l\u{1B}[?1002l\u{1B}[?1000l\u{1B}[?2026l\u{1B}[0m\u{1B}[?25h"

    /// Cursor to a cell (0-based in, 1-based on the wire).
    static func moveTo(column: Int, row: Int) -> String { "\u{1B}[\(row + 1);\(column + 1)H" }
}
