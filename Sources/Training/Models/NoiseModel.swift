import Kernels
import Model

/// The noise-generation model (`model: cycleCtrl_noise`): one generator G_A (clean A → noisy B) with a standard-normal
/// noise channel, a discriminator D_A fed through an image pool, optionally a patch discriminator D_PA, the colour
/// loss (`lambda_res`, `which_res_loss`), and the VGG16 perceptual term when weights are given.
///
/// Reference: lukun199/MonoPix `models/noise_model.py`. The reference reads SIDD crops from an .h5 file; here the
/// clean and noisy images come from the two training folders like every other model.
final class NoiseModel: TrainingModel {
    let settings: TrainingSettings
    let generatorA: TrainableGenerator
    let discriminatorA: Discriminator
    let patchDiscriminator: Discriminator?
    let optimizerG: Adam, optimizerDA: Adam
    let optimizerDP: Adam?
    let vgg: VGG16?
    let residualLoss: String
    var poolB: ImagePool
    private(set) var notices: [String] = []

    let lossNames = ["D_A", "G_A", "vgg", "MONO_A2B", "monoidtA", "Res_A2B"]

    init(_ settings: TrainingSettings, seed: UInt64) throws {
        self.settings = settings
        let nets = UniDirectionalNetworks(settings, seed: seed, patchName: "D_PA")
        generatorA = nets.generator
        discriminatorA = nets.discriminator
        patchDiscriminator = nets.patchDiscriminator
        optimizerG = nets.optimizerG
        optimizerDA = nets.optimizerD
        optimizerDP = nets.optimizerPatch
        residualLoss = settings.residualLoss
        guard ["C2N", "l1", "pixel_lvl_mean"].contains(residualLoss) || settings.lambdaRes == 0 else {
            throw TrainingError.unsupportedOption(file: "<config>", key: "which_res_loss", value: residualLoss,
                                                  expected: "C2N, pixel_lvl_mean or l1 (the gaussian variant is not supported)")
        }
        poolB = ImagePool(capacity: settings.poolSize, pairs: settings.pairPool)
        vgg = try LowLightModel.perceptualNetwork(settings, notices: &notices)
    }

    var networks: [(name: String, network: TrainableNetwork)] {
        [("G_A", generatorA), ("D_A", discriminatorA)] + (patchDiscriminator.map { [("D_PA", $0 as TrainableNetwork)] } ?? [])
    }
    var optimizers: [(name: String, optimizer: Adam)] {
        [("G", optimizerG), ("D_A", optimizerDA)] + (optimizerDP.map { [("D_PA", $0)] } ?? [])
    }
    var generator: TrainableGenerator { generatorA }
    /// The reference's `save` writes D_A (and D_PA) whatever `saveD` says.
    var savedNetworks: [String] { networks.map(\.name) }
    var poolState: [String: Tensor] { poolB.stacked.map { ["pool.fake_B": $0] } ?? [:] }
    func restorePools(_ state: [String: Tensor]) { if let b = state["pool.fake_B"] { poolB.restore(b) } }

    /// Standard-normal noise maps at the padded size (`torch.randn_like(enhance_level)` inside the generator).
    func noise(for images: Tensor, seed: UInt64) -> Tensor {
        let p = Insets.toMultiple(of: 16, height: images.shape.h, width: images.shape.w)
        let shape = Shape(n: images.shape.n, c: 1, h: images.shape.h + p.top + p.bottom, w: images.shape.w + p.left + p.right)
        var initializer = ParameterInitializer(seed: seed)
        return Tensor(shape: shape, scalars: initializer.normal(count: shape.count, mean: 0, std: 1))
    }

