import CWinograd
import Foundation

/// How a convolution is computed. `automatic` asks `Convolution.algorithm(...)`, which picks per layer shape.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    case automatic = "auto"
    /// Tiled im2col + one GEMM per tile.
    case direct
    /// Winograd F(2x2, 3x3): 16 GEMMs of `out x in x tiles`, 2.25x fewer multiplies than direct.
    case winograd2x2 = "f2"
    /// Winograd F(4x4, 3x3): 36 GEMMs, 4x fewer multiplies; larger rounding error (see `Convolution.algorithm`).
    case winograd4x4 = "f4"

    public var description: String { rawValue }

    /// A process-wide choice that replaces `automatic` (from `MONOPIX_CONV=direct|f2|f4|auto`), so that benchmarks
    /// and fidelity checks can run the whole network on one path. Winograd is only used where it applies (3x3,
    /// stride 1); other layers stay direct whatever is forced.
    nonisolated(unsafe) public static var forced: ConvolutionAlgorithm? = {
        guard let s = ProcessInfo.processInfo.environment["MONOPIX_CONV"] else { return nil }
        return ConvolutionAlgorithm(rawValue: s.lowercased())
    }()
}

/// The two tile sizes.
enum WinogradTile: Int, Sendable {
    case f2 = 2, f4 = 4

    var m: Int { rawValue }
    var alpha: Int { rawValue + 2 }
    var points: Int { alpha * alpha }

