import Kernels

/// Tiles over the padded plane: rows `tileHeight` high and columns `tileWidth` wide, both multiples of 16 (the
/// network's grid, so that every level's share of a tile is whole), the last row and column taking what is left.
public struct TileGrid: Sendable, Equatable, CustomStringConvertible {
    public let paddedHeight: Int, paddedWidth: Int
    public let tileHeight: Int, tileWidth: Int

    public init(paddedHeight: Int, paddedWidth: Int, tileHeight: Int, tileWidth: Int) {
        precondition(paddedHeight % 16 == 0 && paddedWidth % 16 == 0, "TileGrid: the padded plane is on the 16-pixel grid")
        precondition(tileHeight > 0 && tileWidth > 0 && tileHeight % 16 == 0 && tileWidth % 16 == 0,
                     "TileGrid: tiles of \(tileWidth)x\(tileHeight) are not multiples of 16")
        self.paddedHeight = paddedHeight
        self.paddedWidth = paddedWidth
        self.tileHeight = min(tileHeight, paddedHeight)
        self.tileWidth = min(tileWidth, paddedWidth)
    }

    public var rows: Int { (paddedHeight + tileHeight - 1) / tileHeight }
    public var columns: Int { (paddedWidth + tileWidth - 1) / tileWidth }
    public var count: Int { rows * columns }
    public var isSingleTile: Bool { count == 1 }

    public func cell(row: Int, column: Int) -> Region {
        Region(top: row * tileHeight, bottom: min(paddedHeight, (row + 1) * tileHeight),
               left: column * tileWidth, right: min(paddedWidth, (column + 1) * tileWidth))
    }

    /// Every cell, row by row.
    public var cells: [Region] {
        (0..<rows).flatMap { r in (0..<columns).map { c in cell(row: r, column: c) } }
    }

    public var description: String {
        isSingleTile ? "one tile" : "\(count) tiles of \(tileWidth)x\(tileHeight) (\(columns)x\(rows))"
    }
}

/// A memory budget too small for the smallest tile.
public struct TilingError: Error, CustomStringConvertible {
    public let budget: Int
    public let smallestTile: Int
    public let smallestTileBytes: Int

    public var description: String {
        "a memory budget of \(megabytes(budget)) leaves too little for tiles: the smallest tile (\(smallestTile)x\(smallestTile)) "
            + "of this model needs \(megabytes(smallestTileBytes)); raise --memory-budget"
    }
}

func megabytes(_ bytes: Int) -> String { "\(Int((Double(bytes) / 1e6).rounded())) MB" }

extension TiledExecutor {
    /// How a grid would run: the most bytes one tile holds (with allowance for the allocator and the kernels'
    /// scratch) and its convolution work relative to one pass over the whole image.
    public struct GridPlan: Sendable {
        public let grid: TileGrid
        public let peakBytes: Int
        public let workRatio: Double
    }

    /// Bytes beyond the planned activations: a share for allocator slack, plus the kernels' per-thread scratch.
    static func withAllowance(_ planned: Int) -> Int { planned + planned / 8 + (32 << 20) }

    /// The plan of `grid` for an output over the whole image at `levels` levels (a trajectory also holds the shared
    /// first layer's two responses and every level's output per tile).
    public func plan(_ grid: TileGrid, levels: Int = 1) -> GridPlan {
        GridPlan(grid: grid, peakBytes: peakBytes(grid, levels: levels), workRatio: workRatio(grid))
    }

    private func tileNeeds(_ grid: TileGrid, _ row: Int, _ column: Int) -> [Region] {
        let crop = Region.all(height: height, width: width).offsetBy(dy: padding.top, dx: padding.left)
        return needs(of: generator.graph.output, region: grid.cell(row: row, column: column).intersection(crop))
    }

    /// The most one tile holds: the first and a middle tile stand for all (edge tiles are clipped by the plane).
    func peakBytes(_ grid: TileGrid, levels: Int) -> Int {
        let graph = generator.graph
        var peak = 0
        for (r, c) in [(0, 0), (grid.rows / 2, grid.columns / 2)] {
            let needed = tileNeeds(grid, r, c)
            var bytes = cost(of: needed, target: graph.output).peakBytes
            if levels > 1, let first = graph.nodes.firstIndex(where: { if case .conv = $0.op { return true }; return false }) {
                bytes += 2 * planes[first].c * needed[first].area * MemoryLayout<Float>.size
                bytes += (levels - 1) * 3 * needed[graph.output].area * MemoryLayout<Float>.size
            }
            peak = max(peak, bytes)
        }
        return Self.withAllowance(peak)
    }

    /// The grid's convolution work over one pass's. Needs propagate through rows and columns independently, so a
    /// tile's need at a node is (its row's height) x (its column's width) there, and the grid's work is a sum over
    /// rows times a sum over columns.
    func workRatio(_ grid: TileGrid) -> Double {
        let rowNeeds = (0..<grid.rows).map { tileNeeds(grid, $0, 0) }
        let columnNeeds = (0..<grid.columns).map { tileNeeds(grid, 0, $0) }
        var work = 0.0, whole = 0.0
        for (i, node) in generator.graph.nodes.enumerated() {
            guard case let .conv(_, inC, outC, k, _, _) = node.op else { continue }
            let perPixel = Double(inC * outC * k * k)
            let heights = rowNeeds.reduce(0) { $0 + $1[i].height }, widths = columnNeeds.reduce(0) { $0 + $1[i].width }
            work += perPixel * Double(heights) * Double(widths)
            whole += perPixel * Double(planes[i].h * planes[i].w)
        }
        return work / max(1, whole)
    }

    /// The grid with the least work whose tiles fit in `budget` bytes: the whole image as one tile where it fits.
    public func grid(budget: Int, levels: Int = 1) throws -> GridPlan {
        let ph = paddedHeight, pw = paddedWidth
        // Tile sides from 64 up by about a quarter each, then the whole side.
        func sizes(_ full: Int) -> [Int] {
            var s: [Int] = []
            var t = 64
            while t < full { s.append(t); t = (t * 5 / 4 + 15) / 16 * 16 }
            return s + [full]
        }
        var best: GridPlan?
        for th in sizes(ph) {
            var fitted = false
            for tw in sizes(pw) {
                let grid = TileGrid(paddedHeight: ph, paddedWidth: pw, tileHeight: th, tileWidth: tw)
                let peak = peakBytes(grid, levels: levels)
                // Wider tiles of the same height hold more.
                guard peak <= budget else { break }
                fitted = true
                let p = GridPlan(grid: grid, peakBytes: peak, workRatio: workRatio(grid))
                if best == nil || p.workRatio < best!.workRatio - 1e-9 { best = p }
            }
            if !fitted { break }
        }
        guard let best else {
            let smallest = TileGrid(paddedHeight: ph, paddedWidth: pw, tileHeight: 64, tileWidth: 64)
            throw TilingError(budget: budget, smallestTile: min(64, ph, pw), smallestTileBytes: peakBytes(smallest, levels: levels))
        }
        return best
    }
}
