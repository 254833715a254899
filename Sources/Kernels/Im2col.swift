import CElementwise

/// The im2col layout of the forward convolution and its backward pass: row `(ci, ky, kx)` of the matrix holds, for each output pixel of
/// the tile, the input value under that kernel tap (0 in the padding).
public enum Im2col {
    /// `rowStride` (floats between the matrix's rows) defaults to the tile's width, `rows.count * wo`; a wider one
    /// leaves room beside each row for other samples' columns.
    public static func gather(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, kernel: Int, stride: Int, padding: Int,
                       rows: Range<Int>, wo: Int, into col: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        gather(plane: { src + $0 * h * w }, channels: channels, h: h, w: w, kernelHeight: kernel, kernelWidth: kernel,
               stride: stride, paddingHeight: padding, paddingWidth: padding, rows: rows, wo: wo, into: col, rowStride: rowStride)
    }

    /// `gather` over planes wherever they lie (`plane(ci)`: input channel `ci`), for concatenated inputs, with a
    /// kernel and padding that may differ between rows and columns (row `(ci, ky, kx)`, `kx` fastest).
    static func gather(plane: (Int) -> UnsafePointer<Float>, channels: Int, h: Int, w: Int, kernelHeight: Int, kernelWidth: Int,
                       stride: Int, paddingHeight: Int, paddingWidth: Int, rows: Range<Int>, wo: Int,
                       into col: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let columns = rowStride ?? rows.count * wo
        let padding = paddingWidth
        var r = 0
        for ci in 0..<channels {
            let plane = plane(ci)
            for ky in 0..<kernelHeight {
                for kx in 0..<kernelWidth {
                    let line = col + r * columns
                    for (j, oy) in rows.enumerated() {
                        let out = line + j * wo
                        let iy = oy * stride - paddingHeight + ky
                        guard iy >= 0, iy < h else { out.update(repeating: 0, count: wo); continue }
                        let row = plane + iy * w
                        if stride == 1 {
                            // ix = ox - padding + kx: a shifted copy with zeros where it leaves the row.
                            let shift = kx - padding
                            let lo = min(wo, max(0, -shift)), hi = max(lo, min(wo, w - shift))
                            if lo > 0 { out.update(repeating: 0, count: lo) }
                            if hi > lo { out.advanced(by: lo).update(from: row + lo + shift, count: hi - lo) }
                            if hi < wo { out.advanced(by: hi).update(repeating: 0, count: wo - hi) }
                        } else {
                            // ix = ox * stride + shift: zeros where it leaves the row, a strided copy inside.
                            let (lo, hi) = insideColumns(stride: stride, shift: kx - padding, w: w, wo: wo)
                            if lo > 0 { out.update(repeating: 0, count: lo) }
                            if hi > lo {
                                let first = row + lo * stride + kx - padding
                                if stride == 2 { mpx_gather_even(first, hi - lo, out + lo) } else {
                                    for j in 0..<(hi - lo) { out[lo + j] = first[j * stride] }
                                }
                            }
                            if hi < wo { out.advanced(by: hi).update(repeating: 0, count: wo - hi) }
                        }
                    }
                    r += 1
                }
            }
        }
    }

    /// The adjoint of `gather`: adds each column entry back onto the input pixel it was read from.
    public static func scatterAdd(_ col: UnsafePointer<Float>, channels: Int, h: Int, w: Int, kernel: Int, stride: Int, padding: Int,
                           rows: Range<Int>, wo: Int, into dst: UnsafeMutablePointer<Float>) {
        let columns = rows.count * wo
        var r = 0
        for ci in 0..<channels {
            let plane = dst + ci * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let line = col + r * columns
                    for (j, oy) in rows.enumerated() {
                        let iy = oy * stride - padding + ky
                        guard iy >= 0, iy < h else { continue }
                        let src = line + j * wo
                        let row = plane + iy * w
                        if stride == 1 {
                            let shift = kx - padding
                            let lo = max(0, -shift), hi = min(wo, w - shift)
                            if hi > lo { for ox in lo..<hi { row[ox + shift] += src[ox] } }
                        } else {
                            let (lo, hi) = insideColumns(stride: stride, shift: kx - padding, w: w, wo: wo)
                            if hi > lo {
                                let first = row + lo * stride + kx - padding
                                if stride == 2 { mpx_scatter_add_even(src + lo, hi - lo, first) } else {
                                    for j in 0..<(hi - lo) { first[j * stride] += src[lo + j] }
                                }
                            }
                        }
                    }
                    r += 1
                }
            }
        }
    }

    /// The output columns `lo..<hi` whose input column `ox * stride + shift` lies inside a row of `w`.
    @inline(__always)
    static func insideColumns(stride: Int, shift: Int, w: Int, wo: Int) -> (Int, Int) {
        let lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride
        let last = w - 1 - shift  // ox * stride <= last
        let hi = last < 0 ? 0 : last / stride + 1
        return (min(lo, wo), max(min(lo, wo), min(hi, wo)))
    }
}
