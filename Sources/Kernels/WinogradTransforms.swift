/// The data transforms of Winograd's minimal filtering F(m x m, 3 x 3), m = 2 or 4, written on four-lane vectors
/// whose lanes are four neighbouring tiles of one tile row. Laying the tiles across the lanes turns every transform
/// into plain vector arithmetic; the only shuffles are the 4 x 4 (or 2 x 4) transposes that de-interleave an input
/// row into its m phases and interleave the output tiles back into rows.
///
/// Matrices (Lavin & Gray 2015), for the correlation `y_k = sum_c g_c d_(k+c)`; `y = Aᵀ [(G g) ⊙ (Bᵀ d)]`:
///
///     F(2,3), points 0, 1, -1, ∞             F(4,3), points 0, 1, -1, 2, -2, ∞
///     Bᵀ = [1  0 -1  0]                      Bᵀ = [4  0 -5  0  1  0]
///          [0  1  1  0]                           [0 -4 -4  1  1  0]
///          [0 -1  1  0]                           [0  4 -4 -1  1  0]
///          [0  1  0 -1]                           [0 -2 -1  2  1  0]
///                                                 [0  2 -1 -2  1  0]
///                                                 [0  4  0 -5  0  1]
///     Aᵀ = [1  1  1  0]                      Aᵀ = [1  1  1  1  1  0]
///          [0  1 -1 -1]                           [0  1 -1  2 -2  0]
///                                                 [0  1  1  4  4  0]
///                                                 [0  1 -1  8 -8  1]
///
/// G is applied once per layer, in double (`WinogradTile.filterMatrix`).
typealias V4 = SIMD4<Float>

@inline(__always) func load4(_ p: UnsafePointer<Float>) -> V4 {
    UnsafeRawPointer(p).loadUnaligned(as: V4.self)
}

@inline(__always) func store4(_ v: V4, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V4.self)
}

@inline(__always) func transpose4(_ a: V4, _ b: V4, _ c: V4, _ d: V4) -> (V4, V4, V4, V4) {
    (V4(a[0], b[0], c[0], d[0]), V4(a[1], b[1], c[1], d[1]), V4(a[2], b[2], c[2], d[2]), V4(a[3], b[3], c[3], d[3]))
}

// MARK: - One-dimensional transforms

