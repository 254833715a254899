import Foundation
import Kernels
import Model

/// One batch of unpaired training images, each [N, 3, H, W] in [-1, 1], before the contrastive doubling.
public struct TrainingBatch: Sendable {
    /// Source-domain images (`real_A`; for the low-light model, the dark photos as loaded).
    public var a: Tensor
    /// Target-domain images (`real_B`).
    public var b: Tensor
    /// The low-light model's generator input (`input_img`: `a`, possibly darkened by the `vary` augmentation);
    /// nil means `a`.
    public var input: Tensor?
    /// With `paired_target` (ours): the photo each `a` image was darkened from, cropped and flipped alike.
    public var target: Tensor?

    public init(a: Tensor, b: Tensor, input: Tensor? = nil, target: Tensor? = nil) {
        self.a = a; self.b = b; self.input = input; self.target = target
    }

    public var count: Int { a.shape.n }
}

/// The random choices of one training step that the reference makes in `set_input` and `forward`, drawn up front so
/// a step is a function of its inputs: the contrastive intensity pairs, the low-light patch offsets, and the seed
/// of the image pools' coin flips.
public struct StepDraws: Sendable {
    /// 2N intensities for A→B laid out as pairs: rows (2i, 2i+1) hold (c1, c2) for image i.
    public var levelsAToB: [Float]
    /// 2N intensities for B→A, drawn independently (or `-levelsAToB` with `use_samelvl`).
    public var levelsBToA: [Float]
    /// (top, left) of each low-light patch: 1 + patchD_3 of them, one location for the whole batch each.
    public var patchOffsets: [(y: Int, x: Int)]
    /// Seeds the image pools' draws (and the noise model's noise maps when `noise` is nil).
    public var poolSeed: UInt64
    /// The noise model's standard-normal noise maps [2N, 1, H', W'] at the padded size, for its main generator pass;
    /// nil draws them from `poolSeed`.
    public var noise: Tensor?

    public init(levelsAToB: [Float], levelsBToA: [Float], patchOffsets: [(y: Int, x: Int)] = [], poolSeed: UInt64 = 0,
                noise: Tensor? = nil) {
        self.levelsAToB = levelsAToB; self.levelsBToA = levelsBToA
        self.patchOffsets = patchOffsets; self.poolSeed = poolSeed; self.noise = noise
    }

    /// The reference's second intensity of a pair: `c2 = c1 + |c1 - p| * u * (c1 > p ? -1 : 1)` for u ~ U(0, 1), so
    /// c2 lies between c1 and the pseudo-best level p.
    public static func contrastive(_ c1: Float, u: Float, target p: Float) -> Float {
        c1 + abs(c1 - p) * u * (c1 > p ? -1 : 1)
    }

    /// Draws the pairs for `count` images (c1 ~ U(0, 1) per image, or u^c1_power with our `c1_power`, then c2) and the patch offsets for images of
    /// `height` x `width`: each offset uniform in [0, max(0, size - patch - 1)] like `random.randint`.
    static func sample(count: Int, settings: TrainingSettings, height: Int, width: Int, rng: inout SplitMix64) -> StepDraws {
        func pairs() -> [Float] {
            let c1 = (0..<count).map { _ in
                settings.c1Max * (settings.c1Power == 1 ? rng.unit() : Float(pow(Double(rng.unit()), Double(settings.c1Power))))
            }
            return c1.flatMap { [$0, contrastive($0, u: rng.unit(), target: settings.pseudoBestLevel)] }
        }
        let a2b = pairs()
        let b2a = settings.sameLevel ? a2b.map { -$0 } : pairs()
        var offsets: [(y: Int, x: Int)] = []
        if settings.patchD {
            for _ in 0..<(1 + max(0, settings.patchCount)) {
                let x = Int(rng.next() % UInt64(max(0, width - settings.patchSize - 1) + 1))
                let y = Int(rng.next() % UInt64(max(0, height - settings.patchSize - 1) + 1))
                offsets.append((y, x))
            }
        }
        return StepDraws(levelsAToB: a2b, levelsBToA: b2a, patchOffsets: offsets, poolSeed: rng.next())
    }
}

/// Each image twice, adjacent (`util.smaple_n_times(2, x)`): [N, C, H, W] → [2N, C, H, W].
func repeatedPairs(_ x: Tensor) -> Tensor {
    let s = x.shape
    let one = s.c * s.plane
    var out = [Float]()
    out.reserveCapacity(2 * s.count)
    for n in 0..<s.n {
        let row = x.scalars[(n * one)..<((n + 1) * one)]
        out += row; out += row
    }
    return Tensor(shape: Shape(n: 2 * s.n, c: s.c, h: s.h, w: s.w), scalars: out)
}

/// Rows `start, start + 2, …` of a batch (`x[::2]`).
func everyOtherRow(_ x: Tensor, from start: Int = 0) -> Tensor {
    let s = x.shape
    let one = s.c * s.plane
    var out = [Float]()
    for n in stride(from: start, to: s.n, by: 2) { out += x.scalars[(n * one)..<((n + 1) * one)] }
    return Tensor(shape: Shape(n: (s.n - start + 1) / 2, c: s.c, h: s.h, w: s.w), scalars: out)
}

