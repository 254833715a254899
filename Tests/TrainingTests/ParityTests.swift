import Foundation
import XCTest
import Kernels
import Model
import Training

/// Two reference training steps in PyTorch (scripts/training_parity.py) against the same steps here: losses,
/// gradients and updated weights, from the same initial weights, inputs and contrastive intensities.
///
/// The fixture's values come from a float64 run of the PyTorch steps; each tensor also carries PyTorch float32's own
/// relative error against it. Ours must be within 1e-4 relative, or within 5x PyTorch float32's error where that is
/// larger (instance norms at these widths make float32 gradients a few percent uncertain in PyTorch too).
final class ParityTests: XCTestCase {
    static func session(_ fixture: Fixture) throws -> TrainingSession {
        let o = try JSONSerialization.jsonObject(with: Data(fixture.metadata["options"]!.utf8)) as! [String: Any]
        var overrides: [String: ConfigValue] = [
            "model": .string(fixture.metadata["model"]!), "which_model_netG": .string("sid_unet_resize_ctrl"),
            "IsRelativeCtrl": .int(1),
        ]
        for (key, value) in o {
            if let text = value as? String { overrides[key] = .string(text) }
            else if let n = value as? NSNumber { overrides[key] = .double(n.doubleValue) }
        }
        if fixture.metadata["model"] == "cycleCtrl_lowlight" {
            for (k, v) in ["self_attention": 1, "times_residual": 1, "out_tanh": 0, "vgg": 0] { overrides[k] = .int(v) }
        }
        let s = try TrainingSession(config: try MonoPixConfig(overrides: overrides, source: "parity"), seed: 0)
        for net in s.networkNames { try s.load(fixture.stateDict("init.\(net)"), network: net, source: "init.\(net)") }
        return s
    }

    /// |ours - theirs| <= tolerance * max|theirs| over a tensor, except elements the mask excuses with `excused`.
    func assertClose(_ ours: [Float], _ theirs: [Float], _ tolerance: Float, _ what: String,
                     excused: [Bool]? = nil, excusedTolerance: Float = 0, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.count, theirs.count, what, file: file, line: line)
        let scale = max(theirs.map(abs).max() ?? 0, 1e-12)
        var worst: Float = 0, at = 0
        for i in theirs.indices {
            let allowed = (excused?[i] ?? false) ? excusedTolerance + tolerance * scale : tolerance * scale
            let d = abs(ours[i] - theirs[i])
            if d - allowed > worst { worst = d - allowed; at = i }
        }
        XCTAssertLessThanOrEqual(worst, 0, "\(what): element \(at) is \(ours[at]), PyTorch \(theirs[at]) (scale \(scale))", file: file, line: line)
    }

    func check(_ name: String) throws {
        let f = try Fixture(name)
        func tolerance(_ key: String) -> Float { max(1e-4, 5 * (f.tensors["tolerance." + key]?.values[0] ?? 0)) }
        let s = try Self.session(f)
        let lowLight = f.metadata["model"] == "cycleCtrl_lowlight", noiseModel = f.metadata["model"] == "cycleCtrl_noise"
        let batch = TrainingBatch(a: f.tensor("input.real_A"), b: f.tensor("input.real_B"),
                                  input: lowLight ? f.tensor("input.input_img") : nil)
        let lr = s.learningRate
        var noiseLevel: [String: [Bool]] = [:]
        for step in 1...2 {
            let draws: StepDraws
            if lowLight || noiseModel {
                let p = f.values("input.step\(step).patches")
                draws = StepDraws(levelsAToB: f.values("input.step\(step).levels"), levelsBToA: [],
                                  patchOffsets: stride(from: 0, to: p.count, by: 2).map { (y: Int(p[$0]), x: Int(p[$0 + 1])) },
                                  noise: noiseModel ? f.tensor("input.step\(step).noise") : nil)
            } else {
                draws = StepDraws(levelsAToB: f.values("input.step\(step).levels_A2B"), levelsBToA: f.values("input.step\(step).levels_B2A"))
            }
            let losses = s.step(batch, draws: draws)
            for lossName in s.lossNames {
                let theirs = f.values("step\(step).loss.\(lossName)")[0]
                let key = "step\(step).loss.\(lossName)"
                XCTAssertEqual(losses[lossName]!, theirs, accuracy: tolerance(key) * max(abs(theirs), 1e-2), "\(name) \(key)")
            }
            if step == 1 {
                for net in s.networkNames {
                    let grads = s.gradients(network: net)!
                    let all = f.stateDict("step1.grad.\(net)")
                    let networkScale = all.keys.map { all[$0]!.values.map(abs).max() ?? 0 }.max() ?? 0
                    for key in all.keys {
                        let theirs = all[key]!.values
                        // A bias feeding a norm directly has a true gradient of 0: both sides hold rounding noise.
                        let noise = theirs.map { abs($0) < 1e-5 * networkScale }
                        noiseLevel["\(net).\(key)"] = noise
                        assertClose(grads[key]!.values, theirs, tolerance("step1.grad.\(net).\(key)"), "\(name) gradient \(net).\(key)",
                                    excused: noise, excusedTolerance: 1e-6 * networkScale)
                    }
                }
            }
            for net in s.networkNames {
                let theirs = f.stateDict("step\(step).weights.\(net)")
                guard !theirs.keys.isEmpty else { continue }
                let ours = s.stateDict(network: net)!
                XCTAssertEqual(Set(ours.keys), Set(theirs.keys), "\(name) \(net) state-dict keys")
                for key in theirs.keys {
                    // Adam's first steps move each weight by about lr * sign(g); where g is rounding noise the sign is not
                    // determined, so those elements may differ by up to 2 lr per step.
                    assertClose(ours[key]!.values, theirs[key]!.values, tolerance("step\(step).weights.\(net).\(key)"),
                                "\(name) step \(step) weights \(net).\(key)",
                                excused: noiseLevel["\(net).\(key)"], excusedTolerance: 2 * Float(step) * lr)
                }
            }
        }
    }

    func testCycleModelMatchesPyTorchWithIdentityNorms() throws { try check("cycle_identity") }
    func testCycleModelMatchesPyTorchWithInstanceNormsAndTranscode() throws { try check("cycle_instance") }
    /// Batch norm in training mode (batch statistics, running statistics), gray attention, patch discriminator over
    /// three crops, grad_clip.
    func testLowLightModelMatchesPyTorch() throws { try check("lowlight_batch_attention") }
    /// The noise channel, the pooled D_A, the patch discriminator D_PA, the C2N colour loss, grad_clip.
    func testNoiseModelMatchesPyTorch() throws { try check("noise_patch") }
}
