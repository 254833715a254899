import Kernels

/// Runs the generator over an image of any size, one tile of the output at a time, in memory that depends on the
/// tile and not on the image.
///
/// Exactness: a tile's output is planned backwards through the graph (a k x k convolution needs its region grown by
/// k/2, a 2x2 pool twice the region, the x2 upsample half of it plus one source pixel each side), then every node
/// computes just the part of its plane it was asked for, in the plane's own coordinates, with the same kernels as a
/// whole-image pass. Nothing is shifted: the pooling grids, the zero padding of every convolution at the plane's
/// edges, the reflection padding of the inputs and the attention pyramid are those of one pass over the whole image,
/// so the output equals it up to float rounding (the Winograd blocks fall elsewhere). Tile boundaries lie on the
/// network's 16-pixel grid, which keeps every level's part of a tile whole.
///
/// Instance norm needs each plane's statistics over the whole image: before the output pass, one statistics pass
/// per instance-norm layer computes that layer's pre-norm output tile by tile over a partition of its plane
/// (merging per-tile mean and squared deviations in double, as PyTorch's kernel accumulates), each pass using the
/// statistics found before it. That costs one partial forward per norm layer (about 8 forward passes for the
/// reference's instance-norm generator), and no memory beyond a tile's.
public struct TiledExecutor: Sendable {
    public let generator: Generator
    /// The convolutions' products (`.bf16` for previews).
    public var precision: Precision = .f32
    /// The unpadded image size and its padding.
    public let height: Int, width: Int
    public let padding: Insets
    /// Each node's plane: channels and size.
    let planes: [(c: Int, h: Int, w: Int)]

    public init(generator: Generator, height: Int, width: Int) {
        self.generator = generator
        self.height = height
        self.width = width
        padding = Insets.toMultiple(of: 16, height: height, width: width)
        let ph = height + padding.top + padding.bottom, pw = width + padding.left + padding.right
        var planes: [(c: Int, h: Int, w: Int)] = []
        for node in generator.graph.nodes {
            let first = node.inputs.first.map { planes[$0] }
            switch node.op {
            case .input(let which): planes.append((which == .image ? 3 : 1, ph, pw))
            case .concat: planes.append((node.inputs.reduce(0) { $0 + planes[$1].c }, first!.h, first!.w))
            case let .conv(_, _, out, _, _, _): planes.append((out, first!.h, first!.w))
            case .pool, .maxPool: planes.append((first!.c, first!.h / 2, first!.w / 2))
            case .upsample: planes.append((first!.c, first!.h * 2, first!.w * 2))
            case .multiplyByMap, .tanh, .skip: planes.append(first!)
            }
        }
        self.planes = planes
    }

    public var paddedHeight: Int { planes[0].h }
    public var paddedWidth: Int { planes[0].w }

    /// Per-channel `x * alpha + beta` of an instance-norm layer, found by a statistics pass.
    public struct NormStatistics: Sendable {
        public var alpha: [Float], beta: [Float]
    }

    // MARK: - Planning

    /// What each node must compute for `target`'s `region` (in that node's plane), empty where nothing is needed.
    /// Nodes in `seeded` are given: the walk does not go past them.
    func needs(of target: Int, region: Region, seeded: Set<Int> = []) -> [Region] {
        let graph = generator.graph
        var needed = [Region](repeating: .empty, count: graph.nodes.count)
        needed[target] = region
        for i in stride(from: target, through: 0, by: -1) where !needed[i].isEmpty && !seeded.contains(i) {
            let r = needed[i]
            for j in graph.nodes[i].inputs {
                let p = planes[j]
                let want: Region
                switch graph.nodes[i].op {
                case let .conv(_, _, _, k, _, _): want = r.expanded(by: k / 2)
                case .pool, .maxPool: want = Region(top: 2 * r.top, bottom: 2 * r.bottom, left: 2 * r.left, right: 2 * r.right)
                case .upsample: want = Self.upsampleSource(of: r)
                default: want = r
                }
                needed[j] = needed[j].union(want.clipped(height: p.h, width: p.w))
            }
        }
        return needed
    }

