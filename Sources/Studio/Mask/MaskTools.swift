/// The fill tools: whole-layer operations that produce a new layer from the old one and the image's level.
enum MaskTools {
    /// Fills the 4-connected region around (x, y) whose intensity is within `tolerance` of the seed's with
    /// `value`. Returns the rectangle that changed (empty when the seed is outside).
    @discardableResult
    static func floodFill(_ layer: inout MaskLayer, x: Int, y: Int, value: Float, level: Float,
                          tolerance: Float = 1e-4) -> PixelRect {
        guard x >= 0, y >= 0, x < layer.width, y < layer.height else { return .empty }
        let w = layer.width, h = layer.height
        let seed = layer.value(x: x, y: y, level: level)
        var visited = [Bool](repeating: false, count: w * h)
        var stack = [(x, y)]
        var minX = x, maxX = x, minY = y, maxY = y
        visited[y * w + x] = true
        func matches(_ i: Int) -> Bool {
            let v = layer.values[i]
            return abs((v.isNaN ? level : v) - seed) <= tolerance
        }
        while let (px, py) = stack.popLast() {
            layer.values[py * w + px] = value
            minX = min(minX, px); maxX = max(maxX, px); minY = min(minY, py); maxY = max(maxY, py)
            for (nx, ny) in [(px - 1, py), (px + 1, py), (px, py - 1), (px, py + 1)]
            where nx >= 0 && ny >= 0 && nx < w && ny < h {
                let i = ny * w + nx
                if !visited[i] && matches(i) { visited[i] = true; stack.append((nx, ny)) }
            }
        }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// Where pixel (px, py) lies along the line from `a` to `b`: 0 at or before `a`, 1 at or past `b`.
    static func ramp(_ px: Int, _ py: Int, from a: (x: Float, y: Float), to b: (x: Float, y: Float)) -> Float {
        let dx = b.x - a.x, dy = b.y - a.y
        let length2 = dx * dx + dy * dy
        guard length2 > 0 else { return 1 }
        let t = ((Float(px) + 0.5 - a.x) * dx + (Float(py) + 0.5 - a.y) * dy) / length2
        return min(max(t, 0), 1)
    }

    /// A linear gradient over the whole layer: `startValue` up to `a`, `endValue` from `b` on, linear between.
    static func linearGradient(_ layer: inout MaskLayer, from a: (x: Float, y: Float), to b: (x: Float, y: Float),
                               startValue: Float, endValue: Float) {
        for py in 0..<layer.height {
            for px in 0..<layer.width {
                layer[px, py] = startValue + (endValue - startValue) * ramp(px, py, from: a, to: b)
            }
        }
    }

    /// `count` strips of constant intensity across the line from `a` to `b`, stepping evenly from `startValue`
    /// to `endValue` (the reference's spatial-control demos use vertical strips like these).
    static func strips(_ layer: inout MaskLayer, from a: (x: Float, y: Float), to b: (x: Float, y: Float),
                       startValue: Float, endValue: Float, count: Int) {
        let n = max(2, count)
        for py in 0..<layer.height {
            for px in 0..<layer.width {
                let band = min(n - 1, Int(ramp(px, py, from: a, to: b) * Float(n)))
                layer[px, py] = startValue + (endValue - startValue) * Float(band) / Float(n - 1)
            }
        }
    }

    /// Mirrors every painted value in the range: v → lo + hi − v (the level is mirrored by the caller).
    static func invert(_ layer: inout MaskLayer, range: ClosedRange<Float>) {
        let sum = range.lowerBound + range.upperBound
        for i in layer.values.indices where !layer.values[i].isNaN { layer.values[i] = sum - layer.values[i] }
    }
}
