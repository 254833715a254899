import CElementwise
import Foundation
import Kernels

// Backward kernels of the shape-changing and element-wise layers, each named after its forward in Kernels.

/// LeakyReLU's backward from its *output* y (for slope > 0, y > 0 exactly where the input was; slope 0 is ReLU,
/// whose PyTorch backward also reads the output): `dx = dy` where y > 0, else `slope * dy`.
func leakyReLUBackward(_ dy: Tensor, output y: Tensor, slope: Float) -> Tensor {
    precondition(dy.shape == y.shape, "leakyReLUBackward: \(dy.shape) vs \(y.shape)")
    return Tensor(uninitializedShape: dy.shape) { dx in
        dy.scalars.withUnsafeBufferPointer { g in
            y.scalars.withUnsafeBufferPointer { yb in
                mpx_leaky_relu_backward(g.baseAddress!, yb.baseAddress!, slope, dx.baseAddress!, dx.count)
            }
        }
    }
}

/// tanh's backward from its output: `dx = dy * (1 - y²)`.
func tanhBackward(_ dy: Tensor, output y: Tensor) -> Tensor {
    var dx = dy
    dx.scalars.withUnsafeMutableBufferPointer { g in
        y.scalars.withUnsafeBufferPointer { yb in for i in g.indices { g[i] *= 1 - yb[i] * yb[i] } }
    }
    return dx
}

/// The backward of `multiplyBroadcastingChannels(x, m)`: `dx = dy * m`, `dm = Σ_c dy * x`.
func multiplyBroadcastingChannelsBackward(_ dy: Tensor, x: Tensor, map m: Tensor, needX: Bool, needMap: Bool) -> (dx: Tensor?, dm: Tensor?) {
    let dx = needX ? multiplyBroadcastingChannels(dy, m) : nil
    guard needMap else { return (dx, nil) }
    let s = x.shape
    var dm = Tensor(shape: m.shape)
    for n in 0..<s.n {
        for c in 0..<s.c {
            let base = (n * s.c + c) * s.plane
            for i in 0..<s.plane { dm.scalars[n * s.plane + i] += dy.scalars[base + i] * x.scalars[base + i] }
        }
    }
    return (dx, dm)
}

/// The backward of `concatChannels(parts)`: each part's slice of the channels.
func concatChannelsBackward(_ dy: Tensor, channels: [Int]) -> [Tensor] {
    let s = dy.shape
    var offset = 0
    return channels.map { c in
        let part = Tensor(uninitializedShape: Shape(n: s.n, c: c, h: s.h, w: s.w)) { dst in
            dy.scalars.withUnsafeBufferPointer { src in
                for n in 0..<s.n {
                    (dst.baseAddress! + n * c * s.plane)
                        .update(from: src.baseAddress! + (n * s.c + offset) * s.plane, count: c * s.plane)
                }
            }
        }
        offset += c
        return part
    }
}

/// The backward of `leadingChannels(x, k)`: dy in the first k channels, zeros in the rest.
func leadingChannelsBackward(_ dy: Tensor, channels: Int) -> Tensor {
    let s = dy.shape
    var dx = Tensor(shape: Shape(n: s.n, c: channels, h: s.h, w: s.w))
    dx.scalars.withUnsafeMutableBufferPointer { dst in
        dy.scalars.withUnsafeBufferPointer { src in
            for n in 0..<s.n {
                (dst.baseAddress! + n * channels * s.plane).update(from: src.baseAddress! + n * s.c * s.plane, count: s.c * s.plane)
            }
        }
    }
    return dx
}

