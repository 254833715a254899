/// A rectangle of terminal cells.
struct CellRect: Equatable, Sendable {
    var x: Int, y: Int, width: Int, height: Int

    func contains(column: Int, row: Int) -> Bool {
        column >= x && column < x + width && row >= y && row < y + height
    }

    func intersects(_ o: CellRect) -> Bool {
        x < o.x + o.width && x + width > o.x && y < o.y + o.height && y + height > o.y
    }
}

/// Zoom and pan of one image, kept per image and saved with the session.
struct ViewTransform: Equatable, Sendable, Codable {
    /// 1 fits the whole image in the canvas; 2 shows it twice as large.
    var zoom: Float = 1
    /// The image point at the centre of the canvas; nil: the image's centre.
    var centerX: Float?
    var centerY: Float?

    static let zoomRange: ClosedRange<Float> = 0.25...64
}

/// Maps between terminal cells, view pixels (what the canvas image is made of: sixel pixels, or the 1x2 pixels of
/// a half-block cell) and image pixels, at any zoom and pan. Image coordinates are continuous: pixel (i, j)
/// covers [i, i+1) x [j, j+1).
struct Viewport: Equatable, Sendable {
    /// The cells the image is drawn in.
    var rect: CellRect
    /// View pixels per cell (the cell size in pixels for sixel, scaled down when the terminal caps the image;
    /// 1x2 for half blocks).
    var pixelsPerCell: (x: Float, y: Float)
    var imageWidth: Int
    var imageHeight: Int
    var zoom: Float
    var centerX: Float
    var centerY: Float

    init(rect: CellRect, pixelsPerCell: (x: Float, y: Float), imageWidth: Int, imageHeight: Int,
         transform: ViewTransform) {
        self.rect = rect
        self.pixelsPerCell = pixelsPerCell
        self.imageWidth = max(1, imageWidth)
        self.imageHeight = max(1, imageHeight)
        zoom = transform.zoom
        // Within the image, as pan and zoom keep it: a restored session may say otherwise, and a centre at
        // -3e38 put the brush's dab rectangle beyond Int (found by the suite under check-ubsan).
        centerX = min(max(transform.centerX ?? Float(imageWidth) / 2, 0), Float(self.imageWidth))
        centerY = min(max(transform.centerY ?? Float(imageHeight) / 2, 0), Float(self.imageHeight))
    }

    static func == (a: Viewport, b: Viewport) -> Bool {
        a.rect == b.rect && a.pixelsPerCell.x == b.pixelsPerCell.x && a.pixelsPerCell.y == b.pixelsPerCell.y
            && a.imageWidth == b.imageWidth && a.imageHeight == b.imageHeight && a.zoom == b.zoom
            && a.centerX == b.centerX && a.centerY == b.centerY
    }

    var viewWidth: Int { Int(Float(rect.width) * pixelsPerCell.x) }
    var viewHeight: Int { Int(Float(rect.height) * pixelsPerCell.y) }

    /// View pixels per image pixel at zoom 1: the whole image fits.
    var fitScale: Float { min(Float(viewWidth) / Float(imageWidth), Float(viewHeight) / Float(imageHeight)) }
    var scale: Float { max(1e-6, fitScale * zoom) }

    func imagePoint(viewX: Float, viewY: Float) -> (x: Float, y: Float) {
        (centerX + (viewX - Float(viewWidth) / 2) / scale, centerY + (viewY - Float(viewHeight) / 2) / scale)
    }

    /// The photo pixels the view shows, widened by `margin` of the view's size on each side, within the photo.
    func visibleImageRect(margin: Float) -> PixelRect {
        let a = imagePoint(viewX: -margin * Float(viewWidth), viewY: -margin * Float(viewHeight))
        let b = imagePoint(viewX: (1 + margin) * Float(viewWidth), viewY: (1 + margin) * Float(viewHeight))
        let x0 = Int(a.x.rounded(.down)), y0 = Int(a.y.rounded(.down))
        return PixelRect(x: x0, y: y0, width: Int(b.x.rounded(.up)) - x0, height: Int(b.y.rounded(.up)) - y0)
            .clamped(width: imageWidth, height: imageHeight)
    }

