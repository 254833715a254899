import CBLAS
import CGemm
import Dispatch
import Foundation

/// How the kernels share the machine's cores. Our own workers and OpenBLAS's threads are never both
/// running at full width: a kernel either splits its work over `workerCount` of our threads (each calling
/// single-threaded BLAS) or makes one BLAS call that may use every core.
public enum ThreadPolicy {
    /// The number of workers a kernel splits into; defaults to the cores this process may use.
    public static var workerCount: Int = {
        if let s = ProcessInfo.processInfo.environment["MONOPIX_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(index, count)` on `count` workers and waits for all of them.
    /// Inside `perSample` the calling thread's share runs here, one index after another.
    public static func split(_ count: Int, _ body: (Int, Int) -> Void) {
        if count <= 1 { body(0, 1); return }
        if isSerial { for i in 0..<count { body(i, count) }; return }
        if WorkerPool.shared.run(count, { body($0, count) }) { return }
        DispatchQueue.concurrentPerform(iterations: count) { body($0, count) }
    }

    /// Sets how many threads the next GEMM calls may use (cheap: a global setter): OpenBLAS's own threads, or
    /// the workers the native GEMM splits over.
    public static func blasThreads(_ n: Int) {
        // Inside `perSample` every worker's BLAS stays single-threaded; the setting is the whole process's.
        guard !isSerial else { return }
        openblas_set_num_threads(Int32(n))
        blasThreadCount = n
    }

    /// Runs `body(sample)` for each of `count` samples, the samples shared over the workers and each worker running
    /// its kernels alone on its own thread. For batches (training's 8 rows, a discriminator's patches): splitting each
    /// image's rows or Winograd phases costs a hand-off per phase and leaves small layers on one core. Each sample's
    /// result is the same as when it runs on its own, so outputs do not depend on the number of cores.
    public static func perSample(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(workerCount, count)
        guard workers > 1, !isSerial else { for s in 0..<count { body(s) }; return }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(blasThreadCount)) }
        split(workers) { index, parts in
            mpx_set_thread_serial(1)
            defer { mpx_set_thread_serial(0) }
            for s in share(count, index, parts) { body(s) }
        }
    }

    /// The studio's policy: every thread that computes frames runs at this nice value (0: the process's own), below
    /// the one thread that reads input and draws (`interactiveThread`), so that a storm of input is answered while
    /// both cores render. Set before the first kernel runs; the kept workers apply it when they next wake.
    nonisolated(unsafe) public static var backgroundNice: Int32 = 0
    /// The thread that must stay responsive (its kernel id), never lowered.
    nonisolated(unsafe) public static var interactiveThread: Int = -1

    /// Marks the calling thread as the interactive one and sets `backgroundNice`.
    public static func keepResponsive(backgroundNice nice: Int32) {
        interactiveThread = mpx_thread_id()
        backgroundNice = nice
    }

    /// Lowers the calling thread to `backgroundNice` for the work that follows (and for good: a thread may not raise
    /// its priority back), unless it is the interactive thread or no policy is set.
    public static func runAtBackgroundPriority() {
        guard backgroundNice > 0, mpx_thread_id() != interactiveThread else { return }
        _ = mpx_lower_thread_priority(backgroundNice)
    }

    /// Whether the calling thread is a worker inside `perSample` (its kernels must not split again).
    public static var isSerial: Bool { mpx_thread_serial() != 0 }

    /// The workers a kernel on this thread may split into: 1 inside `perSample`, else `workerCount`.
    public static var availableWorkers: Int { isSerial ? 1 : workerCount }

    /// Runs `body` over contiguous chunks of `0..<total`, one chunk a worker, when there is enough work to pay
    /// for the hand-off (`elements` in all); inline otherwise. Each item's result must not depend on the chunking,
    /// so that the output is the same on any number of cores.
    public static func chunks(_ total: Int, elements: Int, _ body: (Range<Int>) -> Void) {
        let workers = min(availableWorkers, total)
        guard workers > 1, elements >= parallelThreshold else { body(0..<total); return }
        split(workers) { i, n in body(share(total, i, n)) }
    }

    /// Element passes smaller than this (2 MiB of floats) run on the calling thread: a leaky ReLU over 196K floats
    /// took 0.02 ms there and 0.15 ms split over two Dispatch workers.
    static let parallelThreshold = 1 << 19

    /// The count `blasThreads` last set (every core until then, as OpenBLAS starts).
    nonisolated(unsafe) public private(set) static var blasThreadCount: Int = workerCount

    /// The half-open share `[lo, hi)` of `0..<total` that worker `index` of `count` takes.
    public static func share(_ total: Int, _ index: Int, _ count: Int) -> Range<Int> {
        let lo = total * index / count, hi = total * (index + 1) / count
        return lo..<hi
    }
}
