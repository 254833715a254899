import Kernels
import Model

/// One of the reference's trainable models (`create_model`): its networks, optimizers and `optimize_parameters`.
protocol TrainingModel: AnyObject {
    /// The loss names of `get_current_errors`, in the reference's order.
    var lossNames: [String] { get }
    /// Every network by the reference's name (`G_A`, `G_B`, `D_A`, `D_B`, `D_P`, …), generators first.
    var networks: [(name: String, network: TrainableNetwork)] { get }
    /// The optimizers by name (`G`, `D_A`, …), in update order.
    var optimizers: [(name: String, optimizer: Adam)] { get }
    /// The generator the trajectory strips show (A→B).
    var generator: TrainableGenerator { get }
    /// One `optimize_parameters`: the generator step, then each discriminator step. Returns every loss by name.
    func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float]
    /// The image pools' contents by name, for exact resumes.
    var poolState: [String: Tensor] { get }
    func restorePools(_ state: [String: Tensor])
    /// Things the user should know about how the model will train (a loss term switched off, …).
    var notices: [String] { get }
    /// The networks written to `{epoch}_net_{name}` files: the generators, and the discriminators with `saveD`.
    var savedNetworks: [String] { get }
}

extension TrainingModel {
    var notices: [String] { [] }

    func network(named name: String) -> TrainableNetwork? { networks.first { $0.name == name }?.network }

    func setLearningRate(_ lr: Float) { for (_, o) in optimizers { o.learningRate = lr } }

    /// The loss of a discriminator step on scores: LSGAN real + fake halves, seeds the tape, returns the values.
    static func seed(_ tape: Tape, _ v: Variable, _ terms: [LossValue]) {
        guard var g = terms.first?.gradient else { return }
        for t in terms.dropFirst() { g = Kernels.add(g, t.gradient) }
        tape.accumulate(v, g)
    }
}

/// Builds the model a config names.
func makeModel(_ settings: TrainingSettings, seed: UInt64) throws -> TrainingModel {
    switch settings.model {
    case "cycleCtrl": return CycleCtrlModel(settings, seed: seed)
    case "cycleCtrl_lowlight": return try LowLightModel(settings, seed: seed)
    case "cycleCtrl_noise": return try NoiseModel(settings, seed: seed)
    default:
        throw TrainingError.unsupportedModel(file: "<settings>", model: settings.model, supported: TrainingSettings.supportedModels)
    }
}
