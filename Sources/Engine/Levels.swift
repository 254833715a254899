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
    public static func fileTag(_ level: Float) -> String {
        let tenths = Int((10 * level).rounded(.towardZero))
        return tenths < 0 ? "-" + String(-tenths) : (tenths < 10 ? "0\(tenths)" : String(tenths))
    }
}