    /// The source rows and columns of an x2 bilinear upsample's output `r`, with one more on each side: an upsample of
    /// that patch clamps at the patch's edges where the whole plane would not, and the extra pixel keeps those
    /// outputs outside `r`. (Output 2i reads i-1 and i; 2i+1 reads i and i+1.)
    static func upsampleSource(of r: Region) -> Region {
        Region(top: r.top / 2 - 1, bottom: (r.bottom - 1) / 2 + 2, left: r.left / 2 - 1, right: (r.right - 1) / 2 + 2)
    }

    /// Which nodes an evaluation computes (those `target` and `keep` read, not through seeded ones), when each
    /// value is read for the last time, and which concatenations are never made: read only by convolutions, whose
    /// patches are cut from the parts instead (`ConvolutionInput.concatenation`), as the whole-image executor does.
    private func schedule(target: Int, keep: Set<Int>, seeded: Set<Int>) -> (live: [Bool], lastUse: [Int], fused: Set<Int>, reads: [[Int]]) {
        let graph = generator.graph
        let fused = graph.fusedIntoConvolutions.filter {
            if case .concat = graph.nodes[$0].op { return $0 != target && !keep.contains($0) && !seeded.contains($0) }
            return false
        }
        var live = [Bool](repeating: false, count: graph.nodes.count)
        live[target] = true
        for k in keep { live[k] = true }
        for i in stride(from: graph.nodes.count - 1, through: 0, by: -1) where live[i] && !seeded.contains(i) {
            for j in graph.nodes[i].inputs { live[j] = true }
        }
        // A node reading a fused concatenation reads its parts.
        let reads = graph.nodes.map { $0.inputs.flatMap { fused.contains($0) ? graph.nodes[$0].inputs : [$0] } }
        var lastUse = [Int](repeating: -1, count: graph.nodes.count)
        for i in graph.nodes.indices where live[i] && !seeded.contains(i) && !fused.contains(i) {
            for j in reads[i] { lastUse[j] = i }
        }
        lastUse[target] = Int.max
        for k in keep { lastUse[k] = Int.max }
        return (live, lastUse, fused, reads)
    }

    /// The most bytes a tile's evaluation holds at once (the kept parts of planes, plus the patch a node reads and
    /// the part it writes), and its convolutions' multiply-adds.
    func cost(of needed: [Region], target: Int) -> (peakBytes: Int, work: Double) {
        let graph = generator.graph
        let (live, lastUse, fused, reads) = schedule(target: target, keep: [], seeded: [])
        func bytes(_ i: Int, _ r: Region) -> Int { planes[i].c * r.area * MemoryLayout<Float>.size }
        var held = 0, peak = 0, work = 0.0
        for (i, node) in graph.nodes.enumerated() where live[i] && !fused.contains(i) {
            var transient = 0
            switch node.op {
            case let .conv(_, inC, outC, k, _, _):
                transient = inC * needed[i].expanded(by: k / 2).area * MemoryLayout<Float>.size
                work += Double(inC * outC * k * k) * Double(needed[i].area)
            case .pool, .maxPool, .upsample, .multiplyByMap, .skip, .tanh, .concat:
                transient = node.inputs.reduce(0) { $0 + bytes($1, needed[i]) }
            case .input: break
            }
            held += bytes(i, needed[i])
            peak = max(peak, held + transient)
            for j in reads[i] where lastUse[j] == i { held -= bytes(j, needed[j]) }
        }
        return (peak, work)
    }

    // MARK: - Evaluation

    /// A part of a node's plane: `tensor` holds `region`.
    struct Window {
        var tensor: Tensor
        var region: Region

        /// `r` of the plane, zero outside it (a convolution's padding); `r`'s part inside the plane must be held.
        func extracting(_ r: Region, planeHeight: Int, planeWidth: Int) -> Tensor {
            assert(region.contains(r.clipped(height: planeHeight, width: planeWidth)), "Window: \(r) is not in \(region)")
            if r == region { return tensor }
            return tensor.extracting(r.offsetBy(dy: -region.top, dx: -region.left))
        }
    }

