import CElementwise

/// 2x2 pooling with stride 2 (PyTorch's MaxPool2d(2) / AvgPool2d(2)): odd trailing rows and columns are dropped.
public enum Pooling: Sendable {
    case max
    case average

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let s = x.shape
        let ho = s.h / 2, wo = s.w / 2
        let out = Shape(n: s.n, c: s.c, h: ho, w: wo)
        return Tensor(uninitializedShape: out) { dst in
            x.scalars.withUnsafeBufferPointer { src in
                ThreadPolicy.chunks(s.n * s.c, elements: s.count) { planes in
                    for plane in planes {
                        let p = src.baseAddress! + plane * s.plane
                        let q = dst.baseAddress! + plane * out.plane
                        // C loops cloned for AVX-512 (Swift's build is baseline x86-64): the 512 frame's first pool
                        // took 1.4 ms.
                        switch self {
                        case .max: mpx_max_pool2(p, s.h, s.w, q)
                        case .average: mpx_average_pool2(p, s.h, s.w, q)
                        }
                    }
                }
            }
        }
    }
}

/// PyTorch's `MaxPool2d(kernel, stride, padding)` with `ceil_mode=False` and no dilation (AlexNet's 3x3 stride-2
/// pools; ResNet's stem pool, 3x3, stride 2, padding 1): the output is `(H + 2 padding - kernel) / stride + 1` by the
/// same in W; windows that would run past the last row or column are dropped, and the padding acts as `-inf` (it never
/// wins a window; every window holds at least one real sample since `padding <= kernel / 2`). Computed separably:
/// the maximum over each window's columns, then over its rows.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
    let s = x.shape
    let out = pooledShape(s, kernel: kernel, stride: stride, padding: padding, caller: "maxPool2d")
    let ho = out.h, wo = out.w
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            // One plane's rows reduced horizontally over the clipped windows, then the clipped rows.
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: s.h * wo)
            defer { rows.deallocate() }
            for plane in 0..<(s.n * s.c) {
                let p = src.baseAddress! + plane * s.plane
                let q = dst.baseAddress! + plane * out.plane
                for y in 0..<s.h {
                    let line = p + y * s.w, r = rows + y * wo
                    for ox in 0..<wo {
                        let x0 = Swift.max(0, ox * stride - padding), x1 = Swift.min(s.w, ox * stride - padding + kernel)
                        var m = line[x0]
                        for i in (x0 + 1)..<Swift.max(x0 + 1, x1) { m = Swift.max(m, line[i]) }
                        r[ox] = m
                    }
                }
                for oy in 0..<ho {
                    let y0 = Swift.max(0, oy * stride - padding), y1 = Swift.min(s.h, oy * stride - padding + kernel)
                    let o = q + oy * wo
                    o.update(from: rows + y0 * wo, count: wo)
                    for y in (y0 + 1)..<Swift.max(y0 + 1, y1) {
                        let r = rows + y * wo
                        for ox in 0..<wo { o[ox] = Swift.max(o[ox], r[ox]) }
                    }
                }
            }
        }
    }
}

/// The mean of every (sample, channel) plane (`AdaptiveAvgPool2d(1)` followed by `flatten(1)`): `[N][C]`, row-major,
/// accumulated in double.
public func globalAveragePool(_ x: Tensor) -> [Float] {
    let s = x.shape
    var out = [Float](repeating: 0, count: s.n * s.c)
    x.scalars.withUnsafeBufferPointer { src in
        for plane in 0..<(s.n * s.c) {
            let p = src.baseAddress! + plane * s.plane
            var sum = 0.0
            for i in 0..<s.plane { sum += Double(p[i]) }
            out[plane] = Float(sum / Double(s.plane))
        }
    }
    return out
}

/// PyTorch's `AvgPool2d(kernel, stride, padding, count_include_pad: countIncludePad)` (`ceil_mode=False`): the
/// mean of each window, over the samples inside the input when `countIncludePad` is false (pytorch-fid's Inception
/// blocks, `F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)`: the edge windows average 4 or 6
/// samples, not 9 with zeros), or over `kernel * kernel` with the padding as zeros when it is true (torchvision's).
/// Sums are in float, row by row, as PyTorch's CPU kernel adds them.
public func averagePool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
    let s = x.shape
    let out = pooledShape(s, kernel: kernel, stride: stride, padding: padding, caller: "averagePool2d")
    let ho = out.h, wo = out.w
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: s.count) { planes in
                for plane in planes {
                    let p = src.baseAddress! + plane * s.plane
                    let q = dst.baseAddress! + plane * out.plane
                    for oy in 0..<ho {
                        let y0 = oy * stride - padding, y1 = Swift.min(y0 + kernel, s.h + padding)
                        let cy0 = Swift.max(0, y0), cy1 = Swift.min(s.h, y1)
                        for ox in 0..<wo {
                            let x0 = ox * stride - padding, x1 = Swift.min(x0 + kernel, s.w + padding)
                            let cx0 = Swift.max(0, x0), cx1 = Swift.min(s.w, x1)
                            var sum: Float = 0
                            for y in cy0..<cy1 {
                                let line = p + y * s.w
                                for i in cx0..<cx1 { sum += line[i] }
                            }
                            let count = countIncludePad ? (y1 - y0) * (x1 - x0) : (cy1 - cy0) * (cx1 - cx0)
                            q[oy * wo + ox] = sum / Float(count)
                        }
                    }
                }
            }
        }
    }
}

/// The output shape of a `kernel x kernel` pool (`ceil_mode=False`), checking what PyTorch requires of the window.
private func pooledShape(_ s: Shape, kernel: Int, stride: Int, padding: Int, caller: String) -> Shape {
    precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding <= kernel / 2,
                 "\(caller): kernel \(kernel), stride \(stride), padding \(padding)")
    precondition(s.h + 2 * padding >= kernel && s.w + 2 * padding >= kernel,
                 "\(caller): \(kernel)x\(kernel) window on a \(s.h)x\(s.w) input padded by \(padding)")
    return Shape(n: s.n, c: s.c, h: (s.h + 2 * padding - kernel) / stride + 1, w: (s.w + 2 * padding - kernel) / stride + 1)
}
