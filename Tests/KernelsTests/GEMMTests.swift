import XCTest
import CBLAS
@testable import Kernels

/// The native GEMM against OpenBLAS, and the convolutions on it against the six-loop reference, on each ISA path
/// (`forEachISA`: AVX-512, AVX2, baseline); at baseline the native calls fall back to OpenBLAS and these tests compare
/// it with itself.
final class GEMMTests: XCTestCase {
    /// Runs `body` with `backend` forced and the GEMM threads set to `threads`, restoring both afterwards.
    func with<T>(_ backend: GEMMBackend, threads: Int = 1, _ body: () -> T) -> T {
        let saved = GEMM.backend, savedThreads = ThreadPolicy.blasThreadCount
        GEMM.backend = backend
        ThreadPolicy.blasThreads(threads)
        defer { GEMM.backend = saved; ThreadPolicy.blasThreads(savedThreads) }
        return body()
    }

    struct Case {
        var m, n, k: Int
        var ta = false, tb = false
        var lda = 0, ldb = 0, ldc = 0
        var alpha: Float = 1, beta: Float = 0
    }

    /// op(A) op(B) on both backends with random operands (and a random C under beta); returns max |diff| relative
    /// to the largest |C| and to the sum of |a b| terms, whichever is larger.
    func compare(_ c: Case, precision: Precision = .f32, threads: Int = 1, seed: UInt64 = 1) -> (err: Float, scale: Float) {
        var rng = TestRandom(state: seed &+ UInt64(c.m * 10007 + c.n * 101 + c.k))
        let lda = max(c.lda, c.ta ? c.m : c.k), ldb = max(c.ldb, c.tb ? c.k : c.n), ldc = max(c.ldc, c.n)
        let a = rng.array((c.ta ? c.k : c.m) * lda), b = rng.array((c.tb ? c.n : c.k) * ldb)
        let c0 = rng.array(c.m * ldc)
        func run(_ backend: GEMMBackend, _ p: Precision) -> [Float] {
            var out = c0
            with(backend, threads: threads) {
                out.withUnsafeMutableBufferPointer { o in
                    GEMM.multiply(transposeA: c.ta, transposeB: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a, lda: lda,
                                  b: b, ldb: ldb, beta: c.beta, c: o.baseAddress!, ldc: ldc, precision: p)
                }
            }
            return out
        }
        let want = run(.openblas, .f32), got = run(.native, precision)
        var err: Float = 0, scale: Float = 0
        for i in 0..<c.m {
            for j in 0..<ldc {
                let x = want[i * ldc + j], y = got[i * ldc + j]
                if j >= c.n { XCTAssertEqual(x, y, "column past n written"); continue }
                err = max(err, abs(x - y)); scale = max(scale, abs(x))
            }
        }
        return (err, max(scale, 1))
    }

