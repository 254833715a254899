import Kernels

/// A scalar loss and its gradient with respect to the tensor it was computed from.
struct LossValue {
    var value: Float
    var gradient: Tensor

    /// The same term weighted by `factor` (value and gradient).
    func scaled(_ factor: Float) -> LossValue {
        var g = gradient
        if factor != 1 { g.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= factor } } }
        return LossValue(value: value * factor, gradient: g)
    }
}

/// The training losses of the reference, each with its gradient (the mean reductions PyTorch uses).
/// Sums run in Double; values are reported as Float like PyTorch's float32 `.item()`.
enum Losses {
    /// LSGAN (`GANLoss(use_lsgan=True)`): `mean((x - target)²)`, target 1 for real and 0 for fake.
    /// d/dx = 2 (x - target) / count.
    static func leastSquares(_ x: Tensor, target: Float) -> LossValue {
        let count = Float(x.shape.count)
        var sum = 0.0
        var g = x
        g.scalars.withUnsafeMutableBufferPointer { b in
            for i in b.indices { let d = b[i] - target; sum += Double(d * d); b[i] = 2 * d / count }
        }
        return LossValue(value: Float(sum / Double(count)), gradient: g)
    }

    /// `L1Loss`: `mean(|x - target|)`. d/dx = sign(x - target) / count (0 where equal, as PyTorch).
    static func l1(_ x: Tensor, target: Tensor) -> LossValue {
        precondition(x.shape == target.shape, "l1: \(x.shape) vs \(target.shape)")
        let count = Float(x.shape.count)
        var sum = 0.0
        var g = x
        g.scalars.withUnsafeMutableBufferPointer { b in
            target.scalars.withUnsafeBufferPointer { t in
                for i in b.indices {
                    let d = b[i] - t[i]
                    sum += Double(abs(d))
                    b[i] = d > 0 ? 1 / count : (d < 0 ? -1 / count : 0)
                }
            }
        }
        return LossValue(value: Float(sum / Double(count)), gradient: g)
    }

    /// Ours (`paired_l1`): L1 between each row of `x` and its input blended with the photo it was made from by the
    /// row's level, input + c (photo − input), within [-1, 1]. Level 0 asks for the input, 1 for the photo, the levels
    /// between for a brightness that rises along the slider as evenly as the blend does, and levels past 1 (`c1_max`)
    /// for a photo brighter than the original, so that a search over levels can correct the model's exposure.
    static func pairedBlend(_ x: Tensor, input: Tensor, photo: Tensor, levels: [Float]) -> LossValue {
        precondition(x.shape == input.shape && x.shape == photo.shape && levels.count == x.shape.n,
                     "pairedBlend: \(x.shape), \(input.shape), \(photo.shape), \(levels.count) levels")
        let row = x.shape.count / x.shape.n
        var goal = input
        goal.scalars.withUnsafeMutableBufferPointer { g in
            photo.scalars.withUnsafeBufferPointer { t in
                for n in 0..<levels.count {
                    let c = levels[n]
                    for i in (n * row)..<((n + 1) * row) { g[i] = min(1, max(-1, g[i] + c * (t[i] - g[i]))) }
                }
            }
        }
        return l1(x, target: goal)
    }

