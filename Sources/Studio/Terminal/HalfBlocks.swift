import ImageIO

/// Half-block graphics: each cell shows two stacked pixels as `▀` with the upper pixel in the foreground colour
/// and the lower one in the background colour; 24-bit colour when the terminal has it, the 256-colour palette
/// otherwise.
enum HalfBlocks {
    /// Escape sequences that draw `image` (2·rows pixels tall) with its top-left cell at (column, row). Assumes
    /// the cursor was saved by the caller; ends with attributes reset.
    static func encode(_ image: RGBImage, column: Int, row: Int, trueColour: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(image.width * image.height * 12)
        func append(_ s: String) { out.append(contentsOf: s.utf8) }
        let rows = image.height / 2
        for r in 0..<rows {
            append(TerminalSequence.moveTo(column: column, row: row + r))
            var lastTop: (UInt8, UInt8, UInt8)?, lastBottom: (UInt8, UInt8, UInt8)?
            for x in 0..<image.width {
                let t = (image[x, 2 * r, 0], image[x, 2 * r, 1], image[x, 2 * r, 2])
                let b = (image[x, 2 * r + 1, 0], image[x, 2 * r + 1, 1], image[x, 2 * r + 1, 2])
                if lastTop.map({ $0 != t }) ?? true { append(colour(t, foreground: true, trueColour: trueColour)) }
                if lastBottom.map({ $0 != b }) ?? true { append(colour(b, foreground: false, trueColour: trueColour)) }
                lastTop = t
                lastBottom = b
                out += [0xE2, 0x96, 0x80]   // ▀
            }
        }
        append(TerminalSequence.resetAttributes)
        return out
    }

    private static func colour(_ c: (UInt8, UInt8, UInt8), foreground: Bool, trueColour: Bool) -> String {
        let layer = foreground ? 38 : 48
        if trueColour { return "\u{1B}[\(layer);2;\(c.0);\(c.1);\(c.2)m" }
        return "\u{1B}[\(layer);5;\(paletteIndex(c))m"
    }

    /// The nearest xterm-256 colour: the 6x6x6 cube or the 24-step gray ramp, whichever is closer.
    static func paletteIndex(_ c: (UInt8, UInt8, UInt8)) -> UInt8 {
        let levels = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for (i, l) in levels.enumerated() where abs(l - Int(v)) < abs(levels[best] - Int(v)) { best = i }
            return best
        }
        let (r, g, b) = (nearestLevel(c.0), nearestLevel(c.1), nearestLevel(c.2))
        let cube = (levels[r], levels[g], levels[b])
        let mean = (Int(c.0) + Int(c.1) + Int(c.2)) / 3
        let grayStep = min(23, max(0, (mean - 8 + 5) / 10))
        let gray = 8 + 10 * grayStep
        func distance(_ a: (Int, Int, Int)) -> Int {
            let d = (a.0 - Int(c.0), a.1 - Int(c.1), a.2 - Int(c.2))
            return d.0 * d.0 + d.1 * d.1 + d.2 * d.2
        }
        return distance((gray, gray, gray)) < distance(cube) ? UInt8(232 + grayStep) : UInt8(16 + 36 * r + 6 * g + b)
    }

    /// The RGB of a palette colour (cube and ramp; the 16 system colours approximately).
    static func rgb(ofPaletteIndex i: UInt8) -> (Int, Int, Int) {
        let levels = [0, 95, 135, 175, 215, 255]
        if i >= 232 { let v = 8 + 10 * Int(i - 232); return (v, v, v) }
        if i >= 16 { let k = Int(i) - 16; return (levels[k / 36], levels[k / 6 % 6], levels[k % 6]) }
        let base = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]
        return i < 8 ? base[Int(i)] : (min(255, base[Int(i) - 8].0 + 50), min(255, base[Int(i) - 8].1 + 50), min(255, base[Int(i) - 8].2 + 50))
    }
}
