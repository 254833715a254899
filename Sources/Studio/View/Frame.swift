/// A colour of the text layer.
enum TermColour: Hashable, Sendable {
    case `default`
    /// One of the 256 palette colours.
    case index(UInt8)
}

struct CellStyle: Hashable, Sendable {
    var foreground = TermColour.default
    var background = TermColour.default
    var bold = false
    var dim = false
    var reverse = false

    static let plain = CellStyle()
    static let title = CellStyle(foreground: .index(231), background: .index(24), bold: true)
    static let dimmed = CellStyle(foreground: .index(245))
    static let accent = CellStyle(foreground: .index(214), bold: true)
    static let error = CellStyle(foreground: .index(231), background: .index(124), bold: true)
    static let popup = CellStyle(foreground: .index(252), background: .index(236))
    static let popupTitle = CellStyle(foreground: .index(214), background: .index(236), bold: true)
    static let selected = CellStyle(foreground: .index(16), background: .index(214))

    /// Distinct colours for chart series (the index into this list is stable per series).
    static let series: [UInt8] = [39, 208, 41, 199, 226, 51, 141, 196, 118, 219]
}

struct Cell: Equatable, Sendable {
    var character: Character = " "
    var style = CellStyle.plain
}

/// What the screen should show: a grid of text cells, and where the canvas image goes (drawn by the terminal layer
/// over cells left blank here).
struct Frame: Sendable {
    let size: CellSize
    var cells: [Cell]
    var canvas: CanvasSpec?
    /// The training run's newest strip, drawn like the canvas over blank cells of the panel.
    var strip: StripSpec?
    /// A popup lies over the canvas: the image must not be drawn until it closes (it would paint over the popup).
    var popupOverCanvas = false

    init(size: CellSize) {
        self.size = size
        cells = [Cell](repeating: Cell(), count: max(0, size.columns * size.rows))
    }

    subscript(column: Int, row: Int) -> Cell {
        get { cells[row * size.columns + column] }
        set { cells[row * size.columns + column] = newValue }
    }

    /// Writes `text` from (column, row), clipped to `width` columns (and to the screen). One cell per character.
    mutating func put(_ text: String, column: Int, row: Int, style: CellStyle = .plain, width: Int? = nil) {
        guard row >= 0, row < size.rows else { return }
        let limit = min(size.columns, column + (width ?? size.columns))
        var c = column
        for ch in text {
            guard c < limit else { break }
            if c >= 0 { self[c, row] = Cell(character: ch, style: style) }
            c += 1
        }
    }

    mutating func fill(_ rect: CellRect, _ character: Character = " ", style: CellStyle = .plain) {
        for r in max(0, rect.y)..<min(size.rows, rect.y + rect.height) {
            for c in max(0, rect.x)..<min(size.columns, rect.x + rect.width) {
                self[c, r] = Cell(character: character, style: style)
            }
        }
    }

    /// A box with a title in its top border, filled with `style`.
    mutating func box(_ rect: CellRect, title: String, style: CellStyle = .popup) {
        fill(rect, style: style)
        let w = rect.width, h = rect.height
        guard w >= 2, h >= 2 else { return }
        put("┌" + String(repeating: "─", count: w - 2) + "┐", column: rect.x, row: rect.y, style: style)
        for r in 1..<(h - 1) {
            put("│", column: rect.x, row: rect.y + r, style: style)
            put("│", column: rect.x + w - 1, row: rect.y + r, style: style)
        }
        put("└" + String(repeating: "─", count: w - 2) + "┘", column: rect.x, row: rect.y + h - 1, style: style)
        if !title.isEmpty { put(" \(title) ", column: rect.x + 2, row: rect.y, style: .popupTitle, width: w - 4) }
    }

    /// The screen as text, one string per row (for tests and golden screens).
    var lines: [String] {
        (0..<size.rows).map { r in String(cells[(r * size.columns)..<((r + 1) * size.columns)].map(\.character)) }
    }
}
