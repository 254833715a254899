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

/// PyTorch's `MaxPool2d(kernel, stride)` with no padding, no dilation and `ceil_mode=False` (AlexNet's 3x3 stride-2
/// pools): the output is `(H - kernel) / stride + 1` by `(W - kernel) / stride + 1`, windows that would run past
/// the last row or column are dropped. Computed separably: the maximum over each window's columns, then over its rows.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int) -> Tensor {
    let s = x.shape
    precondition(kernel >= 1 && stride >= 1, "maxPool2d: kernel \(kernel), stride \(stride)")
    precondition(s.h >= kernel && s.w >= kernel, "maxPool2d: \(kernel)x\(kernel) window on a \(s.h)x\(s.w) input")
    let ho = (s.h - kernel) / stride + 1, wo = (s.w - kernel) / stride + 1
    let out = Shape(n: s.n, c: s.c, h: ho, w: wo)
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            // One plane's rows reduced horizontally: s.h rows of wo maxima.
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: s.h * wo)
            defer { rows.deallocate() }
            for plane in 0..<(s.n * s.c) {
                let p = src.baseAddress! + plane * s.plane
                let q = dst.baseAddress! + plane * out.plane
                for y in 0..<s.h {
                    let line = p + y * s.w, r = rows + y * wo
                    for ox in 0..<wo {
                        let x0 = ox * stride
                        var m = line[x0]
                        for k in 1..<kernel { m = Swift.max(m, line[x0 + k]) }
                        r[ox] = m
                    }
                }
                for oy in 0..<ho {
                    let o = q + oy * wo, first = rows + oy * stride * wo
                    o.update(from: first, count: wo)
                    for k in 1..<kernel {
                        let r = first + k * wo
                        for ox in 0..<wo { o[ox] = Swift.max(o[ox], r[ox]) }
                    }
                }
            }
        }
    }
}
