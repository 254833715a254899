import Dispatch
import Foundation
import XCTest
@testable import Kernels

/// `ThreadPolicy.split` on the spinning worker pool: every index exactly once, whether the workers are spinning or
/// asleep, with nested splits and splits from several threads at once (those fall back to Dispatch).
final class WorkerPoolTests: XCTestCase {
    /// Counts how many times each index ran.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var counts: [Int]
        init(_ n: Int) { counts = [Int](repeating: 0, count: n) }
        func add(_ i: Int) { lock.lock(); counts[i] += 1; lock.unlock() }
    }

    func testEveryIndexRunsOnceAcrossManyQuickJobs() {
        for job in 0..<2000 {
            let n = 1 + job % 7
            let tally = Tally(n)
            ThreadPolicy.split(n) { i, count in
                XCTAssertEqual(count, n)
                tally.add(i)
            }
            XCTAssertEqual(tally.counts, [Int](repeating: 1, count: n), "job \(job)")
        }
    }

    /// Pauses longer than the spin let the workers fall asleep; the next job must wake them (or run without them).
    func testJobsAfterTheWorkersSleep() {
        for round in 0..<20 {
            usleep(useconds_t(round % 2 == 0 ? 2_000 : 400))
            let tally = Tally(4)
            ThreadPolicy.split(4) { i, _ in tally.add(i) }
            XCTAssertEqual(tally.counts, [1, 1, 1, 1], "round \(round)")
        }
    }

    func testWorkersReallyShareTheWork() throws {
        guard ThreadPolicy.workerCount > 1 else { throw XCTSkip("one core") }
        let threads = NSMutableSet(), lock = NSLock()
        for _ in 0..<50 {
            ThreadPolicy.split(2) { _, _ in
                let start = DispatchTime.now().uptimeNanoseconds
                while DispatchTime.now().uptimeNanoseconds - start < 200_000 {}
                lock.lock(); threads.add(Thread.current.description); lock.unlock()
            }
        }
        XCTAssertGreaterThan(threads.count, 1)
    }

    func testNestedSplitsComplete() {
        let tally = Tally(16)
        ThreadPolicy.split(4) { outer, _ in
            ThreadPolicy.split(4) { inner, _ in tally.add(outer * 4 + inner) }
        }
        XCTAssertEqual(tally.counts, [Int](repeating: 1, count: 16))
    }

    func testSplitsFromSeveralThreadsAtOnce() {
        let tallies = (0..<4).map { _ in Tally(3 * 500) }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for job in 0..<500 {
                ThreadPolicy.split(3) { i, _ in tallies[t].add(job * 3 + i) }
            }
        }
        for t in tallies { XCTAssertEqual(t.counts, [Int](repeating: 1, count: 1500)) }
    }
}
