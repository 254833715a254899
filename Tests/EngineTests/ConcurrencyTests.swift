import Dispatch
import XCTest
import Engine
import ImageIO
import Model

/// The engine's shared objects used from several threads at once, as the studio does (renders on a task while
/// the UI thread scrubs). Plain assertions here; under `make check-tsan` ThreadSanitizer checks the accesses.
final class ConcurrencyTests: XCTestCase {
    func testTheLevelCacheTakesInsertsAndPreviewsFromManyThreads() {
        let cache = LevelCache(capacityBytes: 20 * 300)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<200 {
                let level = Float((worker * 200 + i) % 101) / 100
                if worker % 2 == 0 {
                    cache.insert(RGBImage(width: 10, height: 10, red: UInt8(i % 256), green: 0, blue: 0), level: level)
                } else {
                    _ = cache.preview(at: level)
                    _ = cache.exact(at: level)
                    _ = cache.missing(ladder: [0, 0.25, 0.5, 0.75, 1], near: level)
                }
            }
        }
        XCTAssertLessThanOrEqual(cache.bytes, 20 * 300)
        cache.removeAll()
        XCTAssertEqual(cache.levels, [])
    }

    /// Renders from concurrent tasks are serialised by the actor; each stroke-sized change after the first reuses
    /// the warm activations, and every result equals a fresh full pass.
    func testTheLiveRendererGivesFullPassResultsUnderConcurrentRequests() async throws {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        let generator = Generator.random(options: o, seed: 5)
        let renderer = LiveRenderer(generator: generator)
        let image = RGBImage(width: 24, height: 16, red: 120, green: 60, blue: 30)
        let maps = (0..<6).map { k -> IntensityMap in
            var values = [Float](repeating: 0.2, count: 24 * 16)
            for x in 0..<(4 * k) { values[5 * 24 + x] = 0.9 }
            return IntensityMap(width: 24, height: 16, values: values)
        }
        let results = try await withThrowingTaskGroup(of: (Int, RGBImage).self) { group in
            for (k, map) in maps.enumerated() {
                group.addTask { (k, try await renderer.render(image: image, intensity: map)) }
            }
            var out: [Int: RGBImage] = [:]
            for try await (k, frame) in group { out[k] = frame }
            return out
        }
        for (k, map) in maps.enumerated() {
            let fresh = try await LiveRenderer(generator: generator).render(image: image, intensity: map)
            let got = try XCTUnwrap(results[k])
            let worst = zip(got.pixels, fresh.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "map \(k)")
        }
    }
}
