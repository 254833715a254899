import Model

/// A network the trainer optimises: its parameters, its batch norms, and its state dict in the reference's names.
protocol TrainableNetwork: AnyObject {
    /// Every trainable parameter, in state-dict order.
    var parameters: [Parameter] { get }
    /// Batch-norm layers (their running statistics are buffers, not parameters).
    var batchNorms: [BatchNormLayer] { get }
    /// The state-dict entries in the order PyTorch's `state_dict()` lists them.
    var stateDictOrder: [String] { get }
}

extension TrainableNetwork {
    /// Freezes or thaws every parameter (a frozen network passes gradients through without computing its own).
    func setFrozen(_ frozen: Bool) {
        for p in parameters { p.frozen = frozen }
    }

    func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// The network as a state dict: float32 parameters and running statistics, int64 `num_batches_tracked`.
    func stateDict() -> StateDict {
        var byName: [String: StoredTensor] = [:]
        for p in parameters { byName[p.name] = StoredTensor(shape: p.shape, values: p.value) }
        for bn in batchNorms {
            byName["\(bn.name).running_mean"] = StoredTensor(shape: [bn.runningMean.count], values: bn.runningMean)
            byName["\(bn.name).running_var"] = StoredTensor(shape: [bn.runningVar.count], values: bn.runningVar)
            byName["\(bn.name).num_batches_tracked"] = StoredTensor(shape: [], dtype: .int64, values: [Float(bn.numBatchesTracked)])
        }
        var sd = StateDict()
        for name in stateDictOrder { sd[name] = byName[name] }
        return sd
    }

    /// Replaces every parameter and buffer from a state dict whose names and shapes have already been checked
    /// (`normalizedKey` maps released names such as `bn1_1.` and `module.` prefixes).
    func load(_ sd: StateDict, normalizedKey: (String) -> String = { $0 }) {
        var tensors: [String: StoredTensor] = [:]
        for key in sd.keys { tensors[normalizedKey(key)] = sd[key] }
        for p in parameters {
            guard let t = tensors[p.name] else { continue }
            precondition(t.values.count == p.count, "load: \(p.name) has \(t.values.count) values, wants \(p.count)")
            p.value = t.values
        }
        for bn in batchNorms {
            if let m = tensors["\(bn.name).running_mean"] { bn.runningMean = m.values }
            if let v = tensors["\(bn.name).running_var"] { bn.runningVar = v.values }
            if let n = tensors["\(bn.name).num_batches_tracked"], let first = n.values.first { bn.numBatchesTracked = Int(first) }
        }
    }

    /// Checks that `sd` has exactly this network's entries with the right shapes.
    func check(_ sd: StateDict, source: String, normalizedKey: (String) -> String = { $0 }) throws {
        var tensors: [String: StoredTensor] = [:]
        for key in sd.keys { tensors[normalizedKey(key)] = sd[key] }
        let mine = stateDict()
        var missing: [String] = [], shapes: [String] = []
        for name in mine.keys {
            let want = mine[name]!.shape
            guard let t = tensors[name] else { missing.append(name); continue }
            if !(t.shape == want || (want.isEmpty && t.shape == [1])) {
                shapes.append("\(name) is \(t.shape), the network wants \(want)")
            }
        }
        let known = Set(mine.keys)
        let unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        if !(missing.isEmpty && unexpected.isEmpty && shapes.isEmpty) {
            throw TrainingError.checkpointMismatch(file: source, missing: missing, unexpected: unexpected, shapes: shapes)
        }
    }
}
