import Foundation
import XCTest
import Model

/// Random byte flips of valid files never crash: each load either fails with a `CheckpointError` or returns.
final class CheckpointFuzzTests: XCTestCase {
    /// MONOPIX_FUZZ_ITERATIONS (default 200 mutations per file) and MONOPIX_FUZZ_SEED (added to each file's seed)
    /// make a longer or different hunt by hand.
    private func fuzz(_ name: String, mutations defaultCount: Int, seed: UInt64) throws {
        let mutations = ProcessInfo.processInfo.environment["MONOPIX_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? defaultCount
        let folder = try makeTemporaryFolder(self)
        let original = try CheckpointFixtures.bytes(name)
        let extra = ProcessInfo.processInfo.environment["MONOPIX_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0
        var rng = SplitMix64(seed: seed &+ extra &* 1000)
        var failures = 0
        for i in 0 ..< mutations {
            var bytes = original
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                let at = Int.random(in: 0 ..< bytes.count, using: &rng)
                // Half the flips set a byte to an extreme value, where length fields do the most harm.
                bytes[at] = Bool.random(using: &rng) ? UInt8.random(in: 0 ... 255, using: &rng) : [0x00, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            }
            if i % 10 == 9 { bytes.removeLast(Int.random(in: 1 ..< bytes.count, using: &rng)) }
            let url = folder.appendingPathComponent("m\(i % 4)-\(name)")
            try Data(bytes).write(to: url)
            do {
                if name.hasSuffix(".npy") {
                    _ = try NumpyArray(contentsOf: url)
                } else {
                    let dict = try StateDict.load(contentsOf: url)
                    for (_, t) in dict.entries { XCTAssertEqual(t.values.count, t.shape.reduce(1, *)) }
                }
            } catch is CheckpointError {
                failures += 1
            } catch {
                XCTFail("mutation \(i) of \(name): not a CheckpointError: \(error)")
            }
        }
        XCTAssertGreaterThan(failures, 0, "some mutations of \(name) must be detected")
    }

    func testZipPthByteFlips() throws { try fuzz("state_zip.pth", mutations: 200, seed: 1) }
    func testLegacyPthByteFlips() throws { try fuzz("state_legacy.pth", mutations: 200, seed: 2) }
    func testSafetensorsByteFlips() throws { try fuzz("state.safetensors", mutations: 200, seed: 3) }
    func testModulePthByteFlips() throws { try fuzz("module_state.pth", mutations: 200, seed: 4) }
    func testNpyByteFlips() throws { try fuzz("values_f64.npy", mutations: 200, seed: 5) }
}
