import CElementwise
import CGemm
/// A 2-D convolution layer's parameters: `weight` is [outChannels, inChannels, kernelHeight, kernelWidth] in
/// PyTorch's layout, i.e. a row-major `outChannels x (inChannels * kernelHeight * kernelWidth)` matrix.
///
/// Kernels are square (`kernel`, `padding`) everywhere but Inception-v3's factorised layers (1x7 with padding
/// (0, 3), 7x1 with (3, 0), 1x3, 3x1), which only the direct (im2col) path computes.
public struct Convolution: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public private(set) var paddingHeight: Int
    public private(set) var paddingWidth: Int
    /// Setting the weights drops the transformed filters cached for the Winograd paths.
    public var weight: [Float] { didSet { filterCache = FilterCache() } }
    public var bias: [Float]
    /// The Winograd-domain and packed filters, built on first use and shared by copies (a class, so copies stay cheap).
    private(set) var filterCache = FilterCache()

    public init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int,
                weight: [Float], bias: [Float]) {
        self.init(outChannels: outChannels, inChannels: inChannels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
                  paddingHeight: padding, paddingWidth: padding, weight: weight, bias: bias)
    }

    /// A layer whose kernel and padding may differ between rows and columns (PyTorch's `kernel_size=(1, 7),
    /// padding=(0, 3)`).
    public init(outChannels: Int, inChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
                paddingHeight: Int, paddingWidth: Int, weight: [Float], bias: [Float]) {
        precondition(weight.count == outChannels * inChannels * kernelHeight * kernelWidth, "Convolution: weight count")
        precondition(bias.count == outChannels, "Convolution: bias count")
        self.outChannels = outChannels; self.inChannels = inChannels
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.paddingHeight = paddingHeight; self.paddingWidth = paddingWidth
        self.weight = weight; self.bias = bias
    }

    /// Whether kernel and padding are the same along both axes (what the Winograd paths and the training code need).
    public var isSquare: Bool { kernelHeight == kernelWidth && paddingHeight == paddingWidth }

    /// The side of a square kernel.
    public var kernel: Int {
        precondition(kernelHeight == kernelWidth, "Convolution: kernel is \(kernelHeight)x\(kernelWidth), not square")
        return kernelHeight
    }

    /// The padding of a square layer (the same on every side).
    public var padding: Int {
        precondition(paddingHeight == paddingWidth, "Convolution: padding is (\(paddingHeight), \(paddingWidth))")
        return paddingHeight
    }

    var reduction: Int { inChannels * kernelHeight * kernelWidth }

    /// The same layer with another padding (the weights are shared, not copied): running it with padding 0 on a
    /// patch that already carries its halo computes one region of the padded layer's output.
    public func withPadding(_ p: Int) -> Convolution {
        var c = self
        c.paddingHeight = p
        c.paddingWidth = p
        return c
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * paddingHeight - kernelHeight) / stride + 1, (width + 2 * paddingWidth - kernelWidth) / stride + 1)
    }
}

/// What happens to each output element right after the GEMM, while it is still in cache:
/// `v = acc + bias; v = activation(v); v = v * scale[c] + shift[c]` (the last step is an eval-mode batch norm).
public struct Epilogue: Sendable {
    public var leakySlope: Float?
    public var scale: [Float]?
    public var shift: [Float]?

    public init(leakySlope: Float? = nil, scale: [Float]? = nil, shift: [Float]? = nil) {
        self.leakySlope = leakySlope; self.scale = scale; self.shift = shift
    }

    public static let none = Epilogue()
}

extension Convolution {
    /// Output columns (pixels) per im2col tile: the tile, `reduction x columns` floats, should stay within
    /// about 1 MiB so that the GEMM reads it back from cache.
    static let tileBudget = 256 * 1024
    /// Below this many output pixels a layer is one GEMM on every BLAS thread; above, our workers split rows.
    static let splitThreshold = 2048

