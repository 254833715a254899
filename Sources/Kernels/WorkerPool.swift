import CGemm
import Dispatch
import Foundation
import Synchronization

/// The threads `ThreadPolicy.split` runs on: a few kept workers that spin for a moment after each job before they
/// sleep, so that the next split starts at once.
///
/// Why not `DispatchQueue.concurrentPerform` alone: its parked worker takes ~15-20 µs to wake on this 2-core VM
/// (two 13 µs halves took 30 µs), and a 256x256 frame makes ~80 splits (a Winograd layer one per phase per block).
/// Measured, min of 15 frames, three interleaved rounds: 256 f32 0.044 -> 0.040 s, bf16 0.040 -> 0.035 s; 512 f32
/// 0.149 -> 0.142 s, bf16 0.143 -> 0.137 s.
///
/// One job at a time: a split while the pool is busy (a nested split, or another thread's) goes to
/// `concurrentPerform` instead, so nothing waits on the pool and nothing deadlocks.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: ThreadPolicy.workerCount - 1)

    /// How long a worker spins for the next job before it sleeps (most splits of a frame are well within it).
    static let spinNanoseconds: UInt64 = 300_000
    /// `MONOPIX_WORKER_POOL=0` sends every split to Dispatch (to compare the two in `monopix bench`).
    static let disabled = ProcessInfo.processInfo.environment["MONOPIX_WORKER_POOL"] == "0"

    private let workers: [Worker]
    private let busy = Atomic<Bool>(false)
    /// Bumped once per job; each worker runs every generation it sees and then acknowledges it.
    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    // The current job, written before `generation` is bumped and read after it is seen; it stays valid until every
    // worker has acknowledged the generation, and only then can another job replace it.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var jobCount = 0

    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        let sleeping = Atomic<Bool>(false)
        let acknowledged = Atomic<Int>(0)
    }

    private init(workers count: Int) {
        workers = (0..<max(0, count)).map { _ in Worker() }
        for worker in workers {
            let thread = Thread { [unowned self] in self.serve(worker) }
            thread.name = "monopix-worker"
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the calling thread and the workers; returns when all are done.
    /// False (nothing run) when the pool is busy with another job.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard !workers.isEmpty, !Self.disabled, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            jobCount = count
            nextIndex.store(0, ordering: .relaxed)
            let current = generation.add(1, ordering: .sequentiallyConsistent).newValue
            for worker in workers where worker.sleeping.load(ordering: .sequentiallyConsistent) {
                worker.wake.signal()
            }
            work()
            for worker in workers {
                while worker.acknowledged.load(ordering: .acquiring) != current { mpx_spin_pause() }
            }
            job = nil
        }
        return true
    }

    /// Takes indices of the current job until none are left.
    private func work() {
        let count = jobCount
        guard let body = job else { return }
        while true {
            let i = nextIndex.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    private func serve(_ worker: Worker) {
        var seen = 0
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                mpx_spin_pause()
                guard spins & 255 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds else { continue }
                // Announce the sleep, then look once more: `run` bumps the generation before it reads `sleeping`,
                // so either it sees this worker asleep and signals, or this worker sees its job here. A signal
                // left over from such a race only makes a later wait return early.
                worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) == seen { worker.wake.wait() }
                worker.sleeping.store(false, ordering: .sequentiallyConsistent)
            }
            // No job starts before this worker acknowledges the one it sees, so this is that one's generation.
            seen = generation.load(ordering: .acquiring)
            ThreadPolicy.runAtBackgroundPriority()
            work()
            worker.acknowledged.store(seen, ordering: .releasing)
        }
    }
}
