import CElementwise

/// Bilinear x2 upsampling with PyTorch's `align_corners=False` semantics
/// (`F.upsample(scale_factor=2, mode='bilinear')`): source coordinate `(dst + 0.5) / 2 - 0.5`, clamped at 0.
public func upsampleBilinear2x(_ x: Tensor) -> Tensor {
    upsampleBilinear2x(x, region: .all(height: 2 * x.shape.h, width: 2 * x.shape.w))
}

/// The part `region` (in output pixels) of `upsampleBilinear2x(x)`, computed without the rest.
public func upsampleBilinear2x(_ x: Tensor, region: Region) -> Tensor {
    let s = x.shape
    let out = Shape(n: s.n, c: s.c, h: region.height, w: region.width)
    let taps = Bilinear2x(height: s.h, width: s.w)
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                let rowBuffers = UnsafeMutablePointer<Float>.allocate(capacity: taps.rowBufferCount)
                defer { rowBuffers.deallocate() }
                for plane in planes {
                    taps.fill(from: src.baseAddress! + plane * s.plane, rows: region.top..<region.bottom,
                              columns: region.left..<region.right, into: dst.baseAddress! + plane * out.plane,
                              rowStride: out.w, rowBuffers: rowBuffers)
                }
            }
        }
    }
}

/// The bilinear x2 upsample of one `height x width` plane, any rectangle of it at a time: what
/// `upsampleBilinear2x` computes per plane, and what a convolution reading an upsampled input computes per block of
/// its tiles instead of reading a stored upsample.
struct Bilinear2x: Sendable {
    let sourceWidth: Int
    let rowTaps: [(Int, Int, Float, Float)], columnTaps: [(Int, Int, Float, Float)]

    init(height: Int, width: Int) {
        sourceWidth = width
        rowTaps = bilinear2xTaps(height)
        columnTaps = bilinear2xTaps(width)
    }

    /// Floats of the two interpolated source rows `fill` keeps.
    var rowBufferCount: Int { 2 * max(1, columnTaps.count) }

    /// Output columns `columns` of source row `r` interpolated along x. Inside the row, output columns 2k+1 and
    /// 2k+2 are (0.75, 0.25) and (0.25, 0.75) of source columns k and k+1 (exactly the taps' weights), computed in
    /// pairs without the taps' gathers (`mpx_upsample2_pairs`, vectorised for AVX-512); the two edge columns use the
    /// taps.
    private func interpolateRow(_ r: UnsafePointer<Float>, columns: Range<Int>, into row: UnsafeMutablePointer<Float>) {
        let c0 = columns.lowerBound
        func tap(_ d: Int) {
            let (x0, x1, w0, w1) = columnTaps[d]
            row[d - c0] = w0 * r[x0] + w1 * r[x1]
        }
        var d = c0
        // Up to the first odd column inside the row.
        while d < columns.upperBound && (d == 0 || d % 2 == 0) { tap(d); d += 1 }
        // Pairs (2k+1, 2k+2) with k + 1 inside the source row and both columns wanted.
        let pairs = max(0, min((columns.upperBound - d) / 2, (sourceWidth - 1) - (d - 1) / 2))
        mpx_upsample2_pairs(r + (d - 1) / 2, pairs, row + (d - c0))
        d += 2 * pairs
        while d < columns.upperBound { tap(d); d += 1 }
    }

