/// Intensity levels and their file names, computed the way the reference's `predict.py` does so that a
/// trajectory's files carry the same names as theirs.
public enum Levels {
    /// `torch.linspace(lower, higher, count)` in float32: PyTorch fills the first half forwards from `lower`
    /// and the second half backwards from `higher`, so the end points are exact; its vectorised kernel uses fused
    /// multiply-adds, and so do we, so that every value (and the file name derived from it) is the same.
    public static func linspace(_ lower: Float, _ higher: Float, count: Int) -> [Float] {
        guard count > 1 else { return count == 1 ? [lower] : [] }
        let step = (higher - lower) / Float(count - 1)
        let half = count / 2
        return (0..<count).map { i in
            i < half ? lower.addingProduct(step, Float(i)) : higher.addingProduct(-step, Float(count - i - 1))
        }
    }

    /// `'{:02d}'.format(int(10 * level))` with the product in float32, truncated towards zero as Python's `int` does.
    /// With `decimals` above 1 (a trajectory finer than tenths), `int(10^decimals * level)` in `decimals + 1` digits.
    public static func fileTag(_ level: Float, decimals: Int = 1) -> String {
        var scale: Float = 1
        for _ in 0..<max(1, decimals) { scale *= 10 }
        let units = Int((scale * level).rounded(.towardZero))
        let digits = String(abs(units))
        let padded = String(repeating: "0", count: max(0, max(1, decimals) + 1 - digits.count)) + digits
        return units < 0 ? "-" + (decimals <= 1 ? digits : padded) : padded
    }

    /// The fewest decimals (1 as the reference, up to 4) whose tags tell every level of a trajectory apart. The
    /// reference names files by tenths alone, so `--N_search 20` there writes 0.50 and 0.55 to the same file; here a
    /// finer trajectory gets finer names (000 … 100) instead of losing half its images.
    public static func tagDecimals(for levels: [Float]) -> Int {
        for d in 1...4 where Set(levels.map { fileTag($0, decimals: d) }).count == Set(levels).count { return d }
        return 4
    }
}
