/// A grid of Unicode braille characters used as a bitmap of 2×4 dots per cell (U+2800 … U+28FF), the
/// densest plotting a text terminal offers. Each cell also remembers the colour of the last dot set in it.
public struct BrailleCanvas: Sendable, Equatable {
    public let columns: Int
    public let rows: Int
    private var bits: [UInt8]
    /// Per cell: the colour of the last dot set there, or -1 when the cell is empty.
    public private(set) var colours: [Int]

    public var dotWidth: Int { columns * 2 }
    public var dotHeight: Int { rows * 4 }

    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        bits = [UInt8](repeating: 0, count: self.columns * self.rows)
        colours = [Int](repeating: -1, count: self.columns * self.rows)
    }

    /// The bit of dot (column dx, row dy) within its cell, as the braille block numbers them:
    /// dots 1-2-3-7 down the left column, 4-5-6-8 down the right.
    static func bit(dx: Int, dy: Int) -> UInt8 {
        let left: [UInt8] = [0x01, 0x02, 0x04, 0x40]
        let right: [UInt8] = [0x08, 0x10, 0x20, 0x80]
        return dx == 0 ? left[dy] : right[dy]
    }

    /// Sets dot (x, y), x rightwards and y downwards from the top-left; dots outside are ignored.
    public mutating func set(_ x: Int, _ y: Int, colour: Int = 0) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y / 4) * columns + x / 2
        bits[cell] |= Self.bit(dx: x % 2, dy: y % 4)
        colours[cell] = colour
    }

    public func isSet(_ x: Int, _ y: Int) -> Bool {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return false }
        return bits[(y / 4) * columns + x / 2] & Self.bit(dx: x % 2, dy: y % 4) != 0
    }

    /// A straight line of dots (Bresenham), both ends included; the parts outside the canvas are skipped.
    public mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), colour: Int = 0) {
        var x = a.x, y = a.y
        let dx = abs(b.x - a.x), dy = -abs(b.y - a.y)
        let sx = a.x < b.x ? 1 : -1, sy = a.y < b.y ? 1 : -1
        var err = dx + dy
        // Long segments that lie far outside would loop needlessly: cap the walk at the canvas' size.
        var budget = 4 * (dotWidth + dotHeight) + dx - dy
        while budget > 0 {
            set(x, y, colour: colour)
            if x == b.x && y == b.y { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
            budget -= 1
        }
    }

    public func character(column: Int, row: Int) -> Character {
        Character(Unicode.Scalar(0x2800 + UInt32(bits[row * columns + column]))!)
    }

    public func colour(column: Int, row: Int) -> Int {
        colours[row * columns + column]
    }

    /// The canvas as text, one string per row (empty cells are U+2800, the blank braille pattern).
    public var lines: [String] {
        (0..<rows).map { r in String((0..<columns).map { character(column: $0, row: r) }) }
    }
}