/// The backward of 2x2 pooling on an input of `inputShape`. Max pooling routes each gradient to the first
/// maximum of its window in scan order (PyTorch's CPU kernel), found again from the input (`mpx_max_pool2_backward`);
/// odd edges get 0. Planes are shared over the workers.
func poolingBackward(_ kind: Pooling, _ dy: Tensor, input x: Tensor) -> Tensor {
    let s = x.shape
    let wo = s.w / 2, ho = s.h / 2
    var dx = Tensor(shape: s)
    dx.scalars.withUnsafeMutableBufferPointer { d in
        x.scalars.withUnsafeBufferPointer { xb in
            dy.scalars.withUnsafeBufferPointer { g in
                ThreadPolicy.chunks(s.n * s.c, elements: s.count) { planes in
                    for plane in planes {
                        let q = d.baseAddress! + plane * s.plane, gp = g.baseAddress! + plane * ho * wo
                        switch kind {
                        case .max:
                            mpx_max_pool2_backward(xb.baseAddress! + plane * s.plane, s.h, s.w, gp, q)
                        case .average:
                            for oy in 0..<ho {
                                for ox in 0..<wo {
                                    let a = gp[oy * wo + ox] / 4
                                    let i00 = 2 * oy * s.w + 2 * ox, i10 = i00 + s.w
                                    q[i00] += a; q[i00 + 1] += a; q[i10] += a; q[i10 + 1] += a
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return dx
}

/// The backward of `upsampleBilinear2x` (align_corners=False): each output gradient goes back to its four taps
/// with the forward's weights. Separably, as the forward: each output row is first folded along x onto a source-width
/// row, which is then added to its two source rows with the row weights; planes are shared over the workers.
func upsampleBilinear2xBackward(_ dy: Tensor, inputShape s: Shape) -> Tensor {
    let ty = bilinear2xTaps(s.h), tx = bilinear2xTaps(s.w)
    let ow = 2 * s.w, oh = 2 * s.h
    var dx = Tensor(shape: s)
    dx.scalars.withUnsafeMutableBufferPointer { d in
        dy.scalars.withUnsafeBufferPointer { g in
            ThreadPolicy.chunks(s.n * s.c, elements: dy.shape.count) { planes in
                let folded = UnsafeMutablePointer<Float>.allocate(capacity: s.w)
                defer { folded.deallocate() }
                for plane in planes {
                    let q = d.baseAddress! + plane * s.plane, gp = g.baseAddress! + plane * oh * ow
                    for oy in 0..<oh {
                        let row = gp + oy * ow
                        folded.update(repeating: 0, count: s.w)
                        for ox in 0..<ow {
                            let (x0, x1, w0, w1) = tx[ox]
                            let v = row[ox]
                            folded[x0] += w0 * v; folded[x1] += w1 * v
                        }
                        let (y0, y1, h0, h1) = ty[oy]
                        let r0 = q + y0 * s.w, r1 = q + y1 * s.w
                        for i in 0..<s.w { r0[i] += h0 * folded[i] }
                        for i in 0..<s.w { r1[i] += h1 * folded[i] }
                    }
                }
            }
        }
    }
    return dx
}

/// The backward of `reflectionPad(x, p)`: each padded pixel's gradient is added to the pixel it mirrors.
func reflectionPadBackward(_ dy: Tensor, padding p: Insets, inputShape s: Shape) -> Tensor {
    if p.isZero { return dy }
    let ow = s.w + p.left + p.right, oh = s.h + p.top + p.bottom
    func reflect(_ i: Int, _ size: Int) -> Int { i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i) }
    var dx = Tensor(shape: s)
    dx.scalars.withUnsafeMutableBufferPointer { d in
        dy.scalars.withUnsafeBufferPointer { g in
            for plane in 0..<(s.n * s.c) {
                let q = d.baseAddress! + plane * s.plane, gp = g.baseAddress! + plane * oh * ow
                for oy in 0..<oh {
                    let row = q + reflect(oy - p.top, s.h) * s.w
                    for ox in 0..<ow { row[reflect(ox - p.left, s.w)] += gp[oy * ow + ox] }
                }
            }
        }
    }
    return dx
}

/// The backward of `crop(x, p)`: the gradient placed back inside a zero border.
func cropBackward(_ dy: Tensor, insets p: Insets) -> Tensor {
    if p.isZero { return dy }
    let s = dy.shape
    let out = Shape(n: s.n, c: s.c, h: s.h + p.top + p.bottom, w: s.w + p.left + p.right)
    var dx = Tensor(shape: out)
    dx.scalars.withUnsafeMutableBufferPointer { d in
        dy.scalars.withUnsafeBufferPointer { g in
            for plane in 0..<(s.n * s.c) {
                for y in 0..<s.h {
                    (d.baseAddress! + plane * out.plane + (y + p.top) * out.w + p.left)
                        .update(from: g.baseAddress! + plane * s.plane + y * s.w, count: s.w)
                }
            }
        }
    }
    return dx
}

/// The backward of `Generator.attentionMap`: `gray = 1 - (0.299 r + 0.587 g + 0.114 b) / 2` (with r = x_r + 1 …),
/// so `dx_c = -w_c / 2 * dgray`.
func attentionMapBackward(_ dGray: Tensor, imageShape s: Shape) -> Tensor {
    var dx = Tensor(shape: s)
    let weights: [Float] = [0.299, 0.587, 0.114]
    for n in 0..<s.n {
        for c in 0..<3 {
            let k = -weights[c] / 2
            for i in 0..<s.plane { dx.scalars[(n * s.c + c) * s.plane + i] = k * dGray.scalars[n * s.plane + i] }
        }
    }
    return dx
}