    /// G (α x 3), exact in double.
    var filterMatrix: [[Double]] {
        switch self {
        case .f2: return [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .f4: return [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                          [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        }
    }
}

extension Convolution {
    // MARK: Selection

    // Thresholds from `monopix bench --conv-sweep` (2 threads, Zen 5 with OpenBLAS on its Haswell kernels): for
    // 3x3 layers of 8 or more channels on both sides Winograd beats direct from 8x8 outputs up, F(2x2) at 8x8 and
    // F(4x4) from 16x16 (enough tiles for its 36 GEMMs). Thinner layers are cheap whichever way and the transforms
    // weigh more there; tiny maps have too few tiles. The error is not a threshold: `monopix bench --convs` measured
    // F(4x4) on every 3x3 layer of the full-width generator at 1.5e-5..2.5e-5 max |diff| against direct on the output
    // and latent (inputs in [-1, 1], He-uniform weights), within the 1e-4 budget, so F(4x4) runs wherever it is faster.

    /// Winograd needs at least this many output channels ...
    static let winogradMinChannels = 8
    /// ... and this many input channels, or `winogradMinInChannelsWide` with at least `winogradWideOutChannels` out:
    /// the reference generator's first layer (RGB and intensity, 4 -> 32) runs F(4x4) in 0.43 ms at 256 and 2.1 ms at
    /// 512 against direct's 0.61 and 2.8 ms (session 4, in the frame; its input is read from the image and intensity
    /// planes where they lie, never concatenated). Thinner first layers (the bundled model's 5 -> 8) stay direct:
    /// unmeasured, and their training runs keep the bits they were trained with.
    static let winogradMinInChannels = 8
    static let winogradMinInChannelsWide = 4
    static let winogradWideOutChannels = 32
    /// ... and at least this many output pixels (8x8); below, direct.
    static let winogradMinPixels = 8 * 8
    /// From this many output pixels (16x16) F(4x4); below, F(2x2).
    static let winograd4MinPixels = 16 * 16

    /// The algorithm for a layer of this shape on an `height x width` input: direct unless the layer is a 3x3,
    /// stride-1 convolution with enough channels and pixels; then F(4x4) on larger maps, F(2x2) on small ones.
    public static func algorithm(kernel: Int, stride: Int, padding: Int, inChannels: Int, outChannels: Int,
                                 height: Int, width: Int) -> ConvolutionAlgorithm {
        guard winogradApplies(kernel: kernel, stride: stride, padding: padding) else { return .direct }
        guard outChannels >= winogradMinChannels,
              inChannels >= winogradMinInChannels
                || (inChannels >= winogradMinInChannelsWide && outChannels >= winogradWideOutChannels) else { return .direct }
        let pixels = max(0, height + 2 * padding - 2) * max(0, width + 2 * padding - 2)
        if pixels < winogradMinPixels { return .direct }
        return pixels >= winograd4MinPixels ? .winograd4x4 : .winograd2x2
    }

    /// Whether the Winograd kernels compute this layer at all: 3x3, stride 1, padding 0...2.
    static func winogradApplies(kernel: Int, stride: Int, padding: Int) -> Bool {
        kernel == 3 && stride == 1 && padding >= 0 && padding <= 2
    }

    /// See `resolvedAlgorithm`: bf16 frames keep F(4x4), with f32 products, on layers up to this many in x out channels.
    static let bf16Winograd4MaxChannelProduct = 128 * 128

    /// The precision of the products when `requested` resolved to `path` in a frame of `precision`: an automatic
    /// F(4x4) is a layer whose transforms, not its products, are the cost, and keeps f32 products (bf16 ones would
    /// lose several percent through F(4x4)'s transforms; see `resolvedAlgorithm`).
    public func productPrecision(_ precision: Precision, path: ConvolutionAlgorithm, requested: ConvolutionAlgorithm) -> Precision {
        requested == .automatic && path == .winograd4x4 ? .f32 : precision
    }

    /// The algorithm `callAsFunction` uses for an `height x width` input when asked for `requested`.
    ///
    /// With `.bf16` products F(4x4) is never run in bf16: its transforms amplify the operands' rounding (output
    /// coefficients up to 64 over values that mostly cancel), which f32 absorbs (~1e-5) but bf16's 8-bit mantissa does
    /// not (errors of several percent of the output's range in GEMMTests). Layers with many channels take F(2x2) in
    /// bf16 (within its ~1e-2 rounding); layers with few (at most `bf16Winograd4MaxChannelProduct` in x out), whose
    /// cost is the transforms, keep F(4x4) with f32 products (`productPrecision`): measured at 256 and 512, as fast as
    /// F(2x2) in bf16 there, and the preview frame's error halves (max 0.15 → 0.07–0.09, mean 4.9e-3 → 2.4e-3).
    /// An explicit `.winograd4x4` request is still honoured, in the precision asked.
    public func resolvedAlgorithm(_ requested: ConvolutionAlgorithm = .automatic, height: Int, width: Int,
                                  precision: Precision = .f32) -> ConvolutionAlgorithm {
        let wanted = requested == .automatic ? (ConvolutionAlgorithm.forced ?? .automatic) : requested
        guard isSquare else { return .direct }
        switch wanted {
        case .automatic:
            let pick = Self.algorithm(kernel: kernel, stride: stride, padding: padding, inChannels: inChannels,
                                      outChannels: outChannels, height: height, width: width)
            guard precision == .bf16, pick == .winograd4x4 else { return pick }
            return inChannels * outChannels <= Self.bf16Winograd4MaxChannelProduct ? .winograd4x4 : .winograd2x2
        case .direct:
            return .direct
        case .winograd2x2, .winograd4x4:
            return Self.winogradApplies(kernel: kernel, stride: stride, padding: padding) ? wanted : .direct
        }
    }

    // MARK: Filter transform

    /// U = G g Gᵀ for every (out, in) pair, in double, as [point][out][in] so that each point is a row-major
    /// `out x in` matrix (`mpx_wino_filters`: sixteen input channels at a time on AVX-512, the same bits as one at a
    /// time). Built once per layer (split over the workers by output channels) and cached; training rebuilds it after
    /// every step.
    func winogradFilters(_ tile: WinogradTile) -> [Float] {
        filterCache.filters(tile) {
            let plane = outChannels * inChannels, count = tile.points * plane
            let g = tile.filterMatrix.flatMap { $0 }
            var u = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
            let workers = plane >= 4096 ? ThreadPolicy.availableWorkers : 1
            weight.withUnsafeBufferPointer { wt in
                u.withUnsafeMutableBufferPointer { ub in
                    ThreadPolicy.split(workers) { index, parts in
                        let mine = ThreadPolicy.share(outChannels, index, parts)
                        mpx_wino_filters(Int32(tile.alpha), g, wt.baseAddress!, outChannels, inChannels,
                                         mine.lowerBound, mine.upperBound, ub.baseAddress!)
                    }
                }
            }
            return u
        }
    }

    /// The vector lanes of the Winograd data transforms: 16 (AVX-512), 8 (AVX2/FMA) or 4, the widest the CPU has up
    /// to a cap. Setting it sets the cap (tests run every width; `MONOPIX_WINO_LANES` sets it for a process). 16 and 8
    /// give bitwise the same results.
    public static var winogradLanes: Int {
        get { Int(mpx_wino_lanes()) }
        set { mpx_wino_limit_lanes(Int32(newValue)) }
    }

    // MARK: Forward

    /// Floats of V (transformed input) plus M (products) per block when each worker takes its own blocks: about
    /// 2 MiB, a core's L2 and a bit (bigger blocks mean fewer, wider GEMMs; the point planes are used one at a time).
    static let winogradBlockBudget = 512 * 1024
    /// Never fewer tiles per block than this (the GEMMs' N): thinner GEMMs run far from peak, mostly packing U.
    static let winogradMinBlockTiles = 64
    /// With fewer blocks than this per worker, all workers go through each block together instead, phase by phase
    /// (input transform split by input channels, GEMMs by points, output transform by output channels), on blocks
    /// of up to `winogradSharedBlockBudget` floats of V + M, at least `winogradMinSharedBlockTiles` tiles.
    static let winogradBlocksPerWorker = 4
    static let winogradSharedBlockBudget = 1024 * 1024
    static let winogradMinSharedBlockTiles = 128
    /// Below this many multiply-adds in the GEMMs a layer runs on one worker (with every core given to BLAS).
    static let winogradParallelWork = 1 << 23

    func winogradForward(_ input: SampleInput, h: Int, w: Int, into dst: UnsafeMutablePointer<Float>,
                         ho: Int, wo: Int, epilogue: Epilogue, tile: WinogradTile, precision: Precision = .f32) {
        guard ho > 0, wo > 0 else { return }
        let filters = winogradFilters(tile)
        let packed = filterCache.packed(tile, filters: filters, rows: outChannels, columns: inChannels)
        let plan = WinogradPlan(tile: tile, inChannels: inChannels, outChannels: outChannels, h: h, w: w, ho: ho, wo: wo,
                                padding: padding, workers: ThreadPolicy.availableWorkers)
        ThreadPolicy.blasThreads(plan.workers == 1 ? ThreadPolicy.workerCount : 1)
        let ep = EpilogueConstants(self, epilogue)
        let io = WinogradIO(input: input, packed: packed, dst: dst, epilogue: ep, precision: precision)
        if plan.shared {
            let v = alignedFloats(plan.vCapacity), m = alignedFloats(plan.mCapacity)
            defer { freeAligned(v); freeAligned(m) }
            let scratch = (0..<plan.workers).map { _ in WinogradScratch(plan, upsampling: input.upsampling) }
            defer { scratch.forEach { $0.deallocate() } }
            for block in plan.blocks {
                let n = plan.columns(block) * block.rows.count
                ThreadPolicy.split(plan.workers) { i, count in
                    plan.inputTransform(block, channels: ThreadPolicy.share(inChannels, i, count), io, v: v, scratch: scratch[i])
                }
                ThreadPolicy.split(plan.workers) { i, count in
                    plan.products(points: ThreadPolicy.share(tile.points, i, count), n: n, io, v: v, m: m)
                }
                ThreadPolicy.split(plan.workers) { i, count in
                    plan.outputTransform(block, channels: ThreadPolicy.share(outChannels, i, count), io, m: m)
                }
            }
        } else {
            let queue = BlockQueue(count: plan.blocks.count)
            ThreadPolicy.split(plan.workers) { _, _ in
                let scratch = WinogradScratch(plan, upsampling: input.upsampling)
                let v = alignedFloats(plan.vCapacity), m = alignedFloats(plan.mCapacity)
                defer { scratch.deallocate(); freeAligned(v); freeAligned(m) }
                while let b = queue.next() {
                    let block = plan.blocks[b]
                    plan.inputTransform(block, channels: 0..<inChannels, io, v: v, scratch: scratch)
                    plan.products(points: 0..<tile.points, n: plan.columns(block) * block.rows.count, io, v: v, m: m)
                    plan.outputTransform(block, channels: 0..<outChannels, io, m: m)
                }
            }
        }
    }
}

/// 64-byte aligned floats for V, M and the phase-split rows: with the plan's 16-tile columns (16-lane kernels) every
/// vector load and store of the transforms is then one whole cache line (split lines cost them ~1.4x).
func alignedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: count)
}

func freeAligned(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).deallocate() }