    /// Applies the convolution: x [N, inChannels, H, W] → [N, outChannels, H', W']. `algorithm` picks the path;
    /// `automatic` (or `ConvolutionAlgorithm.forced`) lets `Convolution.algorithm(...)` choose by shape. `precision`
    /// is the GEMMs' (`.bf16` for preview frames; the transforms and the epilogue stay f32).
    public func callAsFunction(_ x: Tensor, epilogue: Epilogue = .none, algorithm: ConvolutionAlgorithm = .automatic,
                               precision: Precision = .f32) -> Tensor {
        self(.tensor(x), epilogue: epilogue, algorithm: algorithm, precision: precision)
    }

    /// Applies the convolution to `input`: a concatenation's parts are read where they lie, and a Winograd layer
    /// upsamples its input block by block as its tiles need it; neither is stored whole. (A direct layer reading an
    /// upsample makes it first.)
    public func callAsFunction(_ input: ConvolutionInput, epilogue: Epilogue = .none,
                               algorithm: ConvolutionAlgorithm = .automatic, precision: Precision = .f32) -> Tensor {
        let shape = input.shape
        precondition(shape.c == inChannels, "Convolution: input has \(shape.c) channels, layer wants \(inChannels)")
        let (ho, wo) = outputSize(height: shape.h, width: shape.w)
        let path = resolvedAlgorithm(algorithm, height: shape.h, width: shape.w, precision: precision)
        if case .upsampled2x(let x) = input, path == .direct || path == .automatic {
            return self(.tensor(upsampleBilinear2x(x)), epilogue: epilogue, algorithm: algorithm, precision: precision)
        }
        let precision = productPrecision(precision, path: path, requested: algorithm)
        let outShape = Shape(n: shape.n, c: outChannels, h: ho, w: wo)
        var upsampling: Bilinear2x?
        if case .upsampled2x(let x) = input { upsampling = Bilinear2x(height: x.shape.h, width: x.shape.w) }
        if shape.n > 1 && ThreadPolicy.availableWorkers > 1 && (path == .winograd2x2 || path == .winograd4x4) {
            // Built once here, not by the first worker to need them while the other waits.
            let tile: WinogradTile = path == .winograd2x2 ? .f2 : .f4
            _ = filterCache.packed(tile, filters: winogradFilters(tile), rows: outChannels, columns: inChannels)
        }
        let group = (path == .direct || path == .automatic) && upsampling == nil ? samplesPerProduct(shape) : 1
        return Tensor(uninitializedShape: outShape) { out in
            withChannelPlanes(of: input.stored) { planes in
                if group > 1 {
                    let groups = (shape.n + group - 1) / group
                    ThreadPolicy.perSample(groups) { g in
                        groupedForward(planes, samples: (g * group)..<min(shape.n, (g + 1) * group), h: shape.h, w: shape.w,
                                       into: out.baseAddress!, ho: ho, wo: wo, epilogue: epilogue, precision: precision)
                    }
                    return
                }
                // A batch goes a sample a worker; a single image splits its rows or tiles over the workers instead.
                ThreadPolicy.perSample(shape.n) { n in
                    let input = SampleInput(planes: planes, sample: n, upsampling: upsampling)
                    let dst = out.baseAddress! + n * outShape.c * outShape.plane
                    switch path {
                    case .winograd2x2:
                        winogradForward(input, h: shape.h, w: shape.w, into: dst, ho: ho, wo: wo, epilogue: epilogue, tile: .f2, precision: precision)
                    case .winograd4x4:
                        winogradForward(input, h: shape.h, w: shape.w, into: dst, ho: ho, wo: wo, epilogue: epilogue, tile: .f4, precision: precision)
                    case .direct, .automatic:
                        forward(input, h: shape.h, w: shape.w, into: dst, ho: ho, wo: wo, epilogue: epilogue, precision: precision)
                    }
                }
            }
        }
    }

