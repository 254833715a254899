import Kernels
import Model

/// A MonoPix model ready to train one step at a time: its networks, optimizers and the reference's losses, with no
/// data, files or clock. The `Trainer` drives one through a dataset; tests drive one directly.
public final class TrainingSession {
    /// The configuration the model was built from.
    public let config: MonoPixConfig
    let settings: TrainingSettings
    let model: TrainingModel

    /// Builds the model the config names (`cycleCtrl`, `cycleCtrl_lowlight` or `cycleCtrl_noise`), initialised as
    /// the reference does from `seed`.
    public init(config: MonoPixConfig, seed: UInt64 = 0) throws {
        self.config = config
        self.settings = try TrainingSettings(config: config)
        self.model = try makeModel(settings, seed: seed)
    }

    /// The networks by the reference's names: `G_A`, `G_B`, `D_A`, `D_B` (cycle), `G_A`, `D_A`, `D_P` (low-light).
    public var networkNames: [String] { model.networks.map(\.name) }

    /// The names of the loss terms `step` returns, in the reference's console order.
    public var lossNames: [String] { model.lossNames }

    /// The generator's structure.
    public var generatorOptions: GeneratorOptions { settings.generator }

    /// The learning rate of every optimizer.
    public var learningRate: Float {
        get { model.optimizers.first?.optimizer.learningRate ?? Float(settings.learningRate) }
        set { model.setLearningRate(newValue) }
    }

    /// The learning rate of a 1-based epoch under the reference's schedule (constant for `niter` epochs, then a
    /// linear decay to 0 over `niter_decay`).
    public func learningRate(epoch: Int) -> Double { settings.learningRate(epoch: epoch) }

    /// Epochs in the whole schedule (`niter + niter_decay`).
    public var epochCount: Int { settings.epochsConstant + settings.epochsDecay }

    /// A network's parameters and buffers in the reference's state-dict names (loadable by PyTorch and, for
    /// generators, by `Generator(options:stateDict:)`).
    public func stateDict(network name: String) -> StateDict? { model.network(named: name)?.stateDict() }

    /// The gradients the last step left on a network's parameters (the generator step's for generators, the
    /// discriminator step's for discriminators), by parameter name.
    public func gradients(network name: String) -> StateDict? {
        guard let net = model.network(named: name) else { return nil }
        var sd = StateDict()
        for p in net.parameters { sd[p.name] = StoredTensor(shape: p.shape, values: p.grad) }
        return sd
    }

    /// Replaces a network's weights (and running statistics) from a checkpoint; names and shapes must match exactly
    /// (released `bn{k}_{j}` names and `module.` prefixes are accepted for generators).
    public func load(_ sd: StateDict, network name: String, source: String) throws {
        guard let net = model.network(named: name) else {
            throw TrainingError.checkpointMismatch(file: source, missing: [], unexpected: [], shapes: ["no network \(name) in this model"])
        }
        let normalize: (String) -> String = net is TrainableGenerator ? Generator.normalizedKey : { $0 }
        try net.check(sd, source: source, normalizedKey: normalize)
        net.load(sd, normalizedKey: normalize)
    }

    /// The random choices of a step for `batch`, from `seed`: contrastive intensity pairs, patch offsets, pool seed.
    public func draws(for batch: TrainingBatch, seed: UInt64) -> StepDraws {
        var rng = SplitMix64(seed: seed)
        return StepDraws.sample(count: batch.count, settings: settings, height: batch.a.shape.h, width: batch.a.shape.w, rng: &rng)
    }

    /// One `optimize_parameters`: the generator step, then the discriminator steps. Returns every loss term by name.
    @discardableResult
    public func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float] {
        model.step(batch, draws: draws)
    }

    /// Things the user should know about how this model will train (e.g. the VGG term off for want of weights).
    public var notices: [String] { model.notices }

    /// The A→B generator with the current weights, in eval mode (batch norms use running statistics).
    public func evaluationGenerator() throws -> Generator { try model.generator.evaluationGenerator() }
}
