import Kernels

/// Keeps every activation of one image's forward pass, so that an edit of the intensity map recomputes only
/// what it can reach: the edited rectangle grows through the graph (a k x k conv by k/2 each side, a 2x2 pool halves
/// it rounding outward, the x2 bilinear upsample doubles it plus one pixel, a concat takes the union) and each node
/// recomputes just its dirty region with the same kernels. Instance norm depends on whole planes: a dirty instance-norm
/// layer is recomputed whole, so the result stays exact (max |diff| to a full pass is float rounding).
///
/// Preview updates (`UpdateMode.preview`) recompute their regions with bfloat16 products and remember, per node,
/// where the kept values are only approximate; the next exact update recomputes those regions too, so painting can
/// show fast previews dab by dab and end on the exact frame.
///
/// Local previews (`UpdateMode.preview(…, margin:)`) go further: each node recomputes only within a margin of the
/// edit's own footprint at that node's resolution, not everything the edit reaches (through this U-Net a 33-pixel dab
/// reaches a ~280-pixel square of the full-resolution decoder, though little changes far from the dab); the rest of
/// what it reaches is remembered as approximate like the bf16 regions.
///
/// Memory: every node's activation is kept (at 512x512 and reference widths, a few hundred MB).
public struct IncrementalExecutor {
    public let generator: Generator
    private var values: [Tensor]
    /// Per node, where its kept value came from a preview update (empty: exact everywhere).
    private var approximate: [Region]
    private let padding: Insets
    /// Node indices of the intensity input, if the model has one.
    private let intensityNode: Int?
    /// Above this share of a full frame's convolution work, an update recomputes the whole frame instead (no region
    /// bookkeeping).
    public var fullFrameThreshold = 0.5

    /// The share of the convolutions' multiply-adds the last update recomputed, for the status line and the bench.
    public private(set) var lastRecomputedFraction = 1.0

    /// Runs the full forward pass for one image [1, 3, H, W] and a per-pixel map [1, 1, H, W], keeping every activation.
    public init(generator: Generator, image: Tensor, map: Tensor, noise: Tensor? = nil, gray: Tensor? = nil) {
        precondition(image.shape.n == 1, "IncrementalExecutor: one image at a time")
        self.generator = generator
        let prepared = generator.prepareInputs(image, intensity: .map(map), noise: noise, gray: gray)
        padding = prepared.padding
        intensityNode = generator.graph.nodes.firstIndex {
            if case .input(.intensity) = $0.op { return true }
            return false
        }
        let executor = GraphExecutor(generator: generator)
        var values: [Tensor] = []
        values.reserveCapacity(generator.graph.nodes.count)
        for node in generator.graph.nodes {
            values.append(executor.evaluate(node.op, node.inputs.map { values[$0] }, prepared.values))
        }
        self.values = values
        approximate = [Region](repeating: .empty, count: values.count)
    }

    /// Whether some kept values come from preview updates (the output is not exact until an exact update).
    public var isApproximate: Bool { approximate.contains { !$0.isEmpty } }

    /// Bytes held by the kept activations.
    public var cachedBytes: Int { values.reduce(0) { $0 + $1.scalars.count * MemoryLayout<Float>.size } }

    /// The current output, cropped to the image.
    public var output: Tensor { crop(values[generator.graph.output], padding) }

    /// How an update recomputes.
    public enum UpdateMode: Sendable, Equatable {
        /// Everything the edit reaches, in f32, and whatever earlier previews left approximate: the output equals
        /// a full pass.
        case exact
        /// A preview the next exact update corrects: products in `precision`; with a `margin`, each node recomputes
        /// only within that many pixels (at the node's resolution) of the edit's footprint scaled to it (not with
        /// instance norm, whose statistics move with every pixel).
        case preview(precision: Precision, margin: Int?)

        /// The studio's stroke preview: bf16 products, recomputed within 2 pixels of the dab at every scale.
        public static let stroke = UpdateMode.preview(precision: .bf16, margin: 2)

        var precision: Precision {
            if case .preview(let p, _) = self { return p }
            return .f32
        }

        var margin: Int? {
            if case .preview(_, let m) = self { return m }
            return nil
        }
    }

