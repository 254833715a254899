import CNCurses
import Foundation

/// The terminal through ncursesw: UTF-8 text with colour pairs for the text layer; input read as raw bytes (keypad
/// off, so the studio's own parser sees mouse reports and query replies untouched); `KEY_RESIZE` for resizes.
/// Talks to `/dev/tty`, so `--detect > report.txt` works.
final class NCursesScreen: TerminalScreen {
    private(set) var size = CellSize(columns: 80, rows: 24)
    private var started = false
    private var tty: Int32 = -1
    /// The terminal's file descriptor while started.
    var descriptor: Int32 { tty }
    private var ttyFile: UnsafeMutablePointer<FILE>?
    private var screen: OpaquePointer?
    /// A pipe whose read end wakes `readInput` when something other than the keyboard has news.
    private let wakeRead: Int32
    let wakeDescriptor: Int32
    private var invalidated = false
    /// The last frame drawn: only cells that differ from it are handed to ncurses.
    private var previous: Frame?
    /// ncurses colour pairs already allocated, by style.
    private var pairs: [CellStyle: Int32] = [:]

    // ncurses macros Swift cannot import (NCURSES_MOUSE_VERSION 2).
    private static let reportMousePosition: mmask_t = 0o10 << 25
    private static let allMouseEvents: mmask_t = reportMousePosition - 1
    private static let attrReverse: attr_t = 1 << (10 + 8)
    private static let attrDim: attr_t = 1 << (12 + 8)
    private static let attrBold: attr_t = 1 << (13 + 8)

    init() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        wakeRead = fds[0]
        wakeDescriptor = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeDescriptor, F_SETFL, fcntl(wakeDescriptor, F_GETFL) | O_NONBLOCK)
    }

    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// A controlling terminal exists (stdout may be redirected).
    static var hasTerminal: Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    var windowPixels: PixelSize? {
        var ws = winsize()
        guard ioctl(tty, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_xpixel > 0, ws.ws_ypixel > 0 else { return nil }
        return PixelSize(width: Int(ws.ws_xpixel), height: Int(ws.ws_ypixel))
    }

    func start() throws {
        tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard tty >= 0, isatty(tty) == 1, let file = fdopen(tty, "r+") else { throw StudioError.notATerminal }
        ttyFile = file
        setlocale(LC_ALL, "")
        guard let sp = newterm(nil, file, file) else { throw StudioError.notATerminal }
        screen = sp
        set_term(sp)
        raw()                    // Ctrl+C, Ctrl+Z, Ctrl+S, Ctrl+Y arrive as keys
        noecho()
        nonl()
        keypad(stdscr, false)    // the studio parses escape sequences itself
        nodelay(stdscr, true)
        scrollok(stdscr, false)  // no scroll regions that would shift graphics
        idlok(stdscr, false)
        leaveok(stdscr, true)
        curs_set(0)
        if has_colors() {
            start_color()
            use_default_colors()
        }
        mouseinterval(0)         // a press is reported at once, not after click resolution
        mousemask(Self.allMouseEvents | Self.reportMousePosition, nil)
        started = true
        size = CellSize(columns: Int(COLS), rows: Int(LINES))
        write(Array(TerminalSequence.mouseOn.utf8))
    }

    func stop() {
        guard started else { return }
        started = false
        write(Array(TerminalSequence.restore.utf8))
        endwin()
        if let screen { delscreen(screen) }
        pairs.removeAll()
        previous = nil
        screen = nil
        if let ttyFile { fclose(ttyFile) }   // closes `tty` too
        ttyFile = nil
        tty = -1
    }

    func readInput(timeoutMilliseconds: Int) -> TerminalInput {
        var input = TerminalInput()
        var fds = [pollfd(fd: tty, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, Int32(timeoutMilliseconds))   // EINTR (SIGWINCH) falls through to getch below
        if fds[1].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &sink, 64) > 0 {}
        }
        while true {
            let c = wgetch(stdscr)
            if c == ERR { break }
            if c == KEY_RESIZE {
                input.resized = true
                size = CellSize(columns: Int(COLS), rows: Int(LINES))
            } else if c >= 0 && c < 256 {
                input.bytes.append(UInt8(c))
            }
        }
        return input
    }

    func invalidate() {
        invalidated = true
    }

    func draw(_ frame: Frame) {
        guard started else { return }
        if invalidated {
            clearok(curscr, true)
            invalidated = false
            previous = nil
        }
        let last = previous?.size == frame.size ? previous : nil
        previous = frame
        let rows = min(frame.size.rows, Int(LINES)), cols = min(frame.size.columns, Int(COLS))
        var cc = cchar_t()
        for r in 0..<rows {
            for c in 0..<cols {
                let cell = frame[c, r]
                if let last, last[c, r] == cell { continue }
                let pair: Int32
                if let known = pairs[cell.style] { pair = known } else {
                    pair = alloc_pair(colour(cell.style.foreground), colour(cell.style.background))
                    pairs[cell.style] = pair
                }
                var attrs: attr_t = 0
                if cell.style.bold { attrs |= Self.attrBold }
                if cell.style.dim { attrs |= Self.attrDim }
                if cell.style.reverse { attrs |= Self.attrReverse }
                var wide = cell.character.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) } + [0]
                var extendedPair = max(0, pair)
                setcchar(&cc, &wide, attrs, 0, &extendedPair)
                mvwadd_wch(stdscr, Int32(r), Int32(c), &cc)
            }
        }
        wnoutrefresh(stdscr)
        doupdate()
    }

    private func colour(_ c: TermColour) -> Int32 {
        switch c {
        case .default: return -1
        case .index(let i): return COLORS >= 256 ? Int32(i) : Int32(Self.basic(i))
        }
    }

    /// Nearest of the 8 basic colours, for terminals without 256.
    private static func basic(_ i: UInt8) -> UInt8 {
        if i < 8 { return i }
        if i < 16 { return i - 8 }
        let (r, g, b) = HalfBlocks.rgb(ofPaletteIndex: i)
        return (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0)
    }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Foundation.write(tty, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; return }
                offset += n
            }
        }
    }
}
