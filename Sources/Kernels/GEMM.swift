import CBLAS
import CGemm
import Foundation

/// The arithmetic a GEMM may use. `bf16` rounds both operands to bfloat16 (8-bit mantissa) and accumulates in f32:
/// about twice the speed on CPUs with AVX512_BF16, at roughly 3 significant digits, for preview frames. Where the CPU
/// cannot do bf16 (or the OpenBLAS backend is forced), a `bf16` request runs in f32: it permits the loss, never requires it.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    case f32, bf16
    public var description: String { rawValue }
}

/// Which library multiplies: OpenBLAS (held to its AVX2 kernels on Zen 4/5 by `OPENBLAS_CORETYPE=Haswell`) or our
/// AVX-512 / AVX2 kernels (CGemm), whichever `ISA.current` allows.
public enum GEMMBackend: String, Sendable, CaseIterable {
    case openblas, native
}

/// Single-precision matrix multiply: the one door to matrix products for the convolutions and the training backward pass.
public enum GEMM {
    /// Whether CGemm's f32 kernels (AVX-512 or AVX2+FMA) can run at the ISA level now (`ISA.current`).
    public static var nativeAvailable: Bool { mpx_gemm_native_available() != 0 }
    /// Whether CGemm's bf16 kernels (AVX512_BF16) can run at the ISA level now.
    public static var bf16Available: Bool { mpx_gemm_bf16_available() != 0 }

    /// The backend for every later call: native where the CPU has AVX2+FMA or AVX-512, else OpenBLAS;
    /// `MONOPIX_GEMM=openblas|native` chooses (for measuring; native still falls back to OpenBLAS at baseline). The
    /// choice stays native when `ISA.current` is lowered to baseline later: each call checks `nativeAvailable`.
    nonisolated(unsafe) public static var backend: GEMMBackend = {
        if let s = ProcessInfo.processInfo.environment["MONOPIX_GEMM"], let b = GEMMBackend(rawValue: s.lowercased()) { return b }
        return nativeAvailable ? .native : .openblas
    }()