    /// Where a tile's evaluation reads its inputs: the caller's planes, and for runs at fixed levels a constant
    /// intensity.
    struct Feed {
        let inputs: TileInputs
        let level: Float?

        func values(_ which: GeneratorGraph.Input, _ r: Region) -> Tensor {
            if which == .intensity, let level {
                return Tensor(shape: Shape(n: 1, c: 1, h: r.height, w: r.width), repeating: level)
            }
            return inputs.values(which, in: r)
        }
    }

    /// Evaluates the nodes `target` and `keep` depend on over `needed`, and returns their windows. Instance-norm
    /// layers use `statistics`; the one without (a statistics pass's target) returns its pre-norm output.
    func evaluate(_ needed: [Region], feed: Feed, target: Int, keep: Set<Int> = [], seeded: [Int: Window] = [:],
                  statistics: [Int: NormStatistics] = [:]) -> [Int: Window] {
        let graph = generator.graph
        let (live, lastUse, fused, reads) = schedule(target: target, keep: keep, seeded: Set(seeded.keys))
        var values = [Window?](repeating: nil, count: graph.nodes.count)
        for (i, w) in seeded { values[i] = w }
        for (i, node) in graph.nodes.enumerated() where live[i] && seeded[i] == nil && !fused.contains(i) {
            let r = needed[i]
            values[i] = Window(tensor: evaluate(i, node, region: r, values, fused: fused, feed: feed, statistics: statistics), region: r)
            for j in reads[i] where lastUse[j] == i && seeded[j] == nil {
                // What this run computed goes back for the next node or tile (the inputs are the feed's).
                if let freed = values[j], !graph.nodes[j].isInput { ActivationPool.recycle(freed.tensor.scalars) }
                values[j] = nil
            }
        }
        var result: [Int: Window] = [:]
        for k in keep.union([target]) { result[k] = values[k] }
        return result
    }

    private func evaluate(_ i: Int, _ node: GeneratorGraph.Node, region r: Region, _ values: [Window?], fused: Set<Int>,
                          feed: Feed, statistics: [Int: NormStatistics]) -> Tensor {
        let graph = generator.graph
        func read(_ j: Int, _ want: Region) -> Tensor {
            values[j]!.extracting(want, planeHeight: planes[j].h, planeWidth: planes[j].w)
        }
        switch node.op {
        case .input(let which):
            return feed.values(which, r)
        case let .conv(name, _, _, k, slope, norm):
            let j = node.inputs[0]
            let parts = fused.contains(j) ? graph.nodes[j].inputs : [j]
            let whole = Region.all(height: planes[j].h, width: planes[j].w)
            let input: ConvolutionInput
            let padding: Int?
            var copies: [Tensor] = []
            // The patches copied for this layer go back to the pool once it has run.
            defer { for c in copies { ActivationPool.recycle(c.scalars) } }
            if r == whole && parts.allSatisfy({ values[$0]!.region == whole }) {
                // The whole plane (one tile, or a deep level): the layer's own padding, nothing copied.
                padding = nil
                input = parts.count == 1 ? .tensor(values[j]!.tensor) : .concatenation(parts.map { values[$0]!.tensor })
            } else {
                // The patch with its halo (zeros past the plane's edge: the layer's own padding), convolved unpadded;
                // a part whose window is the patch is read where it lies.
                let patch = r.expanded(by: k / 2)
                padding = 0
                let patches = parts.map { read($0, patch) }
                copies = zip(parts, patches).filter { values[$0.0]!.region != patch }.map(\.1)
                input = parts.count == 1 ? .tensor(patches[0]) : .concatenation(patches)
            }
            guard norm != nil, generator.options.norm == .instance else {
                return generator.convolve(input, name: name, leakySlope: slope, norm: norm, padding: padding, precision: precision)
            }
            let raw = generator.convolve(input, name: name, leakySlope: slope, norm: nil, padding: padding, precision: precision)
            guard let s = statistics[i] else { return raw }
            return channelAffine(raw, scale: s.alpha, shift: s.beta)
        case .pool, .maxPool:
            let patch = read(node.inputs[0], Region(top: 2 * r.top, bottom: 2 * r.bottom, left: 2 * r.left, right: 2 * r.right))
            return GraphExecutor(generator: generator).evaluate(node.op, [patch], [:])
        case .upsample:
            let j = node.inputs[0]
            let source = Self.upsampleSource(of: r).clipped(height: planes[j].h, width: planes[j].w)
            return upsampleBilinear2x(read(j, source), region: r.offsetBy(dy: -2 * source.top, dx: -2 * source.left))
        case .concat, .multiplyByMap, .tanh, .skip:
            return GraphExecutor(generator: generator).evaluate(node.op, node.inputs.map { read($0, r) }, [:])
        }
    }

