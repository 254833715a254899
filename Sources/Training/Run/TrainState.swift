import Foundation
import Kernels
import Model

/// Where a run stands after a step: enough, with the weights, optimizer moments and pools, to continue exactly.
struct RunCounters: Equatable {
    var epoch: Int
    var iteration: Int
    var step: Int
    var images: Int
    var elapsed: Double
    var seed: UInt64
}

/// The resume file `latest_train_state.safetensors`: every network's weights and buffers (`net.G_A.conv1_1.weight`,
/// the discriminators too, even without `saveD`), each optimizer's moments (`opt.G.exp_avg.G_A.conv1_1.weight`), the
/// image pools (`pool.fake_A`), and the counters in the metadata.
enum TrainState {
    static let format = "monopix-train-state"
    static let version = "1"

    static func make(_ session: TrainingSession, _ c: RunCounters) -> StateDict {
        var sd = StateDict()
        for (name, net) in session.model.networks {
            for (key, t) in net.stateDict().entries { sd["net.\(name).\(key)"] = t }
        }
        var steps: [String: Int] = [:]
        for (name, opt) in session.model.optimizers {
            for (key, shape, values) in opt.state(prefix: "opt.\(name)") { sd[key] = StoredTensor(shape: shape, values: values) }
            steps[name] = opt.step
        }
        for (key, t) in session.model.poolState.sorted(by: { $0.key < $1.key }) {
            sd[key] = StoredTensor(shape: t.shape.dimensions, values: t.scalars)
        }
        let stepsJSON = String(data: try! JSONSerialization.data(withJSONObject: steps, options: [.sortedKeys]), encoding: .utf8)!
        sd.metadata = [
            "format": format, "version": version, "model": session.settings.model,
            "epoch": "\(c.epoch)", "iteration": "\(c.iteration)", "step": "\(c.step)", "images": "\(c.images)",
            "elapsed": "\(c.elapsed)", "seed": "\(c.seed)", "optimizer_steps": stepsJSON,
            "generator": "\(session.settings.generator.widths)",
        ]
        return sd
    }

    /// Restores a session from a train-state file; returns the counters it was saved at.
    static func restore(_ session: TrainingSession, from sd: StateDict, source: String) throws -> RunCounters {
        let m = sd.metadata
        guard m["format"] == format else {
            throw TrainingError.cannotResume(path: source, reason: "not a training state (format '\(m["format"] ?? "none")')")
        }
        guard m["model"] == session.settings.model else {
            throw TrainingError.cannotResume(path: source, reason: "saved by model '\(m["model"] ?? "?")', the config trains '\(session.settings.model)'")
        }
        guard let epoch = Int(m["epoch"] ?? ""), let iteration = Int(m["iteration"] ?? ""), let step = Int(m["step"] ?? ""),
              let images = Int(m["images"] ?? ""), let elapsed = Double(m["elapsed"] ?? ""), let seed = UInt64(m["seed"] ?? ""),
              let stepsData = m["optimizer_steps"]?.data(using: .utf8),
              let steps = try? JSONSerialization.jsonObject(with: stepsData) as? [String: Int] else {
            throw TrainingError.cannotResume(path: source, reason: "its counters are missing or malformed")
        }
        for (name, net) in session.model.networks {
            var part = StateDict()
            for key in sd.keys where key.hasPrefix("net.\(name).") { part[String(key.dropFirst("net.\(name).".count))] = sd[key] }
            try net.check(part, source: "\(source) [\(name)]")
            net.load(part)
        }
        for (name, opt) in session.model.optimizers {
            let missing = opt.restore(prefix: "opt.\(name)", step: steps[name] ?? 0) { sd[$0]?.values }
            if !missing.isEmpty {
                throw TrainingError.cannotResume(path: source, reason: "optimizer \(name) state is missing \(missing.prefix(3).joined(separator: ", "))")
            }
        }
        var pools: [String: Tensor] = [:]
        for key in sd.keys where key.hasPrefix("pool.") {
            let t = sd[key]!
            guard t.shape.count == 4 else { continue }
            pools[key] = Tensor(shape: Shape(n: t.shape[0], c: t.shape[1], h: t.shape[2], w: t.shape[3]), scalars: t.values)
        }
        session.model.restorePools(pools)
        return RunCounters(epoch: epoch, iteration: iteration, step: step, images: images, elapsed: elapsed, seed: seed)
    }
}
