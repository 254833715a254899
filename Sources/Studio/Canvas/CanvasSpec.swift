import ImageIO

/// What the canvas shows.
enum ViewMode: String, CaseIterable, Codable, Sendable {
    case output, input, overlay, sideBySide, wipe

    var label: String {
        switch self {
        case .output: return "output"
        case .input: return "input"
        case .overlay: return "mask overlay"
        case .sideBySide: return "side by side"
        case .wipe: return "wipe"
        }
    }
}

/// What one pane of the canvas draws.
enum PaneContent: Equatable, Sendable {
    case input, output, overlay
    /// Input left of the divider, output right of it; the divider as a fraction of the pane's width.
    case wipe(divider: Float)
}

struct CanvasPane: Equatable, Sendable {
    var viewport: Viewport
    var content: PaneContent
}

/// A marker drawn over the image: the brush outline under the keyboard cursor, or the first point of a gradient.
struct CanvasMarker: Equatable, Sendable {
    var x: Float, y: Float
    /// Brush radius in image pixels; 0 for a plain cross.
    var radius: Float
}

/// Everything that decides the canvas' pixels, except the pixel arrays themselves (named by versions instead), so
/// that "did the canvas change?" is a cheap comparison and compositing can run off the UI thread.
struct CanvasSpec: Equatable, Sendable {
    /// The cells the canvas covers (the whole canvas area, all panes).
    var rect: CellRect
    var pixelsPerCell: (x: Float, y: Float)
    var panes: [CanvasPane]
    var overlayOpacity: Float
    var range: ClosedRange<Float>
    var level: Float
    var markers: [CanvasMarker]
    /// Identify the pixel data: which image, which mask edit, which rendered frame.
    var document: Int
    var maskVersion: Int
    var outputVersion: Int
    /// Where a full-resolution detail of that frame covers the photo (nil: none).
    var detailRegion: PixelRect? = nil

    var pixelWidth: Int { Int(Float(rect.width) * pixelsPerCell.x) }
    var pixelHeight: Int { Int(Float(rect.height) * pixelsPerCell.y) }

    static func == (a: CanvasSpec, b: CanvasSpec) -> Bool {
        a.rect == b.rect && a.pixelsPerCell.x == b.pixelsPerCell.x && a.pixelsPerCell.y == b.pixelsPerCell.y
            && a.panes == b.panes && a.overlayOpacity == b.overlayOpacity && a.range == b.range && a.level == b.level
            && a.markers == b.markers && a.document == b.document && a.maskVersion == b.maskVersion
            && a.outputVersion == b.outputVersion && a.detailRegion == b.detailRegion
    }
}

/// The pixel data a `CanvasSpec` names.
struct CanvasSources: Sendable {
    var input: RGBImage
    /// The latest rendered frame (any size: previews are smaller); nil before the first one.
    var output: RGBImage?
    var mask: MaskLayer?
    /// Full-resolution pixels of part of the photo, preferred to `output` where they cover it.
    var detail: DetailFrame? = nil
}