    // MARK: - Statistics

    /// The conv nodes followed by an instance norm, in graph order (none unless the model uses instance norm).
    var instanceNormNodes: [Int] {
        guard generator.options.norm == .instance else { return [] }
        return generator.graph.nodes.indices.filter {
            if case let .conv(_, _, _, _, _, norm) = generator.graph.nodes[$0].op { return norm != nil }
            return false
        }
    }

    /// Every instance-norm layer's statistics over the whole padded plane, one pass per layer over `grid`.
    func normStatistics(feed: Feed, grid: TileGrid) throws -> [Int: NormStatistics] {
        var statistics: [Int: NormStatistics] = [:]
        for n in instanceNormNodes {
            let p = planes[n]
            let scale = paddedHeight / p.h
            var accumulators = [Moments](repeating: Moments(), count: p.c)
            for cell in grid.cells {
                try Task.checkCancellation()
                let part = Region(top: cell.top / scale, bottom: cell.bottom / scale, left: cell.left / scale, right: cell.right / scale)
                let needed = needs(of: n, region: part)
                let raw = evaluate(needed, feed: feed, target: n, statistics: statistics)[n]!.tensor
                raw.scalars.withUnsafeBufferPointer { q in
                    for c in 0..<p.c {
                        accumulators[c].merge(Moments(UnsafeBufferPointer(rebasing: q[(c * part.area)..<((c + 1) * part.area)])))
                    }
                }
            }
            let alpha = accumulators.map { Float(1 / ($0.variance + 1e-5).squareRoot()) }
            statistics[n] = NormStatistics(alpha: alpha, beta: zip(accumulators, alpha).map { -Float($0.mean) * $1 })
        }
        return statistics
    }

    // MARK: - Runs

    /// The output over `region` (image pixels, the whole image by default) tile by tile over `grid`, in row-major
    /// order: `body` gets each tile's place in the image and its outputs [1, 3, h, w], one per level of `levels`
    /// (or one, following `inputs`' intensity map, when `levels` is nil). `body` may throw to stop the run; a
    /// cancelled task stops it too (`CancellationError`).
    /// A trajectory shares the level-independent work of each tile, as `Generator.trajectory` does.
    public func run(_ inputs: TileInputs, levels: [Float]?, grid: TileGrid, region: Region? = nil,
                    body: (_ tile: Region, _ outputs: [Tensor]) throws -> Void) throws {
        precondition(inputs.height == height && inputs.width == width, "TiledExecutor: inputs \(inputs.width)x\(inputs.height) for \(width)x\(height)")
        let graph = generator.graph
        let wanted = (region ?? .all(height: height, width: width)).offsetBy(dy: padding.top, dx: padding.left)
        let crop = Region.all(height: height, width: width).offsetBy(dy: padding.top, dx: padding.left)
        let feeds = (levels ?? [Float.nan]).map { Feed(inputs: inputs, level: $0.isNaN ? nil : $0) }
        let statistics = try feeds.map { try normStatistics(feed: $0, grid: grid) }
        let shared = levels.flatMap { sharedFirstLayer(count: $0.count) }
        for cell in grid.cells {
            try Task.checkCancellation()
            let out = cell.intersection(crop).intersection(wanted)
            if out.isEmpty { continue }
            let needed = needs(of: graph.output, region: out)
            var outputs: [Tensor] = []
            if let shared, let levels {
                outputs = trajectoryTile(needed, shared: shared, levels: levels, feed: feeds[0])
            } else {
                for (feed, s) in zip(feeds, statistics) {
                    outputs.append(evaluate(needed, feed: feed, target: graph.output, statistics: s)[graph.output]!.tensor)
                }
            }
            try body(out.offsetBy(dy: -padding.top, dx: -padding.left), outputs)
        }
    }

