import CBLAS
import Foundation

/// The mean and covariance of a set of feature vectors, in double, as pytorch-fid's
/// `calculate_activation_statistics` computes them: `np.mean(act, axis=0)` and `np.cov(act, rowvar=False)`
/// (divided by `N - 1`).
public struct FeatureStatistics: Sendable, Equatable {
    public let dimension: Int
    public let count: Int
    public let mean: [Double]
    /// `dimension x dimension`, row-major (symmetric).
    public let covariance: [Double]

    public init(dimension: Int, count: Int, mean: [Double], covariance: [Double]) {
        precondition(mean.count == dimension && covariance.count == dimension * dimension, "FeatureStatistics: sizes")
        self.dimension = dimension; self.count = count; self.mean = mean; self.covariance = covariance
    }

    /// The statistics of `features`, `count` rows of `dimension` floats, row-major. Needs at least two rows (the
    /// covariance of one is undefined: numpy returns NaNs).
    public init(features: [Float], dimension: Int) throws {
        precondition(dimension > 0 && features.count % dimension == 0, "FeatureStatistics: \(features.count) floats")
        let n = features.count / dimension
        guard n >= 2 else { throw FrechetDistanceError.tooFewSamples(count: n) }
        var mean = [Double](repeating: 0, count: dimension)
        for r in 0..<n { for d in 0..<dimension { mean[d] += Double(features[r * dimension + d]) } }
        for d in 0..<dimension { mean[d] /= Double(n) }
        var centred = [Double](repeating: 0, count: features.count)
        for r in 0..<n { for d in 0..<dimension { centred[r * dimension + d] = Double(features[r * dimension + d]) - mean[d] } }
        var cov = [Double](repeating: 0, count: dimension * dimension)
        // Xcᵀ Xc / (N - 1): one GEMM (not dsyrk, which fills one triangle) so the result is symmetric as stored.
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(dimension), Int32(dimension), Int32(n),
                    1 / Double(n - 1), centred, Int32(dimension), centred, Int32(dimension), 0, &cov, Int32(dimension))
        self.init(dimension: dimension, count: n, mean: mean, covariance: cov)
    }
}

public enum FrechetDistanceError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooFewSamples(count: Int)
    case dimensionMismatch(Int, Int)
    case eigensolverFailed(info: Int)

    public var description: String {
        switch self {
        case .tooFewSamples(let count):
            return "FID needs at least 2 images per set for a covariance, got \(count)"
        case .dimensionMismatch(let a, let b):
            return "feature statistics of different dimensions (\(a) and \(b))"
        case .eigensolverFailed(let info):
            return "LAPACK dsyevd did not converge (info \(info))"
        }
    }
}

/// The Fréchet distance of two Gaussians, `|mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrtm(S1 S2))`, pytorch-fid's
/// `calculate_frechet_distance` (and the reference's `frechet_distance`).
///
/// Both use `scipy.linalg.sqrtm(S1 @ S2)` (a Schur decomposition) and take the real part of its trace. For
/// covariances (symmetric positive semi-definite) `S1 S2` is similar to `sqrt(S1) S2 sqrt(S1)`, which is symmetric
/// PSD, so the trace of the principal square root is the sum of the square roots of that matrix's eigenvalues: two
/// symmetric eigendecompositions (LAPACK `dsyevd`) instead of a general Schur form, the same value to rounding.
/// Eigenvalues that rounding leaves slightly negative count as 0 (scipy's complex roots of them have real part 0,
/// which is what pytorch-fid keeps).
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
    guard a.dimension == b.dimension else { throw FrechetDistanceError.dimensionMismatch(a.dimension, b.dimension) }
    let n = a.dimension
    var meanTerm = 0.0
    for d in 0..<n { let diff = a.mean[d] - b.mean[d]; meanTerm += diff * diff }
    var traces = 0.0
    for d in 0..<n { traces += a.covariance[d * n + d] + b.covariance[d * n + d] }
    return meanTerm + traces - 2 * (try traceOfSquareRootOfProduct(a.covariance, b.covariance, dimension: n))
}

/// `tr sqrtm(S1 S2)` for symmetric PSD `S1`, `S2` (`n x n`, row-major): `sum sqrt(eig(sqrt(S1) S2 sqrt(S1)))`.
public func traceOfSquareRootOfProduct(_ s1: [Double], _ s2: [Double], dimension n: Int) throws -> Double {
    // sqrt(S1) = V diag(sqrt(max(l, 0))) Vᵀ.
    var (values, vectors) = try symmetricEigen(s1, dimension: n)
    // dsyevd's vectors are the columns of a column-major matrix: row-major, row i is eigenvector i.
    var scaled = vectors
    for i in 0..<n {
        let r = max(0, values[i]).squareRoot()
        for j in 0..<n { scaled[i * n + j] *= r }
    }
    var root = [Double](repeating: 0, count: n * n)
    // Row-major E (rows: eigenvectors): sqrt(S1) = Eᵀ diag(r) E = Eᵀ (diag(r) E).
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, vectors, Int32(n),
                scaled, Int32(n), 0, &root, Int32(n))
    var t = [Double](repeating: 0, count: n * n), m = t
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, root, Int32(n),
                s2, Int32(n), 0, &t, Int32(n))
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, t, Int32(n),
                root, Int32(n), 0, &m, Int32(n))
    // Symmetrise what rounding left asymmetric; dsyevd reads one triangle only.
    for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let v = 0.5 * (m[i * n + j] + m[j * n + i]); m[i * n + j] = v; m[j * n + i] = v } }
    (values, vectors) = try symmetricEigen(m, dimension: n, vectors: false)
    return values.reduce(0) { $0 + max(0, $1).squareRoot() }
}

/// Eigenvalues (ascending) and, if asked, eigenvectors (row `i` of the row-major result is the `i`-th) of a
/// symmetric matrix, by LAPACK `dsyevd`.
func symmetricEigen(_ matrix: [Double], dimension n: Int, vectors: Bool = true) throws -> ([Double], [Double]) {
    var a = matrix  // symmetric: row-major and column-major are the same
    var w = [Double](repeating: 0, count: n)
    var jobz: CChar = vectors ? 0x56 : 0x4E  // "V" / "N"
    var uplo: CChar = 0x55  // "U"
    var nn = Int32(n), lda = Int32(max(1, n)), info: Int32 = 0
    // Workspace query, then the call.
    var lwork: Int32 = -1, liwork: Int32 = -1
    var workSize = 0.0, iworkSize: Int32 = 0
    dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
    guard info == 0 else { throw FrechetDistanceError.eigensolverFailed(info: Int(info)) }
    lwork = Int32(workSize); liwork = max(1, iworkSize)
    var work = [Double](repeating: 0, count: Int(max(1, lwork)))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else { throw FrechetDistanceError.eigensolverFailed(info: Int(info)) }
    return (w, a)
}