    /// Below this many multiply-adds a native call stays on the calling thread (waking a worker costs more).
    static let nativeSplitWork = 1 << 21

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where `op(A)` is `m x k` and `op(B)` is `k x n`.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before any transposition).
    /// Threads: whatever `ThreadPolicy.blasThreads` last set, for either backend (the native one splits the columns
    /// of C over that many of our workers). With `beta == 0`, C is not read.
    public static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                precision: Precision = .f32) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        if backend == .native && nativeAvailable {
            splitColumns(n, work: m * n * k) { j0, count in
                native(transposeA, transposeB, m, count, k, alpha, a, lda,
                       transposeB ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc, precision)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C = op(B)`-free form for a constant left operand: `C = A * B + beta * C` with `A` packed once (`PackedMatrix`),
    /// `B` row-major `a.columns x n`. OpenBLAS (or the baseline ISA) multiplies the plain matrix instead.
    public static func multiply(_ a: PackedMatrix, n: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, precision: Precision = .f32) {
        let m = a.rows, k = a.columns
        guard m > 0, n > 0, k > 0 else {
            a.withUnsafePointer { multiply(m: m, n: n, k: k, a: $0, lda: max(1, k), b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) }
            return
        }
        let p: Precision = precision == .bf16 && bf16Available ? .bf16 : .f32
        if backend == .native && nativeAvailable, let packed = a.packed(p) {
            let bf: Int32 = p == .bf16 ? 1 : 0
            splitColumns(n, work: m * n * k) { j0, count in
                _ = mpx_sgemm_packed(bf, packed, 0, m, count, k, 1, b + j0, ldb, beta, c + j0, ldc)
            }
            return
        }
        a.withUnsafePointer { multiply(m: m, n: n, k: k, a: $0, lda: k, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, precision: precision) }
    }

    /// `C += A · Bᵀ` for A `m x k` and B `n x k` (row-major, strides `lda`, `ldb`): each element of C the dot product
    /// of a row of A and a row of B, read in place. For a long `k` and few rows, where packing for the blocked GEMM
    /// costs as much as the products (a weight gradient of a layer with few channels). Single-threaded, every ISA level.
    public static func accumulateRowDotProducts(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        mpx_sgemm_abt(m, n, k, a, lda, b, ldb, c, ldc)
    }

    /// Runs `body(firstColumn, columns)` over C's columns, split in whole register panels over the
    /// `ThreadPolicy.blasThreads` count when the product is big enough to pay for waking the workers.
    private static func splitColumns(_ n: Int, work: Int, _ body: (Int, Int) -> Void) {
        let threads = ThreadPolicy.isSerial ? 1 : ThreadPolicy.blasThreadCount
        let nr = max(1, Int(mpx_gemm_nr()))
        let panels = (n + nr - 1) / nr
        guard threads > 1 && work >= nativeSplitWork && panels >= 2 else { body(0, n); return }
        ThreadPolicy.split(min(threads, panels)) { index, count in
            let mine = ThreadPolicy.share(panels, index, count)
            let j0 = mine.lowerBound * nr, j1 = min(n, mine.upperBound * nr)
            if j1 > j0 { body(j0, j1 - j0) }
        }
    }

    private static func native(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ precision: Precision) {
        let ta32: Int32 = ta ? 1 : 0, tb32: Int32 = tb ? 1 : 0
        if precision == .bf16 && bf16Available,
           mpx_sgemm_bf16(ta32, tb32, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != 0 { return }
        if mpx_sgemm(ta32, tb32, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != 0 { return }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension GEMM {
    /// The kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX"); `OPENBLAS_CORETYPE` overrides it at
    /// load time. OpenBLAS 0.3.21 takes AMD's AVX-512 CPUs (Zen 4/5) for Haswell (AVX2).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// What runs the f32 and bf16 products now, for reports ("native avx512 bf16", "native avx2 f32",
    /// "openblas Haswell f32", ...): the ISA level is `MONOPIX_ISA`'s spelling.
    public static func describe(_ precision: Precision) -> String {
        guard backend == .native && nativeAvailable else { return "openblas \(coreName) f32" }
        return "native \(ISA.current) " + (precision == .bf16 && bf16Available ? "bf16" : "f32")
    }
}

/// A constant row-major `rows x columns` left operand (a layer's weights) with its native packed layouts, built on first
/// use per precision and kept: packing A each call is one pass over it, most of the time of a product with few
/// columns (a Winograd layer on a 16 x 16 map has 16 tiles). Shares the source array's storage (no copy).
public final class PackedMatrix: @unchecked Sendable {
    public let rows: Int, columns: Int
    private let source: [Float]
    private let offset: Int
    private let lock = NSLock()
    private var layouts: [Precision: UnsafeMutableRawPointer] = [:]

    /// The matrix at `source[offset...]`, rows `columns` apart.
    public init(_ source: [Float], offset: Int = 0, rows: Int, columns: Int) {
        precondition(offset >= 0 && offset + rows * columns <= source.count, "PackedMatrix: out of the source")
        self.source = source; self.offset = offset; self.rows = rows; self.columns = columns
    }

    private var packedBytes = 0

    deinit {
        for p in layouts.values { p.deallocate() }
        FilterMemory.add(-packedBytes)
    }

    func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        source.withUnsafeBufferPointer { body($0.baseAddress! + offset) }
    }

    /// The layout for `precision`'s kernel, or nil where that kernel cannot run. The f32 layout is the same for the
    /// AVX-512 and AVX2 kernels, so one packed under either level serves both.
    func packed(_ precision: Precision) -> UnsafeRawPointer? {
        lock.lock(); defer { lock.unlock() }
        if let p = layouts[precision] { return UnsafeRawPointer(p) }
        let bf: Int32 = precision == .bf16 ? 1 : 0
        let bytes = mpx_gemm_packed_a_size(bf, rows, columns)
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(64, bytes), alignment: 64)
        let ok = withUnsafePointer { mpx_gemm_pack_a(bf, 0, rows, columns, $0, columns, p) }
        guard ok != 0 else { p.deallocate(); return nil }
        layouts[precision] = p
        packedBytes += bytes
        FilterMemory.add(bytes)
        return UnsafeRawPointer(p)
    }
}
