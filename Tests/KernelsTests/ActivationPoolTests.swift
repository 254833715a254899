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
        ActivationPool.recycle(first.scalars)
        first = Tensor(shape: Shape(c: 1, h: 1, w: 1))  // drops the last other reference
        XCTAssertEqual(ActivationPool.bytes, count * 4)
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

    func testSmallBuffersAreLeftToMallocAndTheCapacityHolds() {
        ActivationPool.recycle([Float](repeating: 0, count: ActivationPool.minimumCount - 1))
        XCTAssertEqual(ActivationPool.bytes, 0)
        let count = ActivationPool.capacityBytes / 4 / 3
        for _ in 0..<5 { ActivationPool.recycle([Float](repeating: 0, count: count)) }
        XCTAssertLessThanOrEqual(ActivationPool.bytes, ActivationPool.capacityBytes)
        XCTAssertEqual(ActivationPool.bytes, 3 * count * 4)
    }
}
