import Kernels
import Model

/// The bi-directional MonoPix model (`model: cycleCtrl`): G_A (A→B), G_B (B→A), D_A (judges domain B), D_B (judges A).
///
/// Reference: lukun199/MonoPix `models/cycle_gan_model_Ctrl.py` (`set_input`, `backward_G`, `backward_D_A`,
/// `backward_D_B`, `optimize_parameters`); method.md §5.
final class CycleCtrlModel: TrainingModel {
    let settings: TrainingSettings
    let generatorA: TrainableGenerator, generatorB: TrainableGenerator
    let discriminatorA: Discriminator, discriminatorB: Discriminator
    let optimizerG: Adam, optimizerDA: Adam, optimizerDB: Adam
    var poolA: ImagePool, poolB: ImagePool

    let lossNames = ["D_A", "G_A", "Cyc_A", "D_B", "G_B", "Cyc_B", "monoidtA", "monoidtB",
                     "MONO_GA2B", "MONO_GB2A", "MONO_DA2B", "MONO_DB2A", "MONO_GA2B_DF", "MONO_GB2A_DF", "MONO_DA_Df", "MONO_DB_Df"]

    init(_ settings: TrainingSettings, seed: UInt64) {
        self.settings = settings
        var initializer = ParameterInitializer(seed: seed)
        generatorA = TrainableGenerator(options: settings.generator, initializer: &initializer)
        generatorB = TrainableGenerator(options: settings.generator, initializer: &initializer)
        discriminatorA = Discriminator(baseWidth: settings.discriminatorWidth, layerCount: settings.discriminatorLayers,
                                       norm: settings.discriminatorNorm, initializer: &initializer)
        discriminatorB = Discriminator(baseWidth: settings.discriminatorWidth, layerCount: settings.discriminatorLayers,
                                       norm: settings.discriminatorNorm, initializer: &initializer)
        optimizerG = Adam(networks: [("G_A", generatorA.parameters), ("G_B", generatorB.parameters)],
                          learningRate: Float(settings.learningRate), beta1: settings.beta1)
        optimizerDA = Adam(networks: [("D_A", discriminatorA.parameters)], learningRate: Float(settings.learningRate), beta1: settings.beta1)
        optimizerDB = Adam(networks: [("D_B", discriminatorB.parameters)], learningRate: Float(settings.learningRate), beta1: settings.beta1)
        poolA = ImagePool(capacity: settings.poolSize, pairs: settings.pairPool)
        poolB = ImagePool(capacity: settings.poolSize, pairs: settings.pairPool)
    }

    var networks: [(name: String, network: TrainableNetwork)] {
        [("G_A", generatorA), ("G_B", generatorB), ("D_A", discriminatorA), ("D_B", discriminatorB)]
    }
    var optimizers: [(name: String, optimizer: Adam)] { [("G", optimizerG), ("D_A", optimizerDA), ("D_B", optimizerDB)] }
    var savedNetworks: [String] { networks.map(\.name).filter { $0.hasPrefix("G") || settings.saveD } }
    var generator: TrainableGenerator { generatorA }

    var poolState: [String: Tensor] {
        var out: [String: Tensor] = [:]
        out["pool.fake_A"] = poolA.stacked
        out["pool.fake_B"] = poolB.stacked
        return out
    }

    func restorePools(_ state: [String: Tensor]) {
        if let a = state["pool.fake_A"] { poolA.restore(a) }
        if let b = state["pool.fake_B"] { poolB.restore(b) }
    }

