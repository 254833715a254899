extension RGBImage {
    /// This image resampled to `width`x`height` with an area-averaging (box) filter: each output pixel is the
    /// mean of the source rectangle it covers, source pixels cut by the rectangle's edge weighted by the fraction
    /// covered. That is exact antialiasing for down-scaling by any factor, integer or not (a 2:1 reduction is the
    /// mean of each 2x2 block). Computed separably (rows, then columns) in Float, rounded to nearest. For
    /// up-scaling it degenerates to nearest-neighbour with blended seams; it is meant for shrinking.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resized: target size \(newWidth)x\(newHeight)")
        precondition(width > 0 && height > 0, "resized: empty source image")
        if newWidth == width && newHeight == height { return self }
        let columns = AreaWeights(source: width, target: newWidth)
        let rows = AreaWeights(source: height, target: newHeight)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        // One horizontally resampled source row, cached: consecutive output rows share their boundary row.
        var resampledRow = [Float](repeating: 0, count: newWidth * 3)
        var cachedRow = -1
        var accumulator = [Float](repeating: 0, count: newWidth * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<newHeight {
                    for i in accumulator.indices { accumulator[i] = 0 }
                    rows.forEach(oy) { sy, wy in
                        if sy != cachedRow {
                            resampledRow.withUnsafeMutableBufferPointer { row in
                                columns.resample(src, offset: sy * width * 3, into: row)
                            }
                            cachedRow = sy
                        }
                        for i in accumulator.indices { accumulator[i] += wy * resampledRow[i] }
                    }
                    let base = oy * newWidth * 3
                    for i in accumulator.indices {
                        dst[base + i] = UInt8(clamping: Int(accumulator[i].rounded()))
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// This image shrunk (with `resized`) so that neither side exceeds `maxSide`, keeping the aspect ratio (the
    /// other side rounded, at least 1); the image itself if it already fits. For the CLI's `--max-size`.
    public func downscaled(toFit maxSide: Int) -> RGBImage {
        precondition(maxSide > 0, "downscaled: maxSide \(maxSide)")
        guard width > maxSide || height > maxSide else { return self }
        let scale = Double(maxSide) / Double(max(width, height))
        let w = width >= height ? maxSide : max(1, Int((Double(width) * scale).rounded()))
        let h = height >= width ? maxSide : max(1, Int((Double(height) * scale).rounded()))
        return resized(width: w, height: h)
    }
}

/// For each target index, the source indices its interval [t·s, (t+1)·s) covers (s = source/target) and the
/// normalized overlap of each: the 1-D half of the box filter.
struct AreaWeights {
    private var first: [Int] = []
    private var start: [Int] = []  // into `weights`
    private var weights: [Float] = []
    let target: Int

    init(source: Int, target: Int) {
        self.target = target
        for t in 0..<target {
            // Exact rational ends, as Doubles: t*source/target.
            let lo = Double(t * source) / Double(target)
            let hi = Double((t + 1) * source) / Double(target)
            let a = Int(lo.rounded(.down)), b = min(source, Int(hi.rounded(.up)))
            first.append(a)
            start.append(weights.count)
            var ws: [Double] = []
            for i in a..<b { ws.append(min(hi, Double(i + 1)) - max(lo, Double(i))) }
            let sum = ws.reduce(0, +)
            weights.append(contentsOf: ws.map { Float($0 / sum) })
        }
        start.append(weights.count)
    }

    /// Calls `body(sourceIndex, weight)` for each source index covering target index `t`.
    @inline(__always)
    func forEach(_ t: Int, _ body: (Int, Float) -> Void) {
        for k in start[t]..<start[t + 1] where weights[k] > 0 { body(first[t] + k - start[t], weights[k]) }
    }

    /// Resamples one interleaved RGB row starting at `offset` in `src` into `row` (`target * 3` floats).
    func resample(_ src: UnsafeBufferPointer<UInt8>, offset: Int, into row: UnsafeMutableBufferPointer<Float>) {
        for t in 0..<target {
            var r: Float = 0, g: Float = 0, b: Float = 0
            var p = offset + first[t] * 3
            for k in start[t]..<start[t + 1] {
                let w = weights[k]
                r += w * Float(src[p])
                g += w * Float(src[p + 1])
                b += w * Float(src[p + 2])
                p += 3
            }
            row[3 * t] = r
            row[3 * t + 1] = g
            row[3 * t + 2] = b
        }
    }
}
