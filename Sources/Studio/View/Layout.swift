/// Where everything goes on the screen, for a state (and so for its size): one function used both to draw and to
/// interpret the mouse, so the two cannot disagree.
///
///     row 0          title: image, size, view, renderer
///     rows 1…r-4     canvas (and, on the right, the training panel)
///     row r-3        level slider
///     row r-2        tool bar
///     row r-1        status line (the canvas never reaches the last row: a sixel there would scroll)
struct Layout: Equatable {
    var size: CellSize
    var canvas: CellRect
    var panel: CellRect?
    var sliderRow: Int
    var toolRow: Int
    var statusRow: Int
    /// The slider's track: the columns a click or drag maps onto the range.
    var sliderTrack: (x: Int, width: Int)

    static let sliderLabel = "level "
    static let sliderTail = 20

    init(_ state: StudioState) {
        size = state.size
        let rows = size.rows, cols = size.columns
        let panelWidth = state.panel.visible ? max(36, cols * 2 / 5) : 0
        canvas = CellRect(x: 0, y: 1, width: cols - (panelWidth > 0 ? panelWidth + 1 : 0), height: max(1, rows - 4))
        panel = panelWidth > 0 ? CellRect(x: cols - panelWidth, y: 1, width: panelWidth, height: max(1, rows - 4)) : nil
        sliderRow = rows - 3
        toolRow = rows - 2
        statusRow = rows - 1
        sliderTrack = (Self.sliderLabel.count + 1, max(4, cols - Self.sliderLabel.count - 2 - Self.sliderTail))
    }

    static func == (a: Layout, b: Layout) -> Bool {
        a.size == b.size && a.canvas == b.canvas && a.panel == b.panel && a.sliderTrack == b.sliderTrack
    }

    /// The canvas panes for the current view: one, or two side by side with a one-column gap.
    static func panes(_ state: StudioState, layout: Layout) -> [CanvasPane] {
        guard let doc = state.document, let image = doc.image else { return [] }
        let c = layout.canvas
        let ppc = state.graphics.pixelsPerCell(canvas: CellSize(columns: c.width, rows: c.height))
        func pane(_ rect: CellRect, _ content: PaneContent) -> CanvasPane {
            CanvasPane(viewport: Viewport(rect: rect, pixelsPerCell: ppc, imageWidth: image.width,
                                          imageHeight: image.height, transform: doc.transform), content: content)
        }
        switch state.viewMode {
        case .output: return [pane(c, .output)]
        case .input: return [pane(c, .input)]
        case .overlay: return [pane(c, .overlay)]
        case .wipe: return [pane(c, .wipe(divider: state.wipe))]
        case .sideBySide:
            let w = (c.width - 1) / 2
            return [pane(CellRect(x: c.x, y: c.y, width: w, height: c.height), .input),
                    pane(CellRect(x: c.x + w + 1, y: c.y, width: w, height: c.height), .output)]
        }
    }
}
