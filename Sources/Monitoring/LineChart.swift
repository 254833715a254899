import Foundation

/// How the vertical axis maps values.
public enum YScale: String, Sendable, Equatable, CaseIterable {
    case linear
    /// A true base-10 log: values ≤ 0 cannot be placed and are left out (and counted).
    case log
}

/// One curve to draw: its points in axis units and the colour index it is drawn with.
public struct ChartLine: Sendable, Equatable {
    public var name: String
    public var colour: Int
    public var points: [(x: Double, y: Double)]

    public init(name: String, colour: Int, points: [(x: Double, y: Double)]) {
        self.name = name
        self.colour = colour
        self.points = points
    }

    public static func == (a: ChartLine, b: ChartLine) -> Bool {
        a.name == b.name && a.colour == b.colour && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }
}

/// Options of a line chart.
public struct ChartStyle: Sendable, Equatable {
    public var yScale: YScale = .linear
    /// Fit the y-range to the 5th–95th percentile of the visible values (TensorBoard's "ignore outliers");
    /// off: the full range.
    public var ignoreOutliers = true
    /// Fraction of the range added above and below.
    public var padding = 0.05

    public init(yScale: YScale = .linear, ignoreOutliers: Bool = true, padding: Double = 0.05) {
        self.yScale = yScale
        self.ignoreOutliers = ignoreOutliers
        self.padding = padding
    }
}

/// A chart laid out as text: characters and, per cell, a colour index (-1: axis and labels).
public struct ChartGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var characters: [Character]
    public var colours: [Int]
    /// Points left out because the log scale cannot place them (y ≤ 0).
    public var hiddenNonPositive = 0
    /// The y-range shown, in axis units (log10 units on a log scale).
    public var yRange: ClosedRange<Double>?

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        characters = [Character](repeating: " ", count: width * height)
        colours = [Int](repeating: -1, count: width * height)
    }

    mutating func put(_ text: String, column: Int, row: Int) {
        guard row >= 0, row < height else { return }
        for (i, ch) in text.enumerated() where column + i >= 0 && column + i < width {
            characters[row * width + column + i] = ch
        }
    }

    public var lines: [String] {
        (0..<height).map { r in String(characters[(r * width)..<((r + 1) * width)]) }
    }
}

/// The vertical range a chart shows for these values (already in axis units), or nil when there are none.
public func chartYRange(_ values: [Double], style: ChartStyle) -> ClosedRange<Double>? {
    let sorted = values.filter(\.isFinite).sorted()
    guard let lowest = sorted.first, let highest = sorted.last else { return nil }
    var lo = lowest, hi = highest
    if style.ignoreOutliers, sorted.count >= 3 {
        lo = percentile(sorted: sorted, 0.05)!
        hi = percentile(sorted: sorted, 0.95)!
    }
    if hi - lo <= 0 {
        let half = max(abs(lo) * 0.1, 1e-6)
        return (lo - half)...(hi + half)
    }
    let pad = (hi - lo) * style.padding
    return (lo - pad)...(hi + pad)
}

/// Draws lines in braille with a y-axis (labels on the left) and an x-axis (labels below).
///
/// Layout, for `height` rows: `height - 2` rows of plot, one row of axis, one row of x labels.
/// `xLabel` formats an x value for the two end labels.
public func renderLineChart(_ lines: [ChartLine], width: Int, height: Int, style: ChartStyle = ChartStyle(),
                            xLabel: (Double) -> String = { compactNumber($0) }) -> ChartGrid {
    var grid = ChartGrid(width: width, height: height)
    let plotRows = height - 2
    guard plotRows >= 1, width >= 6 else { return grid }

    // Axis units: log10 on a log scale, with y ≤ 0 dropped.
    var hidden = 0
    let placed: [ChartLine] = lines.map { line in
        guard style.yScale == .log else { return line }
        var copy = line
        copy.points = line.points.compactMap { p in
            guard p.y > 0 else { if p.y.isFinite { hidden += 1 }; return nil }
            return (p.x, log10(p.y))
        }
        return copy
    }
    grid.hiddenNonPositive = hidden
    let allY = placed.flatMap { $0.points.map(\.y) }
    let allX = placed.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
    guard let yRange = chartYRange(allY, style: style), let x0 = allX.min(), let x1 = allX.max() else {
        grid.put("no data yet", column: max(0, (width - 11) / 2), row: plotRows / 2)
        return grid
    }
    grid.yRange = yRange

    let label: (Double) -> String = { style.yScale == .log ? compactNumber(pow(10, $0)) : compactNumber($0) }
    let yLabels = [label(yRange.upperBound), label((yRange.lowerBound + yRange.upperBound) / 2), label(yRange.lowerBound)]
    let labelWidth = min(10, yLabels.map(\.count).max()!)
    let plotColumns = width - labelWidth - 1
    guard plotColumns >= 2 else { return grid }

    var canvas = BrailleCanvas(columns: plotColumns, rows: plotRows)
    let xSpan = x1 - x0
    func dot(_ p: (x: Double, y: Double)) -> (x: Int, y: Int) {
        let fx = xSpan > 0 ? (p.x - x0) / xSpan : 0.5
        let fy = (yRange.upperBound - p.y) / (yRange.upperBound - yRange.lowerBound)
        // Clamp far-off values so a line towards an outlier leaves the plot at the right angle without
        // overflowing Int; the canvas skips the dots outside.
        let dx = (fx * Double(canvas.dotWidth - 1)).rounded()
        let dy = (max(-4, min(5, fy)) * Double(canvas.dotHeight - 1)).rounded()
        return (Int(dx), Int(dy))
    }
    for line in placed {
        var previous: (x: Int, y: Int)?
        for p in line.points {
            guard p.y.isFinite, p.x.isFinite else { previous = nil; continue }
            let d = dot(p)
            if let a = previous { canvas.line(from: a, to: d, colour: line.colour) } else { canvas.set(d.x, d.y, colour: line.colour) }
            previous = d
        }
    }

    // Plot cells and the y-axis with its labels.
    for r in 0..<plotRows {
        let axisChar: Character = r == 0 || r == plotRows - 1 || r == plotRows / 2 ? "┤" : "│"
        grid.characters[r * width + labelWidth] = axisChar
        for c in 0..<plotColumns {
            let i = r * width + labelWidth + 1 + c
            grid.characters[i] = canvas.character(column: c, row: r)
            grid.colours[i] = canvas.colour(column: c, row: r)
        }
    }
    // Top, middle and bottom labels; the middle one only when it has a row of its own.
    let labelRows = plotRows >= 3 ? [0, plotRows / 2, plotRows - 1] : [0, -1, plotRows - 1]
    for (text, row) in zip(yLabels, labelRows) where row >= 0 {
        let t = String(text.prefix(labelWidth))
        grid.put(t, column: labelWidth - t.count, row: row)
    }
    // The x-axis and its end labels.
    grid.put("└" + String(repeating: "─", count: plotColumns), column: labelWidth, row: plotRows)
    let left = xLabel(x0), right = xLabel(x1)
    grid.put(left, column: labelWidth + 1, row: plotRows + 1)
    grid.put(right, column: max(labelWidth + 1 + left.count + 1, width - right.count), row: plotRows + 1)
    return grid
}

/// A number in at most about 7 characters: 0.0123, 1.23e-05, 12345, 1.2e+06.
public func compactNumber(_ v: Double) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v) }
    if v == v.rounded() { return String(format: "%.0f", v) }
    return String(format: "%.4g", v)
}
