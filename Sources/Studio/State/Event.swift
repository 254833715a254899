import ImageIO
import Monitoring

/// Everything that can happen to the studio. Input comes from the terminal layer; the rest are results of
/// commands, delivered back by the runtime.
enum Event: Sendable {
    case key(Key)
    case mouse(MouseEvent)
    /// The terminal's size in cells.
    case resize(CellSize)
    /// What the terminal can draw, and how large a cell is in pixels (after detection, or a late answer).
    case graphics(GraphicsInfo)
    case imageLoaded(document: Int, image: RGBImage, sessionMask: MaskLayer?)
    case imageFailed(document: Int, message: String)
    case frameRendered(RenderResult)
    /// A full-resolution part of a proxied frame (`StudioState.wantedDetail`).
    case detailRendered(DetailFrame, document: Int)
    case renderFailed(id: Int, message: String)
    case exportProgress(ExportProgress)
    /// Lines appended to a followed log; `reset` when the log was truncated (a new run began).
    case logLines(source: String, lines: [String], reset: Bool, arrival: Double)
    case maskLoaded(document: Int, layer: MaskLayer, path: String)
    /// A file command finished: what to tell the user (an error when `isError`).
    case notice(String, isError: Bool)
    /// The training child runs; its metrics are followed under `metricsLabel`.
    case trainingStarted(pid: Int32, metricsLabel: String)
    case trainingFailedToStart(String)
    /// The child ended with exit status `code`, or was ended by signal `code` (`signalled`).
    case trainingExited(code: Int32, signalled: Bool)
    /// The newest trajectory strip of the run (file name), when it changes.
    case trainingStrip(String?)
    /// Seconds on a monotonic clock: drives debounced saves and expiring messages.
    case tick(now: Double)
}

/// How the canvas is drawn, as the state machine needs to know it (for layout and mouse mapping).
struct GraphicsInfo: Equatable, Sendable {
    var mode: GraphicsMode
    var cellPixels: PixelSize
    /// Mouse reports carry pixels (SGR-pixel mode 1016 is on).
    var pixelMouse: Bool
    /// Why this mode (shown by `--detect` and briefly in the status line).
    var reason: String
    /// How to get pixels when one setting is missing (tmux's passthrough): kept in the status line.
    var hint: String? = nil

    static let blocksDefault = GraphicsInfo(mode: .blocks(trueColour: true), cellPixels: PixelSize(width: 10, height: 20),
                                            pixelMouse: false, reason: "half blocks")

    /// View pixels per cell for a canvas of `cells`: the cell's pixels for kitty and iTerm2 images and for sixel
    /// (scaled down so the whole canvas stays within the terminal's largest image), 1x2 for half blocks.
    func pixelsPerCell(canvas cells: CellSize) -> (x: Float, y: Float) {
        switch mode {
        case .blocks:
            return (1, 2)
        case .kitty, .iterm:
            // The terminal scales the image to the cells it is placed on: send it at the cells' own pixels.
            return (Float(cellPixels.width), Float(cellPixels.height))
        case .sixel(_, let maxSize, _):
            let w = Float(cells.columns * cellPixels.width), h = Float(cells.rows * cellPixels.height)
            let k = min(1, Float(maxSize.width) / max(1, w), Float(maxSize.height) / max(1, h))
            return (Float(cellPixels.width) * k, Float(cellPixels.height) * k)
        }
    }
}

/// A frame the engine rendered.
struct RenderResult: Sendable {
    var id: Int
    var image: RGBImage
    var seconds: Double
    /// False for a quick low-resolution preview sent while the user drags, and for blends.
    var exact: Bool
    /// Blended from frames the engine cached at nearby levels (no network run).
    var blended = false
    /// False for a blend shown while the exact frame of the same request is still rendering.
    var isFinal = true
}