    /// Replaces the intensity map by `map` ([1, 1, H, W]), of which only `changed` (image pixels) differs from the
    /// previous map, and recomputes what that reaches as `mode` says: an exact update also recomputes whatever
    /// earlier previews left approximate. Returns the new output.
    @discardableResult
    public mutating func update(map: Tensor, changed: Region, mode: UpdateMode = .exact) -> Tensor {
        guard let intensityNode else { return output }
        let precision = mode.precision
        let exact = mode == .exact
        let cleanup = exact && isApproximate
        guard !changed.isEmpty || cleanup else {
            lastRecomputedFraction = 0
            return output
        }
        let padded = reflectionPad(map, padding)
        let dirtyInput = changed.isEmpty ? .empty : paddedRegion(changed, height: map.shape.h, width: map.shape.w)
        let plan = self.plan(from: dirtyInput, at: intensityNode, paddedHeight: padded.shape.h, exact: exact, margin: mode.margin)
        // Region bookkeeping (patches with halos, small GEMMs) costs more than it saves on most of a frame: a dab on
        // a small image, or a release after a long stroke of previews.
        if plan.work > fullFrameThreshold {
            recomputeAll(intensity: padded, precision: precision, exact: exact)
            return output
        }
        values[intensityNode] = padded
        let executor = GraphExecutor(generator: generator, precision: precision)
        for (i, node) in generator.graph.nodes.enumerated() {
            if node.isInput { continue }
            // An exact update recomputes what previews left approximate (the plan includes it); a preview adds
            // all the edit reaches here to what the next exact update must recompute.
            approximate[i] = exact ? .empty : approximate[i].union(plan.reach[i])
            let r = plan.dirty[i]
            guard !r.isEmpty else { continue }
            if r == .all(height: values[i].shape.h, width: values[i].shape.w) {
                replaceValue(i, executor)
            } else {
                values[i].paste(evaluate(node, region: r, precision: precision), top: r.top, left: r.left)
            }
        }
        lastRecomputedFraction = plan.work
        return output
    }

    /// What an update recomputes of each node (`dirty`: what the edit reaches, and for an exact update what previews
    /// left approximate; for a local preview only near the edit), what the edit changes there (`reach`), and the
    /// share of a full frame's convolution multiply-adds that `dirty` is.
    private func plan(from dirtyInput: Region, at inputNode: Int, paddedHeight: Int, exact: Bool,
                      margin: Int?) -> (dirty: [Region], reach: [Region], work: Double) {
        var dirty = [Region](repeating: .empty, count: values.count)
        var reach = dirty
        dirty[inputNode] = dirtyInput
        reach[inputNode] = dirtyInput
        var work = 0.0, fullWork = 0.0
        for (i, node) in generator.graph.nodes.enumerated() {
            let shape = values[i].shape
            var perPixel = 0.0
            if case let .conv(_, inC, outC, k, _, _) = node.op { perPixel = Double(inC * outC * k * k) }
            fullWork += perPixel * Double(shape.plane)
            if node.isInput { continue }
            var r = propagate(node, into: shape, from: node.inputs.map { dirty[$0] })
            if exact {
                // What depends on an approximate region is reached through the inputs' dirty regions.
                r = r.union(approximate[i])
            } else {
                reach[i] = propagate(node, into: shape, from: node.inputs.map { reach[$0] })
                // Instance norm's statistics move with every pixel: a truncated plane would shift them all, so
                // models with it preview everything the edit reaches.
                if let margin, generator.options.norm != .instance {
                    r = r.intersection(dirtyInput.scaled(by: Double(shape.h) / Double(paddedHeight)).expanded(by: margin))
                }
            }
            dirty[i] = r
            work += perPixel * Double(r.area)
        }
        return (dirty, reach, work / max(1, fullWork))
    }

    private mutating func recomputeAll(intensity: Tensor, precision: Precision, exact: Bool) {
        let executor = GraphExecutor(generator: generator, precision: precision)
        for (i, node) in generator.graph.nodes.enumerated() {
            if case .input(let which) = node.op {
                if which == .intensity { values[i] = intensity }
                continue
            }
            replaceValue(i, executor)
            approximate[i] = exact ? .empty : .all(height: values[i].shape.h, width: values[i].shape.w)
        }
        lastRecomputedFraction = 1
    }

