import Dispatch

/// Runs async `body` to completion from synchronous code (the benches drive the studio's async engine from a
/// `ParsableCommand`); the calling thread waits.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// Written by the task before the semaphore is signalled, read after the wait: no overlap.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