/// What a Winograd pass reads and writes: one image's input planes, the transformed filters, its output planes.
struct WinogradIO {
    let input: SampleInput
    /// The transformed filters, one packed left operand per point.
    let packed: [PackedMatrix]
    let dst: UnsafeMutablePointer<Float>
    let epilogue: EpilogueConstants
    let precision: Precision
}

/// Bias and epilogue as flat per-channel arrays.
struct EpilogueConstants {
    var bias: [Float], scale: [Float], shift: [Float]
    var slope: Float?

    init(_ conv: Convolution, _ e: Epilogue) {
        bias = conv.bias
        scale = e.scale ?? [Float](repeating: 1, count: conv.outChannels)
        shift = e.shift ?? [Float](repeating: 0, count: conv.outChannels)
        slope = e.leakySlope
    }
}

/// Hands out block indices to workers (dynamic, so a worker slowed by another process does not hold the others up).
final class BlockQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard cursor < count else { return nil }
        cursor += 1
        return cursor - 1
    }
}

/// The transformed and packed filters of one layer, built on first use and shared by every copy of the `Convolution`
/// value (including `withPadding` copies: the weights are the same). Setting `weight` replaces the cache.
final class FilterCache: @unchecked Sendable {
    private let lock = NSLock()
    private var byTile: [Int: [Float]] = [:]
    private var packedByTile: [Int: [PackedMatrix]] = [:]
    private var packedDirect: PackedMatrix?

