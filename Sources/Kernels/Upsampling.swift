/// Bilinear x2 upsampling with PyTorch's `align_corners=False` semantics
/// (`F.upsample(scale_factor=2, mode='bilinear')`): source coordinate `(dst + 0.5) / 2 - 0.5`, clamped at 0.
public func upsampleBilinear2x(_ x: Tensor) -> Tensor {
    upsampleBilinear2x(x, region: .all(height: 2 * x.shape.h, width: 2 * x.shape.w))
}

/// The part `region` (in output pixels) of `upsampleBilinear2x(x)`, computed without the rest.
public func upsampleBilinear2x(_ x: Tensor, region: Region) -> Tensor {
    let s = x.shape
    let out = Shape(n: s.n, c: s.c, h: region.height, w: region.width)
    let ty = Array(bilinear2xTaps(s.h)[region.top..<region.bottom]), tx = Array(bilinear2xTaps(s.w)[region.left..<region.right])
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                // Each source row is interpolated along x once (into one of two row buffers) and every output row
                // is then a two-row blend the compiler vectorises; the sums are the same, in the same order, as
                // h0 * (w0 a0 + w1 a1) + h1 * (w0 b0 + w1 b1).
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: 2 * max(1, out.w))
                defer { rows.deallocate() }
                for plane in planes {
                    let p = src.baseAddress! + plane * s.plane
                    let q = dst.baseAddress! + plane * out.plane
                    var cached = (-1, -1)  // the source rows in rows[0..<w] and rows[w..<2w]
                    func interpolated(_ y: Int) -> UnsafeMutablePointer<Float> {
                        if cached.0 == y { return rows }
                        if cached.1 == y { return rows + out.w }
                        // Rows come in increasing order: the lower cached row (or an empty slot) is the one no
                        // later output row needs.
                        let slot = cached.0 <= cached.1 ? 0 : 1
                        let row = rows + slot * out.w, r = p + y * s.w
                        for ox in 0..<out.w {
                            let (x0, x1, w0, w1) = tx[ox]
                            row[ox] = w0 * r[x0] + w1 * r[x1]
                        }
                        if slot == 0 { cached.0 = y } else { cached.1 = y }
                        return row
                    }
                    for oy in 0..<out.h {
                        let (y0, y1, h0, h1) = ty[oy]
                        let a = interpolated(y0), b = interpolated(y1)
                        let o = q + oy * out.w
                        for ox in 0..<out.w { o[ox] = h0 * a[ox] + h1 * b[ox] }
                    }
                }
            }
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
