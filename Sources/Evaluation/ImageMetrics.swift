import Foundation
import ImageIO

/// Full-reference image metrics as scikit-image defines them for 8-bit RGB images (data range 255), the
/// critics of the reference's ternary search.
public enum ImageMetrics {
    /// `skimage.metrics.peak_signal_noise_ratio(a, b)`: `10 log10(255² / MSE)` over every sample, in double.
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "psnr: sizes differ")
        var sum = 0.0
        for i in a.pixels.indices { let d = Double(a.pixels[i]) - Double(b.pixels[i]); sum += d * d }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// `skimage.metrics.structural_similarity(a, b, channel_axis=2)` with its defaults: a 7x7 uniform window,
    /// K1 0.01, K2 0.03, sample covariance, data range 255, the mean over the interior (3 pixels cropped from each
    /// border) averaged over the three channels.
    public static func ssim(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "ssim: sizes differ")
        let w = a.width, h = a.height
        guard w >= 7, h >= 7 else { return a == b ? 1 : 0 }
        var total = 0.0
        for c in 0..<3 {
            let x = (0..<(w * h)).map { Double(a.pixels[3 * $0 + c]) }
            let y = (0..<(w * h)).map { Double(b.pixels[3 * $0 + c]) }
            total += channelSSIM(x, y, width: w, height: h)
        }
        return total / 3
    }

    static func channelSSIM(_ x: [Double], _ y: [Double], width w: Int, height h: Int) -> Double {
        let r = 3, n = 49.0
        let covNorm = n / (n - 1)
        let c1: Double = (0.01 * 255) * (0.01 * 255), c2: Double = (0.03 * 255) * (0.03 * 255)
        // Window means of x, y, x², y², xy at interior pixels only: the border would be cropped anyway.
        func boxMeans(_ v: [Double]) -> [Double] {
            var rows = [Double](repeating: 0, count: w * h)
            for yy in 0..<h { for xx in r..<(w - r) {
                var s = 0.0
                for k in -r...r { s += v[yy * w + xx + k] }
                rows[yy * w + xx] = s
            } }
            var out = [Double](repeating: 0, count: w * h)
            for yy in r..<(h - r) { for xx in r..<(w - r) {
                var s = 0.0
                for k in -r...r { s += rows[(yy + k) * w + xx] }
                out[yy * w + xx] = s / n
            } }
            return out
        }
        let ux = boxMeans(x), uy = boxMeans(y)
        let uxx = boxMeans(x.map { $0 * $0 }), uyy = boxMeans(y.map { $0 * $0 })
        let uxy = boxMeans(zip(x, y).map { $0 * $1 })
        var sum = 0.0
        for yy in r..<(h - r) { for xx in r..<(w - r) {
            let i = yy * w + xx
            let vx = covNorm * (uxx[i] - ux[i] * ux[i]), vy = covNorm * (uyy[i] - uy[i] * uy[i])
            let vxy = covNorm * (uxy[i] - ux[i] * uy[i])
            sum += ((2 * ux[i] * uy[i] + c1) * (2 * vxy + c2)) / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2))
        } }
        return sum / Double((w - 2 * r) * (h - 2 * r))
    }
}
