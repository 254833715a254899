import Foundation
import ImageIO

/// The training run's newest trajectory strip, drawn as a picture at the foot of the training panel.
struct StripSpec: Equatable, Sendable {
    /// The cells it may cover; the strip is scaled to fit them, keeping its aspect.
    var rect: CellRect
    var pixelsPerCell: (x: Float, y: Float)
    /// The PNG; a new strip has a new name (`step_000120.png`), so the path identifies the pixels.
    var file: String

    var pixelWidth: Int { Int(Float(rect.width) * pixelsPerCell.x) }
    var pixelHeight: Int { Int(Float(rect.height) * pixelsPerCell.y) }

    static func == (a: StripSpec, b: StripSpec) -> Bool {
        a.rect == b.rect && a.pixelsPerCell.x == b.pixelsPerCell.x && a.pixelsPerCell.y == b.pixelsPerCell.y && a.file == b.file
    }

    /// The strip read, its frames laid out in the grid that shows them largest in the box, and scaled to fit,
    /// an even number of pixels tall (half blocks draw two rows a cell); nil when the file cannot be read (a strip
    /// being written is read again on the next change).
    func picture() -> RGBImage? {
        guard let strip = try? ImageFile.readRGB(URL(fileURLWithPath: file)), strip.width > 0, strip.height > 0 else { return nil }
        let image = Self.tiled(strip, into: (Float(pixelWidth), Float(pixelHeight)))
        let k = min(Float(pixelWidth) / Float(image.width), Float(pixelHeight) / Float(image.height))
        let w = max(1, Int(Float(image.width) * k)), h = max(2, Int(Float(image.height) * k) / 2 * 2)
        return image.resized(width: w, height: h)
    }

    /// The trainer's strips are square frames side by side (one per level); a long row in a small box is better
    /// shown as a grid, read left to right, top to bottom.
    static func tiled(_ strip: RGBImage, into box: (width: Float, height: Float)) -> RGBImage {
        let side = strip.height
        guard strip.width % side == 0, strip.width / side > 1 else { return strip }
        let n = strip.width / side
        let columns = (1...n).max { a, b in
            func scale(_ c: Int) -> Float { min(box.width / Float(c * side), box.height / Float((n + c - 1) / c * side)) }
            return scale(a) < scale(b)
        }!
        guard columns < n else { return strip }
        let rows = (n + columns - 1) / columns
        var out = RGBImage(width: columns * side, height: rows * side)
        for f in 0..<n {
            let ox = (f % columns) * side, oy = (f / columns) * side
            for y in 0..<side {
                let src = (y * strip.width + f * side) * 3, dst = ((oy + y) * out.width + ox) * 3
                out.pixels.replaceSubrange(dst..<(dst + side * 3), with: strip.pixels[src..<(src + side * 3)])
            }
        }
        return out
    }
}