    private func forward(_ input: SampleInput, h: Int, w: Int, into dst: UnsafeMutablePointer<Float>,
                         ho: Int, wo: Int, epilogue: Epilogue, precision: Precision) {
        precondition(input.upsampling == nil, "direct convolution of an upsample: callAsFunction makes it first")
        if takesFewOutputsPath {
            fewOutputsForward(input, h: h, w: w, into: dst, ho: ho, wo: wo, epilogue: epilogue)
            return
        }
        let pixels = ho * wo
        // A 1x1 layer reads a contiguous input in place as the GEMM's right operand.
        let pointwise = isPointwise && input.planes.contiguous
        let rowsPerTile = max(1, Self.tileBudget / max(1, reduction * wo))
        let tiles = (ho + rowsPerTile - 1) / rowsPerTile
        let workers = (pixels >= Self.splitThreshold && tiles > 1) ? min(ThreadPolicy.availableWorkers, tiles) : 1
        ThreadPolicy.blasThreads(workers == 1 ? ThreadPolicy.workerCount : 1)
        let packedWeights = filterCache.direct(weight, rows: outChannels, columns: reduction)
        ThreadPolicy.split(workers) { index, count in
            let myTiles = ThreadPolicy.share(tiles, index, count)
            guard !myTiles.isEmpty else { return }
            let colCapacity = pointwise ? 0 : reduction * rowsPerTile * wo
            let col = UnsafeMutablePointer<Float>.allocate(capacity: max(1, colCapacity))
            defer { col.deallocate() }
            for t in myTiles {
                let y0 = t * rowsPerTile, y1 = min(ho, y0 + rowsPerTile)
                let columns = (y1 - y0) * wo
                let b: UnsafePointer<Float>
                let ldb: Int
                if pointwise {
                    b = input.planes.base(input.sample) + y0 * wo; ldb = pixels
                } else {
                    Im2col.gather(plane: input.plane, channels: inChannels, h: h, w: w, kernelHeight: kernelHeight,
                                  kernelWidth: kernelWidth, stride: stride, paddingHeight: paddingHeight,
                                  paddingWidth: paddingWidth, rows: y0..<y1, wo: wo, into: col)
                    b = UnsafePointer(col); ldb = columns
                }
                GEMM.multiply(packedWeights, n: columns, b: b, ldb: ldb, c: dst + y0 * wo, ldc: pixels, precision: precision)
                applyEpilogue(epilogue, to: dst + y0 * wo, columns: columns, stride: pixels)
            }
        }
    }

    /// Up to this many output pixels a direct layer multiplies several samples' columns at once.
    static let groupedMaxPixels = 256

    /// Samples per product of a direct layer on a batch of small maps (1: one at a time): as many as fit the im2col
    /// tile budget, leaving a group for every worker. A 6x6 output is 36 columns, two B panels of 32 with 28 of the
    /// second's lanes wasted; side by side, 7 samples fill 8 panels.
    func samplesPerProduct(_ shape: Shape) -> Int {
        let (ho, wo) = outputSize(height: shape.h, width: shape.w)
        guard shape.n > 1, ho * wo <= Self.groupedMaxPixels, !isPointwise, !takesFewOutputsPath else { return 1 }
        let fits = max(1, Self.tileBudget / max(1, reduction * ho * wo))
        let perWorker = (shape.n + ThreadPolicy.availableWorkers - 1) / ThreadPolicy.availableWorkers
        return min(fits, perWorker)
    }

