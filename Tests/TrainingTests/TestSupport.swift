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

/// A safetensors fixture written by scripts/training_parity.py: float32 (and int64) tensors by name and metadata.
struct Fixture {
    var tensors: [String: (shape: [Int], values: [Float])] = [:]
    var metadata: [String: String] = [:]

    init(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Fixtures/training/\(name).safetensors")
        let data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        let base = 8 + headerLength
        for (key, value) in header {
            if key == "__metadata__" { metadata = value as! [String: String]; continue }
            let entry = value as! [String: Any]
            let shape = (entry["shape"] as! [NSNumber]).map(\.intValue)
            let offsets = (entry["data_offsets"] as! [NSNumber]).map(\.intValue)
            let bytes = data.subdata(in: (base + offsets[0])..<(base + offsets[1]))
            let values: [Float]
            if entry["dtype"] as! String == "I64" {
                values = bytes.withUnsafeBytes { raw in (0..<(bytes.count / 8)).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
            } else {
                values = bytes.withUnsafeBytes { raw in (0..<(bytes.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
            }
            tensors[key] = (shape, values)
        }
    }

    func values(_ name: String) -> [Float] {
        guard let t = tensors[name] else { fatalError("fixture has no \(name)") }
        return t.values
    }

    func tensor(_ name: String) -> Tensor {
        guard let t = tensors[name], t.shape.count == 4 else { fatalError("fixture has no 4-d \(name)") }
        return Tensor(shape: Shape(n: t.shape[0], c: t.shape[1], h: t.shape[2], w: t.shape[3]), scalars: t.values)
    }

    /// Every tensor under `prefix.` as a state dict with the prefix removed.
    func stateDict(_ prefix: String) -> StateDict {
        var sd = StateDict()
        for key in tensors.keys.sorted() where key.hasPrefix(prefix + ".") {
            let t = tensors[key]!
            sd[String(key.dropFirst(prefix.count + 1))] = StoredTensor(shape: t.shape, dtype: key.hasSuffix("num_batches_tracked") ? .int64 : .float32, values: t.values)
        }
        return sd
    }
}