@inline(__always) func inputF2(_ d0: V4, _ d1: V4, _ d2: V4, _ d3: V4) -> (V4, V4, V4, V4) {
    (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
}

@inline(__always) func outputF2(_ m0: V4, _ m1: V4, _ m2: V4, _ m3: V4) -> (V4, V4) {
    (m0 + m1 + m2, m1 - m2 - m3)
}

@inline(__always) func inputF4(_ d0: V4, _ d1: V4, _ d2: V4, _ d3: V4, _ d4: V4, _ d5: V4) -> (V4, V4, V4, V4, V4, V4) {
    let four: V4 = V4(repeating: 4), five: V4 = V4(repeating: 5), two = V4(repeating: 2)
    let a = d4 - d2, b = d3 - d1
    return ((d4 - five * d2) + four * d0,
            (d3 + d4) - four * (d1 + d2),
            (d4 - d3) + four * (d1 - d2),
            a + two * b,
            a - two * b,
            (d5 - five * d3) + four * d1)
}

@inline(__always) func outputF4(_ m0: V4, _ m1: V4, _ m2: V4, _ m3: V4, _ m4: V4, _ m5: V4) -> (V4, V4, V4, V4) {
    let p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
    return (m0 + p12 + p34,
            d12 + V4(repeating: 2) * d34,
            p12 + V4(repeating: 4) * p34,
            (d12 + m5) + V4(repeating: 8) * d34)
}

// MARK: - Rows of the input in phase-split layout

/// Copies `count` (a multiple of 4) groups of m values from `line` so that phase k (x mod m) of group q lands at
/// `phases[k * stride + q]`.
@inline(__always) func deinterleave(m: Int, _ line: UnsafePointer<Float>, groups count: Int,
                                    into phases: UnsafeMutablePointer<Float>, stride: Int) {
    if m == 4 {
        var q = 0
        while q < count {
            let s = line + 4 * q
            let (p0, p1, p2, p3) = transpose4(load4(s), load4(s + 4), load4(s + 8), load4(s + 12))
            store4(p0, phases + q); store4(p1, phases + stride + q)
            store4(p2, phases + 2 * stride + q); store4(p3, phases + 3 * stride + q)
            q += 4
        }
    } else {
        var q = 0
        while q < count {
            let a = load4(line + 2 * q), b = load4(line + 2 * q + 4)
            store4(V4(a[0], a[2], b[0], b[2]), phases + q)
            store4(V4(a[1], a[3], b[1], b[3]), phases + stride + q)
            q += 4
        }
    }
}

// MARK: - Two-dimensional tile transforms, four tiles at a time

/// Input transform of tiles q..q+3 of one tile row. `rows` points at the tile row's first input row in the
/// phase-split layout (rows `rowStride` apart, phases `stride` apart); the α² results go to `v + point * pointStride`.
@inline(__always) func inputTilesF2(_ rows: UnsafePointer<Float>, rowStride: Int, stride: Int, q: Int,
                                    _ v: UnsafeMutablePointer<Float>, pointStride: Int, scratch h: UnsafeMutablePointer<V4>) {
    for r in 0..<4 {
        let row = rows + r * rowStride + q
        let (t0, t1, t2, t3) = inputF2(load4(row), load4(row + stride), load4(row + 1), load4(row + stride + 1))
        h[r * 4] = t0; h[r * 4 + 1] = t1; h[r * 4 + 2] = t2; h[r * 4 + 3] = t3
    }
    for j in 0..<4 {
        let (u0, u1, u2, u3) = inputF2(h[j], h[4 + j], h[8 + j], h[12 + j])
        store4(u0, v + j * pointStride); store4(u1, v + (4 + j) * pointStride)
        store4(u2, v + (8 + j) * pointStride); store4(u3, v + (12 + j) * pointStride)
    }
}

@inline(__always) func inputTilesF4(_ rows: UnsafePointer<Float>, rowStride: Int, stride: Int, q: Int,
                                    _ v: UnsafeMutablePointer<Float>, pointStride: Int, scratch h: UnsafeMutablePointer<V4>) {
    for r in 0..<6 {
        let row = rows + r * rowStride + q
        let (t0, t1, t2, t3, t4, t5) = inputF4(load4(row), load4(row + stride), load4(row + 2 * stride),
                                               load4(row + 3 * stride), load4(row + 1), load4(row + stride + 1))
        let o = h + r * 6
        o[0] = t0; o[1] = t1; o[2] = t2; o[3] = t3; o[4] = t4; o[5] = t5
    }
    for j in 0..<6 {
        let (u0, u1, u2, u3, u4, u5) = inputF4(h[j], h[6 + j], h[12 + j], h[18 + j], h[24 + j], h[30 + j])
        store4(u0, v + j * pointStride); store4(u1, v + (6 + j) * pointStride)
        store4(u2, v + (12 + j) * pointStride); store4(u3, v + (18 + j) * pointStride)
        store4(u4, v + (24 + j) * pointStride); store4(u5, v + (30 + j) * pointStride)
    }
}

/// Output transform of tiles q..q+3 (point products at `mm + point * pointStride`): y[r * m + c], lanes = tiles.
@inline(__always) func outputTilesF2(_ mm: UnsafePointer<Float>, pointStride: Int, scratch s: UnsafeMutablePointer<V4>,
                                     into y: UnsafeMutablePointer<V4>) {
    for i in 0..<4 {
        let p = mm + 4 * i * pointStride
        let (a, b) = outputF2(load4(p), load4(p + pointStride), load4(p + 2 * pointStride), load4(p + 3 * pointStride))
        s[2 * i] = a; s[2 * i + 1] = b
    }
    for c in 0..<2 {
        let (a, b) = outputF2(s[c], s[2 + c], s[4 + c], s[6 + c])
        y[c] = a; y[2 + c] = b
    }
}

@inline(__always) func outputTilesF4(_ mm: UnsafePointer<Float>, pointStride: Int, scratch s: UnsafeMutablePointer<V4>,
                                     into y: UnsafeMutablePointer<V4>) {
    for i in 0..<6 {
        let p = mm + 6 * i * pointStride
        let (a, b, c, d) = outputF4(load4(p), load4(p + pointStride), load4(p + 2 * pointStride),
                                    load4(p + 3 * pointStride), load4(p + 4 * pointStride), load4(p + 5 * pointStride))
        let o = s + 4 * i
        o[0] = a; o[1] = b; o[2] = c; o[3] = d
    }
    for c in 0..<4 {
        let (a, b, cc, d) = outputF4(s[c], s[4 + c], s[8 + c], s[12 + c], s[16 + c], s[20 + c])
        y[c] = a; y[4 + c] = b; y[8 + c] = cc; y[12 + c] = d
    }
}
