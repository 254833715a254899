import Kernels
import Model

final class NoiseModel {
    init(_ settings: TrainingSettings, seed: UInt64) throws {
        throw TrainingError.unsupportedModel(file: "<settings>", model: settings.model, supported: ["cycleCtrl"])
    }
}
extension NoiseModel: TrainingModel {
    var lossNames: [String] { [] }
    var networks: [(name: String, network: TrainableNetwork)] { [] }
    var optimizers: [(name: String, optimizer: Adam)] { [] }
    var generator: TrainableGenerator { fatalError() }
    func step(_ batch: TrainingBatch, draws: StepDraws) -> [String: Float] { [:] }
    var poolState: [String: Tensor] { [:] }
    func restorePools(_ state: [String: Tensor]) {}
}