    /// For a trajectory: the first convolution and the nodes before it, when the first layer can be shared (its input
    /// is the image with the intensity as channel 3, and no instance norm follows it).
    private func sharedFirstLayer(count: Int) -> (first: Int, before: Set<Int>)? {
        let graph = generator.graph
        guard count > 1, generator.options.relativeControl, generator.options.norm != .instance,
              let first = graph.nodes.firstIndex(where: { if case .conv = $0.op { return true }; return false })
        else { return nil }
        return (first, Set(0..<first))
    }

    /// One tile at every level: the nodes before the first convolution once, the first layer's response to the rest
    /// of its input (`A`) and to a unit intensity (`B`), then per level `epilogue(A + level * B)` and the rest.
    private func trajectoryTile(_ needed: [Region], shared: (first: Int, before: Set<Int>), levels: [Float], feed: Feed) -> [Tensor] {
        let graph = generator.graph
        let first = shared.first
        guard case let .conv(name, _, _, k, slope, norm) = graph.nodes[first].op else { preconditionFailure() }
        // What later nodes read of the shared ones (the image for the skip, the attention pyramid).
        let keep = Set(shared.before.filter { j in graph.nodes.indices.contains { $0 > first && graph.nodes[$0].inputs.contains(j) } })
        let input = graph.nodes[first].inputs[0]
        let zero = Feed(inputs: feed.inputs, level: 0)
        let before = evaluate(needed, feed: zero, target: input, keep: keep)
        let r = needed[first]
        let patchRegion = r.expanded(by: k / 2)
        let patch = before[input]!.extracting(patchRegion, planeHeight: planes[input].h, planeWidth: planes[input].w)
        var unit = Tensor(shape: patch.shape)
        let plane = patch.shape.plane
        let inPlane = patchRegion.clipped(height: planes[input].h, width: planes[input].w).offsetBy(dy: -patchRegion.top, dx: -patchRegion.left)
        for y in inPlane.top..<inPlane.bottom {
            for x in inPlane.left..<inPlane.right { unit.scalars[3 * plane + y * patch.shape.w + x] = 1 }
        }
        let (conv, epilogue) = generator.convolution(name, leakySlope: slope, norm: norm)
        let linear = Convolution(outChannels: conv.outChannels, inChannels: conv.inChannels, kernel: conv.kernel,
                                 stride: conv.stride, padding: 0, weight: conv.weight,
                                 bias: [Float](repeating: 0, count: conv.outChannels))
        let a = linear(patch, precision: precision), b = linear(unit, precision: precision)
        var seeded: [Int: Window] = [:]
        for j in keep { seeded[j] = before[j]! }
        return levels.map { level in
            seeded[first] = Window(tensor: conv.finish(add(a, b, scaledBy: level), epilogue: epilogue), region: r)
            return evaluate(needed, feed: feed, target: graph.output, seeded: seeded)[graph.output]!.tensor
        }
    }
}

/// Count, mean and sum of squared deviations of some values, merged across parts (Chan et al.): the whole plane's
/// mean and biased variance without holding the plane, each part's taken in two passes in double as PyTorch does.
struct Moments {
    var count = 0.0, mean = 0.0, squares = 0.0

    init() {}

    init(_ values: UnsafeBufferPointer<Float>) {
        count = Double(values.count)
        guard count > 0 else { return }
        var sum = 0.0
        for v in values { sum += Double(v) }
        mean = sum / count
        for v in values { let d = Double(v) - mean; squares += d * d }
    }

    mutating func merge(_ other: Moments) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let n = count + other.count, delta = other.mean - mean
        mean += delta * other.count / n
        squares += other.squares + delta * delta * count * other.count / n
        count = n
    }

    var variance: Double { count > 0 ? squares / count : 0 }
}
