import Foundation
import Kernels

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
