import CBLAS
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

    /// Winograd is used from this many input channels up: below, the per-point GEMMs are too thin (K = in) for
    /// OpenBLAS to run near peak and the transforms dominate.
    static let winogradMinInChannels = 16
    static let winogradMinOutChannels = 16
    /// F(4x4) needs enough tiles per GEMM: below this many output pixels F(2x2) is faster.
    static let winograd4MinPixels = 32 * 32

    /// The algorithm for a layer of this shape on an `height x width` input: direct unless the layer is a 3x3,
    /// stride-1 convolution with enough channels; then F(4x4) where it is faster and its rounding error stays within
    /// the network's budget, else F(2x2).
    public static func algorithm(kernel: Int, stride: Int, padding: Int, inChannels: Int, outChannels: Int,
                                 height: Int, width: Int) -> ConvolutionAlgorithm {
        guard winogradApplies(kernel: kernel, stride: stride, padding: padding) else { return .direct }
        guard inChannels >= winogradMinInChannels, outChannels >= winogradMinOutChannels else { return .direct }
        let ho = height + 2 * padding - 2, wo = width + 2 * padding - 2
        return ho * wo >= winograd4MinPixels ? .winograd4x4 : .winograd2x2
    }

    /// Whether the Winograd kernels compute this layer at all: 3x3, stride 1, padding 0...2.
    static func winogradApplies(kernel: Int, stride: Int, padding: Int) -> Bool {
        kernel == 3 && stride == 1 && padding >= 0 && padding <= 2
    }

    /// The algorithm `callAsFunction` uses for an `height x width` input when asked for `requested`.
    public func resolvedAlgorithm(_ requested: ConvolutionAlgorithm = .automatic, height: Int, width: Int) -> ConvolutionAlgorithm {
        let wanted = requested == .automatic ? (ConvolutionAlgorithm.forced ?? .automatic) : requested
        switch wanted {
        case .automatic:
            return Self.algorithm(kernel: kernel, stride: stride, padding: padding, inChannels: inChannels,
                                  outChannels: outChannels, height: height, width: width)
        case .direct:
            return .direct
        case .winograd2x2, .winograd4x4:
            return Self.winogradApplies(kernel: kernel, stride: stride, padding: padding) ? wanted : .direct
        }
    }

    // MARK: Filter transform

    /// U = G g Gᵀ for every (out, in) pair, in double, as [point][out][in] so that each point is a row-major
    /// `out x in` matrix.
    func winogradFilters(_ tile: WinogradTile) -> [Float] {
        winogradCache.filters(tile) {
            let g = tile.filterMatrix, a = tile.alpha, pts = tile.points
            let plane = outChannels * inChannels
            var u = [Float](repeating: 0, count: pts * plane)
            weight.withUnsafeBufferPointer { wt in
                u.withUnsafeMutableBufferPointer { ub in
                    var t = [Double](repeating: 0, count: a * 3)
                    for co in 0..<outChannels {
                        for ci in 0..<inChannels {
                            let k = wt.baseAddress! + (co * inChannels + ci) * 9
                            for i in 0..<a {
                                for c in 0..<3 {
                                    t[i * 3 + c] = g[i][0] * Double(k[c]) + g[i][1] * Double(k[3 + c]) + g[i][2] * Double(k[6 + c])
                                }
                            }
                            for i in 0..<a {
                                for j in 0..<a {
                                    let v = t[i * 3] * g[j][0] + t[i * 3 + 1] * g[j][1] + t[i * 3 + 2] * g[j][2]
                                    ub[(i * a + j) * plane + co * inChannels + ci] = Float(v)
                                }
                            }
                        }
                    }
                }
            }
            return u
        }
    }

    /// Builds the transformed filters now (otherwise the first call does it).
    public func prepareWinograd() {
        _ = winogradFilters(.f2)
        _ = winogradFilters(.f4)
    }

    // MARK: Forward

    /// Floats of V (transformed input) plus M (products) per block: about 1 MiB, so one block's working set stays
    /// in a core's L2 while its GEMMs run.
    static let winogradBlockBudget = 256 * 1024
    /// Never fewer tiles per block than this (the GEMMs' N): thinner GEMMs run far from peak.
    static let winogradMinBlockTiles = 48

    func winogradForward(_ src: UnsafePointer<Float>, h: Int, w: Int, into dst: UnsafeMutablePointer<Float>,
                         ho: Int, wo: Int, epilogue: Epilogue, tile: WinogradTile) {
        guard ho > 0, wo > 0 else { return }
        let filters = winogradFilters(tile)
        let plan = WinogradPlan(tile: tile, inChannels: inChannels, outChannels: outChannels, h: h, w: w, ho: ho, wo: wo,
                                padding: padding, workers: ThreadPolicy.workerCount)
        let parallel = ho * wo >= Self.splitThreshold && plan.blocks.count > 1
        let workers = parallel ? min(ThreadPolicy.workerCount, plan.blocks.count) : 1
        ThreadPolicy.blasThreads(workers == 1 ? ThreadPolicy.workerCount : 1)
        let queue = BlockQueue(count: plan.blocks.count)
        let ep = EpilogueConstants(self, epilogue)
        filters.withUnsafeBufferPointer { u in
            ThreadPolicy.split(workers) { _, _ in
                let scratch = WinogradScratch(plan)
                defer { scratch.deallocate() }
                while let b = queue.next() {
                    plan.run(block: plan.blocks[b], src: src, filters: u.baseAddress!, dst: dst, epilogue: ep, scratch: scratch)
                }
            }
        }
    }
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

