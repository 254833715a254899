import Engine

/// A rectangle of image pixels, half-open: `x..<x+width`, `y..<y+height`.
struct PixelRect: Equatable, Sendable, Codable {
    var x: Int, y: Int, width: Int, height: Int

    static let empty = PixelRect(x: 0, y: 0, width: 0, height: 0)

    var isEmpty: Bool { width <= 0 || height <= 0 }
    var maxX: Int { x + width }
    var maxY: Int { y + height }

    func union(_ o: PixelRect) -> PixelRect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        let x0 = min(x, o.x), y0 = min(y, o.y)
        return PixelRect(x: x0, y: y0, width: max(maxX, o.maxX) - x0, height: max(maxY, o.maxY) - y0)
    }

    func contains(_ o: PixelRect) -> Bool {
        o.isEmpty || (!isEmpty && o.x >= x && o.y >= y && o.maxX <= maxX && o.maxY <= maxY)
    }

    func clamped(width w: Int, height h: Int) -> PixelRect {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(w, maxX), y1 = min(h, maxY)
        return x1 > x0 && y1 > y0 ? PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0) : .empty
    }
}

/// What the user painted over one image: a value per pixel, or NaN where nothing was painted and the pixel
/// follows the image's global level (the slider). The intensity the engine sees is `resolved(level:)`.
struct MaskLayer: Equatable, Sendable {
    let width: Int
    let height: Int
    var values: [Float]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [Float](repeating: .nan, count: width * height)
    }

    init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "MaskLayer: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    var isBlank: Bool { values.allSatisfy(\.isNaN) }
    var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    subscript(x: Int, y: Int) -> Float {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// The intensity at a pixel: the painted value, or the level where nothing is painted.
    func value(x: Int, y: Int, level: Float) -> Float {
        let v = values[y * width + x]
        return v.isNaN ? level : v
    }

    /// The intensity map the engine receives.
    func resolved(level: Float) -> [Float] {
        values.map { $0.isNaN ? level : $0 }
    }

    /// The painted layer as an `IntensityMap` with NaN where unpainted: what export jobs carry.
    var paintedMap: IntensityMap { IntensityMap(width: width, height: height, values: values) }

    /// The values inside `rect`, row by row (for undo steps).
    func copy(_ rect: PixelRect) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rect.width * rect.height)
        for y in rect.y..<rect.maxY { out += values[(y * width + rect.x)..<(y * width + rect.maxX)] }
        return out
    }

    mutating func paste(_ block: [Float], into rect: PixelRect) {
        for row in 0..<rect.height {
            let dst = (rect.y + row) * width + rect.x
            values.replaceSubrange(dst..<(dst + rect.width), with: block[(row * rect.width)..<((row + 1) * rect.width)])
        }
    }
}