    /// Recomputes node `i` whole; its old storage goes to `ActivationPool` first (this node or the next of its size
    /// takes it), so a full recomputation of the kept activations does not fault hundreds of MB in afresh.
    private mutating func replaceValue(_ i: Int, _ executor: GraphExecutor) {
        ActivationPool.recycle(values[i].scalars)
        values[i] = Tensor(shape: Shape(n: 0, c: 0, h: 0, w: 0))
        values[i] = executor.evaluate(generator.graph.nodes[i].op, generator.graph.nodes[i].inputs.map { values[$0] }, [:])
    }

    /// The padded pixels whose source (through the reflection) lies in `r`.
    private func paddedRegion(_ r: Region, height: Int, width: Int) -> Region {
        func span(_ lo: Int, _ hi: Int, before: Int, size: Int, padded: Int) -> (Int, Int) {
            var a = Int.max, b = Int.min
            for p in 0..<padded {
                let i = p - before
                let src = reflectedIndex(i, size: size)
                if src >= lo && src < hi { a = min(a, p); b = max(b, p + 1) }
            }
            return (a, b)
        }
        let (t, b) = span(r.top, r.bottom, before: padding.top, size: height, padded: height + padding.top + padding.bottom)
        let (l, rr) = span(r.left, r.right, before: padding.left, size: width, padded: width + padding.left + padding.right)
        return t == Int.max || l == Int.max ? .empty : Region(top: t, bottom: b, left: l, right: rr)
    }

    /// Where a node's output changes, given where its inputs changed.
    private func propagate(_ node: GeneratorGraph.Node, into shape: Shape, from inputs: [Region]) -> Region {
        let whole = Region.all(height: shape.h, width: shape.w)
        switch node.op {
        case .input:
            return .empty
        case let .conv(_, _, _, kernel, _, norm):
            let r = inputs[0].expanded(by: kernel / 2).clipped(height: shape.h, width: shape.w)
            if !r.isEmpty, norm != nil, generator.options.norm == .instance { return whole }
            return r
        case .pool, .maxPool:
            let r = inputs[0]
            if r.isEmpty { return .empty }
            return Region(top: r.top / 2, bottom: (r.bottom + 1) / 2, left: r.left / 2, right: (r.right + 1) / 2)
                .clipped(height: shape.h, width: shape.w)
        case .upsample:
            let r = inputs[0]
            if r.isEmpty { return .empty }
            return Region(top: 2 * r.top - 1, bottom: 2 * r.bottom + 1, left: 2 * r.left - 1, right: 2 * r.right + 1)
                .clipped(height: shape.h, width: shape.w)
        case .concat, .multiplyByMap, .tanh, .skip:
            return inputs.reduce(Region.empty) { $0.union($1) }.clipped(height: shape.h, width: shape.w)
        }
    }

    /// Node `node`'s output restricted to `r`, from its (already updated) inputs.
    private func evaluate(_ node: GeneratorGraph.Node, region r: Region, precision: Precision) -> Tensor {
        let args = node.inputs.map { values[$0] }
        switch node.op {
        case let .conv(name, _, _, kernel, slope, norm):
            // The patch with its halo (zeros past the plane's edge: the layer's own padding), convolved unpadded,
            // gives exactly the region; the halo ring is not computed and thrown away.
            let patch = args[0].extracting(r.expanded(by: kernel / 2))
            return generator.convolve(patch, name: name, leakySlope: slope, norm: norm, padding: 0, precision: precision)
        case .pool, .maxPool:
            let patch = args[0].extracting(Region(top: 2 * r.top, bottom: 2 * r.bottom, left: 2 * r.left, right: 2 * r.right))
            return GraphExecutor(generator: generator).evaluate(node.op, [patch], [:])
        case .upsample:
            return upsampleBilinear2x(args[0], region: r)
        case .concat, .multiplyByMap, .tanh, .skip, .input:
            return GraphExecutor(generator: generator).evaluate(node.op, args.map { $0.extracting(r) }, [:])
        }
    }
}