    /// Ours (`content_l1`, a content term that needs no VGG16 weights): the L1 distance between the output and the
    /// input after each is standardised per image (minus its mean, over its standard deviation, all channels
    /// together) and averaged over `pool` x `pool` blocks. Brightening by any gain and offset costs nothing, a changed
    /// structure or a colour cast does; the blocks leave the dark input's sensor noise free to go. Images in [-1, 1].
    /// With u = block means of x, z = (u − μ) / σ, t = the target's z, s = sign(z − t), per image of M blocks:
    /// dL/du = (s − mean(s) − z · mean(s z)) / (σ · count), spread evenly over each block's pixels (layer norm's rule).
    static func standardizedContent(_ x: Tensor, target: Tensor, pool: Int) -> LossValue {
        precondition(x.shape == target.shape, "standardizedContent: \(x.shape) vs \(target.shape)")
        let sh = x.shape
        let bh = max(1, sh.h / pool), bw = max(1, sh.w / pool)
        let ph = sh.h / bh, pw = sh.w / bw
        let perImage = sh.c * bh * bw
        func standardizedBlocks(_ t: Tensor, _ n: Int) -> (z: [Double], sigma: Double) {
            var u = [Double](repeating: 0, count: perImage)
            for c in 0..<sh.c { for y in 0..<(bh * ph) { for xx in 0..<(bw * pw) {
                u[(c * bh + y / ph) * bw + xx / pw] += Double(t[n, c, y, xx]) / Double(ph * pw)
            } } }
            let mean = u.reduce(0, +) / Double(perImage)
            let sigma = (u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perImage) + 1e-4).squareRoot()
            return (u.map { ($0 - mean) / sigma }, sigma)
        }
        let count = Double(sh.n * perImage)
        var sum = 0.0
        var g = Tensor(shape: sh)
        for n in 0..<sh.n {
            let (z, sigma) = standardizedBlocks(x, n)
            let t = standardizedBlocks(target, n).z
            var signs = [Double](repeating: 0, count: perImage)
            for i in 0..<perImage {
                let d = z[i] - t[i]
                sum += abs(d)
                signs[i] = d > 0 ? 1 : (d < 0 ? -1 : 0)
            }
            let meanS = signs.reduce(0, +) / Double(perImage)
            let meanSZ = zip(signs, z).reduce(0) { $0 + $1.0 * $1.1 } / Double(perImage)
            for c in 0..<sh.c { for y in 0..<(bh * ph) { for xx in 0..<(bw * pw) {
                let k = (c * bh + y / ph) * bw + xx / pw
                let du = (signs[k] - meanS - z[k] * meanSZ) / (sigma * count)
                g[n, c, y, xx] = Float(du / Double(ph * pw))
            } } }
        }
        return LossValue(value: Float(sum / count), gradient: g)
    }

    /// `mean((a - b)²)` with the gradient for `a` (that for b is its negative).
    static func meanSquaredError(_ a: Tensor, _ b: Tensor) -> LossValue {
        precondition(a.shape == b.shape, "meanSquaredError: \(a.shape) vs \(b.shape)")
        let count = Float(a.shape.count)
        var sum = 0.0
        var g = a
        g.scalars.withUnsafeMutableBufferPointer { p in
            b.scalars.withUnsafeBufferPointer { q in
                for i in p.indices { let d = p[i] - q[i]; sum += Double(d * d); p[i] = 2 * d / count }
            }
        }
        return LossValue(value: Float(sum / Double(count)), gradient: g)
    }

    /// The monotonicity loss on scores of a batch laid out as contrastive pairs (rows 2i, 2i+1 hold intensities
    /// c1, c2 with c2 closer to the target): `mean(clamp(margin - (s[1::2] - s[::2]), 0, 100)²)`.
    /// With `domainFidelity` the roles swap: `mean(clamp(margin - (s[::2] - s[1::2]), 0, 100)²)`.
    /// d/ds follows clamp's PyTorch backward (gradient passes where 0 <= d <= 100).
    static func monotonicity(_ s: Tensor, margin: Float, domainFidelity: Bool = false) -> LossValue {
        precondition(s.shape.n % 2 == 0, "monotonicity: the batch \(s.shape) is not made of pairs")
        let row = s.shape.c * s.shape.plane
        let pairs = s.shape.n / 2
        let count = Float(pairs * row)
        var g = Tensor(shape: s.shape)
        var sum = 0.0
        s.scalars.withUnsafeBufferPointer { v in
            g.scalars.withUnsafeMutableBufferPointer { d in
                for p in 0..<pairs {
                    let even = v.baseAddress! + 2 * p * row, odd = even + row
                    let dEven = d.baseAddress! + 2 * p * row, dOdd = dEven + row
                    for i in 0..<row {
                        // hi should exceed lo by the margin.
                        let (hi, lo) = domainFidelity ? (even[i], odd[i]) : (odd[i], even[i])
                        let diff = margin - (hi - lo)
                        let clamped = min(max(diff, 0), 100)
                        sum += Double(clamped * clamped)
                        let gd = (diff >= 0 && diff <= 100) ? 2 * clamped / count : 0
                        if domainFidelity { dEven[i] = -gd; dOdd[i] = gd } else { dOdd[i] = -gd; dEven[i] = gd }
                    }
                }
            }
        }
        return LossValue(value: Float(sum / Double(count)), gradient: g)
    }

    /// The noise model's colour loss: `L1(mean(real - fake), 0)` over per-image, per-channel spatial means
    /// (`which_res_loss: C2N`), or with `overChannels` over per-pixel channel means (`pixel_lvl_mean`).
    /// Gradient with respect to `fake`.
    static func colour(real: Tensor, fake: Tensor, overChannels: Bool = false) -> LossValue {
        precondition(real.shape == fake.shape, "colour: \(real.shape) vs \(fake.shape)")
        let s = fake.shape
        // Each group is averaged, then |mean| is averaged over the groups.
        let groups: [[Int]]
        if overChannels {
            groups = (0..<(s.n * s.plane)).map { g in
                let n = g / s.plane, i = g % s.plane
                return (0..<s.c).map { (n * s.c + $0) * s.plane + i }
            }
        } else {
            groups = (0..<(s.n * s.c)).map { plane in Array((plane * s.plane)..<((plane + 1) * s.plane)) }
        }
        var g = Tensor(shape: s)
        var sum = 0.0
        let count = Float(groups.count)
        for members in groups {
            var m = 0.0
            for i in members { m += Double(real.scalars[i] - fake.scalars[i]) }
            let mean = Float(m / Double(members.count))
            sum += Double(abs(mean))
            // d loss / d mean = sign(mean) / groups; d mean / d fake = -1 / members.
            let sign: Float = mean > 0 ? 1 : (mean < 0 ? -1 : 0)
            let v = -sign / count / Float(members.count)
            for i in members { g.scalars[i] = v }
        }
        return LossValue(value: Float(sum / Double(count)), gradient: g)
    }
}