    /// Samples `samples` of a direct layer as one product: their im2col matrices side by side, the product into a
    /// scratch `outChannels x columns`, then each sample's block copied out and finished. Each output column is the
    /// same sum as when its sample runs alone.
    private func groupedForward(_ planes: ChannelPlanes, samples: Range<Int>, h: Int, w: Int, into out: UnsafeMutablePointer<Float>,
                                ho: Int, wo: Int, epilogue: Epilogue, precision: Precision) {
        let pixels = ho * wo, columns = samples.count * pixels
        let col = UnsafeMutablePointer<Float>.allocate(capacity: reduction * columns)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: outChannels * columns)
        defer { col.deallocate(); y.deallocate() }
        for (j, s) in samples.enumerated() {
            Im2col.gather(plane: { planes.plane(s, $0) }, channels: inChannels, h: h, w: w, kernelHeight: kernelHeight,
                          kernelWidth: kernelWidth, stride: stride, paddingHeight: paddingHeight, paddingWidth: paddingWidth,
                          rows: 0..<ho, wo: wo, into: col + j * pixels, rowStride: columns)
        }
        let packedWeights = filterCache.direct(weight, rows: outChannels, columns: reduction)
        GEMM.multiply(packedWeights, n: columns, b: col, ldb: columns, c: y, ldc: columns, precision: precision)
        for (j, s) in samples.enumerated() {
            let dst = out + s * outChannels * pixels
            for co in 0..<outChannels { (dst + co * pixels).update(from: y + co * columns + j * pixels, count: pixels) }
            applyEpilogue(epilogue, to: dst, columns: pixels, stride: pixels)
        }
    }

    /// A 1x1 stride-1 layer without padding: its im2col matrix is the input itself.
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && paddingHeight == 0 && paddingWidth == 0 }

    /// Whether the direct path takes `fewOutputsForward`.
    var takesFewOutputsPath: Bool { stride == 1 && outChannels <= Self.fewOutputsMaxChannels && kernelHeight * kernelWidth > 1 }

    /// Up to this many output channels a stride-1 layer skips im2col (`mpx_conv_few_outputs`): measured on a patch
    /// discriminator's 128 > 1 layer (96 patches of 6x6, Zen 4), 7.2 -> 1.4 ms a training step (every 128 > 1 layer: 14 -> 2).
    static let fewOutputsMaxChannels = 2

    /// One sample of a stride-1 layer with few output channels: the input zero-padded once, each tap one contiguous
    /// multiply-add over the padded rows, then the valid columns copied out.
    private func fewOutputsForward(_ input: SampleInput, h: Int, w: Int, into dst: UnsafeMutablePointer<Float>,
                                   ho: Int, wo: Int, epilogue: Epilogue) {
        let hp = h + 2 * paddingHeight, wp = w + 2 * paddingWidth, plane = hp * wp
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: inChannels * plane + kernelWidth)
        defer { xp.deallocate() }
        xp.initialize(repeating: 0, count: inChannels * plane + kernelWidth)
        for ci in 0..<inChannels {
            let src = input.plane(ci), out = xp + ci * plane + paddingHeight * wp + paddingWidth
            for y in 0..<h { (out + y * wp).update(from: src + y * w, count: w) }
        }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: outChannels * ho * wp)
        defer { y.deallocate() }
        weight.withUnsafeBufferPointer { wb in
            mpx_conv_few_outputs(outChannels, inChannels, kernelHeight, kernelWidth, xp, plane, wp, wb.baseAddress!, ho, y)
        }
        for co in 0..<outChannels {
            for oy in 0..<ho { (dst + (co * ho + oy) * wo).update(from: y + (co * ho + oy) * wp, count: wo) }
        }
        applyEpilogue(epilogue, to: dst, columns: ho * wo, stride: ho * wo)
    }

    /// Adds the bias and applies `epilogue` to a raw (bias-free) output of this layer: what `callAsFunction` does after
    /// its GEMM, for callers that assemble the raw output themselves (a trajectory's `A + level * B`).
    public func finish(_ raw: Tensor, epilogue: Epilogue) -> Tensor {
        precondition(raw.shape.c == outChannels, "finish: \(raw.shape) for \(outChannels) channels")
        var y = raw
        y.scalars.withUnsafeMutableBufferPointer { p in
            for n in 0..<raw.shape.n {
                applyEpilogue(epilogue, to: p.baseAddress! + n * outChannels * raw.shape.plane, columns: raw.shape.plane, stride: raw.shape.plane)
            }
        }
        return y
    }

    private func applyEpilogue(_ e: Epilogue, to base: UnsafeMutablePointer<Float>, columns: Int, stride: Int) {
        for co in 0..<outChannels {
            let p = base + co * stride
            let b = bias[co]
            let scale = e.scale?[co] ?? 1, shift = e.shift?[co] ?? 0
            let affine = e.scale != nil || e.shift != nil
            if let slope = e.leakySlope {
                if affine {
                    for i in 0..<columns { var v = p[i] + b; v = v > 0 ? v : v * slope; p[i] = v * scale + shift }
                } else {
                    mpx_bias_leaky_relu(p, columns, b, slope)
                }
            } else if affine {
                for i in 0..<columns { p[i] = (p[i] + b) * scale + shift }
            } else {
                for i in 0..<columns { p[i] += b }
            }
        }
    }
}
