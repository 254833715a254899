import ImageIO
import Kernels
import Model

extension Modulator {
    /// How a run of a `width`x`height` image at `levels` levels would go within `memoryBudget`, `reserved` bytes being
    /// held outside the tiles (outputs kept whole). Throws `TilingError` when even the smallest tile does not fit.
    public func tilePlan(width: Int, height: Int, levels: Int, reserved: Int = 0) throws -> TiledExecutor.GridPlan {
        let exec = TiledExecutor(generator: generator, height: height, width: width)
        if let t = tileOverride {
            return exec.plan(TileGrid(paddedHeight: exec.paddedHeight, paddedWidth: exec.paddedWidth, tileHeight: t.height, tileWidth: t.width), levels: levels)
        }
        // Each band of finished rows is held as 8-bit RGB per level while its tiles complete.
        let bandBytesPerRow = levels * width * 3
        // The band is at most a tile high: count the tallest a budget would allow.
        let available = memoryBudget.available(reserving: reserved, for: generator) - min(exec.paddedHeight, 2048) * bandBytesPerRow
        return try exec.grid(budget: max(0, available), levels: levels)
    }

    /// Renders `image` tile by tile within `memoryBudget` (one tile where it fits: measured faster than the
    /// whole-tensor executor at 1 and 3 MP, since it makes no padded copies and no concatenations) and hands
    /// over each band of finished rows as soon as its tiles are done: `band(firstRow, rowCount, rows)` with one
    /// buffer per level (RGB, `region.width` wide), rows counted from the top of `region`. With `levels` nil the
    /// intensity follows `map`. `progress(done, total)` follows the tiles. Cancelling the task stops the run.
    public func renderBands(_ image: RGBImage, levels: [Float]?, map: IntensityMap? = nil, region: Region? = nil,
                            reserved: Int = 0, progress: (Int, Int) -> Void = { _, _ in },
                            band: (_ firstRow: Int, _ rowCount: Int, _ rows: [[UInt8]]) throws -> Void) throws {
        precondition(levels != nil || map != nil, "renderBands: levels or a map")
        let area = region ?? .all(height: image.height, width: image.width)
        let count = levels?.count ?? 1
        // Recycled buffers of one tile's size rarely fit the next, and what the pool holds counts against the
        // budget (the plan subtracts the resident set): let them go before planning.
        ActivationPool.drain()
        let plan = try tilePlan(width: image.width, height: image.height, levels: count, reserved: reserved)
        let exec = TiledExecutor(generator: generator, height: image.height, width: image.width)
        let inputs = PhotoTileInputs(image: image, map: levels == nil ? map : nil, noiseSeed: noiseSeed)
        var bandRows = 0, bandTop = -1, done = 0
        var buffers: [[UInt8]] = []
        let total = plan.grid.cells.filter { !$0.offsetBy(dy: -exec.padding.top, dx: -exec.padding.left).intersection(area).isEmpty }.count
        progress(0, total)
        func flush() throws {
            guard bandTop >= 0 else { return }
            try band(bandTop, bandRows, buffers)
            bandTop = -1
        }
        // Buffers handed back between nodes and tiles are reused (no page clearing: a quarter of a 3 MP run when
        // each tile allocated afresh), held only within half of what the budget leaves beside the planned tiles
        // (the plan is an estimate: with all of it, a 3 MP run passed its 1.5 GB by 22 MB).
        let slack = (memoryBudget.available(reserving: reserved, for: generator) - plan.peakBytes) / 2
        try ActivationPool.holding(atMost: slack) {
        try exec.run(inputs, levels: levels, grid: plan.grid, region: area) { tile, outputs in
            let top = tile.top - area.top
            if top != bandTop {
                try flush()
                bandTop = top
                bandRows = tile.height
                buffers = [[UInt8]](repeating: [UInt8](repeating: 0, count: bandRows * area.width * 3), count: outputs.count)
            }
            for (i, output) in outputs.enumerated() {
                let pixels = RGBImage(tensor: output).pixels
                let rowBytes = tile.width * 3, stride = area.width * 3, left = (tile.left - area.left) * 3
                buffers[i].withUnsafeMutableBufferPointer { dst in
                    pixels.withUnsafeBufferPointer { src in
                        for y in 0..<tile.height {
                            (dst.baseAddress! + y * stride + left).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
                        }
                    }
                }
            }
            done += 1
            progress(done, total)
        }
        }
        try flush()
    }
}