    /// The weights as the direct (im2col) path's left operand, packed once for all the samples and tiles of a call:
    /// on small maps packing them for every product cost more than the products (a 4x4 layer of 128 channels on a
    /// 5x5 patch multiplies 16 columns per sample).
    func direct(_ weight: [Float], rows: Int, columns: Int) -> PackedMatrix {
        lock.lock(); defer { lock.unlock() }
        if let p = packedDirect { return p }
        let p = PackedMatrix(weight, rows: rows, columns: columns)
        packedDirect = p
        return p
    }

    /// One `PackedMatrix` per point over the filters `filters` returns (packed lazily, per precision, on first product).
    func packed(_ tile: WinogradTile, filters: [Float], rows: Int, columns: Int) -> [PackedMatrix] {
        lock.lock(); defer { lock.unlock() }
        if let p = packedByTile[tile.rawValue] { return p }
        let p = (0..<tile.points).map { PackedMatrix(filters, offset: $0 * rows * columns, rows: rows, columns: columns) }
        packedByTile[tile.rawValue] = p
        return p
    }

    func filters(_ tile: WinogradTile, build: () -> [Float]) -> [Float] {
        lock.lock(); defer { lock.unlock() }
        if let u = byTile[tile.rawValue] { return u }
        let u = build()
        byTile[tile.rawValue] = u
        FilterMemory.add(u.count * MemoryLayout<Float>.size)
        return u
    }

    deinit { FilterMemory.add(-byTile.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }) }
}

/// Bytes held by layers' transformed and packed filters (built on a layer's first use at each Winograd tile and
/// precision), so that a memory budget can count what the first frames will still add.
public enum FilterMemory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var held = 0

    public static var heldBytes: Int { lock.withLock { held } }

    static func add(_ bytes: Int) { lock.withLock { held += bytes } }

    /// What a 3x3 layer's caches come to on the paths a large frame takes: F(4x4)'s 36 transformed points, and
    /// their packed f32 copy.
    public static func expectedBytes(inChannels: Int, outChannels: Int, kernel: Int) -> Int {
        kernel == 3 ? 2 * 36 * inChannels * outChannels * MemoryLayout<Float>.size : 0
    }
}

/// A rectangle of tiles: `rows` of the tile grid, `columns` of it.
struct WinogradBlock {
    var rows: Range<Int>
    var columns: Range<Int>
}

/// How one layer's tiles are cut into blocks and shared among the workers.
struct WinogradPlan {
    let tile: WinogradTile
    let inChannels: Int, outChannels: Int
    let h: Int, w: Int, ho: Int, wo: Int, padding: Int
    let tilesY: Int, tilesX: Int
    /// Tile rows and tile columns per block (the last ones may be smaller), columns as stored (`storedColumns`).
    let bandRows: Int, segmentTiles: Int
    /// Whether blocks are stored 16 tiles wide where that costs little (see `storedColumns`).
    let sixteen: Bool
    let blocks: [WinogradBlock]
    /// How many workers, and whether they share each block (phase by phase) or take blocks of their own.
    let workers: Int
    let shared: Bool

