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
                for plane in 0..<(s.n * s.c) {
                    let p = src.baseAddress! + plane * s.plane
                    let q = dst.baseAddress! + plane * out.plane
                    for oy in 0..<ho {
                        let r0 = p + 2 * oy * s.w, r1 = r0 + s.w
                        for ox in 0..<wo {
                            let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                            switch self {
                            case .max: q[oy * wo + ox] = Swift.max(Swift.max(a, b), Swift.max(c, d))
                            case .average: q[oy * wo + ox] = (a + b + c + d) / 4
                            }
                        }
                    }
                }
            }
        }
    }
}
