import CGemm
import Kernels

/// The gradients of `y = conv(x, W) + b` given `dy`: the weight and bias gradients (added into `dWeight`/`dBias`)
/// and, when asked, the input gradient.
///
/// Through GEMM, per sample and per tile of output rows: `dW += dY · colᵀ`, `dX = col2im(Wᵀ · dY)`, where `col` is
/// the im2col matrix of the input (`reduction x pixels`, reduction = inChannels * kernel * kernel).
/// Samples are split over our workers (each with single-threaded BLAS and its own dW accumulator); a single
/// sample gets every BLAS thread instead.
struct ConvolutionBackward {
    let conv: Convolution

    /// Output pixels per im2col tile, bounded like the forward so the tile stays near the cache.
    static let tileBudget = 256 * 1024

    var reduction: Int { conv.inChannels * conv.kernel * conv.kernel }
    var pointwise: Bool { conv.isPointwise }

    /// x [N, Cin, H, W], dy [N, Cout, Ho, Wo] → dx [N, Cin, H, W] (when `inputGradient`).
    /// `dWeight` [Cout * Cin * k * k] and `dBias` [Cout] are accumulated into when non-nil.
    func callAsFunction(x: Tensor, dy: Tensor, inputGradient: Bool,
                        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) -> Tensor? {
        let (ho, wo) = conv.outputSize(height: x.shape.h, width: x.shape.w)
        precondition(dy.shape == Shape(n: x.shape.n, c: conv.outChannels, h: ho, w: wo),
                     "ConvolutionBackward: dy \(dy.shape) for x \(x.shape)")
        let n = x.shape.n
        let pixels = ho * wo
        if let dBias {
            dy.scalars.withUnsafeBufferPointer { g in
                for s in 0..<n {
                    for co in 0..<conv.outChannels {
                        let p = g.baseAddress! + (s * conv.outChannels + co) * pixels
                        var acc: Float = 0
                        for i in 0..<pixels { acc += p[i] }
                        dBias[co] += acc
                    }
                }
            }
        }
        guard inputGradient || dWeight != nil else { return nil }
        if inputGradient && conv.stride == 1 && !pointwise {
            // A stride-1 layer's input gradient is itself a convolution (of dy with the filters flipped and their
            // channels swapped), so it takes the forward's fast paths (Winograd for 3x3) instead of col2im.
            let dx = transposedForInputGradient(dy)
            if dWeight != nil { _ = self(x: x, dy: dy, inputGradient: false, dWeight: dWeight, dBias: nil) }
            return dx
        }

        if !inputGradient, let dWeight, takesDirectWeightGradient(width: x.shape.w) {
            directWeightGradient(x: x, dy: dy, into: dWeight)
            return nil
        }
        if let dWeight, !pointwise, n > 1, pixels <= Self.groupedMaxPixels {
            groupedWeightGradient(x: x, dy: dy, into: dWeight)
            return inputGradient ? self(x: x, dy: dy, inputGradient: true, dWeight: nil, dBias: nil) : nil
        }
        let workers = min(ThreadPolicy.availableWorkers, n)
        ThreadPolicy.blasThreads(workers == 1 ? ThreadPolicy.workerCount : 1)
        var dx: Tensor? = nil
        let inPlane = x.shape.c * x.shape.plane
        let body: (UnsafeMutablePointer<Float>?) -> Void = { dxBase in
            x.scalars.withUnsafeBufferPointer { xb in
                dy.scalars.withUnsafeBufferPointer { gb in
                    conv.weight.withUnsafeBufferPointer { wb in
                        splitAccumulating(workers, into: dWeight) { index, count, dw in
                            let mine = ThreadPolicy.share(n, index, count)
                            for s in mine {
                                sample(x: xb.baseAddress! + s * inPlane, h: x.shape.h, w: x.shape.w,
                                       dy: gb.baseAddress! + s * conv.outChannels * pixels, ho: ho, wo: wo,
                                       weight: wb.baseAddress!, dw: dw, dx: dxBase.map { $0 + s * inPlane })
                            }
                        }
                    }
                }
            }
        }
        if inputGradient {
            dx = Tensor(shape: x.shape)
            dx!.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        } else {
            body(nil)
        }
        return dx
    }