/// The transformed filters of one layer, built on first use and shared by every copy of the `Convolution` value
/// (including `withPadding` copies: the weights are the same). Setting `weight` replaces the cache.
final class WinogradCache: @unchecked Sendable {
    private let lock = NSLock()
    private var byTile: [Int: [Float]] = [:]

    func filters(_ tile: WinogradTile, build: () -> [Float]) -> [Float] {
        lock.lock(); defer { lock.unlock() }
        if let u = byTile[tile.rawValue] { return u }
        let u = build()
        byTile[tile.rawValue] = u
        return u
    }
}

/// A rectangle of tiles: `rows` of the tile grid, `columns` of it.
struct WinogradBlock {
    var rows: Range<Int>
    var columns: Range<Int>
}

/// How one layer's tiles are cut into blocks, and the sizes of the buffers a worker needs.
struct WinogradPlan {
    let tile: WinogradTile
    let inChannels: Int, outChannels: Int
    let h: Int, w: Int, ho: Int, wo: Int, padding: Int
    let tilesY: Int, tilesX: Int
    /// Tile rows and tile columns per block (the last ones may be smaller); columns rounded up to the lanes.
    let bandRows: Int, segmentTiles: Int
    let blocks: [WinogradBlock]

    static let lanes = 4

    init(tile: WinogradTile, inChannels: Int, outChannels: Int, h: Int, w: Int, ho: Int, wo: Int, padding: Int, workers: Int) {
        self.tile = tile
        self.inChannels = inChannels; self.outChannels = outChannels
        self.h = h; self.w = w; self.ho = ho; self.wo = wo; self.padding = padding
        let m = tile.m
        tilesY = (ho + m - 1) / m
        tilesX = (wo + m - 1) / m
        let total = tilesY * tilesX
        let perTile = tile.points * (inChannels + outChannels)
        var target = max(Convolution.winogradMinBlockTiles, Convolution.winogradBlockBudget / perTile)
        // Enough blocks for every worker to get two, as long as blocks stay reasonably wide.
        if workers > 1 && total / target < 2 * workers {
            target = max(Convolution.winogradMinBlockTiles / 2, total / (2 * workers))
        }
        let lanes = Self.lanes
        func roundUp(_ x: Int) -> Int { (x + lanes - 1) / lanes * lanes }
        var seg: Int, band: Int
        if tilesX >= target {
            let segments = (tilesX + target - 1) / target
            seg = roundUp((tilesX + segments - 1) / segments)
            band = 1
        } else {
            seg = roundUp(tilesX)
            let wanted = max(1, min(tilesY, target / seg))
            let bands = (tilesY + wanted - 1) / wanted
            band = (tilesY + bands - 1) / bands
        }
        seg = max(lanes, seg)
        bandRows = band; segmentTiles = seg
        var blocks: [WinogradBlock] = []
        for y in stride(from: 0, to: tilesY, by: band) {
            for x in stride(from: 0, to: tilesX, by: seg) {
                blocks.append(WinogradBlock(rows: y..<min(tilesY, y + band), columns: x..<min(tilesX, x + seg)))
            }
        }
        self.blocks = blocks
    }

    /// Tiles per block row as stored (a multiple of the lanes) and the phase-split row length.
    var maxColumns: Int { segmentTiles }
    var phaseStride: Int { segmentTiles + Self.lanes }
    var maxN: Int { bandRows * segmentTiles }