    func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float] {
        let s = settings
        let realA = repeatedPairs(batch.a), realB = repeatedPairs(batch.b)
        var losses = [String: Float](uniqueKeysWithValues: lossNames.map { ($0, 0) })
        let k = Float(s.patchCount + 1)
        let patches = s.patchD ? draws.patchOffsets.map { o in
            Insets(top: o.y, bottom: realA.shape.h - o.y - s.patchSize, left: o.x, right: realA.shape.w - o.x - s.patchSize)
        } : []

        optimizerG.zeroGradients()
        discriminatorA.setFrozen(true); patchDiscriminator?.setFrozen(true)
        let tape = Tape()
        let a = tape.constant(realA)
        let fakeB = generatorA.forward(tape, image: a, intensity: .levels(draws.levelsAToB),
                                       noise: draws.noise ?? noise(for: realA, seed: draws.poolSeed &+ 1)).output
        if s.monoIdentity {
            let half = everyOtherRow(realA)
            let out = generatorA.forward(tape, image: tape.constant(half), intensity: .levels(.init(repeating: 0, count: half.shape.n)),
                                         noise: noise(for: half, seed: draws.poolSeed &+ 2)).output
            let l = Losses.l1(tape.value(out), target: half)
            tape.accumulate(out, l.scaled(s.lambdaA * 0.2).gradient)
            losses["monoidtA"] = l.value
        }
        let pred = discriminatorA.forward(tape, fakeB)
        let gan = Losses.leastSquares(tape.value(pred), target: 1)
        let mono = s.lambdaMono > 0 ? Losses.monotonicity(tape.value(pred), margin: s.margin) : nil
        Self.seed(tape, pred, [gan] + (mono.map { [$0.scaled(s.lambdaMono)] } ?? []))
        losses["G_A"] = gan.value
        losses["MONO_A2B"] = mono?.value ?? 0
        if let dp = patchDiscriminator {
            let w: Float = (s.patchDTimes2 ? 2 : 1) / k
            for predPatch in dp.forward(tape, each: patches.map { tape.crop(fakeB, $0) }) {
                let g = Losses.leastSquares(tape.value(predPatch), target: 1)
                let m = Losses.monotonicity(tape.value(predPatch), margin: s.margin)
                Self.seed(tape, predPatch, [g.scaled(w), m.scaled(w * s.lambdaMono)])
            }
        }
        if s.lambdaRes > 0 {
            let fake = tape.value(fakeB)
            let l: LossValue
            switch residualLoss {
            case "l1": l = Losses.l1(fake, target: realA)
            case "pixel_lvl_mean": l = Losses.colour(real: realA, fake: fake, overChannels: true)
            default: l = Losses.colour(real: realA, fake: fake)
            }
            tape.accumulate(fakeB, l.scaled(s.lambdaRes).gradient)
            losses["Res_A2B"] = l.value
        }
        if let vgg {
            var v = vgg.loss(tape, image: fakeB, target: realA, weight: s.vggWeight) * s.vggWeight
            if s.patchVGG && s.patchD {
                let w: Float = s.patchCount > 0 ? 1 / k : 1
                for p in patches {
                    v += w * s.vggWeight * vgg.loss(tape, image: tape.crop(fakeB, p), target: Kernels.crop(realA, p), weight: s.vggWeight * w)
                }
            }
            losses["vgg"] = v
        }
        let fakeBValue = tape.value(fakeB)
        tape.backward()
        discriminatorA.setFrozen(false); patchDiscriminator?.setFrozen(false)
        if s.gradClip > 0 { optimizerG.clipGradients(s.gradClip) }
        optimizerG.update()

        var rng = SplitMix64(seed: draws.poolSeed)
        let pooled = poolB.query(fakeBValue, rng: &rng)
        losses["D_A"] = discriminatorStep(discriminatorA, optimizerDA, pairs: [(realB, pooled)], mean: 1, times2: false)
        if let dp = patchDiscriminator, let opt = optimizerDP {
            _ = discriminatorStep(dp, opt, pairs: patches.map { (Kernels.crop(realB, $0), Kernels.crop(fakeBValue, $0)) },
                                  mean: s.patchCount > 0 ? k : 1, times2: s.patchDTimes2)
        }
        return losses
    }

    /// `backward_D_basic` summed over pairs, averaged by `mean`, doubled with D_P_times2, then one (clipped) Adam step.
    private func discriminatorStep(_ d: Discriminator, _ optimizer: Adam, pairs: [(Tensor, Tensor)], mean: Float, times2: Bool) -> Float {
        let s = settings
        optimizer.zeroGradients()
        let tape = Tape()
        var total: Float = 0
        let w = (times2 ? 2 : 1) / mean
        let predictions = d.forward(tape, each: pairs.map { tape.constant($0.0) } + pairs.map { tape.constant($0.1) })
        for (predReal, predFake) in zip(predictions[..<pairs.count], predictions[pairs.count...]) {
            let lr = Losses.leastSquares(tape.value(predReal), target: 1).scaled(0.5 * w)
            let lf = Losses.leastSquares(tape.value(predFake), target: 0).scaled(0.5 * w)
            var terms = [lf]
            if s.lambdaMono > 0 { terms.append(Losses.monotonicity(tape.value(predFake), margin: s.margin).scaled(s.lambdaMono * w)) }
            tape.accumulate(predReal, lr.gradient)
            Self.seed(tape, predFake, terms)
            total += lr.value + lf.value
        }
        tape.backward()
        if s.gradClip > 0 { optimizer.clipGradients(s.gradClip) }
        optimizer.update()
        return total
    }
}
