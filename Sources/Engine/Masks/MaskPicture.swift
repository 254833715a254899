import Foundation
import ImageIO

/// A mask drawn the way the paper's figures show them: the map in a colour map (matplotlib's `winter`, which the
/// reference's `save_singleChannel_jit` uses) and, to its right, a colour bar labelled with its range.
extension IntensityMap {
    /// matplotlib's `winter`: blue (0, 0, 1) at the low end to green (0, 1, 0.5) at the high end.
    public static func winter(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let u = min(max(t, 0), 1)
        return (0, UInt8((u * 255).rounded()), UInt8(((1 - u / 2) * 255).rounded()))
    }

    /// The picture: the map, a gap, a colour bar and its labels, on white.
    public func picture(range: (lo: Float, hi: Float)? = nil) -> RGBImage {
        let lo = range?.lo ?? (values.min() ?? 0), hi = range?.hi ?? (values.max() ?? 1)
        let span = hi > lo ? hi - lo : 1
        let barWidth = max(8, width / 16), gap = max(4, width / 40)
        let labelWidth = 6 * 7 * Glyphs.scale(for: height)
        let total = width + gap + barWidth + gap + labelWidth
        var img = RGBImage(width: total, height: height, red: 255, green: 255, blue: 255)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < total, y >= 0, y < height else { return }
            img[x, y, 0] = c.0; img[x, y, 1] = c.1; img[x, y, 2] = c.2
        }
        for y in 0..<height { for x in 0..<width { put(x, y, Self.winter((self[x, y] - lo) / span)) } }
        let bx = width + gap
        for y in 0..<height {
            let t = 1 - Float(y) / Float(max(1, height - 1))
            for x in bx..<(bx + barWidth) { put(x, y, Self.winter(t)) }
        }
        let scale = Glyphs.scale(for: height)
        Glyphs.draw(Self.label(hi), x: bx + barWidth + gap, y: 0, scale: scale, into: put)
        Glyphs.draw(Self.label(lo), x: bx + barWidth + gap, y: height - 7 * scale, scale: scale, into: put)
        return img
    }

    static func label(_ v: Float) -> String {
        var s = String(format: "%.2f", v)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s == "-0" ? "0" : s
    }
}

/// A 5x7 pixel font for the digits, '.' and '-': enough to label a colour bar without a font library.
enum Glyphs {
    static let rows: [Character: [UInt8]] = [
        "0": [14, 17, 19, 21, 25, 17, 14], "1": [4, 12, 4, 4, 4, 4, 14], "2": [14, 17, 1, 2, 4, 8, 31],
        "3": [31, 2, 4, 2, 1, 17, 14], "4": [2, 6, 10, 18, 31, 2, 2], "5": [31, 16, 30, 1, 1, 17, 14],
        "6": [6, 8, 16, 30, 17, 17, 14], "7": [31, 1, 2, 4, 8, 8, 8], "8": [14, 17, 17, 14, 17, 17, 14],
        "9": [14, 17, 17, 15, 1, 2, 12], ".": [0, 0, 0, 0, 0, 12, 12], "-": [0, 0, 0, 31, 0, 0, 0],
    ]

    static func scale(for height: Int) -> Int { max(1, height / 80) }

    static func draw(_ text: String, x: Int, y: Int, scale: Int, into put: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        for (i, ch) in text.enumerated() {
            guard let rows = rows[ch] else { continue }
            for (ry, bits) in rows.enumerated() { for rx in 0..<5 where bits & (16 >> rx) != 0 {
                for dy in 0..<scale { for dx in 0..<scale { put(x + (i * 6 + rx) * scale + dx, y + ry * scale + dy, (0, 0, 0)) } }
            } }
        }
    }
}
