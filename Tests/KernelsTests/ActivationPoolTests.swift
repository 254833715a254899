@testable import Kernels
import XCTest

final class ActivationPoolTests: XCTestCase {
    override func setUp() { ActivationPool.drain() }
    override func tearDown() { ActivationPool.drain() }

    /// An output of a recycled size takes the recycled storage instead of a new allocation.
    func testAnOutputOfARecycledSizeReusesItsStorage() {
        let count = ActivationPool.minimumCount
        var first = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count)) { $0.initialize(repeating: 1) }
        let address = first.scalars.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let capacity = first.scalars.capacity
        ActivationPool.recycle(first.scalars)
        first = Tensor(shape: Shape(c: 1, h: 1, w: 1))  // drops the last other reference
        XCTAssertEqual(ActivationPool.bytes, capacity * 4)
        var second = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count)) { $0.initialize(repeating: 2) }
        XCTAssertEqual(second.scalars.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }, address)
        XCTAssertEqual(second.scalars[count - 1], 2)
        XCTAssertEqual(ActivationPool.bytes, 0)
    }

    /// Storage recycled while someone still holds it is copied on take, never overwritten under them.
    func testRecycledStorageStillHeldElsewhereIsNotOverwritten() {
        let count = ActivationPool.minimumCount
        let kept = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count)) { $0.initialize(repeating: 7) }
        ActivationPool.recycle(kept.scalars)
        let other = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count)) { $0.initialize(repeating: 3) }
        XCTAssertEqual(kept.scalars[0], 7)
        XCTAssertEqual(kept.scalars[count - 1], 7)
        XCTAssertEqual(other.scalars[0], 3)
    }

    /// Overlapping limited runs: the smallest limit holds while its run lasts, and each ends with its own run.
    func testLimitsOfOverlappingRunsEndWithTheirRuns() {
        let count = ActivationPool.minimumCount
        let bytes = [Float](repeating: 0, count: count).capacity * 4
        ActivationPool.holding(atMost: 3 * bytes) {
            ActivationPool.holding(atMost: bytes) {
                for _ in 0..<3 { ActivationPool.recycle([Float](repeating: 0, count: count)) }
                XCTAssertEqual(ActivationPool.bytes, bytes)
            }
            for _ in 0..<5 { ActivationPool.recycle([Float](repeating: 0, count: count)) }
            XCTAssertEqual(ActivationPool.bytes, 3 * bytes)
        }
        for _ in 0..<5 { ActivationPool.recycle([Float](repeating: 0, count: count)) }
        XCTAssertGreaterThan(ActivationPool.bytes, 3 * bytes, "no limit left behind")
    }

    func testSmallBuffersAreLeftToMallocAndTheCapacityHolds() {
        ActivationPool.recycle([Float](repeating: 0, count: ActivationPool.minimumCount - 1))
        XCTAssertEqual(ActivationPool.bytes, 0)
        let count = ActivationPool.capacityBytes / 4 / 3 - 4096
        let bytes = [Float](repeating: 0, count: count).capacity * 4
        for _ in 0..<5 { ActivationPool.recycle([Float](repeating: 0, count: count)) }
        XCTAssertLessThanOrEqual(ActivationPool.bytes, ActivationPool.capacityBytes)
        XCTAssertEqual(ActivationPool.bytes, 3 * bytes)
    }

    /// A slightly smaller output takes a recycled buffer too (the tiled executor's sizes change a little from
    /// node to node), a much smaller one does not; the larger of two is left for outputs that need it.
    func testANearSizeReusesTheSmallestBufferThatHoldsIt() {
        let count = ActivationPool.minimumCount * 2
        let large = [Float](repeating: 1, count: count + 5000)
        let larger = [Float](repeating: 1, count: count * 2)
        let address = large.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        ActivationPool.recycle(larger)
        ActivationPool.recycle(large)
        var t = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count)) { $0.initialize(repeating: 4) }
        XCTAssertEqual(t.scalars.count, count)
        XCTAssertEqual(t.scalars.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }, address)
        XCTAssertEqual(t.scalars[count - 1], 4)
        // What is left (twice as large) wastes too much for a buffer of a third of its size.
        let small = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count * 2 / 3 - 1)) { $0.initialize(repeating: 5) }
        XCTAssertEqual(small.scalars.count, count * 2 / 3 - 1)
        XCTAssertEqual(ActivationPool.bytes, larger.capacity * 4)
        // A recycled buffer that grows back within its storage.
        ActivationPool.drain()
        ActivationPool.recycle(t.scalars)
        t = Tensor(shape: Shape(c: 1, h: 1, w: 1))
        let grown = Tensor(uninitializedShape: Shape(c: 1, h: 1, w: count + 4000)) { $0.initialize(repeating: 6) }
        XCTAssertEqual(grown.scalars.count, count + 4000)
        XCTAssertEqual(grown.scalars.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, address)
        XCTAssertEqual(grown.scalars[count + 3999], 6)
    }
}
