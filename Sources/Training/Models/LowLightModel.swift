import Kernels
import Model

/// The low-light model (`model: cycleCtrl_lowlight`, EnlightenGAN plus monotonicity): one generator with gray
/// attention, a global discriminator D_A (`n_layers_D`) and, with `patchD`, a patch discriminator D_P
/// (`n_layers_patchD`) over 1 + `patchD_3` crops of `patchSize`, each at one location for the whole batch so that
/// contrastive pairs stay aligned. No image pool. The VGG16 perceptual term (between the output and the input) needs
/// weights (`vgg_path`); without them it is off, with a notice.
///
/// Reference: lukun199/MonoPix `models/lowlight_model.py` (`forward`, `backward_G`, `backward_D_A`, `backward_D_P`,
/// `optimize_parameters`); `data/lowlight_dataset.py` for the input (`input_img`, possibly darkened by `vary`).
final class LowLightModel: TrainingModel {
    let settings: TrainingSettings
    let generatorA: TrainableGenerator
    let discriminatorA: Discriminator
    let patchDiscriminator: Discriminator?
    let optimizerG: Adam, optimizerDA: Adam
    let optimizerDP: Adam?
    let vgg: VGG16?
    private(set) var notices: [String] = []

    /// The reference's terms, plus `monoidtA` when our level-0 anchor is on.
    let lossNames: [String]

    init(_ settings: TrainingSettings, seed: UInt64) throws {
        self.settings = settings
        lossNames = ["D_A", "G_A", "vgg", "D_P", "mono_G", "monoDA", "monoDP"] + (settings.monoIdentity ? ["monoidtA"] : [])
            + (settings.contentWeight > 0 ? ["content"] : []) + (settings.pairedWeight > 0 ? ["paired"] : [])
        let nets = UniDirectionalNetworks(settings, seed: seed, patchName: "D_P")
        generatorA = nets.generator
        discriminatorA = nets.discriminator
        patchDiscriminator = nets.patchDiscriminator
        optimizerG = nets.optimizerG
        optimizerDA = nets.optimizerD
        optimizerDP = nets.optimizerPatch
        vgg = try Self.perceptualNetwork(settings, notices: &notices)
    }

    /// The VGG16 of the perceptual term when `vgg` > 0 and weights are given; nil (with a notice) otherwise.
    static func perceptualNetwork(_ s: TrainingSettings, notices: inout [String]) throws -> VGG16? {
        guard s.vggWeight > 0 else { return nil }
        guard !s.vggPath.isEmpty else {
            notices.append("vgg is \(s.vggWeight) but vgg_path is empty: the VGG16 perceptual loss is off "
                           + "(give VGG16 weights as a PyTorch file, e.g. --set vgg_path=/path/to/vgg16.weight)")
            return nil
        }
        return try VGG16(path: s.vggPath, choose: s.vggChoose, maxPoolBetween4And5: s.vggMaxPooling,
                         subtractMean: s.vggMean, instanceNormalize: s.vggInstanceNorm)
    }

    var networks: [(name: String, network: TrainableNetwork)] {
        [("G_A", generatorA), ("D_A", discriminatorA)] + (patchDiscriminator.map { [("D_P", $0 as TrainableNetwork)] } ?? [])
    }
    var optimizers: [(name: String, optimizer: Adam)] {
        [("G", optimizerG), ("D_A", optimizerDA)] + (optimizerDP.map { [("D_P", $0)] } ?? [])
    }
    var savedNetworks: [String] { networks.map(\.name).filter { $0.hasPrefix("G") || settings.saveD } }
    var generator: TrainableGenerator { generatorA }
    var poolState: [String: Tensor] { [:] }
    func restorePools(_ state: [String: Tensor]) {}

    /// The crop insets of a patch at (top, left) in images of `shape`.
    func insets(_ offset: (y: Int, x: Int), _ shape: Shape) -> Insets {
        let p = settings.patchSize
        return Insets(top: offset.y, bottom: shape.h - offset.y - p, left: offset.x, right: shape.w - offset.x - p)
    }