    /// Runs `body(index, count, dw)` on `workers` workers, each adding its share of the weight gradient into its own
    /// `dw`: worker 0 straight into `dWeight`, the others into zeroed partials that are summed into it afterwards
    /// (`dw` is nil when `dWeight` is).
    private func splitAccumulating(_ workers: Int, into dWeight: UnsafeMutablePointer<Float>?,
                                   _ body: (Int, Int, UnsafeMutablePointer<Float>?) -> Void) {
        let weightCount = conv.weight.count
        let extra = dWeight == nil ? 0 : (workers - 1) * weightCount
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: max(1, extra))
        partials.initialize(repeating: 0, count: max(1, extra))
        defer { partials.deallocate() }
        ThreadPolicy.split(workers) { index, count in
            body(index, count, dWeight.map { index == 0 ? $0 : partials + (index - 1) * weightCount })
        }
        guard let dWeight else { return }
        for wkr in 0..<(workers - 1) {
            let q = partials + wkr * weightCount
            for i in 0..<weightCount { dWeight[i] += q[i] }
        }
    }

    /// dx of a stride-1 layer: dy convolved with W'[ci, co, ky, kx] = W[co, ci, k-1-ky, k-1-kx] at padding k-1-p.
    func transposedForInputGradient(_ dy: Tensor) -> Tensor {
        let k = conv.kernel, cin = conv.inChannels, cout = conv.outChannels
        var flipped = [Float](repeating: 0, count: conv.weight.count)
        conv.weight.withUnsafeBufferPointer { w in
            for co in 0..<cout { for ci in 0..<cin { for ky in 0..<k { for kx in 0..<k {
                flipped[((ci * cout + co) * k + (k - 1 - ky)) * k + (k - 1 - kx)] = w[((co * cin + ci) * k + ky) * k + kx]
            } } } }
        }
        let transposed = Convolution(outChannels: cin, inChannels: cout, kernel: k, stride: 1, padding: k - 1 - conv.padding,
                                     weight: flipped, bias: [Float](repeating: 0, count: cin))
        return transposed(dy)
    }

    /// Whether dW goes through `directWeightGradient`: stride-1 layers whose output rows fill vectors (16 wide or
    /// more) or that have few output channels. Measured per layer of a training step on Zen 4 (AVX-512): a 128x128
    /// map with 8 channels 7.2 -> 6.4 ms, 16>8 9.0 -> 7.1, 32>16 @64 6.8 -> 4.5, 128>1 @6x6 (96 patches) 6.0 -> 1.2;
    /// on 5x5 to 9x9 maps with 128 channels the blocked GEMM stays ahead (64>128 @5x5: 13.9 against 6.4 ms).
    func takesDirectWeightGradient(width: Int) -> Bool {
        guard conv.stride == 1, !pointwise, mpx_conv_weight_gradient_available(conv.kernel) != 0 else { return false }
        let wo = width + 2 * conv.padding - conv.kernel + 1
        return wo >= 16 || conv.outChannels <= 16
    }

    /// dW of a stride-1 layer by `mpx_conv_weight_gradient`: each sample's input zero-padded once, read in place of
    /// an im2col matrix (which copies every pixel k² times, then the GEMM packs it again). Samples are shared over the
    /// workers when there are enough of them (each its own accumulator, summed at the end); a single sample splits its
    /// input channels instead, which write disjoint parts of dW.
    private func directWeightGradient(x: Tensor, dy: Tensor, into dWeight: UnsafeMutablePointer<Float>) {
        let n = x.shape.n, cin = conv.inChannels, cout = conv.outChannels, k = conv.kernel, p = conv.padding
        let h = x.shape.h, w = x.shape.w, hp = h + 2 * p, wp = w + 2 * p
        let ho = hp - k + 1, wo = wp - k + 1
        let inPlane = cin * h * w, outPlane = cout * ho * wo, padded = cin * hp * wp
        let bySample = n >= ThreadPolicy.availableWorkers
        let workers = bySample ? min(ThreadPolicy.availableWorkers, n) : min(ThreadPolicy.availableWorkers, cin)
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: padded * (bySample ? workers : 1))
        xp.initialize(repeating: 0, count: padded * (bySample ? workers : 1))
        defer { xp.deallocate() }
        func pad(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
            for ci in 0..<cin {
                for y in 0..<h { (dst + (ci * hp + y + p) * wp + p).update(from: src + (ci * h + y) * w, count: w) }
            }
        }
        x.scalars.withUnsafeBufferPointer { xb in
            dy.scalars.withUnsafeBufferPointer { gb in
                if bySample {
                    splitAccumulating(workers, into: dWeight) { index, count, dw in
                        let mine = xp + index * padded
                        for s in ThreadPolicy.share(n, index, count) {
                            pad(xb.baseAddress! + s * inPlane, into: mine)
                            mpx_conv_weight_gradient(cout, cin, 0, cin, k, mine, hp, wp, gb.baseAddress! + s * outPlane, ho, wo, dw!)
                        }
                    }
                } else {
                    for s in 0..<n {
                        pad(xb.baseAddress! + s * inPlane, into: xp)
                        ThreadPolicy.split(workers) { index, count in
                            let channels = ThreadPolicy.share(cin, index, count)
                            mpx_conv_weight_gradient(cout, cin, channels.lowerBound, channels.upperBound, k, xp, hp, wp,
                                                     gb.baseAddress! + s * outPlane, ho, wo, dWeight)
                        }
                    }
                }
            }
        }
    }

    /// Up to this many output pixels a layer's weight gradient takes several samples per product
    /// (`groupedWeightGradient`).
    static let groupedMaxPixels = 256

    /// dW over samples grouped side by side: the im2col matrices of up to `tileBudget / reduction` columns' worth of
    /// samples, and their dY, placed next to each other so that one product sums over all their pixels. On the patch
    /// discriminator's 5x5 to 9x9 maps one sample's product has a k of 36 to 100 (each sample then reads and writes
    /// all of dW: 512 KB at 64 > 128 channels, for 9 MFLOP).
    private func groupedWeightGradient(x: Tensor, dy: Tensor, into dWeight: UnsafeMutablePointer<Float>) {
        let n = x.shape.n, cout = conv.outChannels, k = reduction
        let (ho, wo) = conv.outputSize(height: x.shape.h, width: x.shape.w)
        let pixels = ho * wo, inPlane = x.shape.c * x.shape.plane
        let group = max(1, min(n, Self.tileBudget / max(1, k * pixels)))
        let workers = min(ThreadPolicy.availableWorkers, (n + group - 1) / group)
        ThreadPolicy.blasThreads(workers == 1 ? ThreadPolicy.workerCount : 1)
        x.scalars.withUnsafeBufferPointer { xb in
            dy.scalars.withUnsafeBufferPointer { gb in
                splitAccumulating(workers, into: dWeight) { index, count, dw in
                    let mine = ThreadPolicy.share(n, index, count)
                    guard !mine.isEmpty, let dw else { return }
                    let col = UnsafeMutablePointer<Float>.allocate(capacity: k * group * pixels)
                    let grads = UnsafeMutablePointer<Float>.allocate(capacity: cout * group * pixels)
                    defer { col.deallocate(); grads.deallocate() }
                    var s0 = mine.lowerBound
                    while s0 < mine.upperBound {
                        let s1 = min(mine.upperBound, s0 + group), columns = (s1 - s0) * pixels
                        for s in s0..<s1 {
                            let offset = (s - s0) * pixels
                            Im2col.gather(xb.baseAddress! + s * inPlane, channels: conv.inChannels, h: x.shape.h, w: x.shape.w,
                                          kernel: conv.kernel, stride: conv.stride, padding: conv.padding, rows: 0..<ho, wo: wo,
                                          into: col + offset, rowStride: columns)
                            for co in 0..<cout {
                                (grads + co * columns + offset).update(from: gb.baseAddress! + (s * cout + co) * pixels, count: pixels)
                            }
                        }
                        accumulateWeightGradient(dy: grads, ldy: columns, col: col, columns: columns, into: dw)
                        s0 = s1
                    }
                }
            }
        }
    }

    /// Up to this many output channels the weight gradient takes the unpacked dot-product kernel: measured on Zen 3
    /// (AVX2), 8 channels 24 -> 60 GFLOPS, 16 channels 43 -> 59; from 32 on the blocked GEMM is as fast or faster.
    static let dotProductMaxChannels = 16

    /// dW += dY · colᵀ over `columns` pixels (dY rows `ldy` apart, col `reduction x columns`).
    private func accumulateWeightGradient(dy: UnsafePointer<Float>, ldy: Int, col: UnsafePointer<Float>, columns: Int,
                                          into dw: UnsafeMutablePointer<Float>) {
        let k = reduction
        if conv.outChannels <= Self.dotProductMaxChannels {
            GEMM.accumulateRowDotProducts(m: conv.outChannels, n: k, k: columns, a: dy, lda: ldy, b: col, ldb: columns, c: dw, ldc: k)
        } else {
            GEMM.multiply(transposeB: true, m: conv.outChannels, n: k, k: columns, a: dy, lda: ldy,
                          b: col, ldb: columns, beta: 1, c: dw, ldc: k)
        }
    }

    /// One sample: tiles of output rows, each im2col'd, multiplied, and scattered back.
    private func sample(x: UnsafePointer<Float>, h: Int, w: Int, dy: UnsafePointer<Float>, ho: Int, wo: Int,
                        weight: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?) {
        let pixels = ho * wo
        let k = reduction
        if pointwise {
            // col is x itself: dW += dY · xᵀ, dX = Wᵀ · dY.
            if let dw { accumulateWeightGradient(dy: dy, ldy: pixels, col: x, columns: pixels, into: dw) }
            if let dx {
                GEMM.multiply(transposeA: true, m: k, n: pixels, k: conv.outChannels, a: weight, lda: k,
                              b: dy, ldb: pixels, beta: 1, c: dx, ldc: pixels)
            }
            return
        }
        let rowsPerTile = max(1, Self.tileBudget / max(1, k * wo))
        let col = UnsafeMutablePointer<Float>.allocate(capacity: k * min(ho, rowsPerTile) * wo)
        defer { col.deallocate() }
        var y0 = 0
        while y0 < ho {
            let y1 = min(ho, y0 + rowsPerTile)
            let columns = (y1 - y0) * wo
            let g = dy + y0 * wo
            if let dw {
                Im2col.gather(x, channels: conv.inChannels, h: h, w: w, kernel: conv.kernel, stride: conv.stride,
                              padding: conv.padding, rows: y0..<y1, wo: wo, into: col)
                accumulateWeightGradient(dy: g, ldy: pixels, col: col, columns: columns, into: dw)
            }
            if let dx {
                GEMM.multiply(transposeA: true, m: k, n: columns, k: conv.outChannels, a: weight, lda: k,
                              b: g, ldb: pixels, beta: 0, c: col, ldc: columns)
                Im2col.scatterAdd(col, channels: conv.inChannels, h: h, w: w, kernel: conv.kernel, stride: conv.stride,
                                  padding: conv.padding, rows: y0..<y1, wo: wo, into: dx)
            }
            y0 = y1
        }
    }
}


