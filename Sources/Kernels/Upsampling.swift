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
                for plane in planes {
                    let p = src.baseAddress! + plane * s.plane
                    let q = dst.baseAddress! + plane * out.plane
                    for oy in 0..<out.h {
                        let (y0, y1, h0, h1) = ty[oy]
                        let r0 = p + y0 * s.w, r1 = p + y1 * s.w
                        let o = q + oy * out.w
                        for ox in 0..<out.w {
                            let (x0, x1, w0, w1) = tx[ox]
                            o[ox] = h0 * (w0 * r0[x0] + w1 * r0[x1]) + h1 * (w0 * r1[x0] + w1 * r1[x1])
                        }
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
