import Foundation

public func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { let v = b[i]; b[i] = v > 0 ? v : v * slope } }
    return y
}

public func tanh(_ x: Tensor) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = Foundation.tanh(b[i]) } }
    return y
}

/// `x * m` where `m` has one channel, broadcast over x's channels (the attention maps).
public func multiplyBroadcastingChannels(_ x: Tensor, _ m: Tensor) -> Tensor {
    precondition(m.shape.c == 1 && m.shape.h == x.shape.h && m.shape.w == x.shape.w && m.shape.n == x.shape.n,
                 "multiplyBroadcastingChannels: \(x.shape) by \(m.shape)")
    var y = x
    let s = x.shape
    y.scalars.withUnsafeMutableBufferPointer { b in
        m.scalars.withUnsafeBufferPointer { mb in
            for n in 0..<s.n {
                let mp = mb.baseAddress! + n * s.plane
                for c in 0..<s.c {
                    let p = b.baseAddress! + (n * s.c + c) * s.plane
                    for i in 0..<s.plane { p[i] *= mp[i] }
                }
            }
        }
    }
    return y
}

/// `a + factor * b`, element-wise, equal shapes.
public func add(_ a: Tensor, _ b: Tensor, scaledBy factor: Float = 1) -> Tensor {
    precondition(a.shape == b.shape, "add: \(a.shape) + \(b.shape)")
    var y = a
    y.scalars.withUnsafeMutableBufferPointer { p in
        b.scalars.withUnsafeBufferPointer { q in for i in p.indices { p[i] += factor * q[i] } }
    }
    return y
}

/// Concatenation along channels (PyTorch `torch.cat(dim=1)`); every part has the same N, H, W.
public func concatChannels(_ parts: [Tensor]) -> Tensor {
    let first = parts[0].shape
    let channels = parts.reduce(0) { $0 + $1.shape.c }
    let out = Shape(n: first.n, c: channels, h: first.h, w: first.w)
    return Tensor(uninitializedShape: out) { dst in
        for n in 0..<first.n {
            var offset = n * channels * first.plane
            for part in parts {
                precondition(part.shape.n == first.n && part.shape.h == first.h && part.shape.w == first.w,
                             "concatChannels: \(part.shape) does not match \(first)")
                let count = part.shape.c * first.plane
                part.scalars.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + offset).update(from: src.baseAddress! + n * count, count: count)
                }
                offset += count
            }
        }
    }
}

/// The first `channels` channels of each sample.
public func leadingChannels(_ x: Tensor, _ channels: Int) -> Tensor {
    let s = x.shape
    let out = Shape(n: s.n, c: channels, h: s.h, w: s.w)
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            for n in 0..<s.n {
                (dst.baseAddress! + n * out.c * s.plane)
                    .update(from: src.baseAddress! + n * s.c * s.plane, count: out.c * s.plane)
            }
        }
    }
}