    func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float] {
        let s = settings
        let realA = repeatedPairs(batch.a), realB = repeatedPairs(batch.b)
        precondition(draws.levelsAToB.count == realA.shape.n && draws.levelsBToA.count == realB.shape.n,
                     "CycleCtrlModel: \(draws.levelsAToB.count) levels for \(realA.shape.n) images")
        var losses = [String: Float](uniqueKeysWithValues: lossNames.map { ($0, 0) })

        // The generator step: G_A and G_B learn; the discriminators only pass gradients through.
        optimizerG.zeroGradients()
        for d in [discriminatorA, discriminatorB] { d.setFrozen(true) }
        let tape = Tape()
        let a = tape.constant(realA), b = tape.constant(realB)
        let levelsA2B = TrainableGenerator.Intensity.levels(draws.levelsAToB)
        let levelsB2A = TrainableGenerator.Intensity.levels(draws.levelsBToA)

        // Stage 1: A → B, judged by D_A (GAN + monotonicity) and D_B (domain fidelity); stage 2: B → A, symmetric.
        let (fakeB, identityA) = translate(tape, a, realA, generatorA, levelsA2B, judge: discriminatorA, other: discriminatorB,
                                           names: ("G_A", "MONO_GA2B", "MONO_GA2B_DF"), into: &losses)
        let (fakeA, identityB) = translate(tape, b, realB, generatorB, levelsB2A, judge: discriminatorB, other: discriminatorA,
                                           names: ("G_B", "MONO_GB2A", "MONO_GB2A_DF"), into: &losses)

        // Stage 3: cycle consistency, each reconstruction with the intensity of its forward translation.
        if s.lambdaA > 0 {
            let rec = generatorB.forward(tape, image: fakeB, intensity: levelsA2B).output
            let l = Losses.l1(tape.value(rec), target: realA).scaled(s.lambdaA)
            tape.accumulate(rec, l.gradient)
            losses["Cyc_A"] = l.value
        }
        if s.lambdaB > 0 {
            let rec = generatorA.forward(tape, image: fakeA, intensity: levelsB2A).output
            let l = Losses.l1(tape.value(rec), target: realB).scaled(s.lambdaB)
            tape.accumulate(rec, l.gradient)
            losses["Cyc_B"] = l.value
        }
        if let (out, target) = identityA {
            let l = Losses.l1(tape.value(out), target: target)
            tape.accumulate(out, l.scaled(s.lambdaA * 0.2).gradient)
            losses["monoidtA"] = l.value
        }
        if let (out, target) = identityB {
            let l = Losses.l1(tape.value(out), target: target)
            tape.accumulate(out, l.scaled(s.lambdaB * 0.2).gradient)
            losses["monoidtB"] = l.value
        }
        let fakeBValue = tape.value(fakeB), fakeAValue = tape.value(fakeA)
        tape.backward()
        for d in [discriminatorA, discriminatorB] { d.setFrozen(false) }
        optimizerG.update()

        // The discriminator steps, on fakes drawn through the image pools (B's pool first, as backward_D_A does).
        var rng = SplitMix64(seed: draws.poolSeed)
        let pooledB = poolB.query(fakeBValue, rng: &rng)
        let pooledA = poolA.query(fakeAValue, rng: &rng)
        let (dA, monoDA, dfDA) = discriminatorStep(discriminatorA, optimizerDA, real: realB, fake: pooledB, otherFake: pooledA)
        losses["D_A"] = dA; losses["MONO_DA2B"] = monoDA; losses["MONO_DA_Df"] = dfDA
        let (dB, monoDB, dfDB) = discriminatorStep(discriminatorB, optimizerDB, real: realA, fake: pooledA, otherFake: pooledB)
        losses["D_B"] = dB; losses["MONO_DB2A"] = monoDB; losses["MONO_DB_Df"] = dfDB
        return losses
    }

    /// One direction of the generator step: the translation at the step's levels, judged by `judge` (LSGAN towards
    /// real, and the contrastive monotonicity) and, with `cal_G_Df`, by `other` (domain fidelity); with `monoidt` also
    /// the level-0 pass of every other row, returned with its target for the identity term.
    private func translate(_ tape: Tape, _ input: Variable, _ real: Tensor, _ generator: TrainableGenerator,
                           _ levels: TrainableGenerator.Intensity, judge: Discriminator, other: Discriminator,
                           names: (gan: String, mono: String, df: String),
                           into losses: inout [String: Float]) -> (fake: Variable, identity: (Variable, Tensor)?) {
        let s = settings
        let fake = generator.forward(tape, image: input, intensity: levels).output
        var identity: (Variable, Tensor)? = nil
        if s.monoIdentity {
            let half = everyOtherRow(real)
            let out = generator.forward(tape, image: tape.constant(half), intensity: .levels(.init(repeating: 0, count: half.shape.n))).output
            identity = (out, half)
        }
        let pred = judge.forward(tape, fake)
        let gan = Losses.leastSquares(tape.value(pred), target: 1)
        let mono = s.lambdaMono > 0 ? Losses.monotonicity(tape.value(pred), margin: s.margin) : nil
        Self.seed(tape, pred, [gan] + (mono.map { [$0.scaled(s.lambdaMono)] } ?? []))
        losses[names.gan] = gan.value
        losses[names.mono] = mono?.value ?? 0
        if s.computeGDf {
            let predOther = other.forward(tape, fake)
            let df = Losses.monotonicity(tape.value(predOther), margin: s.margin, domainFidelity: true)
            tape.accumulate(predOther, df.scaled(s.lambdaDf).gradient)
            losses[names.df] = df.value
        }
        return (fake, identity)
    }

    /// `backward_D_basic` for one discriminator and its domain-fidelity term, then one Adam step:
    /// `0.5 * (LSGAN(D(real), 1) + LSGAN(D(fake), 0)) + λ_mono * mono(D(fake)) + λ_df * monoDf(D(otherFake))`.
    private func discriminatorStep(_ d: Discriminator, _ optimizer: Adam, real: Tensor, fake: Tensor,
                                   otherFake: Tensor) -> (gan: Float, mono: Float, df: Float) {
        let s = settings
        optimizer.zeroGradients()
        let tape = Tape()
        let predictions = d.forward(tape, each: [tape.constant(real), tape.constant(fake)])
        let predReal = predictions[0], predFake = predictions[1]
        let lossReal = Losses.leastSquares(tape.value(predReal), target: 1).scaled(0.5)
        let lossFake = Losses.leastSquares(tape.value(predFake), target: 0).scaled(0.5)
        let mono = Losses.monotonicity(tape.value(predFake), margin: s.margin)
        tape.accumulate(predReal, lossReal.gradient)
        Self.seed(tape, predFake, [lossFake, mono.scaled(s.lambdaMono)])
        var df: Float = 0
        if s.computeDDf {
            // The reference runs backward_D_basic again: D(real) is recomputed (it only moves batch-norm running
            // statistics) and the domain-fidelity loss is taken on D(otherFake).
            if !d.batchNorms.isEmpty { _ = d.forward(tape, tape.constant(real)) }
            let pred = d.forward(tape, tape.constant(otherFake))
            let l = Losses.monotonicity(tape.value(pred), margin: s.margin, domainFidelity: true)
            tape.accumulate(pred, l.scaled(s.lambdaDf).gradient)
            df = l.value
        }
        tape.backward()
        optimizer.update()
        return (lossReal.value + lossFake.value, mono.value, df)
    }
}
