import Foundation
import Kernels
import Model
import Training
import XCTest

/// The schedule, the contrastive intensities and the network names, through the session's public API.
final class SessionTests: XCTestCase {
    func session(_ overrides: [String: ConfigValue]) throws -> TrainingSession {
        let season = try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_SummerWinter_Default.yaml"))
        return try TrainingSession(config: season.with(["ngf_mult": .double(1.0 / 16)].merging(overrides) { $1 }))
    }

    func testTheLearningRateIsConstantThenDecaysLinearlyToZero() throws {
        let s = try session(["lr": .double(0.0002), "niter": .int(2), "niter_decay": .int(4)])
        XCTAssertEqual(s.epochCount, 6)
        // train.py lowers lr by lr / niter_decay after every epoch past niter.
        XCTAssertEqual((1...6).map { s.learningRate(epoch: $0) }, [0.0002, 0.0002, 0.0002, 0.00015, 0.0001, 0.00005].map { $0 },
                       accuracy: 1e-12)
    }

    func testContrastivePairsLieBetweenTheFirstLevelAndTheTarget() throws {
        let s = try session([:])
        let batch = TrainingBatch(a: Tensor(shape: Shape(n: 3, c: 3, h: 32, w: 32)), b: Tensor(shape: Shape(n: 3, c: 3, h: 32, w: 32)))
        let draws = s.draws(for: batch, seed: 9)
        XCTAssertEqual(draws.levelsAToB.count, 6)
        XCTAssertEqual(draws.levelsBToA.count, 6)
        XCTAssertNotEqual(draws.levelsAToB, draws.levelsBToA, "A→B and B→A are drawn independently")
        for levels in [draws.levelsAToB, draws.levelsBToA] {
            for i in 0..<3 {
                let (c1, c2) = (levels[2 * i], levels[2 * i + 1])
                XCTAssertTrue((0..<1).contains(c1))
                XCTAssertTrue(c1 <= c2 && c2 <= 1, "c2 \(c2) must lie between c1 \(c1) and 1")
            }
        }
        XCTAssertEqual(StepDraws.contrastive(0.2, u: 0.5, target: 1), 0.6, accuracy: 1e-6)
        XCTAssertEqual(StepDraws.contrastive(1.5, u: 0.5, target: 1), 1.25, accuracy: 1e-6, "above the target c2 moves down")
        XCTAssertEqual(s.draws(for: batch, seed: 9).levelsAToB, draws.levelsAToB, "a seed fixes the draws")
        let same = try session(["use_samelvl": .int(1)]).draws(for: batch, seed: 9)
        XCTAssertEqual(same.levelsBToA, same.levelsAToB.map { -$0 })
    }

    /// Our `c1_power`: the same uniform draws, c1 raised to the power (so more pairs near level 0); c2 as before.
    func testC1PowerDrawsTheFirstLevelCloserToZero() throws {
        let batch = TrainingBatch(a: Tensor(shape: Shape(n: 64, c: 3, h: 8, w: 8)), b: Tensor(shape: Shape(n: 64, c: 3, h: 8, w: 8)))
        let plain = try session([:]).draws(for: batch, seed: 3).levelsAToB
        let cubed = try session(["c1_power": .double(3)]).draws(for: batch, seed: 3).levelsAToB
        for i in 0..<64 {
            XCTAssertEqual(cubed[2 * i], pow(plain[2 * i], 3), accuracy: 1e-5)
            XCTAssertTrue(cubed[2 * i] <= cubed[2 * i + 1] && cubed[2 * i + 1] <= 1)
        }
        XCTAssertGreaterThan(cubed.enumerated().filter { $0.offset % 2 == 0 && $0.element < 0.2 }.count,
                             plain.enumerated().filter { $0.offset % 2 == 0 && $0.element < 0.2 }.count)
        XCTAssertThrowsError(try session(["c1_power": .double(0)]))
    }

    func testNetworksAndLossesCarryTheReferenceNames() throws {
        let cycle = try session([:])
        XCTAssertEqual(cycle.networkNames, ["G_A", "G_B", "D_A", "D_B"])
        XCTAssertEqual(Array(cycle.lossNames.prefix(6)), ["D_A", "G_A", "Cyc_A", "D_B", "G_B", "Cyc_B"])
        // NLayerDiscriminator's Sequential indices with Identity norms (n_layers_D 3): 0, 2, 5, 8, 11.
        XCTAssertEqual(cycle.stateDict(network: "D_A")!.keys.filter { $0.hasSuffix(".weight") },
                       ["model.0.weight", "model.2.weight", "model.5.weight", "model.8.weight", "model.11.weight"])
        let bn = try session(["Dnorm": .string("batch")])
        XCTAssertTrue(bn.stateDict(network: "D_B")!.keys.contains("model.3.running_var"))
        XCTAssertEqual(bn.stateDict(network: "D_B")!["model.3.num_batches_tracked"]?.dtype, .int64)
        let lowlight = try TrainingSession(config: MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_LowLight_Default.yaml"))
            .with(["ngf_mult": .double(1.0 / 16)]))
        XCTAssertEqual(lowlight.networkNames, ["G_A", "D_A", "D_P"])
        XCTAssertEqual(lowlight.lossNames, ["D_A", "G_A", "vgg", "D_P", "mono_G", "monoDA", "monoDP"])
        XCTAssertTrue(lowlight.notices.contains { $0.contains("VGG16 perceptual loss is off") })
        // The generator's state dict is the reference's, batch-norm buffers included.
        XCTAssertEqual(Set(lowlight.stateDict(network: "G_A")!.keys), Set(Generator.expectedParameters(lowlight.generatorOptions).map(\.name)))
    }

    func testVGGWeightsThatAreMissingAreAClearError() throws {
        let lowlight = try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_LowLight_Default.yaml"))
            .with(["vgg_path": .string("/nonexistent/vgg16.weight")])
        XCTAssertThrowsError(try TrainingSession(config: lowlight)) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/vgg16.weight: VGG16 weights unusable"), "\(error)")
        }
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
