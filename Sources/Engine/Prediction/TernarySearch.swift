import Foundation
import Evaluation
import ImageIO

/// The reference's selective inference (predict.py, `ternary_search`): with a reference image, find the level whose
/// output scores best in logarithmically many generator runs. Each round scores m1 = lo + (hi - lo) / 3 and
/// m2 = hi - (hi - lo) / 3 and keeps the better two thirds; the answer is (m1 + m2) / 2 of the last round.
public struct TernarySearch: Sendable {
    public enum Critic: Sendable {
        /// Higher is better.
        case psnr, ssim
        /// Lower is better (LPIPS-AlexNet from the user's weights).
        case lpips(LPIPS)

        public var name: String {
            switch self {
            case .psnr: return "psnr"
            case .ssim: return "ssim"
            case .lpips: return "lpips"
            }
        }
    }

    public struct Probe: Codable, Equatable, Sendable {
        public var level: Float
        public var score: Double
    }

    public struct Result: Sendable {
        public var level: Float
        public var image: RGBImage
        public var probes: [Probe]
    }

    public var lower: Float
    public var higher: Float
    public var rounds: Int
    public var critic: Critic

    public init(lower: Float, higher: Float, rounds: Int, critic: Critic) {
        self.lower = lower; self.higher = higher; self.rounds = rounds; self.critic = critic
    }

    public func score(_ a: RGBImage, against reference: RGBImage) throws -> Double {
        switch critic {
        case .psnr: return ImageMetrics.psnr(reference, a)
        case .ssim: return ImageMetrics.ssim(reference, a)
        case .lpips(let net): return try net.distance(reference, a)
        }
    }

    var higherIsBetter: Bool {
        if case .lpips = critic { return false }
        return true
    }

    /// Runs the search with `render(level)` producing the 8-bit output at a level.
    public func run(reference: RGBImage, render: (Float) throws -> RGBImage) throws -> Result {
        var lo = lower, hi = higher
        var m1 = lo, m2 = hi
        var probes: [Probe] = []
        for _ in 0..<max(1, rounds) {
            m1 = lo + (hi - lo) / 3
            m2 = hi - (hi - lo) / 3
            let s1 = try score(render(m1), against: reference), s2 = try score(render(m2), against: reference)
            probes += [Probe(level: m1, score: s1), Probe(level: m2, score: s2)]
            // As the reference: for PSNR/SSIM a tie keeps the upper two thirds, for LPIPS the lower.
            if higherIsBetter ? s1 <= s2 : s1 > s2 { lo = m1 } else { hi = m2 }
        }
        let level = (m1 + m2) / 2
        return Result(level: level, image: try render(level), probes: probes)
    }
}
