extension Convolution {
    /// The convolution as six nested loops: slow, obviously right, and what the tests compare the GEMM path to.
    public func reference(_ x: Tensor, epilogue: Epilogue = .none) -> Tensor {
        let (ho, wo) = outputSize(height: x.shape.h, width: x.shape.w)
        var out = Tensor(shape: Shape(n: x.shape.n, c: outChannels, h: ho, w: wo))
        for n in 0..<x.shape.n {
            for co in 0..<outChannels {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var acc: Double = 0
                        for ci in 0..<inChannels {
                            for ky in 0..<kernelHeight {
                                for kx in 0..<kernelWidth {
                                    let iy = oy * stride - paddingHeight + ky, ix = ox * stride - paddingWidth + kx
                                    guard iy >= 0, iy < x.shape.h, ix >= 0, ix < x.shape.w else { continue }
                                    let wv = weight[((co * inChannels + ci) * kernelHeight + ky) * kernelWidth + kx]
                                    acc += Double(wv) * Double(x[n, ci, iy, ix])
                                }
                            }
                        }
                        var v = Float(acc) + bias[co]
                        if let s = epilogue.leakySlope { v = v > 0 ? v : v * s }
                        v = v * (epilogue.scale?[co] ?? 1) + (epilogue.shift?[co] ?? 0)
                        out[n, co, oy, ox] = v
                    }
                }
            }
        }
        return out
    }
}