    func viewPoint(imageX: Float, imageY: Float) -> (x: Float, y: Float) {
        ((imageX - centerX) * scale + Float(viewWidth) / 2, (imageY - centerY) * scale + Float(viewHeight) / 2)
    }

    /// The image point under a mouse report: the exact pixel when the terminal reports pixels (`cellPixels` is the
    /// terminal's cell size, to convert), else the centre of the cell.
    func imagePoint(column: Int, row: Int, pixel: (x: Int, y: Int)?, cellPixels: PixelSize) -> (x: Float, y: Float) {
        if let p = pixel {
            // The reported pixel covers [p, p+1): take its centre.
            let vx = (Float(p.x) + 0.5 - Float(rect.x * cellPixels.width)) * pixelsPerCell.x / Float(cellPixels.width)
            let vy = (Float(p.y) + 0.5 - Float(rect.y * cellPixels.height)) * pixelsPerCell.y / Float(cellPixels.height)
            return imagePoint(viewX: vx, viewY: vy)
        }
        return imagePoint(viewX: (Float(column - rect.x) + 0.5) * pixelsPerCell.x,
                          viewY: (Float(row - rect.y) + 0.5) * pixelsPerCell.y)
    }

    func containsImagePoint(_ p: (x: Float, y: Float)) -> Bool {
        p.x >= 0 && p.y >= 0 && p.x < Float(imageWidth) && p.y < Float(imageHeight)
    }

    /// The transform after zooming by `factor` while keeping the image point `anchor` where it is on screen.
    func zoomed(by factor: Float, at anchor: (x: Float, y: Float)?) -> ViewTransform {
        let newZoom = min(max(zoom * factor, ViewTransform.zoomRange.lowerBound), ViewTransform.zoomRange.upperBound)
        let a = anchor ?? (centerX, centerY)
        let k = zoom / newZoom
        return clampedTransform(zoom: newZoom, centerX: a.x + (centerX - a.x) * k, centerY: a.y + (centerY - a.y) * k)
    }

    /// The transform after moving the view by (dx, dy) view pixels (the image follows the pointer).
    func panned(viewDX dx: Float, viewDY dy: Float) -> ViewTransform {
        clampedTransform(zoom: zoom, centerX: centerX - dx / scale, centerY: centerY - dy / scale)
    }

    /// Pans just enough that the image point `p` is inside the view with a margin.
    func revealing(_ p: (x: Float, y: Float)) -> ViewTransform {
        let v = viewPoint(imageX: p.x, imageY: p.y)
        let marginX = Float(viewWidth) * 0.1, marginY = Float(viewHeight) * 0.1
        var dx: Float = 0, dy: Float = 0
        if v.x < marginX { dx = marginX - v.x } else if v.x > Float(viewWidth) - marginX { dx = Float(viewWidth) - marginX - v.x }
        if v.y < marginY { dy = marginY - v.y } else if v.y > Float(viewHeight) - marginY { dy = Float(viewHeight) - marginY - v.y }
        return dx == 0 && dy == 0 ? transform : panned(viewDX: dx, viewDY: dy)
    }

    var transform: ViewTransform { ViewTransform(zoom: zoom, centerX: centerX, centerY: centerY) }

    /// The centre stays on the image, so the image can never be panned out of sight.
    private func clampedTransform(zoom: Float, centerX: Float, centerY: Float) -> ViewTransform {
        ViewTransform(zoom: zoom, centerX: min(max(centerX, 0), Float(imageWidth)),
                      centerY: min(max(centerY, 0), Float(imageHeight)))
    }
}