    func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float] {
        let s = settings
        let realA = repeatedPairs(batch.a), realB = repeatedPairs(batch.b), input = repeatedPairs(batch.input ?? batch.a)
        precondition(draws.levelsAToB.count == realA.shape.n, "LowLightModel: \(draws.levelsAToB.count) levels for \(realA.shape.n) images")
        var losses = [String: Float](uniqueKeysWithValues: lossNames.map { ($0, 0) })
        let patches = s.patchD ? draws.patchOffsets.map { insets($0, realA.shape) } : []
        let patchMean = Float(s.patchCount + 1)

        // forward + backward_G: the discriminators only pass gradients through.
        optimizerG.zeroGradients()
        discriminatorA.setFrozen(true); patchDiscriminator?.setFrozen(true)
        let tape = Tape()
        // With `monoidt_joint` (ours), the level-0 anchor's images (one of each pair) join the same generator pass as
        // rows 2N..<3N, so batch norm treats them as at inference; otherwise they get a pass of their own below.
        let joint = s.monoIdentity && s.monoIdentityJoint
        let anchorInput = everyOtherRow(input)
        let fakeB: Variable, anchorOutput: Variable?
        if joint {
            let all = concatBatch([input, anchorInput])
            let out = generatorA.forward(tape, image: tape.constant(all),
                                         intensity: .levels(draws.levelsAToB + Array(repeating: 0, count: anchorInput.shape.n))).output
            fakeB = tape.rows(out, 0..<input.shape.n)
            anchorOutput = tape.rows(out, input.shape.n..<all.shape.n)
        } else {
            fakeB = generatorA.forward(tape, image: tape.constant(input), intensity: .levels(draws.levelsAToB)).output
            anchorOutput = nil
        }
        let pred = discriminatorA.forward(tape, fakeB)
        var ganG = Losses.leastSquares(tape.value(pred), target: 1)
        let monoG = s.lambdaMono > 0 ? Losses.monotonicity(tape.value(pred), margin: s.margin) : nil
        Self.seed(tape, pred, [ganG] + (monoG.map { [$0.scaled(s.lambdaMono)] } ?? []))
        var ganValue = ganG.value, monoValue = monoG?.value ?? 0
        if let dp = patchDiscriminator {
            // Averaged with the global term when patchD_3 > 0; summed otherwise. As in the reference, the patch
            // monotonicity joins only in the averaged case without D_P_times2.
            let averaged = s.patchCount > 0
            let ganWeight: Float = (averaged ? 1 / patchMean : 1) * (s.patchDTimes2 ? 2 : 1)
            for predPatch in dp.forward(tape, each: patches.map { tape.crop(fakeB, $0) }) {
                ganG = Losses.leastSquares(tape.value(predPatch), target: 1)
                var terms = [ganG.scaled(ganWeight)]
                ganValue += ganG.value * ganWeight
                if averaged && !s.patchDTimes2 && s.lambdaMono > 0 {
                    let m = Losses.monotonicity(tape.value(predPatch), margin: s.margin)
                    terms.append(m.scaled(s.lambdaMono / patchMean))
                    monoValue += m.value / patchMean
                }
                Self.seed(tape, predPatch, terms)
            }
        }
        var vggValue: Float = 0
        if let vgg {
            vggValue = vgg.loss(tape, image: fakeB, target: realA, weight: s.vggWeight)
            if s.patchVGG && s.patchD {
                let w: Float = s.patchCount > 0 ? 1 / patchMean : 1
                for p in patches {
                    vggValue += w * vgg.loss(tape, image: tape.crop(fakeB, p), target: Kernels.crop(realA, p), weight: s.vggWeight * w)
                }
            }
        }
        if s.contentWeight > 0 {
            // Ours, in place of the VGG term when there are no weights: brighten, keep the structure and colours.
            let l = Losses.standardizedContent(tape.value(fakeB), target: input, pool: s.contentPool)
            tape.accumulate(fakeB, l.scaled(s.contentWeight).gradient)
            losses["content"] = l.value
        }
        if s.pairedWeight > 0, let photos = batch.target {
            // Ours, for data darkened from known photos: each level pulled towards its blend of input and photo.
            let l = Losses.pairedBlend(tape.value(fakeB), input: input, photo: repeatedPairs(photos), levels: draws.levelsAToB)
            tape.accumulate(fakeB, l.scaled(s.pairedWeight).gradient)
            losses["paired"] = l.value
        }
        if s.monoIdentity {
            // Our addition to the low-light model (the reference's cycle model has the same `monoidt` term): level 0
            // must give the input back. Without VGG16 weights nothing else anchors the bottom of the trajectory.
            let x = anchorInput
            // With `monoidt_eval` (ours) the anchor's pass normalises as inference does (running statistics, not updated).
            if s.monoIdentityEval { tape.training = false }
            let out = anchorOutput ?? generatorA.forward(tape, image: tape.constant(x), intensity: .levels(Array(repeating: 0, count: x.shape.n))).output
            tape.training = true
            let l = Losses.l1(tape.value(out), target: x)
            tape.accumulate(out, l.scaled(s.lambdaA * 0.2).gradient)
            losses["monoidtA"] = l.value
        }
        let fakeBValue = tape.value(fakeB)
        tape.backward()
        discriminatorA.setFrozen(false); patchDiscriminator?.setFrozen(false)
        if s.gradClip > 0 { optimizerG.clipGradients(s.gradClip) }
        optimizerG.update()
        losses["G_A"] = ganValue
        losses["mono_G"] = monoValue
        losses["vgg"] = vggValue

        // backward_D_A on the unpooled fakes.
        let (dA, monoDA) = discriminatorStep(discriminatorA, optimizerDA, pairs: [(realB, fakeBValue)], mean: 1)
        losses["D_A"] = dA; losses["monoDA"] = monoDA
        // backward_D_P over the patches.
        if let dp = patchDiscriminator, let opt = optimizerDP {
            let pairs = patches.map { (Kernels.crop(realB, $0), Kernels.crop(fakeBValue, $0)) }
            let (dP, monoDP) = discriminatorStep(dp, opt, pairs: pairs, mean: s.patchCount > 0 ? patchMean : 1,
                                                 times2: s.patchDTimes2)
            losses["D_P"] = dP; losses["monoDP"] = monoDP
        }
        return losses
    }

    /// Σ over (real, fake) pairs of `backward_D_basic` (0.5 (LSGAN real + LSGAN fake) and mono on the fake scores),
    /// divided by `mean`, then one (clipped) Adam step.
    private func discriminatorStep(_ d: Discriminator, _ optimizer: Adam, pairs: [(Tensor, Tensor)], mean: Float,
                                   times2: Bool = false) -> (gan: Float, mono: Float) {
        let s = settings
        optimizer.zeroGradients()
        let tape = Tape()
        var gan: Float = 0, mono: Float = 0
        let ganWeight = (times2 ? 2 : 1) / mean
        let predictions = d.forward(tape, each: pairs.map { tape.constant($0.0) } + pairs.map { tape.constant($0.1) })
        for (predReal, predFake) in zip(predictions[..<pairs.count], predictions[pairs.count...]) {
            let lossReal = Losses.leastSquares(tape.value(predReal), target: 1).scaled(0.5)
            let lossFake = Losses.leastSquares(tape.value(predFake), target: 0).scaled(0.5)
            var fakeTerms = [lossFake.scaled(ganWeight)]
            if s.lambdaMono > 0 {
                let m = Losses.monotonicity(tape.value(predFake), margin: s.margin)
                fakeTerms.append(m.scaled(s.lambdaMono / mean))
                mono += m.value / mean
            }
            tape.accumulate(predReal, lossReal.scaled(ganWeight).gradient)
            Self.seed(tape, predFake, fakeTerms)
            gan += (lossReal.value + lossFake.value) * ganWeight
        }
        tape.backward()
        if s.gradClip > 0 { optimizer.clipGradients(s.gradClip) }
        optimizer.update()
        return (gan, mono)
    }
}
