import CBLAS

/// Single-precision matrix multiply for the rooms above (the training backward pass): the one door to cblas
/// outside this target's own convolution.
public enum GEMM {
    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where `op(A)` is `m x k` and `op(B)` is `k x n`.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before any transposition).
    /// The OpenBLAS thread count is whatever `ThreadPolicy.blasThreads` last set.
    public static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension GEMM {
    /// The kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX"); `OPENBLAS_CORETYPE` overrides it at
    /// load time. OpenBLAS 0.3.21 takes AMD's AVX-512 CPUs (Zen 4/5) for Haswell (AVX2).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