    /// Writes output rows `rows`, columns `columns`, to `dst` (`rowStride` apart; `dst` is the first column).
    ///
    /// Each source row is interpolated along x once (into one of two row buffers) and every output row is then a
    /// two-row blend (`mpx_blend_rows`); the sums are the same, in the same order, as
    /// h0 * (w0 a0 + w1 a1) + h1 * (w0 b0 + w1 b1), wherever the rectangle starts.
    func fill(from plane: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>, into dst: UnsafeMutablePointer<Float>,
              rowStride: Int, rowBuffers: UnsafeMutablePointer<Float>) {
        let width = columns.count
        guard width > 0 else { return }
        var cached = (-1, -1)  // the source rows in rowBuffers[0..<width] and rowBuffers[width..<2 width]
        func interpolated(_ y: Int) -> UnsafeMutablePointer<Float> {
            if cached.0 == y { return rowBuffers }
            if cached.1 == y { return rowBuffers + width }
            // Rows come in increasing order: the lower cached row (or an empty slot) is the one no later output
            // row needs.
            let slot = cached.0 <= cached.1 ? 0 : 1
            let row = rowBuffers + slot * width, r = plane + y * sourceWidth
            interpolateRow(r, columns: columns, into: row)
            if slot == 0 { cached.0 = y } else { cached.1 = y }
            return row
        }
        for (j, oy) in rows.enumerated() {
            let (y0, y1, h0, h1) = rowTaps[oy]
            let a = interpolated(y0), b = interpolated(y1)
            mpx_blend_rows(a, b, h0, h1, dst + j * rowStride, width)
        }
    }
}

/// For each of the `2 * size` outputs along one axis: the two source indices and their weights. The taps depend only
/// on the output index, so the forward pass and its gradient compute them once per axis.
public func bilinear2xTaps(_ size: Int) -> [(Int, Int, Float, Float)] {
    (0..<(2 * size)).map { d in
        let real = max(0, (Float(d) + 0.5) * 0.5 - 0.5)
        let i0 = min(Int(real), size - 1)
        let i1 = min(i0 + 1, size - 1)
        let l1 = real - Float(i0)
        return (i0, i1, 1 - l1, l1)
    }
}

/// For each of the `output` positions along one axis of a bilinear resize from `input` positions, with PyTorch's
/// `align_corners=False`: the two source indices and their weights. As ATen's CPU kernel computes them, in float:
/// scale `input / output`, source `scale * (d + 0.5) - 0.5` clamped at 0, the second index clamped to the last.
public func bilinearTaps(input: Int, output: Int) -> [(Int, Int, Float, Float)] {
    let scale = Float(input) / Float(output)
    return (0..<output).map { d in
        let real = max(0, scale * (Float(d) + 0.5) - 0.5)
        let i0 = min(Int(real), input - 1)
        let i1 = min(i0 + 1, input - 1)
        let l1 = min(max(real - Float(i0), 0), 1)
        return (i0, i1, 1 - l1, l1)
    }
}

/// `F.interpolate(x, size: (height, width), mode: "bilinear", align_corners: False)`, any sizes up or down (no
/// antialiasing, as pytorch-fid's `resize_input` calls it). Each output row is
/// `h0 * (w0 a0 + w1 a1) + h1 * (w0 b0 + w1 b1)` of two source rows interpolated along x.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) -> Tensor {
    let s = x.shape
    precondition(s.h > 0 && s.w > 0 && height > 0 && width > 0, "resizeBilinear: \(s) to \(height)x\(width)")
    let rowTaps = bilinearTaps(input: s.h, output: height), columnTaps = bilinearTaps(input: s.w, output: width)
    let out = Shape(n: s.n, c: s.c, h: height, w: width)
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                // Every source row interpolated along x once per plane: `s.h x width` floats.
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: s.h * width)
                defer { rows.deallocate() }
                for plane in planes {
                    let p = src.baseAddress! + plane * s.plane
                    for y in 0..<s.h {
                        let line = p + y * s.w, r = rows + y * width
                        for (d, (x0, x1, w0, w1)) in columnTaps.enumerated() { r[d] = w0 * line[x0] + w1 * line[x1] }
                    }
                    let q = dst.baseAddress! + plane * out.plane
                    for (oy, (y0, y1, h0, h1)) in rowTaps.enumerated() {
                        let a = rows + y0 * width, b = rows + y1 * width, o = q + oy * width
                        for i in 0..<width { o[i] = h0 * a[i] + h1 * b[i] }
                    }
                }
            }
        }
    }
}