    func run(block: WinogradBlock, src: UnsafePointer<Float>, filters: UnsafePointer<Float>,
             dst: UnsafeMutablePointer<Float>, epilogue: EpilogueConstants, scratch: WinogradScratch) {
        let m = tile.m, alpha = tile.alpha, points = tile.points
        let bw = block.columns.count, bh = block.rows.count
        let bwp = (bw + Self.lanes - 1) / Self.lanes * Self.lanes
        let n = bh * bwp
        let wq = phaseStride
        let rowStride = m * wq
        let v = scratch.v, mm = scratch.m, phases = scratch.phases, line = scratch.line
        let lineLength = wq * m

        // 1. Input transform, channel by channel: the block's input rows, zero-padded and phase-split, then α² planes.
        let inputRows = bh * m + 2
        let x0 = block.columns.lowerBound * m - padding
        for ci in 0..<inChannels {
            let plane = src + ci * h * w
            for r in 0..<inputRows {
                let iy = block.rows.lowerBound * m - padding + r
                let prow = phases + r * rowStride
                if iy < 0 || iy >= h {
                    prow.update(repeating: 0, count: rowStride)
                    continue
                }
                let lo = max(0, -x0), hi = min(lineLength, w - x0)
                if hi <= lo {
                    prow.update(repeating: 0, count: rowStride)
                    continue
                }
                if lo > 0 { line.update(repeating: 0, count: lo) }
                line.advanced(by: lo).update(from: plane + iy * w + x0 + lo, count: hi - lo)
                if hi < lineLength { line.advanced(by: hi).update(repeating: 0, count: lineLength - hi) }
                deinterleave(m: m, line, groups: wq, into: prow, stride: wq)
            }
            for r in 0..<bh {
                let rows = UnsafePointer(phases + r * m * rowStride)
                var q = 0
                while q < bwp {
                    let out = v + ci * n + r * bwp + q
                    if m == 4 {
                        inputTilesF4(rows, rowStride: rowStride, stride: wq, q: q, out, pointStride: inChannels * n, scratch: scratch.h)
                    } else {
                        inputTilesF2(rows, rowStride: rowStride, stride: wq, q: q, out, pointStride: inChannels * n, scratch: scratch.h)
                    }
                    q += Self.lanes
                }
            }
        }

        // 2. One GEMM per point: M[p] (out x n) = U[p] (out x in) · V[p] (in x n).
        for p in 0..<points {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        Int32(outChannels), Int32(n), Int32(inChannels),
                        1, filters + p * outChannels * inChannels, Int32(inChannels),
                        v + p * inChannels * n, Int32(n),
                        0, mm + p * outChannels * n, Int32(n))
        }

        // 3. Output transform with the epilogue, written straight into the output rows.
        let columnLimit = min(wo, block.columns.upperBound * m)
        let y = scratch.y
        epilogue.bias.withUnsafeBufferPointer { bias in
        epilogue.scale.withUnsafeBufferPointer { scale in
        epilogue.shift.withUnsafeBufferPointer { shift in
            let slope = epilogue.slope
            for co in 0..<outChannels {
                let b = V4(repeating: bias[co]), sc = V4(repeating: scale[co]), sh = V4(repeating: shift[co])
                let out = dst + co * ho * wo
                for r in 0..<bh {
                    let ty = block.rows.lowerBound + r
                    var q = 0
                    while q < bwp {
                        let prods = UnsafePointer(mm + co * n + r * bwp + q)
                        if m == 4 {
                            outputTilesF4(prods, pointStride: outChannels * n, scratch: scratch.h, into: y)
                        } else {
                            outputTilesF2(prods, pointStride: outChannels * n, scratch: scratch.h, into: y)
                        }
                        for k in 0..<(m * m) {
                            var val = y[k] + b
                            if let s = slope { val = (val * s).replacing(with: val, where: val .> 0) }
                            y[k] = val * sc + sh
                        }
                        let xStart = (block.columns.lowerBound + q) * m
                        for i in 0..<m {
                            let oy = ty * m + i
                            if oy >= ho { break }
                            let row = out + oy * wo
                            if m == 4 {
                                let (t0, t1, t2, t3) = transpose4(y[4 * i], y[4 * i + 1], y[4 * i + 2], y[4 * i + 3])
                                if xStart + 16 <= columnLimit {
                                    store4(t0, row + xStart); store4(t1, row + xStart + 4)
                                    store4(t2, row + xStart + 8); store4(t3, row + xStart + 12)
                                } else {
                                    for k in 0..<16 where xStart + k < columnLimit { row[xStart + k] = y[4 * i + k % 4][k / 4] }
                                }
                            } else {
                                let a = y[2 * i], c = y[2 * i + 1]
                                let l = V4(a[0], c[0], a[1], c[1]), u = V4(a[2], c[2], a[3], c[3])
                                if xStart + 8 <= columnLimit {
                                    store4(l, row + xStart); store4(u, row + xStart + 4)
                                } else {
                                    for k in 0..<8 where xStart + k < columnLimit { row[xStart + k] = y[2 * i + k % 2][k / 2] }
                                }
                            }
                        }
                        q += Self.lanes
                    }
                }
            }
        }
        }
        }
    }
}

/// One worker's buffers for a plan.
struct WinogradScratch {
    let v: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let phases: UnsafeMutablePointer<Float>
    let line: UnsafeMutablePointer<Float>
    let h: UnsafeMutablePointer<V4>
    let y: UnsafeMutablePointer<V4>

    init(_ plan: WinogradPlan) {
        let pts = plan.tile.points, n = plan.maxN, m = plan.tile.m
        v = .allocate(capacity: pts * plan.inChannels * n)
        self.m = .allocate(capacity: pts * plan.outChannels * n)
        phases = .allocate(capacity: (plan.bandRows * m + 2) * m * plan.phaseStride)
        line = .allocate(capacity: m * plan.phaseStride)
        h = .allocate(capacity: 36)
        y = .allocate(capacity: 16)
    }

    func deallocate() {
        v.deallocate(); m.deallocate(); phases.deallocate(); line.deallocate(); h.deallocate(); y.deallocate()
    }
}
