#if canImport(Glibc)
import Glibc
#endif

/// The four dimensions of an activation, in PyTorch's NCHW order.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var n: Int, c: Int, h: Int, w: Int

    public init(n: Int = 1, c: Int, h: Int, w: Int) {
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    public var count: Int { n * c * h * w }
    /// [n, c, h, w], as stored tensors and `.npy` files give shapes.
    public var dimensions: [Int] { [n, c, h, w] }
    public var plane: Int { h * w }
    public var description: String { "[\(n), \(c), \(h), \(w)]" }
}

/// A dense float32 tensor in NCHW layout: the one activation type every kernel reads and writes.
///
/// Storage is a Swift array, so copies are cheap until written (copy-on-write) and the type is `Sendable`.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: Shape
    public var scalars: [Float]

    /// A tensor of the given shape, filled with `value`.
    public init(shape: Shape, repeating value: Float = 0) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.count)
    }

    /// A tensor wrapping `scalars`, whose count must equal `shape.count`.
    public init(shape: Shape, scalars: [Float]) {
        precondition(scalars.count == shape.count, "Tensor: \(scalars.count) scalars for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor whose scalars are written by `body` before anyone reads them (no zero-fill pass). Large ones reuse
    /// storage an executor handed back (`ActivationPool`).
    public init(uninitializedShape shape: Shape, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.shape = shape
        if var reused = ActivationPool.take(count: shape.count) {
            reused.withUnsafeMutableBufferPointer { body($0) }
            self.scalars = reused
            return
        }
        self.scalars = [Float](unsafeUninitializedCapacity: shape.count) { buffer, count in
            Self.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            body(buffer)
            count = shape.count
        }
    }

    /// Large buffers (glibc maps anything over 32 MiB afresh on every allocation, so each of a 512x512 frame's
    /// level-1 activations page-faults 4 KiB at a time on first touch: about 13 ms per 32 MiB) ask for transparent
    /// huge pages before anything touches them, where the kernel leaves that to `madvise`.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = 2 << 20
        guard buffer.count >= 4 * huge, let base = buffer.baseAddress else { return }
        let start = (Int(bitPattern: base) + huge - 1) / huge * huge
        let end = (Int(bitPattern: base) + buffer.count) / huge * huge
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { scalars[((n * shape.c + c) * shape.h + y) * shape.w + x] }
        set { scalars[((n * shape.c + c) * shape.h + y) * shape.w + x] = newValue }
    }

    /// The same scalars seen with another shape of equal count.
    public func reshaped(_ newShape: Shape) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// The largest absolute element-wise difference, for fidelity checks.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in scalars.indices { m = max(m, abs(scalars[i] - other.scalars[i])) }
        return m
    }

    /// The mean absolute element-wise difference (accumulated in double), beside the largest in error reports.
    public func meanAbsDifference(_ other: Tensor) -> Double {
        precondition(shape == other.shape, "meanAbsDifference: \(shape) vs \(other.shape)")
        var sum = 0.0
        for i in scalars.indices { sum += Double(abs(scalars[i] - other.scalars[i])) }
        return sum / Double(max(1, scalars.count))
    }
}

/// Stacks tensors of one C, H, W along the batch dimension.
public func concatBatch(_ parts: [Tensor]) -> Tensor {
    guard let first = parts.first?.shape else { preconditionFailure("concatBatch: no tensors") }
    var scalars: [Float] = []
    scalars.reserveCapacity(first.count * parts.count)
    for p in parts {
        precondition(p.shape.c == first.c && p.shape.h == first.h && p.shape.w == first.w, "concatBatch: \(p.shape) vs \(first)")
        scalars += p.scalars
    }
    return Tensor(shape: Shape(n: parts.reduce(0) { $0 + $1.shape.n }, c: first.c, h: first.h, w: first.w), scalars: scalars)
}