    func testNativeIsAvailableOnAVX512() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2 ") && flags.contains(" fma ") { XCTAssertGreaterThanOrEqual(ISA.supported.rawValue, ISA.avx2.rawValue) }
        guard flags.contains(" avx512f ") else { throw XCTSkip("no AVX-512F on this CPU") }
        XCTAssertEqual(ISA.supported, .avx512)
        // Whatever MONOPIX_ISA this run has: the tests may lift the cap.
        let saved = ISA.current
        defer { ISA.current = saved }
        ISA.current = .avx512
        XCTAssertTrue(GEMM.nativeAvailable)
        XCTAssertEqual(GEMM.bf16Available, flags.contains(" avx512_bf16 "))
    }

    func testOddShapesAgainstOpenBLAS() { forEachISA { _ in oddShapesAgainstOpenBLAS() } }

    func oddShapesAgainstOpenBLAS() {
        let sizes = [1, 2, 3, 5, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47, 63, 64, 65, 97, 127, 128, 130]
        var rng = SplitMixLite(seed: 5)
        for trial in 0..<160 {
            let m = sizes[rng.next() % sizes.count], n = sizes[rng.next() % sizes.count], k = sizes[rng.next() % sizes.count]
            var c = Case(m: m, n: n, k: k)
            c.ta = trial % 4 == 1 || trial % 4 == 3
            c.tb = trial % 4 >= 2
            c.lda = rng.next() % 3 == 0 ? (c.ta ? m : k) + 3 : 0
            c.ldb = rng.next() % 3 == 0 ? (c.tb ? k : n) + 5 : 0
            c.ldc = rng.next() % 3 == 0 ? n + 2 : 0
            c.beta = [0, 1, 0.5][trial % 3]
            c.alpha = trial % 5 == 0 ? -0.75 : 1
            let r = compare(c, seed: UInt64(trial))
            // f32 accumulation in another order: a few ulps of the k-term sums (|terms| <= 1).
            XCTAssertLessThan(r.err, 2e-6 * Float(k).squareRoot() * r.scale + 1e-6,
                              "\(m)x\(n)x\(k) ta \(c.ta) tb \(c.tb) beta \(c.beta)")
        }
    }

    func testEveryRemainderOfTheRegisterTile() {
        // MR = 6 rows, NR = 32 (AVX-512) or 16 (AVX2) columns: every row and column remainder of both tiles and their
        // multiples, K across the packing block (256).
        forEachISA { isa in
            for m in [1, 5, 6, 7, 11, 12, 13, 23, 24, 25] {
                for n in [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63] {
                    let r = compare(Case(m: m, n: n, k: 257))
                    XCTAssertLessThan(r.err, 2e-6 * 17 * r.scale, "\(m)x\(n)x257 \(isa)")
                }
            }
        }
    }

    /// The unpacked C += A · Bᵀ (weight gradients of layers with few channels) on every path, against double sums: every
    /// tile remainder (rows of A by 2, of B by 4), k below, across and past the vector width and the 256-long chunks.
    func testRowDotProductsOnEveryShape() {
        forEachISA { isa in
            for (m, n, k) in [(1, 1, 1), (2, 4, 8), (3, 5, 7), (5, 7, 17), (8, 72, 3584), (16, 9, 255), (7, 6, 513), (1, 3, 33)] {
                var rng = TestRandom(state: UInt64(m * 100 + n * 10 + k))
                let lda = k + 3, ldb = k + 1, ldc = n + 2
                let a = rng.array(m * lda), b = rng.array(n * ldb)
                var c = rng.array(m * ldc)
                var expected = c.map(Double.init)
                for i in 0..<m { for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += Double(a[i * lda + p]) * Double(b[j * ldb + p]) }
                    expected[i * ldc + j] += sum
                } }
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    GEMM.accumulateRowDotProducts(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                                  c: cp.baseAddress!, ldc: ldc)
                } } }
                for i in 0..<m { for j in 0..<n {
                    XCTAssertEqual(Double(c[i * ldc + j]), expected[i * ldc + j], accuracy: 1e-5 * Double(k) + 1e-5, "\(isa) \(m)x\(n)x\(k) at \(i),\(j)")
                } }
                // The padding between rows of C is never written.
                for i in 0..<m { for j in n..<ldc { XCTAssertEqual(Double(c[i * ldc + j]), expected[i * ldc + j], "\(isa) padding") } }
            }
        }
    }

    func testLargeProduct() {
        forEachISA { isa in
            let r = compare(Case(m: 256, n: 4096, k: 576))
            XCTAssertLessThan(r.err / r.scale, 2e-6, "256x4096x576 \(isa): \(r.err) of \(r.scale)")
            // Larger than every cache block (MC, NC, KC) and split over two workers, with both operands transposed
            // (training's backward products).
            let s = compare(Case(m: 300, n: 3300, k: 700, beta: 1), threads: 2)
            XCTAssertLessThan(s.err / s.scale, 2e-6, "300x3300x700 \(isa): \(s.err) of \(s.scale)")
            let t = compare(Case(m: 130, n: 1030, k: 600, ta: true, tb: true, beta: 0.5), threads: 2)
            XCTAssertLessThan(t.err / t.scale, 2e-6, "130x1030x600 transposed \(isa): \(t.err) of \(t.scale)")
        }
    }

    func testPackedLeftOperandMatchesThePlainCall() { forEachISA { _ in packedLeftOperandMatchesThePlainCall() } }

    /// A matrix packed on one path multiplies on the other: the f32 layout is shared.
    func testPackedLayoutIsTheSameOnEveryPath() {
        var rng = TestRandom(state: 10)
        let (m, n, k) = (13, 40, 300)
        let storage = rng.array(m * k), b = rng.array(k * n)
        let packed = PackedMatrix(storage, rows: m, columns: k)
        var results: [ISA: [Float]] = [:]
        forEachISA { isa in
            var fresh = [Float](repeating: 0, count: m * n), reused = fresh
            with(.native) {
                GEMM.multiply(PackedMatrix(storage, rows: m, columns: k), n: n, b: b, ldb: n, c: &fresh, ldc: n)
                GEMM.multiply(packed, n: n, b: b, ldb: n, c: &reused, ldc: n)
            }
            XCTAssertEqual(fresh, reused, "\(isa)")
            results[isa] = reused
        }
        // Different kernels, so not the same bits, but the same product.
        if let wide = results[.avx512], let narrow = results[.avx2] {
            XCTAssertLessThan(zip(wide, narrow).map { abs($0 - $1) }.max() ?? 0, 2e-6 * Float(k).squareRoot() * 4)
        }
    }

    func packedLeftOperandMatchesThePlainCall() {
        var rng = TestRandom(state: 9)
        for (m, n, k) in [(1, 1, 1), (7, 33, 5), (13, 16, 300), (512, 16, 512), (70, 130, 257), (6, 64, 1100)] {
            let storage = rng.array(m * k + 3)   // the matrix at offset 3, as a point of a Winograd filter bank
            let b = rng.array(k * n)
            let packed = PackedMatrix(storage, offset: 3, rows: m, columns: k)
            for precision in Precision.allCases {
                for threads in [1, 2] {
                    var plain = [Float](repeating: 0.5, count: m * n), viaPacked = plain
                    with(.native, threads: threads) {
                        storage.withUnsafeBufferPointer { a in
                            GEMM.multiply(m: m, n: n, k: k, a: a.baseAddress! + 3, lda: k, b: b, ldb: n, beta: 1, c: &plain, ldc: n,
                                          precision: precision)
                        }
                        GEMM.multiply(packed, n: n, b: b, ldb: n, beta: 1, c: &viaPacked, ldc: n, precision: precision)
                    }
                    XCTAssertEqual(plain, viaPacked, "\(precision) \(m)x\(n)x\(k) on \(threads) threads")
                }
            }
            var blas = [Float](repeating: 0, count: m * n), native = blas
            with(.openblas) { GEMM.multiply(packed, n: n, b: b, ldb: n, c: &blas, ldc: n) }
            with(.native) { GEMM.multiply(packed, n: n, b: b, ldb: n, c: &native, ldc: n) }
            let err = zip(blas, native).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(err, 2e-6 * Float(k).squareRoot() * 4, "\(m)x\(n)x\(k) packed vs OpenBLAS")
        }
    }

    func testBF16WithinItsRounding() throws {
        guard GEMM.bf16Available else { throw XCTSkip("no AVX512_BF16 at this ISA level") }
        for (m, n, k) in [(1, 1, 1), (5, 7, 3), (13, 33, 31), (64, 130, 127), (12, 32, 513), (256, 4096, 576)] {
            for beta: Float in [0, 1] {
                let r = compare(Case(m: m, n: n, k: k, beta: beta), precision: .bf16)
                // Each operand rounds to 8 significant bits (relative error <= 2^-9), so each |a b| term moves by at
                // most ~2^-8; random signs make the sum's error grow like sqrt(k); 4x margin on the bound.
                let bound = 4 * Float(k).squareRoot() * 0.0039 + 1e-6
                XCTAssertLessThan(r.err, bound, "bf16 \(m)x\(n)x\(k): \(r.err)")
                if k >= 64 { XCTAssertGreaterThan(r.err, 0, "bf16 \(m)x\(n)x\(k) rounded nothing") }
            }
        }
        // Values exact in bf16 (small integers) give the f32 result exactly.
        let m = 7, n = 19, k = 40
        let a = (0..<(m * k)).map { Float($0 % 7) - 3 }, b = (0..<(k * n)).map { Float($0 % 5) - 2 }
        var got = [Float](repeating: .nan, count: m * n), want = got
        with(.native) { GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &got, ldc: n, precision: .bf16) }
        with(.openblas) { GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &want, ldc: n) }
        XCTAssertEqual(got, want)
    }

    func testConvolutionsOnNativeGEMMAgainstReference() { forEachISA { _ in convolutionsOnNativeGEMMAgainstReference() } }

    func convolutionsOnNativeGEMMAgainstReference() {
        var rng = TestRandom(state: 77)
        for (inC, outC, h, w, kernel, stride, padding) in [(3, 5, 17, 13, 3, 1, 1), (33, 17, 11, 29, 3, 1, 1), (64, 70, 24, 20, 3, 1, 1),
                                                           (13, 9, 31, 7, 1, 1, 0), (8, 16, 19, 19, 4, 2, 2), (70, 33, 40, 36, 3, 1, 1)] {
            let conv = Convolution(outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding,
                                   weight: rng.array(outC * inC * kernel * kernel), bias: rng.array(outC))
            let x = rng.tensor(Shape(n: 1, c: inC, h: h, w: w))
            let exact = conv.reference(x, epilogue: Epilogue(leakySlope: 0.2))
            for algorithm in [ConvolutionAlgorithm.direct, .winograd2x2, .winograd4x4] {
                guard conv.resolvedAlgorithm(algorithm, height: h, width: w) == algorithm else { continue }
                let bound: Float = algorithm == .winograd4x4 ? 1e-6 * Float(inC * 9) + 2e-5 : 1e-7 * Float(inC * 9) + 4e-6
                for threads in [1, 2] {
                    let y = with(.native, threads: threads) { conv(x, epilogue: Epilogue(leakySlope: 0.2), algorithm: algorithm) }
                    XCTAssertLessThan(y.maxAbsDifference(exact), bound, "\(algorithm) \(inC)->\(outC) \(h)x\(w) k\(kernel)")
                }
                if GEMM.bf16Available && algorithm != .winograd4x4 {
                    let y = with(.native) { conv(x, epilogue: Epilogue(leakySlope: 0.2), algorithm: algorithm, precision: .bf16) }
                    let scale = exact.scalars.reduce(Float(0)) { max($0, abs($1)) }
                    XCTAssertLessThan(y.maxAbsDifference(exact), 0.02 * scale, "bf16 \(algorithm) \(inC)->\(outC)")
                }
            }
            if GEMM.bf16Available {
                // The automatic choice in bf16 (F(2x2) in bf16 where f32 would take F(4x4), or F(4x4) with f32
                // products on layers with few channels) stays within bf16's rounding.
                if conv.resolvedAlgorithm(height: h, width: w, precision: .bf16) == .winograd4x4 {
                    XCTAssertLessThanOrEqual(inC * outC, 128 * 128)
                }
                let y = with(.native) { conv(x, epilogue: Epilogue(leakySlope: 0.2), precision: .bf16) }
                let scale = exact.scalars.reduce(Float(0)) { max($0, abs($1)) }
                XCTAssertLessThan(y.maxAbsDifference(exact), 0.02 * scale, "bf16 auto \(inC)->\(outC)")
            }
        }
    }
}

/// Small deterministic integers for picking shapes.
struct SplitMixLite {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Int {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return Int((z ^ (z >> 31)) >> 1)
    }
}
