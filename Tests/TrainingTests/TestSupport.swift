import Foundation
import Kernels
import Model

/// The repository root, found from this file's path, so tests read the committed configs and fixtures.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A small deterministic generator of test values in [-1, 1].
struct TestRandom {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    }
    mutating func tensor(_ shape: Shape) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.count).map { _ in next() })
    }
    mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

/// A safetensors fixture written by scripts/training_parity.py, read with the checkpoint room's `StateDict.load`.
struct Fixture {
    let stateDict: StateDict
    var metadata: [String: String] { stateDict.metadata }

    init(_ name: String) throws {
        stateDict = try StateDict.load(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/training/\(name).safetensors"))
    }

    var tensors: [String: StoredTensor] { stateDict.tensors }

    func values(_ name: String) -> [Float] {
        guard let t = stateDict[name] else { fatalError("fixture has no \(name)") }
        return t.values
    }

    func tensor(_ name: String) -> Tensor {
        guard let t = stateDict[name], t.shape.count == 4 else { fatalError("fixture has no 4-d \(name)") }
        return Tensor(shape: Shape(n: t.shape[0], c: t.shape[1], h: t.shape[2], w: t.shape[3]), scalars: t.values)
    }

    /// Every tensor under `prefix.` as a state dict with the prefix removed.
    func stateDict(_ prefix: String) -> StateDict {
        var sd = StateDict()
        for key in stateDict.keys.sorted() where key.hasPrefix(prefix + ".") {
            sd[String(key.dropFirst(prefix.count + 1))] = stateDict[key]
        }
        return sd
    }
}
