import Foundation
import XCTest
import Kernels
import Model

/// The generator against golden outputs of real PyTorch (Tests/Fixtures/generator, made by scripts/make_fixtures.py):
/// every option the reference's configs use, both .pth containers, scalar levels and a per-pixel map.
final class FidelityTests: XCTestCase {
    let root = repositoryRoot.appendingPathComponent("Tests/Fixtures/generator")
    let levels: [Float] = [-1, 0, 0.5, 1, 2]
    let variants = ["season_identity", "season_instance", "lowlight_batch_attention", "noise",
                    "transcode_avgpool", "tanh_latent", "renamed_keys"]

    func npy(_ path: String) throws -> Tensor {
        let a = try NumpyArray(contentsOf: root.appendingPathComponent(path))
        let s = a.shape
        let shape: Shape
        switch s.count {
        case 4: shape = Shape(n: s[0], c: s[1], h: s[2], w: s[3])
        case 2: shape = Shape(n: 1, c: 1, h: s[0], w: s[1])
        default: throw CocoaError(.fileReadCorruptFile)
        }
        return Tensor(shape: shape, scalars: a.values)
    }

    func generator(_ variant: String, file: String = "model.pth") throws -> Generator {
        let config = try MonoPixConfig(contentsOf: root.appendingPathComponent("\(variant)/config.yaml"))
        let url = root.appendingPathComponent("\(variant)/\(file)")
        return try Generator(options: GeneratorOptions(config: config), stateDict: StateDict.load(contentsOf: url), source: url.path)
    }

    func check(_ variant: String, file: String) throws {
        let g = try generator(variant, file: file)
        let image = try npy("input.npy")
        let gray = g.options.selfAttention ? try npy("gray.npy") : nil
        let noise = g.options.useNoise ? try npy("\(variant)/noise.npy") : nil
        for (i, level) in levels.enumerated() {
            let out = g(image, intensity: .levels([level]), noise: noise, gray: gray).output
            let expected = try npy("\(variant)/out_level_\(i).npy")
            XCTAssertLessThanOrEqual(out.maxAbsDifference(expected), 1e-4, "\(variant)/\(file) level \(level)")
        }
        let map = try npy("\(variant)/map.npy")
        let out = g(image, intensity: .map(map), noise: noise, gray: gray).output
        XCTAssertLessThanOrEqual(out.maxAbsDifference(try npy("\(variant)/out_map.npy")), 1e-4, "\(variant)/\(file) map")
    }

    func testEveryVariantMatchesPyTorch() throws {
        for v in variants { try check(v, file: "model.pth") }
    }

    func testLegacyContainersMatchToo() throws {
        for v in ["season_identity", "lowlight_batch_attention", "renamed_keys"] { try check(v, file: "model_legacy.pth") }
    }

    /// The reference's full-width LowLight layout (names and shapes), in a tiny file whose tensors are stride-0 views.
    func testAFullWidthCheckpointLoadsAndRuns() throws {
        let config = try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_LowLight_Default.yaml"))
        let url = root.appendingPathComponent("full_width_zero.pth")
        let g = try Generator(options: GeneratorOptions(config: config), stateDict: StateDict.load(contentsOf: url))
        let out = g(try npy("input.npy"), intensity: .levels([1]), gray: try npy("gray.npy")).output
        XCTAssertLessThanOrEqual(out.maxAbsDifference(try npy("full_width_zero_out.npy")), 1e-4)
    }

    func testACheckpointOfAnotherArchitectureNamesTheMismatch() throws {
        // The season model's weights under the low-light config: attention adds an input channel, batch norm adds tensors.
        let config = try MonoPixConfig(contentsOf: root.appendingPathComponent("lowlight_batch_attention/config.yaml"))
        let url = root.appendingPathComponent("season_identity/model.pth")
        XCTAssertThrowsError(try Generator(options: GeneratorOptions(config: config), stateDict: StateDict.load(contentsOf: url), source: url.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.pth") && text.contains("conv1_1.weight") && text.contains("missing norm1_1"), text)
        }
    }
}