extension ConvolutionBackward {
    /// The same gradients as nested loops in Double: slow, obviously right, and what the tests compare to.
    func reference(x: Tensor, dy: Tensor) -> (dx: Tensor, dWeight: [Float], dBias: [Float]) {
        let c = conv
        let (ho, wo) = c.outputSize(height: x.shape.h, width: x.shape.w)
        var dx = [Double](repeating: 0, count: x.shape.count)
        var dw = [Double](repeating: 0, count: c.weight.count)
        var db = [Double](repeating: 0, count: c.outChannels)
        for n in 0..<x.shape.n {
            for co in 0..<c.outChannels {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let g = Double(dy[n, co, oy, ox])
                        db[co] += g
                        for ci in 0..<c.inChannels {
                            for ky in 0..<c.kernel {
                                for kx in 0..<c.kernel {
                                    let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
                                    guard iy >= 0, iy < x.shape.h, ix >= 0, ix < x.shape.w else { continue }
                                    let wi = ((co * c.inChannels + ci) * c.kernel + ky) * c.kernel + kx
                                    let xi = ((n * x.shape.c + ci) * x.shape.h + iy) * x.shape.w + ix
                                    dw[wi] += g * Double(x.scalars[xi])
                                    dx[xi] += g * Double(c.weight[wi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, scalars: dx.map(Float.init)), dw.map(Float.init), db.map(Float.init))
    }
}
