import Foundation
import Evaluation
import ImageIO

/// The reference's selective inference (predict.py, `ternary_search`): with a reference image, find the level whose
/// output scores best in logarithmically many generator runs. Each round scores m1 = lo + (hi - lo) / 3 and
/// m2 = hi - (hi - lo) / 3 and keeps the better two thirds; the answer is (m1 + m2) / 2 of the last round.
public struct TernarySearch: Sendable {
    public enum Critic: String, Sendable, CaseIterable {
        /// Higher is better.
        case psnr, ssim
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

    public func score(_ a: RGBImage, against reference: RGBImage) -> Double {
        switch critic {
        case .psnr: return ImageMetrics.psnr(reference, a)
        case .ssim: return ImageMetrics.ssim(reference, a)
        }
    }

    /// Runs the search with `render(level)` producing the 8-bit output at a level.
    public func run(reference: RGBImage, render: (Float) -> RGBImage) -> Result {
        var lo = lower, hi = higher
        var m1 = lo, m2 = hi
        var probes: [Probe] = []
        for _ in 0..<max(1, rounds) {
            m1 = lo + (hi - lo) / 3
            m2 = hi - (hi - lo) / 3
            let s1 = score(render(m1), against: reference), s2 = score(render(m2), against: reference)
            probes += [Probe(level: m1, score: s1), Probe(level: m2, score: s2)]
            // The reference keeps the upper two thirds on a tie.
            if s1 <= s2 { lo = m1 } else { hi = m2 }
        }
        let level = (m1 + m2) / 2
        return Result(level: level, image: render(level), probes: probes)
    }
}