    /// CWinograd takes any multiple of 4 tile columns (groups of 16, 8 and 4 tiles on the widest kernels).
    static let lanes = 4

    init(tile: WinogradTile, inChannels: Int, outChannels: Int, h: Int, w: Int, ho: Int, wo: Int, padding: Int, workers available: Int) {
        typealias C = Convolution
        self.tile = tile
        self.inChannels = inChannels; self.outChannels = outChannels
        self.h = h; self.w = w; self.ho = ho; self.wo = wo; self.padding = padding
        let m = tile.m
        tilesY = (ho + m - 1) / m
        tilesX = (wo + m - 1) / m
        let total = tilesY * tilesX
        let perTile = tile.points * (inChannels + outChannels)
        let work = total * tile.points * inChannels * outChannels
        var target = max(C.winogradMinBlockTiles, C.winogradBlockBudget / perTile)
        if available > 1 && work >= C.winogradParallelWork {
            workers = available
            shared = (total + target - 1) / target < C.winogradBlocksPerWorker * available
            if shared { target = max(C.winogradMinSharedBlockTiles, C.winogradSharedBlockBudget / perTile) }
        } else {
            workers = 1
            shared = false
        }
        let wide = mpx_wino_lanes() == 16
        sixteen = wide
        func roundUp(_ x: Int) -> Int { Self.storedColumns(x, sixteen: wide) }
        // Blocks step by the unrounded segment: rounding is monotone but not idempotent (42 tiles are stored as 44,
        // 44 as 48), so a block as wide as a rounded segment could be stored wider than the scratch it was given.
        var step: Int, band: Int
        if tilesX >= target {
            let segments = (tilesX + target - 1) / target
            step = (tilesX + segments - 1) / segments
            band = 1
        } else {
            step = tilesX
            let wanted = max(1, min(tilesY, target / roundUp(tilesX)))
            let bands = (tilesY + wanted - 1) / wanted
            band = (tilesY + bands - 1) / bands
        }
        bandRows = band; segmentTiles = roundUp(step)
        var blocks: [WinogradBlock] = []
        for y in stride(from: 0, to: tilesY, by: band) {
            for x in stride(from: 0, to: tilesX, by: step) {
                blocks.append(WinogradBlock(rows: y..<min(tilesY, y + band), columns: x..<min(tilesX, x + step)))
            }
        }
        self.blocks = blocks
    }

    /// The distance between two points' planes in V and M: a multiple of 4 KiB would put all α² streams of a tile
    /// transform in the same L1 sets, so the planes are rounded to cache lines and then one line apart.
    static func pointStride(_ floats: Int) -> Int { (floats + 15) / 16 * 16 + 16 }

    /// `count` tile columns as stored: rounded up to 4, or to 16 for the 16-lane kernels when that adds at most 1/8
    /// (free on the usual power-of-two maps from 64 px): 16-tile rows keep every V and M row, and the output columns,
    /// on whole cache lines. Monotone in `count`, so no block is stored wider than `segmentTiles`.
    static func storedColumns(_ count: Int, sixteen: Bool) -> Int {
        let by4 = (count + lanes - 1) / lanes * lanes, by16 = (count + 15) / 16 * 16
        return sixteen && by16 * 8 <= count * 9 ? by16 : by4
    }

    /// A block's tile columns as stored.
    func columns(_ block: WinogradBlock) -> Int { Self.storedColumns(block.columns.count, sixteen: sixteen) }
    /// The phase-split row length (CWinograd's): the block's columns, plus one group for the tiles' overlap.
    var phaseStride: Int { Int(mpx_wino_phase_stride(Int32(segmentTiles))) }
    var maxN: Int { bandRows * segmentTiles }
    var vCapacity: Int { tile.points * Self.pointStride(inChannels * maxN) }
    var mCapacity: Int { tile.points * Self.pointStride(outChannels * maxN) }

