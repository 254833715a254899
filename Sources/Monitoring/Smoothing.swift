#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments, so the first
/// points are not dragged towards zero.
///
///     last = last·w + (1 − w)·y;  n += 1;  smoothed = last / (1 − wⁿ)   (divided by 1 when w = 1)
///
/// Non-finite values pass through unchanged and do not advance n; a constant series is returned unchanged
/// (so that rounding never makes a flat line wobble). Matches `resampleScalars`/`smooth` in TensorBoard's
/// `tf_line_chart_data_loader` and vz_line_chart.
public func debiasedEMA(_ values: [Double], weight: Double = 0.6) -> [Double] {
    guard let first = values.first else { return [] }
    if values.allSatisfy({ $0 == first }) { return values }
    var last = 0.0
    var n = 0.0
    return values.map { y in
        guard y.isFinite else { return y }
        last = last * weight + (1 - weight) * y
        n += 1
        let debias = weight == 1 ? 1 : 1 - pow(weight, n)
        return last / debias
    }
}

/// Linear-interpolated percentile of already sorted values (NumPy's default method); `p` in [0, 1].
public func percentile(sorted: [Double], _ p: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let position = p * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let t = position - Double(lower)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * t
}