    /// V[point][channel][tile] for input channels `channels` of `block` (CWinograd: each channel's input rows are
    /// zero-padded and split into the m phases of x, then transformed 16, 8 or 4 tiles at a time).
    func inputTransform(_ block: WinogradBlock, channels: Range<Int>, _ io: WinogradIO, v: UnsafeMutablePointer<Float>,
                        scratch: WinogradScratch) {
        let m = tile.m
        let bh = block.rows.count, bwp = columns(block), n = bh * bwp
        let vStride = Self.pointStride(inChannels * n)
        let y0 = block.rows.lowerBound * m - padding, x0 = block.columns.lowerBound * m - padding
        guard let upsampling = io.input.upsampling else {
            for ci in channels {
                mpx_wino_input(Int32(m), io.input.plane(ci), Int32(h), Int32(w), Int32(y0), Int32(x0), Int32(bh), Int32(bwp),
                               scratch.phases, scratch.line, v + ci * n, vStride)
            }
            return
        }
        // The block's rows of the upsampled plane, only the columns the transform reads (CWinograd reads rows
        // y0 ..< y0 + bh m + 2 and a phase-split line from x0, clipped to the plane), made into scratch and handed
        // over as a plane of just those rows.
        let rows = max(0, y0)..<max(max(0, y0), min(h, y0 + bh * m + 2))
        let line = Int(mpx_wino_phase_stride(Int32(bwp))) * m
        let columns = max(0, x0)..<max(max(0, x0), min(w, x0 + line))
        for ci in channels {
            upsampling.fill(from: io.input.plane(ci), rows: rows, columns: columns, into: scratch.upsampled! + columns.lowerBound,
                            rowStride: w, rowBuffers: scratch.upsampledRows!)
            mpx_wino_input(Int32(m), scratch.upsampled!, Int32(rows.count), Int32(w), Int32(y0 - rows.lowerBound), Int32(x0),
                           Int32(bh), Int32(bwp), scratch.phases, scratch.line, v + ci * n, vStride)
        }
    }

    /// M[p] (out x n) = U[p] (out x in) · V[p] (in x n) for the given points, on one thread or all cores as the
    /// caller set (`ThreadPolicy.blasThreads`).
    func products(points: Range<Int>, n: Int, _ io: WinogradIO, v: UnsafeMutablePointer<Float>, m mm: UnsafeMutablePointer<Float>) {
        let vStride = Self.pointStride(inChannels * n), mStride = Self.pointStride(outChannels * n)
        for p in points {
            GEMM.multiply(io.packed[p], n: n, b: v + p * vStride, ldb: n, c: mm + p * mStride, ldc: n, precision: io.precision)
        }
    }

    /// The output rows of `block` for output channels `channels`: Aᵀ M A, bias, LeakyReLU and affine, interleaved
    /// back from tiles into rows and clipped to the image and to the block's own columns (CWinograd).
    func outputTransform(_ block: WinogradBlock, channels: Range<Int>, _ io: WinogradIO, m mm: UnsafeMutablePointer<Float>) {
        let m = tile.m
        let bh = block.rows.count, bwp = columns(block), n = bh * bwp
        let mStride = Self.pointStride(outChannels * n)
        let limit = min(wo, block.columns.upperBound * m)
        let e = io.epilogue
        let hasSlope: Int32 = e.slope == nil ? 0 : 1, slope = e.slope ?? 0
        for co in channels {
            mpx_wino_output(Int32(m), mm + co * n, mStride, Int32(bh), Int32(bwp), io.dst + co * ho * wo, Int32(ho), Int32(wo),
                            Int32(block.rows.lowerBound * m), Int32(block.columns.lowerBound * m), Int32(limit),
                            e.bias[co], hasSlope, slope, e.scale[co], e.shift[co])
        }
    }
}

/// One worker's small buffers: a block's phase-split input rows and one zero-padded input line; for an upsampled
/// input, the block's rows of the upsample and two interpolated source rows.
struct WinogradScratch {
    let phases: UnsafeMutablePointer<Float>
    let line: UnsafeMutablePointer<Float>
    let upsampled: UnsafeMutablePointer<Float>?
    let upsampledRows: UnsafeMutablePointer<Float>?

    init(_ plan: WinogradPlan, upsampling: Bilinear2x?) {
        let m = plan.tile.m
        phases = alignedFloats((plan.bandRows * m + 2) * m * plan.phaseStride)
        line = alignedFloats(m * plan.phaseStride)
        upsampled = upsampling.map { _ in alignedFloats((plan.bandRows * m + 2) * plan.w) }
        upsampledRows = upsampling.map { alignedFloats($0.rowBufferCount) }
    }

    func deallocate() {
        freeAligned(phases); freeAligned(line)
        upsampled.map(freeAligned); upsampledRows.map(freeAligned)
    }
}
